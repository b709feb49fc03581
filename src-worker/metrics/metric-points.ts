// Training events as metric points under stable keys ("train/loss", "val/accuracy", …): what the
// studio stores and charts, and the columns of every metrics table (the studio's export, the CLI's
// metrics.csv). Each key is declared once here with the event field it reads.

import type { EvalEvent, GradientsEvent, ProgressEvent } from '../train/events';

export interface MetricPoint {
  key: string;
  step: number;
  value: number; // may be non-finite; a store or table writes it as empty
}

const PROGRESS_METRICS = {
  'train/loss': (e) => e.loss,
  'train/loss_ema': (e) => e.lossEma,
  'train/lr': (e) => e.lr,
  'train/grad_norm': (e) => e.gradNorm,
  'train/clipped': (e) => (e.clipped ? 1 : 0),
  'train/epoch': (e) => e.epoch,
  'train/tokens_seen': (e) => e.tokensSeen,
  'perf/tokens_per_second': (e) => e.tokensPerSecond,
  'perf/step_ms': (e) => e.stepMs,
  'memory/rss': (e) => e.memory.rss,
  'memory/heap_used': (e) => e.memory.heapUsed,
  'memory/engine_buffers': (e) => e.memory.engineBuffers,
} satisfies Record<string, (e: ProgressEvent) => number>;

const EVAL_METRICS = {
  'val/loss': (e) => e.valLoss,
  'val/perplexity': (e) => e.perplexity,
  'val/accuracy': (e) => e.accuracy,
  'val/top5': (e) => e.top5,
  'val/f1_macro': (e) => e.f1Macro,
  'val/f1_micro': (e) => e.f1Micro,
  'val/f1_weighted': (e) => e.f1Weighted,
  'val/precision_macro': (e) => e.precisionMacro,
  'val/recall_macro': (e) => e.recallMacro,
} satisfies Record<string, (e: EvalEvent) => number>;

/** The keys progress and evaluation events write, in column order. */
export const TRAINING_METRIC_KEYS: readonly string[] = [
  ...Object.keys(PROGRESS_METRICS),
  ...Object.keys(EVAL_METRICS),
];

export function progressPoints(e: ProgressEvent): MetricPoint[] {
  return Object.entries(PROGRESS_METRICS).map(([key, read]) => ({ key, step: e.step, value: read(e) }));
}

export function evalPoints(e: EvalEvent): MetricPoint[] {
  return Object.entries(EVAL_METRICS).map(([key, read]) => ({ key, step: e.step, value: read(e) }));
}

export function gradientPoints(e: GradientsEvent): MetricPoint[] {
  return [
    { key: 'grad/global_norm', step: e.step, value: e.globalNorm },
    ...e.layers.map((norm, layer) => ({ key: `grad/layer_${layer}`, step: e.step, value: norm })),
  ];
}
