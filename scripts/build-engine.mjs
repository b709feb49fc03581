// Bundles the training engine's Node entry points (CLI, training worker) into out/engine with
// esbuild, so `npx crystalline` and worker_threads run plain JavaScript without a TS loader.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const entries = ['src-worker/cli.ts', 'src-worker/worker.ts'].filter((p) => existsSync(p));

await build({
  entryPoints: entries,
  outdir: 'out/engine',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  packages: 'external',
  outExtension: { '.js': '.js' },
  logLevel: 'warning',
});
