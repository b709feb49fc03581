// Child processes of the tests run real engine code, but Node 20 cannot run TypeScript: each child
// script is bundled to one ES module first.

import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Bundles the TypeScript entry point `entry` (a file URL) into the single ES module `outfile`. */
export async function bundleForNode(entry: URL, outfile: string): Promise<void> {
  await build({
    entryPoints: [fileURLToPath(entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
}
