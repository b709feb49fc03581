// From the engine's training events to what the studio shows: the API's JSON-safe views
// (non-finite numbers become null; the metric points are src-worker/metrics/metric-points.ts).
// Also how two monitoring updates of one run merge while they wait for the throttle.

import type { AlertInfo, EvalInfo, GradientsInfo, HistogramInfo, ProgressInfo, RunUpdate } from '../api';
import type {
  AlertEvent,
  EvalEvent,
  GradientsEvent,
  HistogramEvent,
  ProgressEvent,
} from '../../src-worker/train/events';
import type { MetricPoint } from '../../src-worker/metrics/metric-points';
import { finiteOrNull } from './store/sql-values';

export function progressInfo(e: ProgressEvent): ProgressInfo {
  return {
    step: e.step,
    totalSteps: e.totalSteps,
    epoch: e.epoch,
    percent: e.percent,
    etaSeconds: finiteOrNull(e.etaSeconds),
    tokensSeen: e.tokensSeen,
    tokensPerSecond: finiteOrNull(e.tokensPerSecond),
    stepMs: e.stepMs,
    lr: e.lr,
    loss: finiteOrNull(e.loss),
    lossEma: finiteOrNull(e.lossEma),
    gradNorm: finiteOrNull(e.gradNorm),
    clipped: e.clipped,
    memory: { ...e.memory },
  };
}

export function evalInfo(e: EvalEvent): EvalInfo {
  return {
    step: e.step,
    valLoss: finiteOrNull(e.valLoss),
    perplexity: finiteOrNull(e.perplexity),
    accuracy: e.accuracy,
    top5: e.top5,
    f1Macro: e.f1Macro,
    f1Micro: e.f1Micro,
    f1Weighted: e.f1Weighted,
    precisionMacro: e.precisionMacro,
    recallMacro: e.recallMacro,
    best: e.best,
    confusion: {
      tokens: Array.from(e.confusion.tokens),
      counts: Array.from(e.confusion.counts),
      size: e.confusion.size,
    },
  };
}

export function gradientsInfo(e: GradientsEvent): GradientsInfo {
  return {
    step: e.step,
    globalNorm: finiteOrNull(e.globalNorm),
    layers: e.layers.map(finiteOrNull),
    tensors: e.tensors.map((t) => ({ name: t.name, norm: finiteOrNull(t.norm) })),
  };
}

export function alertInfo(e: AlertEvent): AlertInfo {
  return {
    step: e.step,
    level: e.level,
    code: e.code,
    message: e.message,
    tensor: e.tensor ?? null,
    value: finiteOrNull(e.value),
  };
}

export function histogramInfos(runId: number, e: HistogramEvent): HistogramInfo[] {
  return (['gradients', 'weights'] as const).map((kind) => {
    const h = e[kind];
    return {
      runId,
      step: e.step,
      kind,
      counts: Array.from(h.counts),
      edges: Array.from(h.edges),
      min: finiteOrNull(h.min),
      max: finiteOrNull(h.max),
      nan: h.nan,
      posInf: h.posInf,
      negInf: h.negInf,
    };
  });
}

export function emptyUpdate(): RunUpdate {
  return {
    progress: null,
    metrics: [],
    evals: [],
    gradients: null,
    histograms: [],
    alerts: [],
    checkpoints: [],
    samples: [],
  };
}

/** Groups points by key, in the order keys first appear. */
export function groupPoints(points: readonly MetricPoint[]): RunUpdate['metrics'] {
  const byKey = new Map<string, { step: number; value: number }[]>();
  for (const p of points) {
    if (!Number.isFinite(p.value)) continue;
    let list = byKey.get(p.key);
    if (list === undefined) byKey.set(p.key, (list = []));
    list.push({ step: p.step, value: p.value });
  }
  return [...byKey].map(([key, pts]) => ({ key, points: pts }));
}

/** `later` added to `earlier`: lists append, snapshots (progress, gradients) take the later one. */
export function mergeUpdates(earlier: RunUpdate, later: RunUpdate): RunUpdate {
  const metrics = new Map(earlier.metrics.map((m) => [m.key, [...m.points]]));
  for (const m of later.metrics) metrics.set(m.key, [...(metrics.get(m.key) ?? []), ...m.points]);
  return {
    progress: later.progress ?? earlier.progress,
    metrics: [...metrics].map(([key, points]) => ({ key, points })),
    evals: [...earlier.evals, ...later.evals],
    gradients: later.gradients ?? earlier.gradients,
    histograms: [...earlier.histograms, ...later.histograms],
    alerts: [...earlier.alerts, ...later.alerts],
    checkpoints: [...earlier.checkpoints, ...later.checkpoints],
    samples: [...earlier.samples, ...later.samples],
  };
}
