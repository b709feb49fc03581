// A full disk during a checkpoint pauses the run with the reason instead of failing it: the run
// folder is a small tmpfs that the test fills up. The last good checkpoint stays, and once space is
// freed, resume writes the checkpoint and the run trains to its end. Mounting needs root on Linux
// (CI runs as root); elsewhere the test is skipped and says why.

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCheckpoint } from '../../src-worker/checkpoint/read';
import { useTempDir } from '../../src-worker/test-support/temp-dir';
import type { CheckpointInfo, DatasetInfo, EventInfo, RunDetail } from '../api';
import type { Studio } from './studio';
import { importCorpus, microConfig, openStudio, progressReaches, runReaches } from './test-support/fixtures';
import { fillDisk, mountTmpfs, tmpfsProblem, unmountTmpfs } from './test-support/tmpfs';

const problem = tmpfsProblem();
const title = problem === null ? 'a full disk under a run' : `a full disk under a run (skipped: ${problem})`;

describe.skipIf(problem !== null)(title, () => {
  // Not the studio harness: the runs folder is mounted before the studio opens and unmounted after
  // it closes; the temp folder's hook (registered first) removes the folder after both.
  const dir = useTempDir('crystalline-disk-full-', 'file');
  let runs: string;
  let studio: Studio;
  let dataset: DatasetInfo;

  beforeAll(async () => {
    runs = join(dir.path, 'data', 'runs');
    mkdirSync(runs, { recursive: true });
    mountTmpfs(runs, '4m');
    studio = await openStudio(join(dir.path, 'data'));
    dataset = await importCorpus(studio, dir.path);
  });
  afterAll(async () => {
    await studio?.close();
    unmountTmpfs(runs);
  });

  it('pauses with the reason, keeps the last good checkpoint, and resumes once space returns', async () => {
    const config = microConfig(dataset.id, 400, {
      checkpoints: { every: 20, onBest: false, keepLast: 100, keepBest: true, keepEvery: 0 },
    });
    const id = ((await studio.call('runs.create', { config })) as RunDetail).id;
    await studio.call('runs.start', { id });
    await progressReaches(studio, id, 25);
    await studio.call('runs.pause', { id }); // writes a checkpoint: the last good one
    const good = ((await studio.call('checkpoints.list', { runId: id })) as CheckpointInfo[]).at(-1)!;
    const filler = join(runs, 'filler.bin');
    fillDisk(filler);

    await studio.call('runs.resume', { id });
    const paused = await runReaches(
      studio,
      id,
      (r) => r.status === 'paused' && /disk is full/.test(r.statusMessage ?? ''),
      'paused for the full disk',
    );
    expect(paused.statusMessage).toContain(`checkpoint of step ${good.step} is kept`);
    const events = (await studio.call('runs.events', { id })) as EventInfo[];
    expect(events.some((e) => e.code === 'paused-disk-full' && e.level === 'warning')).toBe(true);
    expect((await verifyCheckpoint(good.path)).ok).toBe(true);

    rmSync(filler);
    await studio.call('runs.resume', { id });
    const done = await runReaches(studio, id, (r) => r.status === 'completed', 'completed', 60_000);
    expect(done.step).toBe(400);
    const steps = ((await studio.call('checkpoints.list', { runId: id })) as CheckpointInfo[]).map(
      (c) => c.step,
    );
    expect(steps).toContain(paused.step); // the checkpoint the full disk refused, written on resume
  });
});
