// Bundles the Node entry points with esbuild into out/engine: the command line (src-main/cli.ts:
// the engine's CLI plus the studio's history) and the training worker (src-worker/worker.ts), so
// `npx crystalline` and worker_threads run plain JavaScript without a TS loader; the data-parallel
// replica (src-worker/parallel/replica-worker.ts), which the trainer starts from beside itself; and
// the event-loop benchmark that `npm run bench` runs after the throughput one.
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
  build({
    ...common,
    entryPoints: ['src-worker/parallel/replica-worker.ts'],
    outfile: 'out/engine/replica-worker.js',
  }),
  build({
    ...common,
    entryPoints: ['src-main/studio/bench/event-loop-bench.ts'],
    outfile: 'out/engine/bench-event-loop.js',
  }),
]);
