// Sample data for the renderer's tests: the studio's tiny preset as a run config, and a run summary
// with plain defaults that each test overrides where it matters.

import type { RunConfig, RunSummary } from '../../../src-main/api';

/** The studio's tiny preset on the sample corpus: 809,472 parameters, a batch of 16 × 64 tokens. */
export function tinyPreset(over: Partial<RunConfig> = {}): RunConfig {
  return {
    name: 'Sample corpus · tiny',
    datasetId: 1,
    model: { nLayer: 4, nHead: 4, nEmbd: 128, contextLength: 64 },
    train: {
      batchSize: 16,
      seqLen: 64,
      gradAccumSteps: 1,
      steps: 2000,
      optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 },
      schedule: { kind: 'cosine', lr: 1e-3, minLr: 1e-4, warmupSteps: 100, totalSteps: 2000 },
      clipNorm: 1,
      evalEvery: 100,
      evalBatches: 8,
      earlyStopping: null,
      maxBadSteps: 5,
      logEvery: 10,
      histogramEvery: 100,
      seed: 1337,
      valFraction: 0.1,
    },
    backend: 'wasm',
    threads: 2,
    checkpoints: { every: 200, onBest: true, keepLast: 3, keepBest: true, keepEvery: 0 },
    samples: null,
    ...over,
  };
}

/** A run that was created and never started, named after its id. */
export const runSummary = (id: number, over: Partial<RunSummary> = {}): RunSummary => ({
  id,
  name: `run ${id}`,
  status: 'created',
  statusMessage: null,
  stopReason: null,
  origin: 'studio',
  datasetId: 1,
  datasetName: 'sample',
  step: 0,
  totalSteps: 100,
  bestValLoss: null,
  lastValLoss: null,
  lastTrainLoss: null,
  tokensSeen: 0,
  tokensPerSecond: null,
  tags: [],
  parentRunId: null,
  forkedAtStep: null,
  createdAt: '2026-01-01T00:00:00Z',
  startedAt: null,
  finishedAt: null,
  updatedAt: '2026-01-01T00:00:00Z',
  ...over,
});
