// Whether a run's process lives, read from the run itself (its owner's pid and start time, see
// process-identity.ts), and what becomes of runs whose process ended without saying so (killed,
// crashed, power lost): a training run is `interrupted`, resumable from its last good checkpoint;
// a paused one stays paused. The studio at start-up and while open, and `crystalline runs`, all
// apply this one rule, so none of them calls a dead run `running`.

import { reconcileCheckpoints } from './checkpoint-reconcile';
import { ownerAlive } from './process-identity';
import { RunRecorder } from './run-recorder';
import type { RunRecord, Store } from './store';

/** The statuses a process holds a run in. */
export const HELD_STATUSES = ['running', 'stopping', 'paused'] as const;

/** Whether a live process other than this one holds the run (a terminal run, or another studio's). */
export function heldElsewhere(run: RunRecord): boolean {
  return (
    (HELD_STATUSES as readonly string[]).includes(run.status) &&
    run.owner !== null &&
    run.owner.pid !== process.pid &&
    ownerAlive(run.owner)
  );
}

/** Runs held by another process that has ended since (this process's own are its own to know). */
export function orphanedRuns(store: Store): RunRecord[] {
  return store.runs
    .withStatus(HELD_STATUSES)
    .filter((r) => r.owner !== null && r.owner.pid !== process.pid && !ownerAlive(r.owner));
}

/**
 * Releases runs no live process holds: each one's checkpoint folder is reconciled with the table
 * (a checkpoint written just before the end is kept), a training one becomes `interrupted`, and a
 * paused or queued one keeps its status without an owner. Returns the ids of the runs it changed.
 */
export async function releaseOrphans(store: Store, runs: readonly RunRecord[]): Promise<number[]> {
  const changed: number[] = [];
  for (const run of runs) {
    await reconcileCheckpoints(store, run);
    if (run.status !== 'running' && run.status !== 'stopping') {
      if (run.owner !== null) {
        store.runs.setStatus(run.id, { status: run.status, owner: null });
        changed.push(run.id);
      }
      continue;
    }
    const latest = store.checkpoints.latestGood(run.id);
    const message =
      `Interrupted at step ${run.step}: the process training it ended unexpectedly. ` +
      (latest === null
        ? 'It has no checkpoint yet; resuming starts it again from the beginning.'
        : `Resuming continues from its last checkpoint, at step ${latest.step}.`);
    store.transaction(() => {
      store.runs.setStatus(run.id, { status: 'interrupted', message, stopReason: 'crashed', owner: null });
      store.runCommands.markAllDone(run.id);
      new RunRecorder(store, run.id).lifecycle({
        step: run.step,
        level: 'warning',
        code: 'interrupted',
        message,
      });
    });
    changed.push(run.id);
  }
  return changed;
}
