// The rules of a run config, written once: which engine trains a run and which settings belong
// to which engine, how many threads a builtin run may train on, and the limits of those settings.
// The CLI (naming settings `--threads`), the studio's API (`threads`), the engine's setup and the
// form's checks all ask here; the defaults a run gets are in run-defaults.ts.
//
// Engines: `builtin` (this engine, worker threads on this machine's CPU: backend, threads) or
// `pytorch` (the Python program under torch.distributed: device, processes, and for several
// machines nnodes / node rank / master).
//
// Threads: a thread is a data-parallel replica on the wasm backend, each training a slice of every
// batch; the ts backend trains on one.

import type { BackendName } from '../math/backend';

/** The numeric backends of the builtin engine (wasm: SIMD, fast; ts: the readable reference). */
export const BACKENDS = ['ts', 'wasm'] as const satisfies readonly BackendName[];

export const ENGINES = ['builtin', 'pytorch'] as const;
export type EngineName = (typeof ENGINES)[number];

export const DEVICE_CHOICES = ['auto', 'cpu', 'cuda', 'mps'] as const;
/** auto: CUDA where torch sees a GPU, else MPS where there is one, else the CPU. */
export type DeviceChoice = (typeof DEVICE_CHOICES)[number];

/** Most ranks one machine may start. */
export const MAX_PROCESSES = 64;

/** The engine settings of a run, each present only where it was given. */
export interface EngineSettings {
  engine: EngineName;
  device?: DeviceChoice;
  processes?: number;
  threads?: number;
  backend?: string;
  nnodes?: number;
  nodeRank?: number;
  master?: string;
}

export type EngineSetting = Exclude<keyof EngineSettings, 'engine'>;

const BUILTIN_ONLY: readonly EngineSetting[] = ['threads', 'backend'];
const PYTORCH_ONLY: readonly EngineSetting[] = ['device', 'processes', 'nnodes', 'nodeRank', 'master'];

export interface EngineSettingProblem {
  setting: EngineSetting;
  message: string;
}

/**
 * What is wrong with a run's engine settings: a setting the chosen engine lacks, or a machine
 * layout that cannot be (a node rank outside the run, several machines without a master).
 * `name` renders a setting as the caller's user typed it.
 */
export function engineSettingProblems(
  s: EngineSettings,
  name: (setting: EngineSetting) => string,
): EngineSettingProblem[] {
  const problems: EngineSettingProblem[] = [];
  const other = s.engine === 'builtin' ? 'pytorch' : 'builtin';
  for (const setting of s.engine === 'builtin' ? PYTORCH_ONLY : BUILTIN_ONLY) {
    if (s[setting] === undefined) continue;
    problems.push({
      setting,
      message:
        s.engine === 'builtin'
          ? `${name(setting)} is a setting of the pytorch engine; the builtin engine trains on this machine's CPU (choose engine pytorch, or leave ${name(setting)} out)`
          : `${name(setting)} is a setting of the builtin engine; the pytorch engine ${setting === 'threads' ? `runs ${name('processes')} ranks instead` : 'uses torch'} (leave ${name(setting)} out, or choose engine ${other})`,
    });
  }
  if (s.engine !== 'pytorch') return problems;
  const nnodes = s.nnodes ?? 1;
  if (s.nodeRank !== undefined && s.nodeRank >= nnodes) {
    problems.push({
      setting: 'nodeRank',
      message: `${name('nodeRank')} ${s.nodeRank} is outside the run: with ${name('nnodes')} ${nnodes} the machines are numbered 0 to ${nnodes - 1}`,
    });
  }
  if (nnodes > 1 && s.master === undefined) {
    problems.push({
      setting: 'master',
      message: `${name('nnodes')} ${nnodes} needs ${name('master')} HOST:PORT, the address of the machine with ${name('nodeRank')} 0, the same on every machine`,
    });
  }
  return problems;
}

/** Most training threads a run may ask for. */
export const MAX_TRAINING_THREADS = 64;

export interface ThreadsSetting {
  backend: BackendName;
  threads: number;
  /** The batch's sequences; null where the batch is itself invalid (its own message says so). */
  batchSize: number | null;
}

export type ThreadsField = 'threads' | 'backend';

/** What is wrong with a run's thread count; `name` renders a setting as the caller's user typed it. */
export function threadsProblems(s: ThreadsSetting, name: (field: ThreadsField) => string): string[] {
  const problems: string[] = [];
  if (s.threads > 1 && s.backend !== 'wasm') {
    problems.push(
      `${name('threads')} ${s.threads} needs ${name('backend')} wasm: the ${s.backend} backend trains on one thread (choose ${name('threads')} 1, or leave it out)`,
    );
  }
  if (s.batchSize !== null && s.threads > s.batchSize) {
    problems.push(
      `${s.threads} threads need a batch of at least ${s.threads} sequences (it is ${s.batchSize}): each thread trains on a slice of the batch`,
    );
  }
  return problems;
}

/**
 * The threads a run gets when it does not say: on wasm the cores it may use, at most one per
 * sequence of the batch; on ts one.
 */
export function defaultThreads(backend: BackendName, cores: number, batchSize: number): number {
  if (backend !== 'wasm') return 1;
  return Math.max(1, Math.min(cores, batchSize, MAX_TRAINING_THREADS));
}
