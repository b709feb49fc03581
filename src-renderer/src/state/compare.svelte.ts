// The Compare view: two or more runs, their curves on the same axes, a config diff and their final
// and best metrics side by side.

import type { MetricSeries, RunDetail } from '../../../src-main/api';
import { diffConfigs } from '../lib/config-diff';
import type { DiffRow } from '../lib/config-diff';
import { messageOf } from '../transport/api-error';
import { transport } from './api';

export const COMPARE_KEYS = [
  'train/loss',
  'val/loss',
  'val/accuracy',
  'val/perplexity',
  'train/lr',
  'perf/tokens_per_second',
  // The x-axis choices: tokens seen and training time by each logged step.
  'train/tokens_seen',
  'perf/step_ms',
];
export const COMPARE_POINTS = 1000;

export class CompareState {
  ids = $state<number[]>([]);
  runs = $state<RunDetail[]>([]);
  series = $state.raw<MetricSeries[]>([]);
  loading = $state(false);
  error = $state<string | null>(null);

  get diff(): DiffRow[] {
    return diffConfigs(this.runs.map((r) => r.config ?? r.spec));
  }

  /** A run's logged points of one series (empty when it has none). */
  points(runId: number, key: string): MetricSeries['points'] {
    return this.series.find((x) => x.runId === runId && x.key === key)?.points ?? [];
  }

  /** The last value of a series, for the side-by-side table. */
  last(runId: number, key: string): number | null {
    return this.points(runId, key).at(-1)?.value ?? null;
  }

  async load(ids: number[]): Promise<void> {
    this.ids = ids;
    if (ids.length < 2) {
      this.runs = [];
      this.series = [];
      return;
    }
    this.loading = true;
    this.error = null;
    try {
      const t = transport();
      const [runs, series] = await Promise.all([
        Promise.all(ids.map((id) => t.call('runs.get', { id }))),
        t.call('metrics.series', { runIds: ids, keys: COMPARE_KEYS, maxPoints: COMPARE_POINTS }),
      ]);
      if (this.ids !== ids) return;
      this.runs = runs;
      this.series = series;
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.loading = false;
    }
  }
}

export const compare = new CompareState();
