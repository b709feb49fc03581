// A run's whole life through the service, with real workers and a real SQLite file: create →
// start → pause → resume → stop → resume from an older checkpoint (cutting the later history) →
// finish; and the same from an older checkpoint as a fork, which leaves the first run untouched.

import { existsSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import type {
  CheckpointInfo,
  DatasetInfo,
  EventInfo,
  MetricSeries,
  RunDetail,
  RunSummary,
  StudioEvent,
} from '../api';
import { completedRun, microConfig, progressReaches, runReaches, writeCorpus } from './test-support/fixtures';
import { useStudio } from './test-support/studio-harness';

const harness = useStudio('lifecycle');
let events: { at: number; event: StudioEvent }[];

beforeEach(() => {
  events = [];
  harness.studio.subscribe((event) => events.push({ at: Date.now(), event }));
});

async function importDataset(): Promise<DatasetInfo> {
  return (await harness.studio.call('datasets.import', {
    path: writeCorpus(harness.dir),
    tokenizer: { kind: 'char' },
    jobId: 'import-1',
  })) as DatasetInfo;
}

async function lossSteps(runId: number): Promise<number[]> {
  const [series] = (await harness.studio.call('metrics.series', {
    runIds: [runId],
    keys: ['train/loss'],
    maxPoints: 100_000,
  })) as MetricSeries[];
  return series.points.map((p) => p.step);
}

/** The last point logged under `key`. */
async function lastLogged(runId: number, key: string): Promise<MetricSeries['points'][number] | undefined> {
  const [series] = (await harness.studio.call('metrics.series', {
    runIds: [runId],
    keys: [key],
    maxPoints: 100_000,
  })) as MetricSeries[];
  return series.points.at(-1);
}

async function checkpoints(runId: number): Promise<CheckpointInfo[]> {
  return (await harness.studio.call('checkpoints.list', { runId })) as CheckpointInfo[];
}

describe('a run through the service', () => {
  it('lives through create, start, pause, resume, stop, resume from an older checkpoint and finish', async () => {
    const { studio } = harness;
    const dataset = await importDataset();
    const phases = events.flatMap(({ event: e }) => (e.type === 'dataset-import' ? [e.phase] : []));
    expect(phases).toEqual(['reading', 'tokenizer', 'encoding', 'writing', 'done']);

    const created = (await studio.call('runs.create', { config: microConfig(dataset.id, 240) })) as RunDetail;
    expect(created).toMatchObject({ status: 'created', step: 0, totalSteps: 240, datasetName: dataset.name });

    await studio.call('runs.start', { id: created.id });
    await progressReaches(studio, created.id, 30);
    const paused = (await studio.call('runs.pause', { id: created.id })) as RunSummary;
    expect(paused.status).toBe('paused');
    // Pausing leaves a checkpoint at the paused step (a periodic one, if it fell on that step).
    const pauseCheckpoint = (await checkpoints(created.id)).find((c) => c.step === paused.step);
    expect(pauseCheckpoint?.trigger).toMatch(/^(pause|periodic)$/);
    const pausedAt = paused.step;
    expect(pausedAt).toBeGreaterThanOrEqual(30);

    // While paused nothing trains.
    await new Promise((r) => setTimeout(r, 400));
    expect(Math.max(...(await lossSteps(created.id)))).toBeLessThanOrEqual(pausedAt);
    expect(((await studio.call('runs.get', { id: created.id })) as RunSummary).status).toBe('paused');

    const resumed = (await studio.call('runs.resume', { id: created.id })) as RunSummary;
    expect(resumed.status).toBe('running');
    await progressReaches(studio, created.id, pausedAt + 30);
    const stopped = (await studio.call('runs.stop', { id: created.id })) as RunSummary;
    expect(stopped).toMatchObject({ status: 'stopped', stopReason: 'stopped' });
    expect(stopped.step).toBeGreaterThanOrEqual(pausedAt + 30);
    expect(stopped.lastValLoss).not.toBeNull(); // stopping evaluates the final weights
    // Stopping leaves a checkpoint at the last step, listed as the stop's even on a periodic step.
    const stopCheckpoint = (await checkpoints(created.id)).find((c) => c.step === stopped.step);
    expect(stopCheckpoint?.trigger).toBe('stop');

    // Resume from the pause checkpoint: the history after it is cut at once, in one transaction.
    const again = (await studio.call('runs.resume', {
      id: created.id,
      checkpointId: (pauseCheckpoint as CheckpointInfo).id,
    })) as RunSummary;
    expect(again.id).toBe(created.id);
    const cut = (await studio.call('runs.events', { id: created.id, kinds: ['lifecycle'] })) as EventInfo[];
    expect(cut.some((e) => e.code === 'history-cut' && e.step === pausedAt)).toBe(true);
    expect(existsSync((stopCheckpoint as CheckpointInfo).path)).toBe(false);

    const done = await runReaches(studio, created.id, (r) => r.status === 'completed', 'completed');
    expect(done).toMatchObject({ step: 240, stopReason: 'completed', totalSteps: 240 });
    expect(done.bestValLoss).not.toBeNull();
    // The finished run keeps the throughput it reported last, for the runs table.
    expect(Number.isFinite(done.tokensPerSecond)).toBe(true);
    expect(done.tokensPerSecond).toBeGreaterThan(0);
    expect(await lastLogged(created.id, 'perf/tokens_per_second')).toEqual({
      step: 240,
      value: done.tokensPerSecond,
    });

    // One curve: every logged step once, in order, across the cut.
    const steps = await lossSteps(created.id);
    expect(steps).toEqual([...new Set(steps)].sort((a, b) => a - b));
    expect(steps[steps.length - 1]).toBe(240);
    expect(steps.filter((s) => s > pausedAt && s <= stopped.step).length).toBeGreaterThan(0);

    const final = await checkpoints(created.id);
    expect(final.map((c) => c.step)).toContain(240);
    expect(final.every((c) => existsSync(c.path))).toBe(true);
    expect(final.filter((c) => c.best)).toHaveLength(1);
    const verified = await studio.call('checkpoints.verify', { id: final[final.length - 1].id });
    expect(verified).toMatchObject({ ok: true, matchesRecord: true });

    const codes = (
      (await studio.call('runs.events', { id: created.id, kinds: ['lifecycle'] })) as EventInfo[]
    ).map((e) => e.code);
    // The stop at a step after the resume point went with the rest of the cut history.
    expect(codes).toEqual([
      'created',
      'started',
      'ready',
      'paused',
      'resumed',
      'history-cut',
      'resumed',
      'ready',
      'completed',
    ]);

    // Subscribers got monitoring no faster than ~10 updates a second for the run.
    const updates = events.filter(({ event: e }) => e.type === 'run-update').map(({ at }) => at);
    for (let i = 0; i + 11 < updates.length; i++)
      expect(updates[i + 11] - updates[i]).toBeGreaterThanOrEqual(1000);
  });

  it('lists the checkpoint a stop lands on as the stop, even when that step wrote a periodic one', async () => {
    const { studio } = harness;
    const dataset = await importDataset();
    // A periodic checkpoint at every step: whenever the stop arrives, its step has one already.
    const config = microConfig(dataset.id, 100_000, {
      checkpoints: { every: 1, onBest: false, keepLast: 3, keepBest: false, keepEvery: 0 },
    });
    const created = (await studio.call('runs.create', { config })) as RunDetail;
    await studio.call('runs.start', { id: created.id });
    await progressReaches(studio, created.id, 25);
    const stopped = (await studio.call('runs.stop', { id: created.id })) as RunSummary;
    expect(stopped).toMatchObject({ status: 'stopped', stopReason: 'stopped' });

    const list = await checkpoints(created.id);
    const atStop = list.filter((c) => c.step === stopped.step);
    expect(atStop).toHaveLength(1); // written again at the same path: one row, relabelled
    expect(atStop[0]).toMatchObject({ trigger: 'stop', valLoss: stopped.lastValLoss });
    expect(list[list.length - 1].id).toBe(atStop[0].id);
    expect(list.slice(0, -1).every((c) => c.trigger === 'periodic')).toBe(true);
    expect(await studio.call('checkpoints.verify', { id: atStop[0].id })).toMatchObject({
      ok: true,
      matchesRecord: true,
    });
  });

  it('lists the last checkpoint of a finished run as final, even when its last step wrote a periodic one', async () => {
    const { studio } = harness;
    const dataset = await importDataset();
    const done = await completedRun(studio, microConfig(dataset.id, 20));
    const list = await checkpoints(done.id);
    expect(list.filter((c) => c.step === 20)).toEqual([
      expect.objectContaining({ trigger: 'final', valLoss: done.lastValLoss }),
    ]);
  });

  it('pins a checkpoint so retention keeps it, and lists it as pinned', async () => {
    const { studio } = harness;
    const dataset = await importDataset();
    const created = await completedRun(studio, microConfig(dataset.id, 12));
    const [first] = await checkpoints(created.id);
    expect(first.pinned).toBe(false);
    expect(await studio.call('checkpoints.pin', { id: first.id, pinned: true })).toEqual({ pinned: true });
    expect((await checkpoints(created.id)).find((c) => c.id === first.id)?.pinned).toBe(true);
    await studio.call('checkpoints.pin', { id: first.id, pinned: false });
    expect((await checkpoints(created.id)).find((c) => c.id === first.id)?.pinned).toBe(false);
    await expect(studio.call('checkpoints.pin', { id: first.id, pinned: 'yes' })).rejects.toThrow(/pinned/);
  });

  it('forks a run from an older checkpoint and leaves the original as it was', async () => {
    const { studio } = harness;
    const dataset = await importDataset();
    const run = await completedRun(studio, microConfig(dataset.id, 60));
    const first = (await checkpoints(run.id)).find((c) => c.step === 20) as CheckpointInfo;
    const before = await lossSteps(run.id);

    const fork = (await studio.call('runs.resume', {
      id: run.id,
      checkpointId: first.id,
      mode: 'fork',
      steps: 80,
    })) as RunSummary;
    expect(fork.id).not.toBe(run.id);
    expect(fork).toMatchObject({ parentRunId: run.id, forkedAtStep: 20 });
    const forkDone = await runReaches(studio, fork.id, (r) => r.status === 'completed', 'fork completed');
    expect(forkDone.step).toBe(80);
    expect(await lossSteps(run.id)).toEqual(before);
    expect(((await studio.call('runs.get', { id: run.id })) as RunSummary).step).toBe(run.step);
    const forkSteps = await lossSteps(fork.id);
    expect(forkSteps.filter((s) => s <= 20)).toEqual(before.filter((s) => s <= 20));
    expect(forkSteps[forkSteps.length - 1]).toBe(80);
  });
});
