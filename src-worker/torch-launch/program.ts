// Where the PyTorch engine program (src-worker/pytorch/cllm_torch.py) is: beside a packaged app's
// resources (electron-builder's extraResources puts it in `pytorch/`), or in the repository, seen
// from the bundles in out/ or from the sources the tests run.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
  // Two folders up is the repository from out/engine/*.js, out/main/*.js and src-worker/torch-launch/*.ts.
  out.push(fileURLToPath(new URL(`../../src-worker/pytorch/${TORCH_PROGRAM_NAME}`, import.meta.url)));
  return out;
}

/** The path of the engine program, or the first place looked when it is nowhere (for the message). */
export function torchProgramPath(): string {
  const all = candidates();
  return all.find((p) => existsSync(p)) ?? all[all.length - 1];
}
