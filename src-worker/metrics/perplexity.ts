// Perplexity: exp of the mean cross-entropy loss (nats per token), and an accumulator that averages
// per-row losses over many batches in double precision without keeping them.

import { MetricArgumentError } from './errors';

export interface Perplexity {
  /** exp(mean loss); Infinity when it overflows, NaN when the loss is NaN. */
  value: number;
  /** True when the mean loss is too large for a finite perplexity (a diverged model, not a bug). */
  overflowed: boolean;
}

/** exp overflows a double above a mean loss of ≈ 709.78 nats; the flag says so explicitly. */
export function perplexity(meanLoss: number): Perplexity {
  const value = Math.exp(meanLoss);
  return { value, overflowed: value === Infinity };
}

/** Sums per-row losses across batches; mean and perplexity over every row added. */
export class LossAccumulator {
  private sum = 0;
  private count = 0;

  /** Adds losses[0..n) (the per-row losses crossEntropyForward writes). */
  add(losses: Float32Array, n: number): void {
    if (!(Number.isSafeInteger(n) && n >= 0 && n <= losses.length)) {
      throw new MetricArgumentError('n', n, `an integer in [0, losses.length = ${losses.length}]`);
    }
    for (let i = 0; i < n; i++) this.sum += losses[i];
    this.count += n;
  }

  get rows(): number {
    return this.count;
  }

  /** Mean loss; NaN before any row. */
  mean(): number {
    return this.sum / this.count;
  }

  perplexity(): Perplexity {
    return perplexity(this.mean());
  }

  reset(): void {
    this.sum = 0;
    this.count = 0;
  }
}
