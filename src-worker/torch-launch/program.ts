// Where the PyTorch engine program (src-worker/pytorch/cllm_torch.py, the entry script of the cllm
// package beside it) is: beside a packaged app's resources (electron-builder's extraResources puts
// both in `pytorch/`), or in the repository, seen from the bundles in out/ or from the sources the
// tests run.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TORCH_PROGRAM_NAME = 'cllm_torch.py';

/** The interpreter a run uses when the settings name none. */
export const DEFAULT_PYTHON = 'python3';

/** The program's candidate paths, most specific first. */
function candidates(): string[] {
  const out: string[] = [];
  // Electron sets resourcesPath in a packaged app (and to its own folder when run unpackaged).
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  if (resources !== undefined) out.push(join(resources, 'pytorch', TORCH_PROGRAM_NAME));
  // From the repository: this module is a source file or part of a bundle somewhere under out/
  // (how deep depends on the bundler), so each folder above it is asked.
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    out.push(join(dir, 'src-worker', 'pytorch', TORCH_PROGRAM_NAME));
    if (dirname(dir) === dir) break;
  }
  return out;
}

/** The path of the engine program, or where it belongs in the repository when it is nowhere (for the message). */
export function torchProgramPath(): string {
  const all = candidates();
  const repository = fileURLToPath(
    new URL(`../../src-worker/pytorch/${TORCH_PROGRAM_NAME}`, import.meta.url),
  );
  return all.find((p) => existsSync(p)) ?? repository;
}
