// Where a run resumes when the person names no checkpoint: the newest one whose file verifies end
// to end (its SHA-256 matches the file's own checksum and the one recorded when it was written)
// and whose weights are finite. Each newer one passed over is reported with the reason, so the run
// view can say why the run went back further than its last checkpoint.

import { verifyCheckpoint } from '../../src-worker/checkpoint/read';
import type { CheckpointInfo } from '../api';
import type { Store } from './store';
import type { NewEvent } from './store/events';

export interface SkippedCheckpoint {
  checkpoint: CheckpointInfo;
  reason: string;
}

export interface ResumePoint {
  /** null: none verifies, the run starts again from step 0. */
  checkpoint: CheckpointInfo | null;
  /** The newer checkpoints passed over, newest first. */
  skipped: SkippedCheckpoint[];
}

/** The newest verified checkpoint of the run, and why each newer one was not it. */
export async function newestVerifiedCheckpoint(store: Store, runId: number): Promise<ResumePoint> {
  const skipped: SkippedCheckpoint[] = [];
  for (const checkpoint of store.checkpoints.list(runId).reverse()) {
    const reason = await whyNot(checkpoint);
    if (reason === null) return { checkpoint, skipped };
    skipped.push({ checkpoint, reason });
  }
  return { checkpoint: null, skipped };
}

async function whyNot(c: CheckpointInfo): Promise<string | null> {
  if (!c.finite) return 'its weights hold NaN or infinite values';
  const verified = await verifyCheckpoint(c.path);
  if (!verified.ok) return verified.error.message;
  if (c.sha256 !== '' && verified.sha256 !== c.sha256) {
    return `${c.path} is not the file written at step ${c.step} (its SHA-256 differs from the one recorded)`;
  }
  return null;
}

/** The run's event for a checkpoint passed over (stored, and listed in the run view). */
export function skippedEvent(s: SkippedCheckpoint, resumesAt: number): NewEvent {
  return {
    step: s.checkpoint.step,
    kind: 'lifecycle',
    level: 'warning',
    code: 'checkpoint-skipped',
    message:
      `The checkpoint of step ${s.checkpoint.step} was skipped: ${s.reason}. ` +
      (resumesAt === 0
        ? 'The run starts again from the beginning.'
        : `The run resumes from step ${resumesAt}.`),
  };
}
