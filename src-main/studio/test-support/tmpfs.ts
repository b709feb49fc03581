// Test support: small tmpfs mounts, for a disk that really fills up. Mounting needs root on Linux
// (CI runs as root); `tmpfsProblem` says why it cannot be done here, so a test can skip saying so.

import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why a tmpfs cannot be mounted here, or null when it can (probed with a mount and unmount). */
export function tmpfsProblem(): string | null {
  if (process.platform !== 'linux') return `tmpfs mounts need Linux, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const probe = mkdtempSync(join(tmpdir(), 'tmpfs-probe-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { encoding: 'utf8' });
  if (mounted.status === 0) spawnSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return mounted.status === 0
    ? null
    : `mount failed: ${(mounted.stderr || mounted.error?.message || '').trim()}`;
}

/** Mounts a tmpfs of `size` (e.g. "4m") on the existing folder `at`; throws with mount's message. */
export function mountTmpfs(at: string, size: string): void {
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', at], {
    encoding: 'utf8',
  });
  if (mounted.status !== 0) throw new Error(`mount of a tmpfs on ${at} failed: ${mounted.stderr.trim()}`);
}

/** Unmounts it (lazily, should a file still be open in it). */
export function unmountTmpfs(at: string): void {
  spawnSync('umount', ['-l', at]);
}

/** Writes to `file` until the disk is full; the caller removes the file to free the space. */
export function fillDisk(file: string): void {
  const chunk = Buffer.alloc(16 * 1024);
  try {
    for (;;) appendFileSync(file, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
}
