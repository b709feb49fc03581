// A run's recorded metrics: which keys it has, downsampled series for the charts (several runs at
// once for compare), and the whole table as CSV or JSON.

import type { MetricSeries } from '../../api';
import { exportMetrics } from '../export-metrics';
import { requireRun } from '../lookups';
import type { HandlersOf, StudioContext } from './context';

export function metricHandlers({ store }: StudioContext): HandlersOf<'metrics'> {
  return {
    'metrics.keys': async ({ runId }) => {
      requireRun(store, runId);
      return store.metrics.keys(runId);
    },
    'metrics.series': async (i) => {
      const out: MetricSeries[] = [];
      for (const runId of i.runIds) {
        requireRun(store, runId);
        for (const key of i.keys)
          out.push(store.metrics.series(runId, key, i.maxPoints, i.fromStep, i.toStep));
      }
      return out;
    },
    'metrics.export': async (i) => {
      requireRun(store, i.runId);
      return exportMetrics(store.metrics, i.runId, i.format, i.path ?? null);
    },
  };
}
