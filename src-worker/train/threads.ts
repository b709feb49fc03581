// How many threads a run trains on, and the rules for it, written once: the studio's check of a
// run config, its default config, the CLI and the engine's setup all ask here. A thread is a
// data-parallel replica on the wasm backend, each training a slice of every batch.

import type { BackendName } from '../math/backend';

/** Most training threads a run may ask for. */
export const MAX_TRAINING_THREADS = 64;

/** A run's threads where its config does not say (configs made before threads were a setting). */
export const DEFAULT_TRAINING_THREADS = 1;

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
