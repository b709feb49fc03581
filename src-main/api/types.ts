// What the API returns and the events it pushes: plain JSON-safe data (a non-finite number is
// null), shared by the service, the Electron and web bindings, and the renderer.

import type { RunConfig, RunStatus, Settings, TokenizerSpecInput } from './schemas';
import type { StepTimeEstimate } from './step-time';
import type { MemorySnapshot } from '../../src-worker/metrics/memory';
import type { WrittenCheckpoint } from '../../src-worker/protocol';
import type { EvalScores } from '../../src-worker/train/events';

export interface DatasetInfo {
  id: number;
  name: string;
  sourcePath: string; // the file or folder it was imported from
  createdAt: string; // ISO-8601
  files: number;
  bytes: number;
  characters: number;
  lines: number;
  sha256: string; // of the text as trained on
  tokenizer: TokenizerSpecInput;
  vocabSize: number;
  tokens: number;
  runs: number; // runs that train on it
}

export interface DatasetStats extends DatasetInfo {
  valFraction: number;
  trainTokens: number; // the training split at valFraction
  valTokens: number;
  charactersPerToken: number;
  topTokens: { id: number; text: string; count: number }[];
}

export interface DatasetPreview {
  datasetId: number;
  offset: number; // in characters
  text: string;
  totalCharacters: number;
}

export interface RunSummary {
  id: number;
  name: string;
  status: RunStatus;
  statusMessage: string | null; // why it failed, stopped or was interrupted
  stopReason: string | null; // completed, early-stopped, halted, stopped, hung, crashed, shutdown
  origin: 'studio' | 'cli';
  datasetId: number | null; // null for a terminal run on a file or the sample corpus
  datasetName: string | null;
  step: number;
  totalSteps: number;
  bestValLoss: number | null;
  lastValLoss: number | null;
  lastTrainLoss: number | null;
  tokensSeen: number;
  tokensPerSecond: number | null; // the throughput it last reported (smoothed); null before any
  tags: string[];
  parentRunId: number | null; // the run it was duplicated or forked from
  forkedAtStep: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

export interface RunDetail extends RunSummary {
  config: RunConfig | null; // null for a terminal run (its spec is in `spec`)
  spec: unknown; // the engine's RunSpec the worker trains with
  notes: string;
  errorStack: string | null;
  checkpoints: CheckpointInfo[];
  /** The last progress report of a run training now (kept in memory, not in the database). */
  progress: ProgressInfo | null;
}

/** A checkpoint file as its worker wrote it, and its record. */
export interface CheckpointInfo extends WrittenCheckpoint {
  id: number;
  runId: number;
  best: boolean;
  pinned: boolean; // kept whatever the retention policy says (pins.json beside the checkpoints)
  trigger: string; // periodic, best, pause, stop, final, manual, found (registered from the folder)
  createdAt: string;
}

export interface VerifyReport {
  checkpointId: number;
  ok: boolean;
  message: string;
  sha256: string | null;
  matchesRecord: boolean; // the file's checksum is the one recorded when it was written
}

export interface MetricPoint {
  step: number;
  value: number;
}

export interface MetricKeyInfo {
  key: string;
  points: number;
  firstStep: number;
  lastStep: number;
}

export interface MetricSeries {
  runId: number;
  key: string;
  total: number; // points in the requested range before downsampling
  downsampled: boolean;
  points: MetricPoint[]; // by step; each bucket keeps its lowest and highest value
}

export interface EventInfo {
  id: number;
  runId: number;
  step: number;
  kind: 'lifecycle' | 'alert' | 'eval';
  level: 'info' | 'warning' | 'error';
  code: string;
  message: string;
  data: unknown;
  createdAt: string;
}

export interface HistogramInfo {
  runId: number;
  step: number;
  kind: 'gradients' | 'weights';
  counts: number[];
  edges: number[];
  min: number | null;
  max: number | null;
  nan: number;
  posInf: number;
  negInf: number;
}

export interface SampleInfo {
  id: number;
  runId: number;
  step: number;
  prompt: string;
  text: string;
  createdAt: string;
}

export interface ProgressInfo {
  step: number;
  totalSteps: number;
  epoch: number;
  percent: number;
  etaSeconds: number | null;
  tokensSeen: number;
  tokensPerSecond: number | null;
  stepMs: number;
  lr: number;
  loss: number | null;
  lossEma: number | null;
  gradNorm: number | null;
  clipped: boolean;
  memory: MemorySnapshot;
}

export interface EvalInfo extends EvalScores {
  step: number;
  valLoss: number | null;
  perplexity: number | null;
  best: boolean;
  confusion: { tokens: number[]; counts: number[]; size: number };
}

export interface GradientsInfo {
  step: number;
  globalNorm: number | null;
  layers: (number | null)[];
  tensors: { name: string; norm: number | null }[];
}

export interface AlertInfo {
  step: number;
  level: 'warning' | 'error';
  code: string;
  message: string;
  tensor: string | null;
  value: number | null;
}

/** Everything that happened in a run since the last update (at most ~10 updates a second). */
export interface RunUpdate {
  progress: ProgressInfo | null; // the latest
  metrics: { key: string; points: MetricPoint[] }[]; // new points
  evals: EvalInfo[];
  gradients: GradientsInfo | null; // the latest
  histograms: HistogramInfo[];
  alerts: AlertInfo[];
  checkpoints: CheckpointInfo[];
  samples: SampleInfo[];
}

export interface Estimate {
  parameters: number;
  flopsPerToken: number; // forward + backward
  stepTime: StepTimeEstimate; // scaled from a run measured on this machine, when there is one
  memoryBytes: number; // engine buffers and token ids
  freeMemoryBytes: number;
  trainTokens: number;
  valTokens: number;
}

export interface ValidationReport {
  ok: boolean;
  problems: { field: string; message: string }[];
  estimate: Estimate | null; // when the config is complete enough to estimate
}

export interface SystemInfo {
  appVersion: string;
  dataDir: string;
  cores: number;
  freeMemoryBytes: number;
  totalMemoryBytes: number;
  defaultConcurrency: number;
}

export type SettingsInfo = Settings;

/** The PyTorch engine's environment as the check found it, with the Settings' interpreter. */
export interface TorchEngineInfo {
  available: boolean;
  python: string; // the interpreter asked
  summary: string; // "PyTorch 1.13.1 · CPU · gloo", or "not found: …, install …"
  devices: { cuda: string[]; mps: boolean };
}

/** What decided the data folder a start opened: --data-dir, $CRYSTALLINE_DATA_DIR, the Settings choice, or none. */
export type DataFolderSource = 'flag' | 'env' | 'chosen' | 'default';

/** The data folder in use and the one chosen for the next start. */
export interface DataFolderInfo {
  current: string; // the folder this studio has open
  source: DataFolderSource; // what decided it at start
  defaultDir: string; // the platform's default folder
  chosen: string | null; // the folder saved in Settings; null: the default
  next: string; // what the next start opens when neither --data-dir nor $CRYSTALLINE_DATA_DIR is given
  pending: boolean; // next is not current: the choice takes effect after a restart
  choiceFile: string; // where the choice is saved (outside any chosen folder)
  problem: string | null; // why a saved choice is not in use
}

/** The studio's database cannot be trusted (see the README's Reliability section). */
export interface StoreDamageInfo {
  kind: 'empty-file' | 'stray-wal' | 'not-a-database' | 'corrupt' | 'io-error';
  path: string; // the database, left as it was found
  copies: string[]; // the copies made beside it
  detail: string; // what SQLite or the file system said
  foundAt: string; // ISO 8601
  message: string; // what happened and what can be done, for a person
}

/** Whether the studio's database is usable; when it is not, the two ways back are offered. */
export interface StoreStatus {
  damage: StoreDamageInfo | null;
}

/** What a way back did: a fresh database, or one with the run records rebuilt from the run folders. */
export interface StoreRecoveryReport {
  action: 'fresh' | 'rebuild';
  kept: string[]; // the damaged database's copies, which stay
  runs: number;
  checkpoints: number;
  metricPoints: number;
  skipped: string[]; // files that could not be used, each with the reason
}

export type DatasetImportPhase = 'reading' | 'tokenizer' | 'encoding' | 'writing' | 'done' | 'failed';

export type StudioEvent =
  /** A run was created or changed (status, step at a state change, name, tags, notes). */
  | { type: 'run-changed'; run: RunSummary }
  | { type: 'run-deleted'; runId: number }
  /** Monitoring of a training run, throttled per run. */
  | { type: 'run-update'; runId: number; update: RunUpdate }
  | {
      type: 'dataset-import';
      jobId: string;
      phase: DatasetImportPhase;
      dataset: DatasetInfo | null; // when done
      error: string | null; // when failed
    }
  | { type: 'dataset-deleted'; datasetId: number }
  /** Generated text as it comes; the last one has done = true. */
  | {
      type: 'generation';
      generationId: string;
      text: string; // the text since the previous event
      tokens: number; // tokens generated so far (the last event's is the total, not a per-event count)
      done: boolean;
      cancelled: boolean;
      error: string | null;
    };

export type StudioEventType = StudioEvent['type'];

export const STUDIO_EVENT_TYPES: readonly StudioEventType[] = [
  'run-changed',
  'run-deleted',
  'run-update',
  'dataset-import',
  'dataset-deleted',
  'generation',
];
