// Durable, atomic file-system steps shared by the checkpoint writer and the export: temp names in
// the target's own folder, complete writes, fsync of files and folders, and cleanup of temps left
// by a process that was killed mid-write. Also the complete read the readers share.

import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The part of an open file the writers use. */
export interface DurableFileHandle {
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The file-system calls the writers make. Production code uses `nodeFs`; tests pass a layer that
 * fails like a full disk to prove the previous file survives.
 */
export interface DurableFs {
  open(path: string, flags: string): Promise<DurableFileHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  rm(path: string): Promise<void>;
}

export const nodeFs: DurableFs = {
  open: (path, flags) => fsp.open(path, flags),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  mkdir: async (path) => {
    await fsp.mkdir(path);
  },
  rm: (path) => fsp.rm(path, { recursive: true, force: true }),
};

const TEMP_NAME = /^\.(.+)\.(\d+)-([0-9a-f]{16})\.tmp$/;

/**
 * A fresh temp path beside `target`: hidden, unique per process and call, and recognisable by
 * `isTempName` so folder listings skip it. Uniqueness needs entropy that differs between
 * processes, so it comes from the OS, not from the run's seeded Rng.
 */
export function tempPathFor(target: string): string {
  const name = `.${basename(target)}.${process.pid}-${randomBytes(8).toString('hex')}.tmp`;
  return join(dirname(target), name);
}

/** True for names made by `tempPathFor`: a folder listing of checkpoints should ignore these. */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/**
 * Removes temp files and folders in `dir` whose writing process no longer exists (it was killed
 * or crashed mid-write). Temps of live processes, including this one, are left alone. Returns the
 * names removed.
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await fsp.readdir(dir)) {
    const m = TEMP_NAME.exec(name);
    if (m === null || processIsAlive(Number(m[2]))) continue;
    await fsp.rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes all of `bytes` (a write may be partial; loop until done). */
export async function writeAll(handle: DurableFileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done);
    if (bytesWritten <= 0)
      throw new Error(`write made no progress after ${done} of ${bytes.byteLength} bytes`);
    done += bytesWritten;
  }
}

/**
 * Reads into all of `target` from `position` (a read may be partial; loop until done). Returns the
 * bytes read: fewer than `target.length` only where the file ended first, for the caller to report.
 */
export async function readAll(handle: fsp.FileHandle, target: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/**
 * fsyncs a folder so a rename inside it survives a power cut. Windows cannot open a folder for
 * syncing (and its renames are journaled by NTFS), so there it is skipped.
 */
export async function syncDir(fs: DurableFs, dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `bytes` to a new file at `path` and fsyncs it. */
export async function writeFileDurable(fs: DurableFs, path: string, bytes: Uint8Array): Promise<void> {
  const handle = await fs.open(path, 'wx');
  try {
    await writeAll(handle, bytes);
    await handle.sync();
  } catch (err) {
    // Report the write's failure, not a follow-on failure to close.
    await handle.close().catch(() => undefined);
    throw err;
  }
  await handle.close();
}

/** True when `err` says the disk (or the user's quota) is full. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
