// A temp folder for a test file, made before and removed after its tests, so no test leaves files
// behind and no two tests see each other's.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

export interface TempDir {
  /** The folder's path; read it inside tests and hooks (it is set by the hook that makes it). */
  readonly path: string;
}

/**
 * Registers the hooks that make `<tmpdir>/<prefix>XXXXXX` and remove it: a fresh one for each test,
 * or with `'file'` one shared by the whole file (for tests that build something once).
 */
export function useTempDir(prefix: string, scope: 'test' | 'file' = 'test'): TempDir {
  let path: string | null = null;
  const dir: TempDir = {
    get path(): string {
      if (path === null)
        throw new Error(`The temp folder ${prefix}… is made by a hook; read it inside a test.`);
      return path;
    },
  };
  const [before, after] = scope === 'test' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    path = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    if (path !== null) await rm(path, { recursive: true, force: true });
    path = null;
  });
  return dir;
}
