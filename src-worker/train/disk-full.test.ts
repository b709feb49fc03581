// Fault injection, no mount needed: a checkpoint write that meets ENOSPC part-way is a DISK_FULL
// error with the previous checkpoint intact, and that (and only that) becomes a pause reason that
// names the step, the file and the checkpoint kept.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../checkpoint/errors';
import { diskWithRoomFor } from '../checkpoint/test-support/faulty-fs';
import { SMALL_SHAPES, sampleHeader, sampleTensors } from '../checkpoint/test-support/sample';
import { writeCheckpoint } from '../checkpoint/write';
import { rejectionOf } from '../test-support/caught';
import { useTempDir } from '../test-support/temp-dir';
import { diskFullPauseReason } from './disk-full';

const dir = useTempDir('disk-full-');

describe('a checkpoint on a full disk', () => {
  it('fails as DISK_FULL with the previous file intact, and becomes a pause reason', async () => {
    const path = join(dir.path, 'step-0000020.ckpt');
    await writeCheckpoint(path, sampleHeader(10), sampleTensors(1, SMALL_SHAPES));
    const before = await readFile(path);
    const err = await rejectionOf(
      writeCheckpoint(path, sampleHeader(20), sampleTensors(2, SMALL_SHAPES), { fs: diskWithRoomFor(1000) }),
      CheckpointError,
    );
    expect(err.code).toBe('DISK_FULL');
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
