// The typed messages between the studio's main process and an engine worker (worker_threads):
// commands in, events out. Plain data only (structured-clone safe), discriminated by `type`.

import type { ExportResult } from './checkpoint/export';
import type { CheckpointExport } from './checkpoint/export-checkpoint';
import type { CorpusStats } from './data/corpus';
import type { TokenizerKind } from './data/tokenizer';
import type { TokenizerSpec } from './data/train-tokenizer';
import type { BackendName } from './math/backend';
import type { ModelConfig } from './model/config';
import type { SamplingOptions } from './model/generate';
import type { DoneEvent, TrainingEvent } from './train/events';
import type { RetentionPolicy } from './train/retention';
import type { RunSpec } from './train/setup';

/** Bumped whenever a message changes shape; the worker reports it in `ready`. */
export const PROTOCOL_VERSION = 1;

/** What the main side passes as `workerData` when it spawns a worker. */
export interface WorkerBootData {
  protocolVersion: number;
  /** Training events are collected and posted together at most this often. */
  flushMs: number;
  /** A heartbeat is posted this often (between steps: a step longer than this delays it). */
  heartbeatMs: number;
}

// ---------------------------------------------------------------------------------------------
// Commands (main → worker)

/** When a training worker writes checkpoints; it always writes one on pause, on stop and at the end. */
export interface CheckpointPolicy {
  every: number; // also every N steps; 0 = only on pause, stop, the end (and on best, if onBest)
  onBest: boolean; // also when an evaluation sets a new best validation loss
  retention: RetentionPolicy;
}

/** Sample generations from the live model while it trains. */
export interface SamplePolicy extends SamplingOptions {
  every: number; // a sample every N steps; 0 = never
  prompt: string;
  maxTokens: number;
  seed: number;
}

/** Starts training: a new run (resumeFrom null) or the continuation of a checkpoint. */
export interface TrainCommand {
  type: 'train';
  requestId: number;
  spec: RunSpec;
  /** The run's checkpoint folder (created if missing). */
  checkpointDir: string;
  /** A checkpoint to continue from; its tokenizer, weights and optimizer state are restored. */
  resumeFrom: string | null;
  /** A tokenizer.json to encode with instead of training one (new runs on an imported dataset). */
  tokenizerPath: string | null;
  checkpoints: CheckpointPolicy;
  samples: SamplePolicy | null;
}

/** Where a generation's weights come from: the training worker's live model, or a checkpoint file. */
export type GenerationSource = { kind: 'live' } | { kind: 'checkpoint'; path: string; backend: BackendName };

export interface GenerateCommand {
  type: 'generate';
  requestId: number;
  source: GenerationSource;
  prompt: string;
  options: SamplingOptions & { maxTokens: number; seed: number };
}

/** Reads a text file or folder, builds its tokenizer and writes both into `outDir`. */
export interface ImportDatasetCommand {
  type: 'import-dataset';
  requestId: number;
  source: string;
  tokenizer: TokenizerSpec;
  outDir: string;
}

/** Exports a checkpoint as a Hugging Face folder (reading and converting it is engine work). */
export interface ExportCheckpointCommand extends CheckpointExport {
  type: 'export-checkpoint';
  requestId: number;
}

export type WorkerCommand =
  | TrainCommand
  | { type: 'pause'; requestId: number }
  | { type: 'resume'; requestId: number }
  | { type: 'stop'; requestId: number }
  | GenerateCommand
  | { type: 'cancel-generation'; requestId: number; generationRequestId: number }
  | ImportDatasetCommand
  | ExportCheckpointCommand;

// ---------------------------------------------------------------------------------------------
// Events (worker → main)

/** A training worker's state. `preparing`: reading the corpus and building the model. */
export type TrainState = 'preparing' | 'running' | 'paused' | 'stopping';

/** `manual`: a person asked for one while the run trains (the PyTorch engine's `checkpoint` command). */
export type CheckpointTrigger = 'periodic' | 'best' | 'pause' | 'stop' | 'final' | 'manual';

export interface WrittenCheckpoint {
  path: string;
  step: number;
  bytes: number;
  sha256: string;
  valLoss: number | null;
  finite: boolean;
}

/** What a training worker reports once its run is ready to take its first step. */
export interface StartedInfo {
  step: number; // 0 for a new run, the checkpoint's step for a resumed one
  totalSteps: number;
  resumedFrom: string | null;
  modelConfig: ModelConfig;
  parameters: number;
  trainTokens: number;
  valTokens: number;
  corpus: CorpusStats;
  tokenizer: { kind: TokenizerKind; vocabSize: number };
  engineBytes: number; // parameters, gradients, optimizer moments and activations
}

/** Everything a run reports while it trains; its DoneEvent comes in `stopped`. */
export type StreamedTrainingEvent = Exclude<TrainingEvent, DoneEvent>;

export type DatasetImportPhase = 'reading' | 'tokenizer' | 'encoding' | 'writing';

export interface ImportedDataset {
  stats: CorpusStats;
  tokenizer: { kind: TokenizerKind; vocabSize: number };
  tokens: number;
  corpusPath: string;
  tokenizerPath: string;
  /** The most frequent tokens, most frequent first, as display text. */
  topTokens: { id: number; text: string; count: number }[];
}

/** An error as data: what a person reads, the stack for a report, and the error's own fields. */
export interface SerializedError {
  name: string;
  message: string;
  stack: string | null;
  /** Primitive own fields of the error (code, path, field, reason, …). */
  details: Record<string, string | number | boolean | null>;
}

export type WorkerEvent =
  | { type: 'ready'; protocolVersion: number; threadId: number }
  /** A state change, or only an acknowledgement: `acks` lists the commands it answers. */
  | {
      type: 'state';
      state: TrainState;
      step: number;
      acks: number[];
      /** Why the worker paused by itself (a full disk); absent for a pause that was asked for. */
      reason?: string;
    }
  | { type: 'started'; info: StartedInfo }
  | { type: 'training-events'; events: StreamedTrainingEvent[] }
  | {
      type: 'checkpoint-written';
      checkpoint: WrittenCheckpoint;
      trigger: CheckpointTrigger;
      removed: string[]; // paths the retention policy deleted after this one was verified
    }
  | { type: 'sample'; step: number; prompt: string; text: string; tokens: number }
  /** Text of a generation as it comes: each message adds `text`; the last has done = true. */
  | {
      type: 'generation';
      requestId: number;
      text: string;
      tokens: number; // tokens generated so far
      done: boolean;
      cancelled: boolean;
    }
  | { type: 'dataset-progress'; requestId: number; phase: DatasetImportPhase }
  | { type: 'dataset-imported'; requestId: number; dataset: ImportedDataset }
  | { type: 'checkpoint-exported'; requestId: number; result: ExportResult }
  | { type: 'heartbeat'; step: number | null }
  /** fatal: the worker's session is over (a training run failed); else only the request failed. */
  | { type: 'error'; requestId: number | null; fatal: boolean; error: SerializedError }
  /** The run ended (completed, early-stopped, halted or stopped); the worker exits next. */
  | { type: 'stopped'; done: DoneEvent };

/** For the default branch of a switch over a union: a compile error if a case is missing. */
export function unreachable(value: never, what: string): never {
  throw new TypeError(`Unhandled ${what}: ${JSON.stringify(value)}`);
}

/** Any thrown value as a SerializedError. */
export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) {
    return { name: 'Error', message: String(err), stack: null, details: {} };
  }
  const details: SerializedError['details'] = {};
  for (const [key, value] of Object.entries(err)) {
    if (key === 'name' || key === 'message' || key === 'stack') continue;
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
      details[key] = value as string | number | boolean | null;
    }
  }
  return { name: err.name, message: err.message, stack: err.stack ?? null, details };
}
