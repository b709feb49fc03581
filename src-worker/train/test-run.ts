// Test support: a micro run (tiny model, short text) that trains in milliseconds, so trainer tests
// can take many steps on every backend.

import type { Backend } from '../math/backend';
import { CharTokenizer } from '../data/char-tokenizer';
import { generateSampleCorpus } from '../data/sample-corpus';
import { splitTrainVal } from '../data/split';
import type { ModelConfig } from '../model/config';
import { Gpt } from '../model/gpt';
import { Rng } from '../util/rng';
import type { TrainConfig } from './config';
import { Trainer } from './trainer';

export const MICRO_TEXT = generateSampleCorpus(7, 20_000);

export function microTrainConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  const steps = overrides.steps ?? 20;
  return {
    batchSize: 4,
    seqLen: 16,
    gradAccumSteps: 1,
    steps,
    optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 },
    schedule: { kind: 'cosine', lr: 3e-3, minLr: 3e-4, warmupSteps: 2, totalSteps: steps },
    clipNorm: 1,
    evalEvery: 10,
    evalBatches: 2,
    earlyStopping: null,
    maxBadSteps: 3,
    logEvery: 5,
    histogramEvery: 0,
    seed: 42,
    valFraction: 0.1,
    ...overrides,
  };
}

export function microTrainer(
  backend: Backend,
  overrides: Partial<TrainConfig> = {},
  text = MICRO_TEXT,
): Trainer {
  const cfg = microTrainConfig(overrides);
  const tokenizer = CharTokenizer.fromText(text);
  const modelConfig: ModelConfig = {
    vocabSize: tokenizer.vocabSize,
    contextLength: cfg.seqLen,
    nLayer: 2,
    nHead: 2,
    nEmbd: 16,
  };
  const split = splitTrainVal(tokenizer.encode(text), cfg.batchSize, cfg.seqLen, cfg.valFraction);
  const model = new Gpt(backend, modelConfig, cfg.batchSize, cfg.seqLen);
  model.init(new Rng(cfg.seed));
  return new Trainer(backend, model, cfg, split.train, split.val);
}
