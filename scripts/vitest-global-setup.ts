// Vitest global setup: builds the engine bundle (out/engine/worker.js and cli.js) before any test
// runs, so tests that spawn workers or the CLI run the code as it is now; and bundles the child
// process the backend's restart test kills (out/test/studio-child.js).

import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
// @ts-expect-error: a plain .mjs module without type declarations
import { rawImports } from './esbuild-raw-plugin.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

export default async function setup(): Promise<void> {
  // CLI runs record themselves in the studio's database; tests keep theirs out of the real one.
  process.env.CRYSTALLINE_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'crystalline-test-data-'));
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
