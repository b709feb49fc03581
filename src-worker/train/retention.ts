// Which checkpoints of a run to keep: the last N, the best by validation loss, every M-th step,
// and the ones a person pinned. A pure decision over a list, so the CLI and the studio share it.

export interface RetentionPolicy {
  keepLast: number; // the N newest checkpoints (≥ 1: the newest good one is never deleted)
  keepBest: boolean; // the checkpoint with the lowest validation loss
  keepEvery: number; // checkpoints whose step is a multiple of M; 0 = off
}

export const DEFAULT_RETENTION: Readonly<RetentionPolicy> = { keepLast: 3, keepBest: true, keepEvery: 0 };

export interface RetainedCheckpoint {
  id: string; // a path or a database id
  step: number;
  valLoss: number | null; // validation loss measured at this step, if any
  finite: boolean; // its weights hold no NaN or Inf (such a checkpoint is never "best")
  pinned: boolean;
}

/** The checkpoint that counts as best: lowest finite validation loss among finite weights. */
export function bestCheckpoint<T extends RetainedCheckpoint>(list: readonly T[]): T | null {
  let best: T | null = null;
  for (const c of list) {
    if (!c.finite || c.valLoss === null || !Number.isFinite(c.valLoss)) continue;
    if (
      best === null ||
      c.valLoss < (best.valLoss as number) ||
      (c.valLoss === best.valLoss && c.step > best.step)
    ) {
      best = c;
    }
  }
  return best;
}

/**
 * Splits `list` into the checkpoints to keep and to delete under `policy`. Call it only after the
 * newest checkpoint has been written and verified, so that pruning never leaves a run without a
 * good checkpoint.
 */
export function planRetention<T extends RetainedCheckpoint>(
  list: readonly T[],
  policy: RetentionPolicy,
): { keep: T[]; remove: T[] } {
  const byStep = [...list].sort((a, b) => b.step - a.step);
  const keep = new Set<T>();
  for (const c of byStep.slice(0, Math.max(1, policy.keepLast))) keep.add(c);
  // The newest checkpoint with finite weights survives even if keepLast is filled by broken ones.
  const newestGood = byStep.find((c) => c.finite);
  if (newestGood) keep.add(newestGood);
  if (policy.keepBest) {
    const best = bestCheckpoint(list);
    if (best) keep.add(best);
  }
  for (const c of list) {
    if (c.pinned) keep.add(c);
    if (policy.keepEvery > 0 && c.step % policy.keepEvery === 0) keep.add(c);
  }
  return { keep: byStep.filter((c) => keep.has(c)), remove: byStep.filter((c) => !keep.has(c)) };
}
