// Choosing another data folder in Settings: the checks a folder must pass, the saved choice (a
// small JSON file outside any chosen folder) and what Settings shows. It takes effect at the next start.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { mkdir, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { nodeFs, syncDir, tempPathFor, writeFileDurable } from '../../src-worker/checkpoint/durable-fs';
import { StudioError } from '../api';
import type { DataFolderInfo } from '../api';
import { dataDirLayout, readChoice, samePath } from './data-dir';
import type { DataDirResolution } from './data-dir';

/** Thrown for a folder that cannot be the data folder; names the folder and the reason. */
function refuse(message: string): StudioError {
  return new StudioError('invalid-input', `That data folder cannot be used: ${message}`, [
    { field: 'path', message },
  ]);
}

/** Short words for the file-system errors a person can act on. */
function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'the disk is read-only';
  if (code === 'ENOSPC') return 'the disk is full';
  return err instanceof Error ? err.message : String(err);
}

/** `inner` lies strictly inside `outer`. */
function isInside(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** The path with symbolic links resolved as far as it exists (a new folder's parent, say). */
async function canonical(path: string): Promise<string> {
  const missing: string[] = [];
  let existing = path;
  for (;;) {
    try {
      return join(await realpath(existing), ...missing.reverse());
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return path;
      missing.push(basename(existing));
      existing = parent;
    }
  }
}

/** The nearest folder above `path` that holds a studio database, if any. */
function enclosingDataFolder(path: string): string | null {
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(dataDirLayout(dir).database)) return dir;
  }
  return null;
}

/** Writes and removes a probe file: permission bits alone miss read-only disks and ACLs. */
async function probeWritable(dir: string): Promise<void> {
  const probe = join(dir, `.crystalline-write-test-${randomBytes(6).toString('hex')}`);
  await writeFile(probe, '');
  await rm(probe, { force: true });
}

/** Files a folder may hold and still count as empty: the ones operating systems leave behind. */
const IGNORED_ENTRIES = new Set(['Thumbs.db', 'desktop.ini']);

async function checkExistingFolder(target: string): Promise<void> {
  try {
    await probeWritable(target);
  } catch (err) {
    throw refuse(`${target} is not writable (${reasonOf(err)}); the studio writes its database there.`);
  }
  if (existsSync(dataDirLayout(target).database)) return; // an existing data folder: its history opens
  const entries = (await readdir(target)).filter((n) => !n.startsWith('.') && !IGNORED_ENTRIES.has(n));
  if (entries.length > 0) {
    const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
    throw refuse(
      `${target} already holds other files (${shown}). Choose an empty or new folder, or an existing ` +
        'Crystalline Studio data folder (one with studio.db).',
    );
  }
}

/** Creates the folder to prove it can be, writes a probe in it, and removes what it created. */
async function checkNewFolder(target: string): Promise<void> {
  let created: string | undefined;
  try {
    created = await mkdir(target, { recursive: true });
  } catch (err) {
    let ancestor = dirname(target);
    while (!existsSync(ancestor) && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
    if (existsSync(ancestor) && !(await stat(ancestor)).isDirectory()) {
      throw refuse(`${target} cannot be created: ${ancestor} is a file, not a folder.`);
    }
    throw refuse(`${target} cannot be created in ${ancestor} (${reasonOf(err)}).`);
  }
  try {
    await probeWritable(target);
  } catch (err) {
    throw refuse(`${target} is not writable (${reasonOf(err)}); the studio writes its database there.`);
  } finally {
    if (created !== undefined) await rm(created, { recursive: true, force: true });
  }
}

/**
 * Checks that `input` can be the next data folder and returns it as an absolute, normalized path.
 * Throws an invalid-input StudioError whose field problem (`path`) says what is wrong. The folder
 * in use and the default one always pass: choosing either only drops a pending change.
 */
export async function checkDataFolder(input: string, current: string, defaultDir: string): Promise<string> {
  if (input.startsWith('~')) {
    throw refuse(`"${input}" starts with ~, which is not expanded here; write the full path from the root.`);
  }
  if (!isAbsolute(input)) {
    throw refuse(
      `"${input}" is not an absolute path; write the full path from the root, such as ` +
        (process.platform === 'win32' ? 'C:\\Users\\you\\Studio data.' : '/home/you/studio-data.'),
    );
  }
  const target = resolve(input);
  const [real, realCurrent, realDefault] = await Promise.all([
    canonical(target),
    canonical(current),
    canonical(defaultDir),
  ]);
  if (samePath(real, realCurrent) || samePath(real, realDefault)) return target;
  if (isInside(real, realCurrent)) {
    throw refuse(`${target} is inside the data folder in use (${current}); choose a folder outside it.`);
  }
  if (isInside(realCurrent, real)) {
    throw refuse(
      `${target} contains the data folder in use (${current}); choose a folder that is not one of its parents.`,
    );
  }
  const enclosing = enclosingDataFolder(real);
  if (enclosing !== null) {
    throw refuse(
      `${target} is inside another Crystalline Studio data folder (${enclosing}); choose a folder outside it.`,
    );
  }
  let info: Stats | null;
  try {
    info = await stat(target);
  } catch {
    info = null; // it does not exist yet: the next start creates it
  }
  if (info !== null && !info.isDirectory()) throw refuse(`${target} is a file, not a folder.`);
  await (info === null ? checkNewFolder(target) : checkExistingFolder(target));
  return target;
}

/**
 * Saves the choice for the next start: the folder, or none (the default) when `dataDir` is null or
 * the default itself. Written to a temporary file and renamed, so a crash leaves the old choice whole.
 */
export async function saveChoice(
  choiceFile: string,
  dataDir: string | null,
  defaultDir: string,
): Promise<void> {
  if (dataDir === null || samePath(dataDir, defaultDir)) {
    await rm(choiceFile, { force: true });
    return;
  }
  await mkdir(dirname(choiceFile), { recursive: true });
  // Written like a checkpoint (temp file, fsync, rename, fsync the folder): a crash leaves the old
  // choice or the new one, never half a file.
  const partial = tempPathFor(choiceFile);
  await writeFileDurable(
    nodeFs,
    partial,
    new TextEncoder().encode(JSON.stringify({ dataDir }, null, 2) + '\n'),
  );
  await rename(partial, choiceFile);
  await syncDir(nodeFs, dirname(choiceFile));
}

/** What Settings shows: the folder in use, what decided it, and the saved choice as it is now. */
export function describeDataFolder(
  current: string,
  startup: Omit<DataDirResolution, 'dataDir'>,
): DataFolderInfo {
  const saved = readChoice(startup.choiceFile);
  const next = saved.chosen ?? startup.defaultDir;
  return {
    current,
    source: startup.source,
    defaultDir: startup.defaultDir,
    chosen: saved.chosen,
    next,
    pending: !samePath(next, current),
    choiceFile: startup.choiceFile,
    problem:
      saved.problem === null ? startup.problem : `${saved.problem} The next start uses the default folder.`,
  };
}
