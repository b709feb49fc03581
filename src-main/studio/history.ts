// Keeping a run's history consistent when it resumes from a checkpoint older than its last step:
// either everything recorded after that step is cut, or the run is forked into a new one that
// shares the history up to it. Each is one transaction, so a chart never shows two curves for one run.

import { join } from 'node:path';
import type { RunSpec } from '../../src-worker/train/setup';
import type { RunRecord, Store } from './store';

function tokensPerStep(spec: RunSpec): number {
  return spec.train.batchSize * spec.train.seqLen * spec.train.gradAccumSteps;
}

/** Sets the run's headline numbers from what it recorded up to `step`. */
function resetNumbersAt(store: Store, runId: number, spec: RunSpec, step: number): void {
  store.runs.resetNumbers(runId, {
    step,
    tokensSeen: step * tokensPerStep(spec),
    bestValLoss: store.metrics.minValue(runId, 'val/loss', step),
    lastValLoss: store.metrics.lastValue(runId, 'val/loss', step),
    lastTrainLoss: store.metrics.lastValue(runId, 'train/loss', step),
    tokensPerSecond: store.metrics.lastValue(runId, 'perf/tokens_per_second', step),
  });
}

/**
 * Deletes the metrics, events, histograms, samples and checkpoint rows a run recorded after
 * `step`, in one transaction with `then` (e.g. queueing the run). Returns the checkpoint files
 * that belonged to the cut part, for the caller to delete once the transaction committed.
 */
export function cutHistory(store: Store, run: RunRecord, step: number, then: () => void): string[] {
  return store.transaction(() => {
    store.metrics.cutAfter(run.id, step);
    store.events.cutAfter(run.id, step);
    store.histograms.cutAfter(run.id, step);
    store.samples.cutAfter(run.id, step);
    const later = store.checkpoints.list(run.id).filter((c) => c.step > step);
    for (const c of later) store.checkpoints.delete(c.id, run.id);
    resetNumbersAt(store, run.id, run.spec, step);
    store.events.insert(run.id, {
      step,
      kind: 'lifecycle',
      level: 'info',
      code: 'history-cut',
      message: `Resumed from step ${step} (previously at step ${run.step}): what was recorded after step ${step} was removed.`,
    });
    then();
    return later.map((c) => c.path);
  });
}

/**
 * Creates a run that shares `source`'s history up to `step` (and its config and tags), in one
 * transaction with `then(newRunId)`. Returns the new run's id.
 */
export function forkRun(
  store: Store,
  source: RunRecord,
  step: number,
  runsDir: string,
  then: (id: number) => void,
): number {
  return store.transaction(() => {
    const name = `${source.name} (fork at step ${step})`;
    const id = store.runs.insert({
      name,
      origin: 'studio',
      datasetId: source.datasetId,
      config: source.config === null ? null : { ...source.config, name },
      spec: source.spec,
      dir: join(runsDir, '{id}'),
      totalSteps: source.totalSteps,
      parentRunId: source.id,
      forkedAtStep: step,
    });
    store.metrics.copyUpTo(source.id, id, step);
    store.events.copyUpTo(source.id, id, step);
    store.histograms.copyUpTo(source.id, id, step);
    store.samples.copyUpTo(source.id, id, step);
    store.tags.set(id, source.tags);
    resetNumbersAt(store, id, source.spec, step);
    store.events.insert(id, {
      step,
      kind: 'lifecycle',
      level: 'info',
      code: 'forked',
      message: `Forked from run "${source.name}" at step ${step}; its history up to that step is copied here.`,
    });
    then(id);
    return id;
  });
}
