// Bundles the Node entry points with esbuild into out/engine: the command line (src-main/cli.ts:
// the engine's CLI plus the studio's history) and the training worker (src-worker/worker.ts), so
// `npx crystalline` and worker_threads run plain JavaScript without a TS loader; the data-parallel
// replica (src-worker/parallel/replica-worker.ts), which the trainer starts from beside itself; and
// the event-loop benchmark that `npm run bench` runs after the throughput one. Then builds the
// native kernels addon (src-worker/native) next to them; see buildNativeKernels.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
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
buildNativeKernels();

/**
 * Compiles src-worker/native with node-gyp (incrementally: make rebuilds what changed) and copies
 * the addon to out/engine/crystalline_kernels.node, where the bundles load it. A failure (no C
 * compiler, an unsupported platform) is reported and is not an error: without the addon the
 * engine runs on its WebAssembly kernels. Node-API is ABI-stable, so Electron loads this same file.
 */
function buildNativeKernels() {
  const dir = `${root}src-worker/native`;
  const gyp = nodeGyp();
  if (gyp === null) return skipNative('node-gyp is not installed');
  const run = (args) => spawnSync(process.execPath, [gyp, ...args, '--directory', dir], { encoding: 'utf8' });
  // Configure again when binding.gyp changed since (its flags and sources live in the makefiles;
  // where node-gyp writes no Makefile, as on Windows, it configures every time).
  const makefile = `${dir}/build/Makefile`;
  const fresh = existsSync(makefile) && statSync(makefile).mtimeMs >= statSync(`${dir}/binding.gyp`).mtimeMs;
  for (const args of fresh ? [['build']] : [['configure'], ['build']]) {
    const result = run(args);
    if (result.status !== 0) {
      const log = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-12).join('\n');
      // No stale addon from an earlier build stays behind to be loaded in place of this one.
      rmSync(`${root}out/engine/crystalline_kernels.node`, { force: true });
      return skipNative(`node-gyp ${args[0]} failed:\n${log}`);
    }
  }
  mkdirSync(`${root}out/engine`, { recursive: true });
  copyFileSync(`${dir}/build/Release/crystalline_kernels.node`, `${root}out/engine/crystalline_kernels.node`);
}

/** node-gyp's entry: the one npm runs scripts with, else the project's own. */
function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) {
    return process.env.npm_config_node_gyp;
  }
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return null;
  }
}

function skipNative(reason) {
  console.warn(
    `build-engine: native kernels not built (${reason}); the engine will use its WebAssembly kernels.`,
  );
}
