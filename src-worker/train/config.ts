// The training configuration: plain commented data (nanoGPT style) that goes as-is into the
// database, the checkpoint header and the export's model card.

import type { ScheduleConfig } from './schedules';

export type OptimizerConfig =
  | {
      kind: 'adamw';
      beta1: number; // 0.9
      beta2: number; // 0.95 (GPT-2/nanoGPT); 0.999 is the textbook default
      eps: number; // 1e-8
      weightDecay: number; // applied to 2-D tensors only (matmul weights, embeddings)
    }
  | {
      kind: 'sgd';
      momentum: number; // heavy-ball coefficient μ
      weightDecay: number; // L2 added to the gradient of 2-D tensors
    };

export interface EarlyStoppingConfig {
  patience: number; // evaluations without improvement before stopping
  minDelta: number; // an improvement must lower validation loss by more than this
}

export interface TrainConfig {
  batchSize: number; // B: sequences per micro-batch
  seqLen: number; // T: tokens per sequence (≤ the model's contextLength)
  gradAccumSteps: number; // micro-batches summed into one optimizer step
  steps: number; // total optimizer steps of the run
  optimizer: OptimizerConfig;
  schedule: ScheduleConfig; // holds the peak LR, warmup, minimum LR and decay kind
  clipNorm: number; // global gradient-norm clip; 0 disables clipping
  evalEvery: number; // validate every N steps (and at the end); 0 = only at the end
  evalBatches: number; // fixed validation batches per evaluation
  earlyStopping: EarlyStoppingConfig | null;
  maxBadSteps: number; // K consecutive non-finite steps halt the run
  logEvery: number; // emit a metrics event every N steps
  histogramEvery: number; // gradient/weight histograms every N steps; 0 = never
  seed: number;
  valFraction: number; // share of the corpus held out for validation (the tail)
}
