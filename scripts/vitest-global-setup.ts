// Vitest global setup: builds the engine bundle (out/engine/worker.js and cli.js) before any test
// runs, so tests that spawn workers or the CLI run the code as it is now; and bundles the child
// process the backend's restart test kills (out/test/studio-child.js).

import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** `import sql from './x.sql?raw'` (Vite's convention, used by the migrations) as text for esbuild. */
const rawImports: Plugin = {
  name: 'raw-imports',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: join(args.resolveDir, args.path.slice(0, -'?raw'.length)),
      namespace: 'raw',
    }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, async (args) => ({
      contents: await readFile(args.path, 'utf8'),
      loader: 'text',
      resolveDir: dirname(args.path),
    }));
  },
};

export default async function setup(): Promise<void> {
  execFileSync(process.execPath, ['scripts/build-engine.mjs'], { cwd: root, stdio: 'inherit' });
  await build({
    absWorkingDir: root,
    entryPoints: ['src-main/studio/test-support/studio-child.ts'],
    outfile: 'out/test/studio-child.js',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    plugins: [rawImports],
    logLevel: 'warning',
  });
}
