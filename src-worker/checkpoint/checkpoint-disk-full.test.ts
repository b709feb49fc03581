// A write that fails part-way (disk full, I/O error, failed rename) reports a typed error, removes
// its temp file and leaves the previous checkpoint byte-for-byte intact.

import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rejectionOf } from '../test-support/caught';
import { useTempDir } from '../test-support/temp-dir';
import { nodeFs, type DurableFs } from './durable-fs';
import { CheckpointError } from './errors';
import { readCheckpoint } from './read';
import { diskWithRoomFor, errno } from './test-support/faulty-fs';
import { SMALL_SHAPES, sampleHeader, sampleTensors } from './test-support/sample';
import { writeCheckpoint } from './write';

const dir = useTempDir('ckpt-full-');

function failure(promise: Promise<unknown>): Promise<CheckpointError> {
  return rejectionOf(promise, CheckpointError);
}

describe('a write that cannot finish', () => {
  it('on a full disk says so, removes its temp file and keeps the previous checkpoint', async () => {
    const path = join(dir.path, 'latest.ckpt');
    await writeCheckpoint(path, sampleHeader(1), sampleTensors(1, SMALL_SHAPES));
    const before = await readFile(path);

    for (const capacity of [0, 100, 5000, before.length - 10]) {
      const fs = diskWithRoomFor(capacity);
      const e = await failure(writeCheckpoint(path, sampleHeader(2), sampleTensors(2, SMALL_SHAPES), { fs }));
      expect(e.code).toBe('DISK_FULL');
      expect(e.message).toContain('the disk is full');
      expect(e.message).toContain(`The previous checkpoint at ${path} is intact`);
      expect(await readdir(dir.path)).toEqual(['latest.ckpt']);
      expect((await readFile(path)).equals(before)).toBe(true);
    }
    expect((await readCheckpoint(path)).header.step).toBe(1);
  });

  it('on a full disk with no previous checkpoint leaves nothing behind', async () => {
    const path = join(dir.path, 'first.ckpt');
    const e = await failure(writeCheckpoint(path, sampleHeader(1), [], { fs: diskWithRoomFor(64) }));
    expect(e.code).toBe('DISK_FULL');
    expect(e.message).toContain(`No file was left at ${path}`);
    expect(await readdir(dir.path)).toEqual([]);
  });

  it('when fsync or rename fails, reports a write failure and keeps the previous checkpoint', async () => {
    const path = join(dir.path, 'latest.ckpt');
    await writeCheckpoint(path, sampleHeader(1), sampleTensors(1, SMALL_SHAPES));
    const before = await readFile(path);
    const failingSync: DurableFs = {
      ...nodeFs,
      async open(p, flags) {
        const handle = await nodeFs.open(p, flags);
        return {
          write: (b, o, l) => handle.write(b, o, l),
          close: () => handle.close(),
          sync: () => Promise.reject(errno('EIO')),
        };
      },
    };
    const failingRename: DurableFs = { ...nodeFs, rename: () => Promise.reject(errno('EACCES')) };

    for (const fs of [failingSync, failingRename]) {
      const e = await failure(writeCheckpoint(path, sampleHeader(2), sampleTensors(2, SMALL_SHAPES), { fs }));
      expect(e.code).toBe('WRITE_FAILED');
      expect(e.message).toContain(`The previous checkpoint at ${path} is intact`);
      expect(await readdir(dir.path)).toEqual(['latest.ckpt']);
      expect((await readFile(path)).equals(before)).toBe(true);
    }
  });
});
