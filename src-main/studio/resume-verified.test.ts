// Resume goes back to the newest checkpoint that verifies: a damaged newest checkpoint is passed
// over with the reason stored as a run event (the run view lists it), and the run trains on from
// the one before instead of failing.

import { closeSync, openSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CheckpointInfo, EventInfo } from '../api';
import { completedRun, microConfig, runReaches } from './test-support/fixtures';
import { useStudio } from './test-support/studio-harness';

const harness = useStudio('resume-verified', { scope: 'file', dataDir: 'data', corpus: true });

/** Overwrites bytes in the middle of the file (its tensor data), as a bad sector would. */
function damage(path: string): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(64, 0x5a), 0, 64, 4096);
  closeSync(fd);
}

describe('resume after the newest checkpoint was damaged', () => {
  it('skips it, says which and why, and trains on from the previous one', async () => {
    const { studio, dataset } = harness;
    const { id } = await completedRun(studio, microConfig(dataset.id, 40));
    const before = (await studio.call('checkpoints.list', { runId: id })) as CheckpointInfo[];
    expect(before.map((c) => c.step)).toEqual([20, 40]);
    damage(before[1].path);

    await studio.call('runs.resume', { id, steps: 60 });
    const done = await runReaches(
      studio,
      id,
      (r) => r.status === 'completed' && r.step === 60,
      'completed at 60',
    );
    expect(done.step).toBe(60);
    const events = (await studio.call('runs.events', { id })) as EventInfo[];
    const skipped = events.filter((e) => e.code === 'checkpoint-skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ step: 40, level: 'warning' });
    expect(skipped[0].message).toMatch(/step 40 was skipped: .*(checksum|SHA-256).*resumes from step 20/i);
    const resumed = events.find((e) => e.code === 'resumed');
    expect(resumed?.message).toContain('step 20');
  });
});
