// Early stopping on validation loss: stop after `patience` evaluations that did not improve the
// best loss by more than `minDelta`. Its state is plain data so checkpoints carry it.

import type { EarlyStoppingConfig } from './config';

export interface EarlyStoppingState {
  best: number; // best validation loss so far (Infinity before the first evaluation)
  bestStep: number; // step at which it was reached (-1 before)
  badEvals: number; // evaluations in a row without improvement
}

export function initialEarlyStopping(): EarlyStoppingState {
  return { best: Infinity, bestStep: -1, badEvals: 0 };
}

/**
 * Records one evaluation; returns the new state, whether it improved, and whether to stop.
 * Without a config it still tracks the best loss (the "best" checkpoint needs it) but never stops.
 */
export function observeValidation(
  state: EarlyStoppingState,
  valLoss: number,
  step: number,
  cfg: EarlyStoppingConfig | null,
): { state: EarlyStoppingState; improved: boolean; stop: boolean } {
  const minDelta = cfg?.minDelta ?? 0;
  const improved = Number.isFinite(valLoss) && valLoss < state.best - minDelta;
  const next: EarlyStoppingState = improved
    ? { best: valLoss, bestStep: step, badEvals: 0 }
    : { ...state, badEvals: state.badEvals + 1 };
  const stop = cfg !== null && next.badEvals >= cfg.patience;
  return { state: next, improved, stop };
}
