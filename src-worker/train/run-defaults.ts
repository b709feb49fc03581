// The defaults of a run config, written once: the training config a preset trains with (optimizer,
// schedule, evaluation, logging, seed), the checkpoint and sample policies, and the threads a run
// gets when it does not say. The studio's default config, the API schema's defaults, the CLI's
// option defaults, the bench and the test fixtures all start here and override what they must;
// the rules a config must follow are in run-rules.ts.

import { DEFAULT_VAL_FRACTION } from '../data/split';
import { MODEL_PRESETS, PRESET_BATCH } from '../model/config';
import type { ModelPresetName } from '../model/config';
import type { SamplePolicy } from '../protocol';
import type { OptimizerConfig, TrainConfig } from './config';
import { DEFAULT_RETENTION } from './retention';
import type { ScheduleConfig, ScheduleKind } from './schedules';

/** A run's threads where its config does not say (configs made before threads were a setting). */
export const DEFAULT_TRAINING_THREADS = 1;

/** The optimizer settings of GPT-2/nanoGPT; β2 0.95 rather than the textbook 0.999. */
export const DEFAULT_ADAMW = { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 } as const;
export const DEFAULT_SGD = { kind: 'sgd', momentum: 0.9, weightDecay: 0.1 } as const;

/** The optimizer of `kind` with its default settings and the given weight decay. */
export function defaultOptimizer(kind: OptimizerConfig['kind'], weightDecay: number): OptimizerConfig {
  return { ...(kind === 'adamw' ? DEFAULT_ADAMW : DEFAULT_SGD), weightDecay };
}

/** Peak learning rate; the decay's floor is a tenth of it and warm-up is 5% of the run. */
export const DEFAULT_LR = 1e-3;

/** The step schedule's decay factor; it decays four times over the run. */
export const DEFAULT_GAMMA = 0.5;

/** The step schedule's decay over a run of `steps`: by DEFAULT_GAMMA, every quarter of the run. */
export function defaultStepDecay(steps: number): { stepSize: number; gamma: number } {
  return { stepSize: Math.max(1, Math.floor(steps / 4)), gamma: DEFAULT_GAMMA };
}

/** What a schedule may be given; everything left out follows the peak and the run's length. */
export interface ScheduleChoice {
  lr?: number;
  minLr?: number;
  warmupSteps?: number;
  stepSize?: number;
  gamma?: number;
}

/** A schedule of `kind` over a run of `steps`, with the defaults for what `given` leaves out. */
export function defaultSchedule(
  kind: ScheduleKind,
  steps: number,
  given: ScheduleChoice = {},
): ScheduleConfig {
  const lr = given.lr ?? DEFAULT_LR;
  const base = {
    lr,
    minLr: given.minLr ?? lr / 10,
    warmupSteps: given.warmupSteps ?? Math.round(steps * 0.05),
    totalSteps: steps,
  };
  if (kind !== 'step') return { kind, ...base };
  const decay = defaultStepDecay(steps);
  return { kind, ...base, stepSize: given.stepSize ?? decay.stepSize, gamma: given.gamma ?? decay.gamma };
}

/** Early stopping where a person turns it on without saying more. */
export const DEFAULT_EARLY_STOPPING = { patience: 5, minDelta: 0 } as const;

/** The fields of a TrainConfig that every run has a default for. */
export const TRAIN_DEFAULTS = {
  gradAccumSteps: 1,
  clipNorm: 1,
  evalEvery: 100,
  evalBatches: 8,
  earlyStopping: null,
  maxBadSteps: 5,
  logEvery: 10,
  histogramEvery: 100,
  seed: 1337,
  valFraction: DEFAULT_VAL_FRACTION,
} as const satisfies Partial<TrainConfig>;

/** What a run says about its batch and length; everything else of its TrainConfig has a default. */
export interface TrainShape {
  batchSize: number;
  seqLen: number;
  steps: number;
}

/** The training config of a run of `shape`: the defaults, then `overrides`. */
export function defaultTrainConfig(shape: TrainShape, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...shape,
    ...TRAIN_DEFAULTS,
    optimizer: { ...DEFAULT_ADAMW },
    schedule: defaultSchedule('cosine', shape.steps),
    ...overrides,
  };
}

/** A preset's batch of full-context sequences, trained for `steps`. */
export function presetTrainConfig(
  preset: ModelPresetName,
  steps: number,
  overrides: Partial<TrainConfig> = {},
): TrainConfig {
  const shape = { batchSize: PRESET_BATCH[preset], seqLen: MODEL_PRESETS[preset].contextLength, steps };
  return defaultTrainConfig(shape, overrides);
}

/** The length of a run the studio proposes. */
export const DEFAULT_STUDIO_STEPS = 2000;

/**
 * Where the CLI's defaults differ from the studio's: a run in a terminal is a shorter try (600
 * steps, checkpoints every 100) and computes histograms, which cost time, only when asked.
 */
export const CLI_DEFAULTS = { steps: 600, checkpointEvery: 100, histogramEvery: 0 } as const;

/** The studio's checkpoint policy: every 200 steps and at each new best, pruned by DEFAULT_RETENTION. */
export const DEFAULT_CHECKPOINTS = { every: 200, onBest: true, ...DEFAULT_RETENTION } as const;

/** How a sample is drawn, where the run's sample policy does not say. */
export const DEFAULT_SAMPLING = { maxTokens: 120, temperature: 0.8, topK: 0, topP: 1, seed: 1 } as const;

/** The studio's sample policy: a sample every 200 steps, continuing `prompt`. */
export function defaultSamples(prompt: string, every = 200): SamplePolicy {
  return { every, prompt, ...DEFAULT_SAMPLING };
}
