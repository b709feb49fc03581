// Files the API writes where a person says: only a new file, never one that is there already, and
// every refusal in words that name the path (a 4xx, not an I/O error).

import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { StudioError } from '../api';
import { insideSystemFolder } from '../../src-worker/util/system-folders';

/** Why a path given to the API cannot take a new file, by the system's error code. */
const REFUSALS: Record<string, (path: string) => StudioError> = {
  EEXIST: (p) =>
    new StudioError(
      'conflict',
      `${p} exists already; the studio writes only new files. Choose another name.`,
    ),
  ENOENT: (p) => new StudioError('invalid-input', `The folder of ${p} does not exist.`),
  ENOTDIR: (p) => new StudioError('invalid-input', `A part of ${p} is a file, not a folder.`),
  EISDIR: (p) => new StudioError('invalid-input', `${p} is a folder; give a file name inside it.`),
  EACCES: (p) => new StudioError('invalid-input', `The studio may not write ${p} (permission denied).`),
  EPERM: (p) => new StudioError('invalid-input', `The studio may not write ${p} (not permitted).`),
  EROFS: (p) => new StudioError('invalid-input', `${p} is on a read-only file system.`),
  ENAMETOOLONG: (p) => new StudioError('invalid-input', `${p} is too long a path.`),
  ENOSPC: (p) => new StudioError('failed', `The disk of ${p} is full; free some space and try again.`),
};

/** The StudioError for a failed write to a path the person gave, or null when the code is not known. */
export function refusalFor(path: string, err: unknown): StudioError | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === undefined ? null : (REFUSALS[code]?.(path) ?? null);
}

/** Creates `path` as a new file (exclusively: an existing file is refused, never truncated). */
export async function openNewFile(path: string): Promise<FileHandle> {
  const absolute = resolve(path);
  if (insideSystemFolder(absolute)) {
    throw new StudioError(
      'invalid-input',
      `${absolute} is inside a system folder; choose a folder of your own.`,
    );
  }
  try {
    return await open(absolute, 'wx');
  } catch (err) {
    throw refusalFor(absolute, err) ?? err;
  }
}
