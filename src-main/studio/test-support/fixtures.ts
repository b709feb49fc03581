// Test support for the backend: temporary data folders, a small corpus, a micro run config that
// trains in a second on the ts backend, and helpers that wait for studio events.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DatasetInfo, RunConfig, RunConfigInput, RunDetail, RunSummary, StudioEvent } from '../../api';
import { generateSampleCorpus } from '../../../src-worker/data/sample-corpus';
import { microTrainConfig } from '../../../src-worker/train/test-run';
import { Studio } from '../studio';
import type { StudioOptions } from '../studio';

/** Built by the vitest global setup (scripts/vitest-global-setup.ts). */
export const WORKER_SCRIPT = resolve('out/engine/worker.js');
export const STUDIO_CHILD = resolve('out/test/studio-child.js');

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `crystalline-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A text file of generated sentences (about `bytes` bytes), for a char-tokenized dataset. */
export function writeCorpus(dir: string, bytes = 40_000, seed = 7, name = 'corpus.txt'): string {
  const path = join(dir, name);
  writeFileSync(path, generateSampleCorpus(seed, bytes));
  return path;
}

/** Imports a corpus written into `dir` (see writeCorpus) as a char-tokenized dataset. */
export async function importCorpus(studio: Studio, dir: string, bytes?: number): Promise<DatasetInfo> {
  const path = writeCorpus(dir, bytes);
  return (await studio.call('datasets.import', { path, tokenizer: { kind: 'char' } })) as DatasetInfo;
}

/** A config that says everything but its threads, which it leaves to the schema's default. */
export type MicroConfig = Omit<RunConfig, 'threads'> & RunConfigInput;

/** A 1-layer, 16-wide model on batches of 4 × 16 tokens: about a millisecond a step. */
export function microConfig(
  datasetId: number,
  steps: number,
  overrides: Partial<MicroConfig> = {},
): MicroConfig {
  return {
    name: 'micro',
    datasetId,
    model: { nLayer: 1, nHead: 2, nEmbd: 16, contextLength: 16 },
    train: microTrainConfig({ steps, evalEvery: 20 }),
    backend: 'ts',
    checkpoints: { every: 20, onBest: false, keepLast: 100, keepBest: true, keepEvery: 0 },
    samples: null,
    ...overrides,
  };
}

export async function openStudio(dataDir: string, options: Partial<StudioOptions> = {}): Promise<Studio> {
  return Studio.open({ dataDir, workerScript: WORKER_SCRIPT, flushMs: 50, heartbeatMs: 200, ...options });
}

/** Resolves with the first event that matches (events seen before the call do not count). */
export function nextEvent<E extends StudioEvent>(
  studio: Studio,
  match: (event: StudioEvent) => event is E,
  timeoutMs = 30_000,
  what = 'the event',
): Promise<E> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const unsubscribe = studio.subscribe((event) => {
      if (!match(event)) return;
      clearTimeout(timer);
      unsubscribe();
      resolvePromise(event);
    });
  });
}

/** Resolves once the run's summary satisfies `ok` (checked now and at each change of the run). */
export function runReaches(
  studio: Studio,
  runId: number,
  ok: (run: RunSummary) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<RunSummary> {
  return new Promise((resolvePromise, reject) => {
    const done = (run: RunSummary): void => {
      clearTimeout(timer);
      unsubscribe();
      resolvePromise(run);
    };
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for run ${runId}: ${what}`));
    }, timeoutMs);
    const unsubscribe = studio.subscribe((event) => {
      if (event.type === 'run-changed' && event.run.id === runId && ok(event.run)) done(event.run);
    });
    studio.call('runs.get', { id: runId }).then((run) => {
      if (ok(run as RunSummary)) done(run as RunSummary);
    }, reject);
  });
}

/** Creates a run of `config`, starts it, and resolves with its summary once it has completed. */
export async function completedRun(studio: Studio, config: RunConfigInput): Promise<RunSummary> {
  const run = (await studio.call('runs.create', { config })) as RunDetail;
  await studio.call('runs.start', { id: run.id });
  return runReaches(studio, run.id, (r) => r.status === 'completed', 'completed');
}

/** Resolves once a training run has reported progress at or past `step`. */
export function progressReaches(
  studio: Studio,
  runId: number,
  step: number,
  timeoutMs = 30_000,
): Promise<unknown> {
  return nextEvent(
    studio,
    (e): e is Extract<StudioEvent, { type: 'run-update' }> =>
      e.type === 'run-update' && e.runId === runId && (e.update.progress?.step ?? 0) >= step,
    timeoutMs,
    `progress of run ${runId} to step ${step}`,
  );
}
