// Terminal runs are studio runs: `crystalline train --data-dir D` records its run, metrics and
// checkpoints in the studio's database through a HeadlessRecorder, takes the pause / resume / stop
// commands a studio sends it, and `crystalline runs` lists what the database holds. The terminal
// process owns its run while it trains (its pid and start time are on the run's row, see
// run-liveness.ts): a studio shows the run live and leaves it alone while that process lives, and
// the run is interrupted once the process has ended without recording how the run ended.

import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import type { RunFilter, RunSummary } from '../api';
import type { RemoteCommand } from '../../src-worker/cli/extensions';
import type { StreamedTrainingEvent, WrittenCheckpoint } from '../../src-worker/protocol';
import type { DoneEvent, TrainingEvent } from '../../src-worker/train/events';
import type { RunSpec } from '../../src-worker/train/setup';
import { checkpointDirOf, dataDirLayout, defaultDataDir, ensureDataDir } from './data-dir';
import { cutHistory } from './history';
import { orphanedRuns, releaseOrphans } from './run-liveness';
import { RunRecorder } from './run-recorder';
import { defaultSettings, runSummary, Store } from './store';
import { describeDamage, faultOf, isStorageFault, preserveDamaged } from './store/integrity';

export interface HeadlessRunOptions {
  /** The studio's data folder; default: the app's own (see defaultDataDir). */
  dataDir?: string;
  spec: RunSpec;
  /** Shown in the studio's run list; default: the corpus's file name and the date. */
  name?: string;
  /**
   * The checkpoint `--resume` continues from. When the database knows it, that run continues
   * (what it recorded after the checkpoint's step is cut); else a new run is recorded.
   */
  resumedFrom?: string | null;
}

export interface HeadlessRecorder {
  readonly runId: number;
  /** Where the run's checkpoints belong when the CLI was given no --out. */
  readonly checkpointDir: string;
  /** The training loop's onEvent hook; events are written in batches (one transaction each). */
  onEvent(event: TrainingEvent): void;
  /** After RunCheckpoints.save: the checkpoint written and the files its retention removed. */
  onCheckpoint(saved: WrittenCheckpoint, removed: readonly string[]): void;
  /** The run ended (the loop's done event): completed, early-stopped, halted or stopped (Ctrl-C). */
  finish(done: DoneEvent): void;
  /** The run failed with an error; records it and closes the database. */
  fail(error: unknown): void;
  /** Writes what is pending and closes the database (finish and fail call it). */
  close(): void;
  /** Pause / resume / stop sent by a studio, not done yet (read at most every COMMAND_POLL_MS). */
  pendingCommands(): RemoteCommand[];
  /** The run paused (its checkpoint written) or went on, as `command` asked. */
  onPauseState(state: 'paused' | 'running', step: number, command: RemoteCommand): void;
}

/** Events wait at most this long, or this many, before they are written. */
const FLUSH_MS = 250;
const FLUSH_EVENTS = 500;
/** How often a training run looks for commands between steps (a query on an index). */
const COMMAND_POLL_MS = 100;

function openStore(dataDir: string): Store {
  const layout = ensureDataDir(dataDir);
  return Store.open(layout.database, defaultSettings(availableParallelism()));
}

/** Records a run started from a terminal in the studio's database; call before training starts. */
export function recordHeadlessRun(options: HeadlessRunOptions): HeadlessRecorder {
  const dataDir = options.dataDir ?? defaultDataDir();
  const layout = dataDirLayout(dataDir);
  const store = openStore(dataDir);
  const spec = options.spec;
  const known = options.resumedFrom ? store.checkpoints.byPath(options.resumedFrom) : null;
  const source = spec.data.kind === 'sample' ? 'sample corpus' : basename(spec.data.path);
  let runId: number;
  if (known !== null) {
    runId = known.runId;
    const run = store.runs.get(runId);
    const later =
      run !== null &&
      (run.step > known.step || store.checkpoints.list(runId).some((c) => c.step > known.step));
    if (run !== null && later) cutHistory(store, { ...run, spec }, known.step, () => undefined);
    store.runs.setConfig(runId, null, spec, spec.train.steps);
  } else {
    runId = store.runs.insert({
      name: options.name ?? `${source} · ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`,
      origin: 'cli',
      datasetId: null,
      config: null,
      spec,
      dir: join(layout.runs, '{id}'),
      totalSteps: spec.train.steps,
      parentRunId: null,
      forkedAtStep: null,
    });
  }
  const recorder = new RunRecorder(store, runId);
  recorder.recordStart(known === null, {
    step: known?.step ?? 0,
    code: known === null ? 'started' : 'resumed',
    message:
      known === null ? 'Training started from a terminal.' : `Resumed from a terminal at step ${known.step}.`,
  });
  const checkpointDir = checkpointDirOf((store.runs.get(runId) as { dir: string }).dir);
  mkdirSync(checkpointDir, { recursive: true });

  let pending: StreamedTrainingEvent[] = [];
  let lastFlush = Date.now();
  let closed = false;
  let lastCommandPoll = 0;
  let state: 'paused' | 'running' = 'running';
  /** Why the store can no longer be written (a full disk, a damaged file); training goes on. */
  let lost: unknown = null;
  const say = (text: string): void => void process.stderr.write(`crystalline: ${text}\n`);
  /**
   * Runs a write to the store. The first that fails ends recording but not training: the run's
   * checkpoints are still written (each is named as it is), and a damaged file is copied aside.
   */
  const record = (write: () => void): void => {
    if (lost !== null) return;
    try {
      write();
    } catch (err) {
      lost = err;
      pending = [];
      const damage = isStorageFault(err) ? preserveDamaged(layout.database, faultOf(err)) : null;
      say(
        `the run can no longer be recorded in ${layout.database} (${(err as Error).message}); it trains on ` +
          `and its checkpoints are still written.${damage === null ? '' : ' ' + describeDamage(damage)}`,
      );
    }
  };
  const flush = (): void => {
    if (pending.length === 0 || closed) return;
    const events = pending;
    pending = [];
    record(() => recorder.recordEvents(events));
    lastFlush = Date.now();
  };
  const close = (): void => {
    if (closed) return;
    flush();
    closed = true;
    store.close();
  };
  /**
   * The run's outcome after recording was lost: one more try (the space may be back), so the run is
   * not left `running`; if that fails too, the studio marks it interrupted once this process ends.
   */
  const settle = (write: () => void): void => {
    if (lost === null || isStorageFault(lost)) return record(write); // a damaged file is not written again
    try {
      write();
    } catch {
      say(
        `the run's end could not be recorded either; the studio will mark run ${runId} interrupted ` +
          'when it next opens (this process will have ended), and it resumes from its last checkpoint.',
      );
    }
  };
  return {
    runId,
    checkpointDir,
    onEvent(event) {
      if (event.kind === 'done') return; // finish() records it
      if (lost !== null) return;
      pending.push(event);
      if (pending.length >= FLUSH_EVENTS || Date.now() - lastFlush >= FLUSH_MS) flush();
    },
    onCheckpoint(saved, removed) {
      flush();
      if (lost !== null)
        say(`checkpoint of step ${saved.step} written to ${saved.path} (not recorded in the studio).`);
      record(() => recorder.recordCheckpoint(saved, 'periodic', removed));
    },
    finish(done) {
      flush();
      settle(() => recorder.recordDone(done));
      close();
    },
    fail(error) {
      if (closed) return; // finish() already recorded how the run ended
      flush();
      const err = error instanceof Error ? error : new Error(String(error));
      settle(() => {
        const step = store.runs.get(runId)?.step ?? 0;
        recorder.recordFailure(step, 'error', err.message, err.stack ?? null);
      });
      close();
    },
    close,
    pendingCommands() {
      const now = Date.now();
      if (closed || (state === 'running' && now - lastCommandPoll < COMMAND_POLL_MS)) return [];
      lastCommandPoll = now;
      return store.runCommands.pending(runId);
    },
    onPauseState(next, step, command) {
      if (closed) return;
      flush(); // the studio shows every step before the pause
      if (next === state) store.runCommands.markDone(command.id);
      else recorder.recordPauseState(next, step, command.id);
      state = next;
    },
  };
}

/**
 * The runs of a data folder (newest first) for `crystalline runs`; none when it has no database.
 * Runs whose process has ended without recording their end are recorded as interrupted first.
 */
export async function listRecordedRuns(
  dataDir: string = defaultDataDir(),
  filter: RunFilter = {},
): Promise<RunSummary[]> {
  if (!existsSync(dataDirLayout(dataDir).database)) return [];
  const store = openStore(dataDir);
  try {
    await releaseOrphans(store, orphanedRuns(store));
    return store.runs.list(filter).map(runSummary);
  } finally {
    store.close();
  }
}

/** The run list as a plain-text table: id, status, step of total, best validation loss, name. */
export function formatRunTable(runs: readonly RunSummary[]): string {
  const rows = [
    ['ID', 'STATUS', 'STEP', 'BEST VAL', 'NAME'],
    ...runs.map((r) => [
      String(r.id),
      r.status,
      `${r.step}/${r.totalSteps}`,
      r.bestValLoss === null ? '–' : r.bestValLoss.toFixed(4),
      r.name,
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return (
    rows
      .map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]))).join('  '))
      .join('\n') + '\n'
  );
}
