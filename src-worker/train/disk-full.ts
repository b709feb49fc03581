// A checkpoint that cannot be written because the disk is full does not end the run: the write is
// atomic, so the previous checkpoint is intact, and the trained state is still in memory. The run
// pauses with this reason, and once space is freed, resuming writes the checkpoint and trains on.

import { CheckpointError } from '../checkpoint/errors';

/**
 * The pause reason when `err` is a full disk while checkpointing step `step`; null for any other
 * error (which the caller rethrows). `lastGood` is the step of the newest checkpoint on disk.
 */
export function diskFullPauseReason(err: unknown, step: number, lastGood: number | null): string | null {
  if (!(err instanceof CheckpointError) || err.code !== 'DISK_FULL') return null;
  const kept =
    lastGood === null
      ? 'No checkpoint of this run is on disk yet'
      : `The checkpoint of step ${lastGood} is kept`;
  return (
    `Paused at step ${step}: the disk is full, so its checkpoint (${err.path}) could not be written. ` +
    `${kept}, and the trained state is held in memory. Free some space, then resume: the checkpoint is written first.`
  );
}
