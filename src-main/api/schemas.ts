// The zod schemas of everything the API accepts: run configs (model, training, checkpoint and
// sample policies), settings and the small inputs of each method, and a preset's run config.
// Shapes, types and defaults (from src-worker/train/run-defaults.ts); the ranges a value must lie
// in are checked by validateRunConfig with the engine's own validators and rules (run-rules.ts).

import { z } from 'zod';
import { MODEL_PRESETS } from '../../src-worker/model/config';
import type { ModelPresetName } from '../../src-worker/model/config';
import {
  DEFAULT_CHECKPOINTS,
  DEFAULT_STUDIO_STEPS,
  DEFAULT_TRAINING_THREADS,
  TRAIN_DEFAULTS,
  presetTrainConfig,
} from '../../src-worker/train/run-defaults';
import {
  BACKENDS,
  DEVICE_CHOICES,
  ENGINES,
  MAX_PROCESSES,
  MAX_TRAINING_THREADS,
} from '../../src-worker/train/run-rules';

/** A number field: anything else, NaN and ±Infinity included, is refused with this message. */
export const finite = (): z.ZodNumber =>
  z.number({
    error: (issue) => (issue.input === undefined ? 'is required' : 'must be a finite number'),
  });

/** A whole number field with bounds, for the options the engine does not check itself. */
const whole = (min: number, max: number = Number.MAX_SAFE_INTEGER): z.ZodNumber =>
  finite()
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be ≥ ${min}` })
    .max(max, { error: `must be ≤ ${max}` });

export const id = (): z.ZodNumber => whole(1);

type Defaulted<S extends Record<string, z.ZodType>, D> = {
  [K in keyof S]: K extends keyof D ? z.ZodDefault<S[K]> : S[K];
};

/**
 * `object` with a default for each field `defaults` names: a caller may leave those out and the
 * parsed value has them. The fields stay required in `object` itself, whose `.partial()` is what an
 * edit may change (zod would fill a defaulted field of a partial object and overwrite the edited one).
 */
function withDefaults<S extends Record<string, z.ZodType>, D extends { [K in keyof S]?: z.output<S[K]> }>(
  object: z.ZodObject<S, z.core.$strict>,
  defaults: D,
): z.ZodObject<Defaulted<S, D>, z.core.$strict> {
  const shape: Record<string, z.ZodType> = { ...object.shape };
  for (const [key, value] of Object.entries(defaults)) {
    const field = object.shape[key];
    if (field !== undefined) shape[key] = field.default(value);
  }
  return z.strictObject(shape) as unknown as z.ZodObject<Defaulted<S, D>, z.core.$strict>;
}

export const backendSchema = z.enum(BACKENDS, { error: 'must be "ts" or "wasm"' });

/** The engine that trains a run; the rules of which settings each one has are in src-worker/train/run-rules.ts. */
export const engineSchema = z.enum(ENGINES, { error: 'must be "builtin" or "pytorch"' });
export const deviceSchema = z.enum(DEVICE_CHOICES, { error: 'must be "auto", "cpu", "cuda" or "mps"' });

export const tokenizerSpecSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('byte') }),
    z.strictObject({ kind: z.literal('char') }),
    z.strictObject({ kind: z.literal('bpe'), vocabSize: whole(257, 65536) }),
  ],
  { error: 'must be {kind: "byte"}, {kind: "char"} or {kind: "bpe", vocabSize}' },
);

export const modelShapeSchema = z.strictObject({
  nLayer: finite(),
  nHead: finite(),
  nEmbd: finite(),
  contextLength: finite(),
});

const optimizerSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('adamw'),
      beta1: finite(),
      beta2: finite(),
      eps: finite(),
      weightDecay: finite(),
    }),
    z.strictObject({ kind: z.literal('sgd'), momentum: finite(), weightDecay: finite() }),
  ],
  { error: 'kind must be "adamw" or "sgd"' },
);

const scheduleBase = { lr: finite(), minLr: finite(), warmupSteps: finite(), totalSteps: finite() };

const scheduleSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('constant'), ...scheduleBase }),
    z.strictObject({ kind: z.literal('linear'), ...scheduleBase }),
    z.strictObject({ kind: z.literal('cosine'), ...scheduleBase }),
    z.strictObject({ kind: z.literal('inverse-sqrt'), ...scheduleBase }),
    z.strictObject({ kind: z.literal('step'), ...scheduleBase, stepSize: finite(), gamma: finite() }),
  ],
  { error: 'kind must be one of constant, linear, cosine, inverse-sqrt, step' },
);

/** A training config's fields as a caller must send them all (what a run's edits may change). */
const trainConfigFields = z.strictObject({
  batchSize: finite(),
  seqLen: finite(),
  gradAccumSteps: finite(),
  steps: finite(),
  optimizer: optimizerSchema,
  schedule: scheduleSchema,
  clipNorm: finite(),
  evalEvery: finite(),
  evalBatches: finite(),
  earlyStopping: z.strictObject({ patience: finite(), minDelta: finite() }).nullable(),
  maxBadSteps: finite(),
  logEvery: finite(),
  histogramEvery: finite(),
  seed: finite(),
  valFraction: finite(),
});

/** A training config; the fields TRAIN_DEFAULTS names may be left out and get their default. */
export const trainConfigSchema = withDefaults(trainConfigFields, TRAIN_DEFAULTS);

export const checkpointPolicySchema = z.strictObject({
  every: whole(0), // a checkpoint every N steps (0: only on pause, stop and at the end)
  onBest: z.boolean(), // also at each new best validation loss
  keepLast: whole(1), // the N newest are kept …
  keepBest: z.boolean(), // … plus the best …
  keepEvery: whole(0), // … plus every checkpoint whose step is a multiple of M (0: off)
});

/** How a sample is drawn: a prompt the model continues, and the sampler's settings. */
export const samplingSchema = z.strictObject({
  prompt: z.string().min(1, { error: 'must not be empty: the model continues a prompt' }),
  maxTokens: whole(1, 4096),
  temperature: finite().min(0, { error: 'must be ≥ 0 (0 = always the most likely token)' }),
  topK: whole(0),
  topP: finite().gt(0, { error: 'must be in (0, 1]' }).max(1, { error: 'must be in (0, 1]' }),
  seed: whole(0, 0xffffffff),
});

export const samplePolicySchema = z.strictObject({
  every: whole(0), // a sample every N steps (0: never)
  ...samplingSchema.shape,
});

export const runConfigSchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(200, { error: 'must be at most 200 characters' }),
  datasetId: id(),
  model: modelShapeSchema,
  train: trainConfigSchema,
  backend: backendSchema,
  /** Training threads (data-parallel, wasm only); rules in src-worker/train/run-rules.ts, default in run-defaults.ts. */
  threads: whole(1, MAX_TRAINING_THREADS).default(DEFAULT_TRAINING_THREADS),
  /** Absent: builtin. device and processes are the pytorch engine's (processes absent: 1, or one per GPU). */
  engine: engineSchema.optional(),
  device: deviceSchema.optional(),
  processes: whole(1, MAX_PROCESSES).optional(),
  checkpoints: checkpointPolicySchema.default(() => ({ ...DEFAULT_CHECKPOINTS })),
  samples: samplePolicySchema.nullable(),
});

/** What duplicating a run may change: any top-level section, or single fields of a section. */
export const runConfigEditsSchema = z.strictObject({
  name: runConfigSchema.shape.name.optional(),
  datasetId: id().optional(),
  model: modelShapeSchema.partial().optional(),
  train: trainConfigFields.partial().optional(), // no defaults here: an edit changes only what it names
  backend: backendSchema.optional(),
  threads: whole(1, MAX_TRAINING_THREADS).optional(),
  engine: engineSchema.optional(),
  device: deviceSchema.optional(),
  processes: whole(1, MAX_PROCESSES).optional(),
  checkpoints: checkpointPolicySchema.partial().optional(),
  samples: samplePolicySchema.partial().nullable().optional(),
});

export const settingsSchema = z.strictObject({
  maxConcurrentRuns: whole(1, 64), // runs training at once; more wait in the queue
  defaultBackend: backendSchema, // the backend new run configs start with
  heartbeatTimeoutSeconds: whole(5, 3600), // a worker silent this long is marked hung
  // The Python interpreter that runs the PyTorch engine (a name on PATH or a full path); checked
  // to exist and run when it is changed.
  pythonPath: z
    .string()
    .trim()
    .min(1, { error: 'must name a Python interpreter, e.g. python3 or /usr/bin/python3' })
    .max(4096, { error: 'is longer than 4096 characters' }),
});

export const runStatusSchema = z.enum([
  'created',
  'queued',
  'running',
  'paused',
  'stopping',
  'stopped',
  'completed',
  'failed',
  'interrupted',
]);

export const runFilterSchema = z.strictObject({
  status: z.array(runStatusSchema).optional(),
  tag: z.string().optional(),
  datasetId: id().optional(),
  origin: z.enum(['studio', 'cli']).optional(),
  search: z.string().optional(), // part of the name, any case
  limit: whole(1, 1000).optional(),
  offset: whole(0).optional(),
});

export type RunConfig = z.output<typeof runConfigSchema>;

/** What a preset's config leaves to its caller: where it trains, on what, and its samples. */
export type RunConfigPlace = Pick<RunConfig, 'name' | 'datasetId' | 'backend' | 'threads' | 'samples'>;

/**
 * The config the studio proposes for a preset: its model, its batch of full-context sequences and
 * the default training, checkpoint policy and length. The studio then fits the batch to a dataset.
 */
export function presetRunConfig(preset: ModelPresetName, place: RunConfigPlace): RunConfig {
  return {
    ...place,
    model: { ...MODEL_PRESETS[preset] },
    train: presetTrainConfig(preset, DEFAULT_STUDIO_STEPS),
    checkpoints: { ...DEFAULT_CHECKPOINTS },
  };
}
/** A run config as a caller may send it: fields with a default may be left out. */
export type RunConfigInput = z.input<typeof runConfigSchema>;
export type RunConfigEdits = z.output<typeof runConfigEditsSchema>;
export type Settings = z.output<typeof settingsSchema>;
export type RunStatus = z.output<typeof runStatusSchema>;
export type RunFilter = z.output<typeof runFilterSchema>;
export type TokenizerSpecInput = z.output<typeof tokenizerSpecSchema>;
