// --out names a folder the run or export may write into: an existing file, or a path inside /proc
// or /sys, is refused at once as a bad value (exit 2, the path named), never half-written or hung on.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/crystalline.js');

function cli(...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr };
}

describe('--out', () => {
  it('refuses a file and the system folders with exit 2, naming the path', () => {
    const file = cli('train', '--sample', '--steps', '1', '--no-record', '--out', '/etc/passwd');
    expect(file.status).toBe(2);
    expect(file.stderr).toMatch(/\/etc\/passwd is a file, not a folder/);
    for (const out of ['/proc/self/fd', '/proc', '/sys/kernel/x']) {
      const r = cli('train', '--sample', '--steps', '1', '--no-record', '--out', out);
      expect(r.status, out).toBe(2);
      expect(r.stderr).toContain(`${out} is inside a system folder`);
    }
    const exported = cli('export', '--checkpoint', '/nonexistent.ckpt', '--out', '/proc/self');
    expect(exported.status).toBe(2);
    expect(exported.stderr).toContain('inside a system folder');
  });
});
