// Pause, resume and stop of a run that another process trains (a terminal run): the studio writes
// the command into run_commands, the process applies it between steps and marks it done once it
// took effect (paused with a checkpoint, resumed, or ended after its final checkpoint).

import { StudioError } from '../api';
import { heldElsewhere } from './run-liveness';
import type { RunCommandKind, RunRecord, Store } from './store';

const POLL_MS = 50;

/** How long each command may take: a stop runs a final evaluation and writes a checkpoint. */
const TIMEOUT_MS: Record<RunCommandKind, number> = { pause: 30_000, resume: 30_000, stop: 120_000 };

/**
 * Sends `kind` to the process holding `run` and resolves once it took effect, or once that process
 * has let go of the run or died (the caller reads the run's status either way).
 */
export async function commandRunElsewhere(store: Store, run: RunRecord, kind: RunCommandKind): Promise<void> {
  const id = store.runCommands.send(run.id, kind);
  const deadline = Date.now() + TIMEOUT_MS[kind];
  while (!store.runCommands.isDone(id)) {
    const now = store.runs.get(run.id);
    if (now === null || !heldElsewhere(now)) return;
    if (Date.now() > deadline) {
      throw new StudioError(
        'failed',
        `The process training run "${run.name}" (pid ${run.owner?.pid}) has not answered the ${kind} ` +
          `within ${TIMEOUT_MS[kind] / 1000} s; it applies it when it finishes its current step.`,
      );
    }
    await new Promise<void>((resolve) => setTimeout(resolve, POLL_MS));
  }
}
