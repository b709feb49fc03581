// What a training run reports as it goes: plain data, safe to post between threads and to store.
// The CLI prints these; the worker forwards them to the studio.

import type { GradientAlertKind, HistogramSnapshot } from '../metrics/gradient-stats';
import type { MemorySnapshot } from '../metrics/memory';
import type { ConfusionMatrix } from '../metrics/classification';

export interface ProgressEvent {
  kind: 'progress';
  step: number; // optimizer steps completed
  totalSteps: number;
  epoch: number; // fractional epochs of the training split seen
  percent: number; // 0–100
  etaSeconds: number; // NaN before the first step
  tokensSeen: number;
  tokensPerSecond: number; // smoothed
  stepMs: number; // wall time of the last step
  lr: number; // learning rate the last step used
  loss: number; // training loss of the last step
  lossEma: number; // debiased EMA of the training loss
  gradNorm: number; // global gradient norm before clipping
  clipped: boolean;
  memory: MemorySnapshot;
}

/** How well an evaluation predicted the next token, each score a fraction in [0, 1]. */
export interface EvalScores {
  accuracy: number; // top-1 next-token accuracy
  top5: number;
  f1Macro: number;
  f1Micro: number;
  f1Weighted: number;
  precisionMacro: number;
  recallMacro: number;
}

/** What one evaluation on the validation batches measured. */
export interface EvalMetrics extends EvalScores {
  step: number;
  valLoss: number;
  perplexity: number; // Infinity when exp overflows (a diverged model)
  confusion: ConfusionMatrix;
}

export interface EvalEvent extends EvalMetrics {
  kind: 'eval';
  best: boolean; // a new best validation loss
}

export interface GradientsEvent {
  kind: 'gradients';
  step: number;
  globalNorm: number;
  tensors: { name: string; norm: number }[];
  layers: number[]; // L2 norm of each transformer block's gradients, index = layer
}

export interface HistogramEvent {
  kind: 'histogram';
  step: number;
  gradients: HistogramSnapshot;
  weights: HistogramSnapshot;
}

export type AlertCode = GradientAlertKind | 'skipped-step' | 'halted';

export interface AlertEvent {
  kind: 'alert';
  step: number;
  level: 'warning' | 'error';
  code: AlertCode;
  message: string;
  tensor?: string;
  value?: number;
}

export type StopReason = 'completed' | 'early-stopped' | 'halted' | 'stopped';

export interface DoneEvent {
  kind: 'done';
  reason: StopReason;
  message: string;
  step: number;
  trainLoss: number; // mean of the last logged window of training losses
  valLoss: number; // last validation loss (NaN if none)
  bestValLoss: number; // the lowest validation loss of the run, this evaluation included (Infinity if none)
  tokensPerSecond: number; // over the whole run (wall time)
  seconds: number;
}

export type TrainingEvent =
  ProgressEvent | EvalEvent | GradientsEvent | HistogramEvent | AlertEvent | DoneEvent;
