// A run trained from a terminal is recorded in the studio's database (run, metrics, checkpoints,
// outcome), listed by `crystalline runs`, left alone by the studio while its process lives, and
// resumable in the studio once it has ended.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckpointInfo, MetricSeries, RunSummary } from '../api';
import { runTraining } from '../../src-worker/train/loop';
import { RunCheckpoints } from '../../src-worker/train/run-checkpoints';
import { prepareRun } from '../../src-worker/train/setup';
import type { RunSpec } from '../../src-worker/train/setup';
import { formatRunTable, listRecordedRuns, recordHeadlessRun } from './headless';
import { Store } from './store';
import { useTempDir } from '../../src-worker/test-support/temp-dir';
import { microConfig, openStudio, runReaches, writeCorpus } from './test-support/fixtures';

const dir = useTempDir('crystalline-headless-');

function spec(steps: number): RunSpec {
  const { model, train } = microConfig(1, steps);
  return {
    data: { kind: 'path', path: writeCorpus(dir.path) },
    tokenizer: { kind: 'char' },
    model,
    train,
    backend: 'ts',
  };
}

/** What `crystalline train --data-dir D` does with the recorder around the engine's loop. */
async function trainFromTerminal(dataDir: string, runSpec: RunSpec): Promise<number> {
  const recorder = recordHeadlessRun({ dataDir, spec: runSpec, name: 'from the terminal' });
  const run = await prepareRun(runSpec);
  const { checkpoints } = await RunCheckpoints.open(
    recorder.checkpointDir,
    { keepLast: 2, keepBest: true, keepEvery: 0 },
    { runId: run.runId, step: 0 },
  );
  const save = async (): Promise<void> => {
    const { saved, removed } = await checkpoints.save(run, null);
    recorder.onCheckpoint(saved, removed);
  };
  const done = await runTraining(run.trainer, {
    onEvent: (e) => recorder.onEvent(e),
    afterStep: async (r) => {
      if (r.step % 10 === 0) await save();
    },
    beforeDone: async () => {
      if (checkpoints.latest()?.step !== run.trainer.step) await save();
    },
  });
  recorder.finish(done);
  return recorder.runId;
}

describe('terminal runs', () => {
  it('are recorded in the database, listed, and resumable in the studio', async () => {
    const dataDir = join(dir.path, 'data');
    expect(await listRecordedRuns(dataDir)).toEqual([]);
    const runId = await trainFromTerminal(dataDir, spec(30));

    const [listed] = await listRecordedRuns(dataDir);
    expect(listed).toMatchObject({
      id: runId,
      origin: 'cli',
      status: 'completed',
      step: 30,
      name: 'from the terminal',
    });
    expect(listed.bestValLoss).not.toBeNull();
    expect(listed.tokensPerSecond).toBeGreaterThan(0);
    expect(formatRunTable([listed])).toMatch(
      new RegExp(
        `^ID\\s+STATUS\\s+STEP\\s+BEST VAL\\s+NAME\\n${runId}\\s+completed\\s+30/30\\s+\\d+\\.\\d{4}\\s+from the terminal\\n$`,
      ),
    );

    const studio = await openStudio(dataDir);
    try {
      const [loss] = (await studio.call('metrics.series', {
        runIds: [runId],
        keys: ['train/loss'],
        maxPoints: 1000,
      })) as MetricSeries[];
      expect(loss.points.map((p) => p.step)).toEqual([5, 10, 15, 20, 25, 30]);
      const checkpoints = (await studio.call('checkpoints.list', { runId })) as CheckpointInfo[];
      expect(checkpoints.map((c) => c.step)).toEqual([20, 30]); // keepLast 2; the rest were pruned
      // The studio continues it: a terminal run has no studio config, but its spec is enough.
      await studio.call('runs.resume', { id: runId, checkpointId: checkpoints[0].id });
      const done = await runReaches(studio, runId, (r) => r.status === 'completed', 'completed');
      expect(done.step).toBe(30);
    } finally {
      await studio.close();
    }
  });

  it('are left alone by the studio while their process lives, and interrupted once it is gone', async () => {
    const dataDir = join(dir.path, 'data');
    const recorder = recordHeadlessRun({ dataDir, spec: spec(1000) });
    recorder.close();
    const store = Store.open(join(dataDir, 'studio.db'), {
      maxConcurrentRuns: 1,
      defaultBackend: 'ts',
      heartbeatTimeoutSeconds: 60,
      pythonPath: 'python3',
    });
    // The terminal process is another one that is alive (our parent)…
    store.runs.setStatus(recorder.runId, { status: 'running', owner: { pid: process.ppid, start: null } });
    store.close();
    let studio = await openStudio(dataDir);
    expect(((await studio.call('runs.get', { id: recorder.runId })) as RunSummary).status).toBe('running');
    await studio.close();
    // … and then one that has ended.
    const store2 = Store.open(join(dataDir, 'studio.db'), {
      maxConcurrentRuns: 1,
      defaultBackend: 'ts',
      heartbeatTimeoutSeconds: 60,
      pythonPath: 'python3',
    });
    store2.runs.setStatus(recorder.runId, {
      status: 'running',
      owner: { pid: 2 ** 22 + 12345, start: null },
    });
    store2.close();
    studio = await openStudio(dataDir);
    expect(((await studio.call('runs.get', { id: recorder.runId })) as RunSummary).status).toBe(
      'interrupted',
    );
    await studio.close();
  });
});
