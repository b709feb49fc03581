// Streaming aggregators for per-step values: running mean, exponential moving average (raw and
// debiased), per-epoch mean/min/max/last, and tokens per second over a sliding window of steps.
//
// One rule for NaN and ±Infinity everywhere here: such a value is counted apart (`nonFinite`) and
// left out of means, minima, maxima and averages, so one bad step cannot poison a curve for the rest
// of a run; the trainer reports the bad step itself through its own alert. Nothing here allocates
// per value, except EpochAggregator once per finished epoch.

import { ensure } from './errors';

/**
 * The one rule above, in one place: a finite value is taken (by `take`), any other is only counted.
 * `count` and `nonFinite` cover the values given since the last reset.
 */
abstract class FiniteValues {
  private taken = 0;
  private skipped = 0;

  /** Finite values taken. */
  get count(): number {
    return this.taken;
  }

  get nonFinite(): number {
    return this.skipped;
  }

  reset(): void {
    this.taken = 0;
    this.skipped = 0;
    this.clear();
  }

  protected offer(x: number): void {
    if (Number.isFinite(x)) {
      this.taken++;
      this.take(x);
    } else {
      this.skipped++;
    }
  }

  protected abstract take(x: number): void;
  /** Forgets what `take` kept. */
  protected abstract clear(): void;
}

/** Mean of the finite values added since the last reset. */
export class RunningMean extends FiniteValues {
  private sum = 0;

  add(x: number): void {
    this.offer(x);
  }

  /** NaN when no finite value was added. */
  get mean(): number {
    return this.sum / this.count;
  }

  protected take(x: number): void {
    this.sum += x;
  }

  protected clear(): void {
    this.sum = 0;
  }
}

/**
 * Exponential moving average started from 0: value_t = β·value_{t−1} + (1−β)·x_t.
 * `value` is that raw average, biased towards 0 early on; `debiased` divides by (1 − β^t) and is
 * the one to show (Adam's bias correction; TensorBoard's smoothing), e.g. β = 0.5 over 2 then 4
 * gives value 1 then 2.5 and debiased 2 then 10/3. t counts finite updates only.
 */
export class Ema extends FiniteValues {
  private raw = 0;
  private betaPower = 1;

  /** beta in [0, 1): the weight of the past; 0 means "the last value". */
  constructor(readonly beta: number) {
    super();
    ensure(Number.isFinite(beta) && beta >= 0 && beta < 1, 'beta', beta, 'a number in [0, 1)');
  }

  update(x: number): void {
    this.offer(x);
  }

  /** The raw average; 0 before any update. */
  get value(): number {
    return this.raw;
  }

  /** The bias-corrected average; NaN before any update. */
  get debiased(): number {
    return this.count === 0 ? Number.NaN : this.raw / (1 - this.betaPower);
  }

  protected take(x: number): void {
    this.raw = this.beta * this.raw + (1 - this.beta) * x;
    this.betaPower *= this.beta;
  }

  protected clear(): void {
    this.raw = 0;
    this.betaPower = 1;
  }
}

/** One epoch's summary; mean/min/max cover its finite values and are NaN when it had none. */
export interface EpochStats {
  epoch: number;
  /** Finite values seen. */
  count: number;
  mean: number;
  min: number;
  max: number;
  /** The last value added, finite or not. */
  last: number;
  nonFinite: number;
}

/** Groups a per-step series by epoch; epochs arrive in increasing order, each in one run of steps. */
export class EpochAggregator {
  private readonly finished: EpochStats[] = [];
  private epoch = -1; // the open epoch, or the last one closed
  private open = false;
  private sum = 0;
  private count = 0;
  private min = Infinity;
  private max = -Infinity;
  private last = Number.NaN;
  private nonFinite = 0;

  /** Adds one value; when `epoch` moves past the open one, returns that epoch's finished stats. */
  add(epoch: number, value: number): EpochStats | null {
    let closed: EpochStats | null = null;
    if (!(this.open && epoch === this.epoch)) {
      ensure(Number.isSafeInteger(epoch) && epoch >= 0, 'epoch', epoch, 'an integer ≥ 0');
      ensure(epoch > this.epoch, 'epoch', epoch, 'above every epoch already seen (epochs only move forward)');
      closed = this.flush();
      this.epoch = epoch;
      this.open = true;
    }
    this.last = value;
    if (Number.isFinite(value)) {
      this.sum += value;
      this.count++;
      if (value < this.min) this.min = value;
      if (value > this.max) this.max = value;
    } else {
      this.nonFinite++;
    }
    return closed;
  }

  /** The open epoch's stats so far, or null when no epoch is open. */
  current(): EpochStats | null {
    if (!this.open) return null;
    const none = this.count === 0;
    return {
      epoch: this.epoch,
      count: this.count,
      mean: this.sum / this.count,
      min: none ? Number.NaN : this.min,
      max: none ? Number.NaN : this.max,
      last: this.last,
      nonFinite: this.nonFinite,
    };
  }

  /** Closes the open epoch (e.g. at the end of the run) and returns its stats, or null if none is open. */
  flush(): EpochStats | null {
    const stats = this.current();
    if (stats === null) return null;
    this.finished.push(stats);
    this.open = false;
    this.sum = 0;
    this.count = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.last = Number.NaN;
    this.nonFinite = 0;
    return stats;
  }

  /** Every closed epoch, oldest first. */
  history(): readonly EpochStats[] {
    return this.finished;
  }
}

/** Tokens per second over the last `size` steps: Σ tokens / Σ seconds of the window. */
export class ThroughputWindow {
  private readonly tokens: Float64Array; // (size) ring
  private readonly seconds: Float64Array; // (size) ring
  private next = 0;
  private filled = 0;

  constructor(readonly size: number) {
    ensure(Number.isSafeInteger(size) && size >= 1, 'size', size, 'an integer ≥ 1');
    this.tokens = new Float64Array(size);
    this.seconds = new Float64Array(size);
  }

  /** Records one step: tokens processed and its wall time in seconds. */
  add(tokens: number, seconds: number): void {
    ensure(Number.isFinite(tokens) && tokens >= 0, 'tokens', tokens, 'a finite number ≥ 0');
    ensure(Number.isFinite(seconds) && seconds >= 0, 'seconds', seconds, 'a finite number ≥ 0');
    this.tokens[this.next] = tokens;
    this.seconds[this.next] = seconds;
    this.next = (this.next + 1) % this.size;
    if (this.filled < this.size) this.filled++;
  }

  /** NaN before any step. Summed afresh each call (size is small) so no rounding drift builds up. */
  tokensPerSecond(): number {
    let tokens = 0;
    let seconds = 0;
    for (let i = 0; i < this.filled; i++) {
      tokens += this.tokens[i];
      seconds += this.seconds[i];
    }
    return tokens / seconds;
  }

  /** Steps currently in the window. */
  get steps(): number {
    return this.filled;
  }

  reset(): void {
    this.next = 0;
    this.filled = 0;
  }
}
