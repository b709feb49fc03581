// Perplexity values and the overflow flag, and the loss accumulator's batching.
import { describe, expect, it } from 'vitest';
import { LossAccumulator, perplexity } from './perplexity';
import { MetricArgumentError } from './errors';

describe('perplexity', () => {
  it('is exp of the mean loss', () => {
    expect(perplexity(0)).toEqual({ value: 1, overflowed: false });
    // A uniform guess over 4 tokens has loss ln 4, i.e. perplexity 4.
    expect(perplexity(Math.log(4)).value).toBeCloseTo(4, 14);
    expect(perplexity(Math.log(50257)).value).toBeCloseTo(50257, 9);
  });

  it('overflows to Infinity with the flag set, only past the largest finite exp', () => {
    expect(perplexity(709)).toEqual({ value: Math.exp(709), overflowed: false });
    expect(Number.isFinite(perplexity(709.78).value)).toBe(true);
    expect(perplexity(710)).toEqual({ value: Infinity, overflowed: true });
    expect(perplexity(Infinity)).toEqual({ value: Infinity, overflowed: true });
  });

  it('keeps NaN a NaN, not an overflow', () => {
    const p = perplexity(Number.NaN);
    expect(p.value).toBeNaN();
    expect(p.overflowed).toBe(false);
  });
});

describe('LossAccumulator', () => {
  it('averages per-row losses over batches', () => {
    const acc = new LossAccumulator();
    expect(acc.mean()).toBeNaN();
    acc.add(Float32Array.from([1, 2, 999]), 2); // only the first 2 rows count
    acc.add(Float32Array.from([0.5, 0.5]), 2);
    expect(acc.rows).toBe(4);
    expect(acc.mean()).toBe(1); // (1 + 2 + 0.5 + 0.5) / 4
    expect(acc.perplexity().value).toBeCloseTo(Math.E, 15);
    acc.reset();
    expect(acc.rows).toBe(0);
  });

  it('rejects a row count beyond the buffer', () => {
    expect(() => new LossAccumulator().add(new Float32Array(2), 3)).toThrow(MetricArgumentError);
  });
});
