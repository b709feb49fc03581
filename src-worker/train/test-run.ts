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
import { defaultSchedule, defaultTrainConfig } from './run-defaults';
import { Trainer } from './trainer';

export const MICRO_TEXT = generateSampleCorpus(7, 20_000);

/**
 * A micro run's training config: batches of 4 × 16 tokens, 20 steps at a peak of 3e-3, evaluated
 * every 10 steps on 2 batches. The studio's and the PyTorch engine's test fixtures start here too.
 */
export function microTrainConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  const steps = overrides.steps ?? 20;
  return defaultTrainConfig(
    { batchSize: 4, seqLen: 16, steps },
    {
      schedule: defaultSchedule('cosine', steps, { lr: 3e-3, minLr: 3e-4, warmupSteps: 2 }),
      evalEvery: 10,
      evalBatches: 2,
      maxBadSteps: 3,
      logEvery: 5,
      histogramEvery: 0,
      seed: 42,
      ...overrides,
    },
  );
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
