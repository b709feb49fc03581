// The API contract, declared once: each method's name, the zod schema of its input and the type of
// its result. The service implements `StudioHandlers`; every binding (Electron IPC, HTTP/WebSocket)
// calls `dispatch`, which validates the payload before any handler runs.

import { z } from 'zod';
import { parseInput, StudioError } from './errors';
import {
  engineSchema,
  finite,
  id,
  runConfigEditsSchema,
  runConfigSchema,
  runFilterSchema,
  samplingSchema,
  settingsSchema,
  tokenizerSpecSchema,
} from './schemas';
import type {
  CheckpointInfo,
  DataFolderInfo,
  DatasetInfo,
  DatasetPreview,
  DatasetStats,
  EventInfo,
  HistogramInfo,
  MetricKeyInfo,
  MetricSeries,
  RunDetail,
  RunSummary,
  SampleInfo,
  SettingsInfo,
  StoreRecoveryReport,
  StoreStatus,
  SystemInfo,
  TorchEngineInfo,
  ValidationReport,
  VerifyReport,
} from './types';
import type { RunConfig } from './schemas';

declare const resultType: unique symbol;
/** A marker that carries a method's result type; it has no runtime content. */
export interface Returns<R> {
  readonly [resultType]?: R;
}
const returns = <R>(): Returns<R> => ({});

type TrainSettings = RunConfig['train'];
type OptimizerSettings = TrainSettings['optimizer'];

/**
 * What a setting of a run config starts from when a person switches it (the new-run form's
 * optimizer and schedule kinds, early stopping and samples turned on): the run defaults
 * (src-worker/train/run-defaults.ts) for one dataset and run length.
 */
export interface RunChoices {
  /** Each optimizer with its default settings. */
  optimizers: { [K in OptimizerSettings['kind']]: Extract<OptimizerSettings, { kind: K }> };
  /** The step schedule's interval and factor for the run's length. */
  stepDecay: Pick<Extract<TrainSettings['schedule'], { kind: 'step' }>, 'stepSize' | 'gamma'>;
  earlyStopping: NonNullable<TrainSettings['earlyStopping']>;
  /** The dataset's default sample policy. */
  samples: NonNullable<RunConfig['samples']>;
}

const byId = z.strictObject({ id: id() });
const positiveWhole = (max: number): z.ZodNumber => finite().int().min(1).max(max);

export const methods = {
  // --- datasets
  'datasets.import': {
    input: z.strictObject({
      path: z.string().min(1, { error: 'choose a .txt/.md file or a folder' }),
      name: z.string().trim().min(1).max(200).optional(),
      tokenizer: tokenizerSpecSchema,
      jobId: z.string().min(1).max(100).optional(), // names the progress events; one is made if absent
    }),
    result: returns<DatasetInfo>(),
  },
  'datasets.list': { input: z.strictObject({}), result: returns<DatasetInfo[]>() },
  'datasets.get': { input: byId, result: returns<DatasetInfo>() },
  'datasets.stats': {
    input: z.strictObject({ id: id(), valFraction: finite().gt(0).lt(1).optional() }),
    result: returns<DatasetStats>(),
  },
  'datasets.preview': {
    input: z.strictObject({
      id: id(),
      offset: finite().int().min(0).optional(),
      characters: positiveWhole(100_000).optional(),
    }),
    result: returns<DatasetPreview>(),
  },
  'datasets.delete': { input: byId, result: returns<{ deleted: true }>() },

  // --- runs
  'runs.defaults': {
    input: z.strictObject({ datasetId: id(), preset: z.enum(['tiny', 'small']).optional() }),
    result: returns<RunConfig>(),
  },
  'runs.choices': {
    // steps: the run's length as typed (the step decay follows it)
    input: z.strictObject({ datasetId: id(), steps: finite() }),
    result: returns<RunChoices>(),
  },
  'runs.validate': { input: z.strictObject({ config: z.unknown() }), result: returns<ValidationReport>() },
  'runs.create': { input: z.strictObject({ config: z.unknown() }), result: returns<RunDetail>() },
  'runs.list': { input: runFilterSchema, result: returns<RunSummary[]>() },
  'runs.get': { input: byId, result: returns<RunDetail>() },
  'runs.start': { input: byId, result: returns<RunSummary>() },
  'runs.pause': { input: byId, result: returns<RunSummary>() },
  'runs.resume': {
    input: z.strictObject({
      id: id(),
      checkpointId: id().optional(), // default: the newest checkpoint with finite weights
      mode: z.enum(['cut', 'fork']).optional(), // history after an older checkpoint: cut it, or fork a new run
      steps: positiveWhole(100_000_000).optional(), // a new total, to train a finished run further
      engine: engineSchema.optional(), // continue on the other engine (from the same checkpoint)
    }),
    result: returns<RunSummary>(),
  },
  'runs.stop': { input: byId, result: returns<RunSummary>() },
  'runs.delete': { input: byId, result: returns<{ deleted: true }>() },
  'runs.duplicate': {
    input: z.strictObject({ id: id(), edits: runConfigEditsSchema.optional() }),
    result: returns<RunDetail>(),
  },
  'runs.rename': {
    input: z.strictObject({ id: id(), name: runConfigSchema.shape.name }),
    result: returns<RunSummary>(),
  },
  'runs.setTags': {
    input: z.strictObject({
      id: id(),
      tags: z
        .array(
          z
            .string()
            .trim()
            .min(1, { error: 'must not be empty' })
            .max(50, { error: 'must be at most 50 characters' }),
        )
        .max(50, { error: 'must number at most 50' }),
    }),
    result: returns<RunSummary>(),
  },
  'runs.setNotes': {
    input: z.strictObject({
      id: id(),
      notes: z.string().max(100_000, { error: 'must be at most 100000 characters' }),
    }),
    result: returns<RunSummary>(),
  },
  'runs.events': {
    input: z.strictObject({
      id: id(),
      kinds: z.array(z.enum(['lifecycle', 'alert', 'eval'])).optional(),
      limit: positiveWhole(10_000).optional(),
    }),
    result: returns<EventInfo[]>(),
  },
  'runs.samples': {
    input: z.strictObject({ id: id(), limit: positiveWhole(10_000).optional() }),
    result: returns<SampleInfo[]>(),
  },
  'runs.histograms': {
    input: z.strictObject({
      id: id(),
      kind: z.enum(['gradients', 'weights']),
      step: finite().int().min(0).optional(), // the last histogram at or before this step; default: the latest
    }),
    result: returns<{ steps: number[]; histogram: HistogramInfo | null }>(),
  },
  'tags.list': { input: z.strictObject({}), result: returns<{ name: string; runs: number }[]>() },

  // --- metrics
  'metrics.keys': { input: z.strictObject({ runId: id() }), result: returns<MetricKeyInfo[]>() },
  'metrics.series': {
    input: z.strictObject({
      runIds: z.array(id()).min(1).max(20),
      keys: z.array(z.string().min(1)).min(1).max(50),
      maxPoints: finite().int().min(4).max(100_000),
      fromStep: finite().int().min(0).optional(),
      toStep: finite().int().min(0).optional(),
    }),
    result: returns<MetricSeries[]>(),
  },
  'metrics.export': {
    input: z.strictObject({
      runId: id(),
      format: z.enum(['csv', 'jsonl']),
      path: z.string().min(1).optional(), // write here; without it the content is returned
    }),
    result: returns<{ rows: number; path: string | null; content: string | null }>(),
  },

  // --- checkpoints
  'checkpoints.list': { input: z.strictObject({ runId: id() }), result: returns<CheckpointInfo[]>() },
  'checkpoints.verify': { input: byId, result: returns<VerifyReport>() },
  'checkpoints.export': {
    input: z.strictObject({
      id: id(),
      dir: z.string().min(1),
      dtype: z.enum(['f32', 'f16', 'bf16']).optional(),
      overwrite: z.boolean().optional(),
    }),
    result: returns<{ dir: string; files: string[]; modelBytes: number }>(),
  },
  'checkpoints.resume': {
    input: z.strictObject({ id: id(), mode: z.enum(['cut', 'fork']).optional() }),
    result: returns<RunSummary>(),
  },
  'checkpoints.delete': { input: byId, result: returns<{ deleted: true }>() },
  'checkpoints.pin': {
    input: z.strictObject({ id: id(), pinned: z.boolean() }),
    result: returns<{ pinned: boolean }>(),
  },

  // --- generation (text streams as `generation` events)
  'generation.start': {
    input: samplingSchema.extend({
      checkpointId: id().optional(), // one of the two: a checkpoint …
      runId: id().optional(), // … or the live model of a training run
      generationId: z.string().min(1).max(100).optional(),
    }),
    result: returns<{ generationId: string }>(),
  },
  'generation.cancel': {
    input: z.strictObject({ generationId: z.string().min(1) }),
    result: returns<{ cancelled: boolean }>(),
  },

  // --- settings and the machine
  'settings.get': { input: z.strictObject({}), result: returns<SettingsInfo>() },
  'settings.update': { input: settingsSchema.partial(), result: returns<SettingsInfo>() },
  'system.info': { input: z.strictObject({}), result: returns<SystemInfo>() },
  /** The PyTorch engine's environment check with the Settings' interpreter (cached; fresh: ask again). */
  'engines.pytorch': {
    input: z.strictObject({ fresh: z.boolean().optional() }),
    result: returns<TorchEngineInfo>(),
  },
  'dataFolder.get': { input: z.strictObject({}), result: returns<DataFolderInfo>() },
  'dataFolder.choose': {
    input: z.strictObject({
      // null: back to the default; the choice takes effect at the next start
      path: z
        .string()
        .trim()
        .min(1, { error: 'type the full path of a folder' })
        .max(4096, { error: 'is longer than 4096 characters' })
        .nullable(),
    }),
    result: returns<DataFolderInfo>(),
  },

  // --- the database's health: a damaged one is reported and replaced only by the person's choice
  'store.status': { input: z.strictObject({}), result: returns<StoreStatus>() },
  'store.recover': {
    input: z.strictObject({ action: z.enum(['fresh', 'rebuild']) }),
    result: returns<StoreRecoveryReport>(),
  },
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
/** What a caller sends (before defaults and trimming). */
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
/** What a handler receives (validated). */
export type ValidInput<M extends MethodName> = z.output<Methods[M]['input']>;
export type MethodResult<M extends MethodName> = Methods[M]['result'] extends Returns<infer R> ? R : never;

export type StudioHandlers = { [M in MethodName]: (input: ValidInput<M>) => Promise<MethodResult<M>> };

/** The typed client every transport offers the renderer. */
export type StudioClient = { [M in MethodName]: (input: MethodInput<M>) => Promise<MethodResult<M>> };

export const METHOD_NAMES = Object.keys(methods) as MethodName[];

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}

/** Validates `payload` against the method's schema, then calls its handler. */
export async function dispatch(handlers: StudioHandlers, method: string, payload: unknown): Promise<unknown> {
  if (!isMethodName(method)) {
    throw new StudioError('unknown-method', `There is no API method "${method}".`);
  }
  const input = parseInput(methods[method].input, payload, method);
  const handler = handlers[method] as (input: unknown) => Promise<unknown>;
  return handler(input);
}
