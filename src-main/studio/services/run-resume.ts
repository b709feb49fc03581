// Resuming a run: a paused worker simply continues; otherwise the run is queued to start from a
// checkpoint (by default its newest one that verifies, see resume-point.ts). From an older checkpoint the later history is cut,
// or — mode 'fork' — a new run is made that shares the history up to that step. A new length
// (`steps`) or another engine (`engine`) is validated like any config and stored with the run
// before it is queued.

import { unlink } from 'node:fs/promises';
import { StudioError } from '../../api';
import type { RunConfig, RunSummary } from '../../api';
import { cutHistory, forkRun } from '../history';
import { requireCheckpoint, requireDataset, requireRun } from '../lookups';
import { commandRunElsewhere } from '../remote-control';
import { heldElsewhere } from '../run-liveness';
import { newestVerifiedCheckpoint, skippedEvent } from '../resume-point';
import { onEngine, specFor, withSteps } from '../run-config';
import { runSummary } from '../store';
import { validConfig } from './config-check';
import { emitRunChanged } from './context';
import type { StudioContext } from './context';

/** Runs that may be resumed from a checkpoint (a paused one only when no worker holds it). */
const RESUMABLE = ['paused', 'stopped', 'interrupted', 'failed', 'completed'] as const;

export interface ResumeRequest {
  id: number;
  checkpointId?: number | undefined;
  mode?: 'cut' | 'fork' | undefined;
  steps?: number | undefined;
  engine?: 'builtin' | 'pytorch' | undefined;
}

export async function resumeRun(ctx: StudioContext, i: ResumeRequest): Promise<RunSummary> {
  const { store, manager } = ctx;
  const run = requireRun(store, i.id);
  if (manager.isLive(run.id)) {
    if (i.checkpointId !== undefined || i.steps !== undefined) {
      throw new StudioError(
        'conflict',
        `Run "${run.name}" is training; stop it before resuming it from a checkpoint.`,
      );
    }
    await manager.resume(run.id);
    return runSummary(requireRun(store, run.id));
  }
  if (heldElsewhere(run)) {
    // Another process (a terminal) trains it: it goes on there, from where it paused.
    if (i.checkpointId !== undefined || i.steps !== undefined || i.mode === 'fork') {
      throw new StudioError(
        'conflict',
        `Run "${run.name}" is ${run.status} in another process (pid ${run.owner?.pid}); stop it before resuming it from a checkpoint.`,
      );
    }
    await commandRunElsewhere(store, run, 'resume');
    return runSummary(requireRun(store, run.id));
  }
  if (!(RESUMABLE as readonly string[]).includes(run.status)) {
    throw new StudioError(
      'conflict',
      run.status === 'created'
        ? `Run "${run.name}" has not started yet; start it instead.`
        : `Run "${run.name}" is ${run.status}; it cannot be resumed now.`,
    );
  }
  const point =
    i.checkpointId === undefined
      ? await newestVerifiedCheckpoint(store, run.id)
      : { checkpoint: requireCheckpoint(store, i.checkpointId), skipped: [] };
  const checkpoint = point.checkpoint;
  if (checkpoint !== null && checkpoint.runId !== run.id) {
    throw new StudioError('invalid-input', `Checkpoint ${checkpoint.id} belongs to another run.`);
  }
  if (checkpoint !== null && !checkpoint.finite) {
    throw new StudioError(
      'conflict',
      `The checkpoint of step ${checkpoint.step} holds NaN or infinite weights; resume from an earlier one.`,
    );
  }
  const from = checkpoint?.step ?? 0;
  let edited: RunConfig | null = null;
  if (i.steps !== undefined) {
    if (i.steps <= from) {
      throw new StudioError(
        'invalid-input',
        `steps must be more than ${from}, the step the run resumes from.`,
        [{ field: 'steps', message: `must be more than ${from}` }],
      );
    }
    if (run.config === null) {
      throw new StudioError(
        'conflict',
        `Run "${run.name}" was started from a terminal; change its length there.`,
      );
    }
    edited = validConfig(ctx, withSteps(run.config, i.steps));
  } else if (from >= run.totalSteps) {
    throw new StudioError(
      'conflict',
      `Run "${run.name}" has trained all ${run.totalSteps} steps; give a larger number of steps to train it further.`,
    );
  }
  if (i.engine !== undefined) {
    if (run.config === null) {
      throw new StudioError(
        'conflict',
        `Run "${run.name}" was started from a terminal; continue it there with --resume and --engine.`,
      );
    }
    edited = validConfig(ctx, onEngine(edited ?? run.config, i.engine));
  }
  const checkpointId = checkpoint?.id ?? null;
  /** Queues the run that will train, with its new length or engine if given (inside the transaction). */
  const queue = (id: number): void => {
    if (edited !== null) {
      const config = { ...edited, name: requireRun(store, id).name };
      store.runs.setConfig(
        id,
        config,
        specFor(config, requireDataset(store, config.datasetId)),
        config.train.steps,
      );
    }
    store.runs.enqueue(id, checkpointId);
    for (const skipped of point.skipped) store.events.insert(id, skippedEvent(skipped, from));
  };
  let queued = run.id;
  if (i.mode === 'fork') {
    if (checkpoint === null)
      throw new StudioError('conflict', `Run "${run.name}" has no checkpoint to fork from.`);
    queued = forkRun(store, run, from, ctx.layout.runs, queue);
  } else if (run.step > from || store.checkpoints.list(run.id).some((c) => c.step > from)) {
    const stale = cutHistory(store, run, from, () => queue(run.id));
    // The rows went with the commit; the files of the cut part follow (a leftover is harmless).
    await Promise.all(stale.map((path) => unlink(path).catch(() => undefined)));
  } else {
    store.transaction(() => queue(run.id));
  }
  emitRunChanged(ctx, queued);
  manager.pump();
  return runSummary(requireRun(store, queued));
}
