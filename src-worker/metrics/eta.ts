// Time left in a run, from the debiased EMA of recent step durations times the steps remaining,
// and throughput in tokens per second from the same smoothing.

import { Ema } from './aggregate';
import { ensure } from './errors';

export class EtaEstimator {
  private readonly seconds: Ema;
  private readonly tokens: Ema;

  /** beta in [0, 1): how slowly the estimate follows a change of pace (0.9 ≈ the last ten steps). */
  constructor(beta = 0.9) {
    this.seconds = new Ema(beta);
    this.tokens = new Ema(beta);
  }

  /** Records one finished optimizer step: its wall time and the tokens it processed. */
  observe(seconds: number, tokens: number): void {
    ensure(Number.isFinite(seconds) && seconds >= 0, 'seconds', seconds, 'a finite number ≥ 0');
    ensure(Number.isFinite(tokens) && tokens >= 0, 'tokens', tokens, 'a finite number ≥ 0');
    this.seconds.update(seconds);
    this.tokens.update(tokens);
  }

  /** Smoothed seconds per step; NaN before the first step. */
  secondsPerStep(): number {
    return this.seconds.debiased;
  }

  /** Smoothed tokens per second; NaN before the first step. (Both EMAs share 1 − βᵗ, which cancels.) */
  tokensPerSecond(): number {
    return this.tokens.value / this.seconds.value;
  }

  /**
   * Seconds until `totalSteps` are done when `stepsDone` are (the 0-based index of the next step).
   * 0 once the run is complete; NaN before the first observed step otherwise.
   */
  etaSeconds(stepsDone: number, totalSteps: number): number {
    ensure(Number.isSafeInteger(stepsDone) && stepsDone >= 0, 'stepsDone', stepsDone, 'an integer ≥ 0');
    ensure(Number.isSafeInteger(totalSteps) && totalSteps >= 0, 'totalSteps', totalSteps, 'an integer ≥ 0');
    const remaining = totalSteps - stepsDone;
    return remaining <= 0 ? 0 : remaining * this.secondsPerStep();
  }

  reset(): void {
    this.seconds.reset();
    this.tokens.reset();
  }
}
