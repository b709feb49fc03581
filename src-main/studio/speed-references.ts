// The training speed of the recent runs here, for the time-per-step estimate of a new config: the
// median time of each run's later logged steps (after warm-up; the median ignores steps slowed by
// an evaluation or a checkpoint), with the compute per token of its config.

import { flopsPerToken, median } from '../api';
import type { SpeedReference } from '../api';
import { parameterCount } from '../../src-worker/model/layout';
import type { Store } from './store';

/** How many of the most recent runs are measured. */
const RECENT_RUNS = 10;

export function speedReferences(store: Store): SpeedReference[] {
  const references: SpeedReference[] = [];
  for (const run of store.runs.list({ limit: RECENT_RUNS })) {
    const record = store.runs.get(run.id);
    const config = record?.config ?? null;
    const dataset = run.datasetId === null ? null : store.datasets.get(run.datasetId);
    // The estimate scales the builtin engine's speed; a pytorch run's says nothing of it.
    if (config === null || config.engine === 'pytorch' || dataset === null || run.step === 0) continue;
    const series = store.metrics.series(run.id, 'perf/step_ms', 1000, Math.floor(run.step / 2));
    const stepMs = median(series.points.map((p) => p.value).filter((v): v is number => v !== null && v > 0));
    if (!(stepMs > 0)) continue;
    const parameters = parameterCount({ vocabSize: dataset.vocabSize, ...config.model });
    const { batchSize, seqLen, gradAccumSteps } = config.train;
    references.push({
      runName: run.name,
      backend: config.backend,
      threads: config.threads,
      parameters,
      flopsPerToken: flopsPerToken(parameters, config),
      tokensPerSecond: (batchSize * seqLen * gradAccumSteps) / (stepMs / 1000),
    });
  }
  return references;
}
