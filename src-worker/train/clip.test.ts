// The clip factor: torch's clip_grad_norm_ rule, and no scaling where it must not apply.
import { describe, expect, it } from 'vitest';
import { clipFactor } from './clip';

describe('clipFactor', () => {
  it('brings a norm above the limit down to the limit', () => {
    expect(clipFactor(4, 1)).toBeCloseTo(1 / (4 + 1e-6), 12);
    expect(4 * clipFactor(4, 1)).toBeLessThanOrEqual(1);
  });

  it('leaves a gradient within the limit, a disabled limit and a non-finite norm alone', () => {
    expect(clipFactor(0.5, 1)).toBe(1);
    expect(clipFactor(0, 1)).toBe(1);
    expect(clipFactor(50, 0)).toBe(1);
    expect(clipFactor(Number.NaN, 1)).toBe(1);
    expect(clipFactor(Infinity, 1)).toBe(1);
  });
});
