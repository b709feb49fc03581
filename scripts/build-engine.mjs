// Bundles the Node entry points with esbuild into out/engine: the command line (src-main/cli.ts:
// the engine's CLI plus the studio's history) and the training worker (src-worker/worker.ts), so
// `npx crystalline` and worker_threads run plain JavaScript without a TS loader.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { rawImports } from './esbuild-raw-plugin.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  packages: 'external',
  plugins: [rawImports],
  logLevel: 'warning',
};

await Promise.all([
  build({ ...common, entryPoints: ['src-main/cli.ts'], outfile: 'out/engine/cli.js' }),
  build({ ...common, entryPoints: ['src-worker/worker.ts'], outfile: 'out/engine/worker.js' }),
]);
