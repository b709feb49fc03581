// Fault injection, no mount needed: a checkpoint write that meets ENOSPC part-way is a DISK_FULL
// error with the previous checkpoint intact, and that (and only that) becomes a pause reason that
// names the step, the file and the checkpoint kept.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFs } from '../checkpoint/durable-fs';
import type { DurableFs } from '../checkpoint/durable-fs';
import { CheckpointError } from '../checkpoint/errors';
import { SMALL_SHAPES, sampleHeader, sampleTensors } from '../checkpoint/test-support/sample';
import { writeCheckpoint } from '../checkpoint/write';
import { diskFullPauseReason } from './disk-full';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'disk-full-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Real files whose writes fail with ENOSPC after `room` bytes. */
function fullAfter(room: number): DurableFs {
  let used = 0;
  return {
    ...nodeFs,
    async open(path, flags) {
      const handle = await nodeFs.open(path, flags);
      return {
        sync: () => handle.sync(),
        close: () => handle.close(),
        async write(buffer, offset, length) {
          if (used + length > room)
            throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
          used += length;
          return handle.write(buffer, offset, length);
        },
      };
    },
  };
}

async function failure(write: Promise<unknown>): Promise<unknown> {
  return write.then(
    () => null,
    (e: unknown) => e,
  );
}

describe('a checkpoint on a full disk', () => {
  it('fails as DISK_FULL with the previous file intact, and becomes a pause reason', async () => {
    const path = join(dir, 'step-0000020.ckpt');
    await writeCheckpoint(path, sampleHeader(10), sampleTensors(1, SMALL_SHAPES));
    const before = await readFile(path);
    const err = await failure(
      writeCheckpoint(path, sampleHeader(20), sampleTensors(2, SMALL_SHAPES), { fs: fullAfter(1000) }),
    );
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).code).toBe('DISK_FULL');
    expect(await readFile(path)).toEqual(before);
    const reason = diskFullPauseReason(err, 20, 10) ?? '';
    expect(reason).toContain('Paused at step 20: the disk is full');
    expect(reason).toContain(path);
    expect(reason).toContain('checkpoint of step 10 is kept');
    expect(reason).toMatch(/Free some space, then resume/);
    expect(diskFullPauseReason(err, 20, null)).toContain('No checkpoint of this run is on disk yet');
  });

  it('gives no pause reason for any other failure', () => {
    expect(diskFullPauseReason(new CheckpointError('WRITE_FAILED', '/x', 'EIO'), 5, 1)).toBeNull();
    expect(diskFullPauseReason(new Error('ENOSPC'), 5, 1)).toBeNull();
  });
});
