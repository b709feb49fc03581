// sumSquares and scale (gradient clipping) on every backend.
import { describe, expect, it } from 'vitest';
import { availableBackends } from './backends';

describe.each(await availableBackends())('norm kernels on the $name backend', (backend) => {
  it('sumSquares sums x² over exactly n values', () => {
    const x = backend.allocF32(4);
    x.set([3, -4, 12, 100]);
    expect(backend.sumSquares(x, 3)).toBe(169);
    expect(backend.sumSquares(x, 0)).toBe(0);
  });

  it('sumSquares accumulates in double precision', () => {
    // 10⁴² = 1e8, then 1000 ones: a float32 running sum stays at 1e8 (its spacing there is 8).
    const x = backend.allocF32(1001);
    x.fill(1);
    x[0] = 1e4;
    expect(backend.sumSquares(x, 1001)).toBe(100_001_000);
  });

  it('scale multiplies exactly n values in place', () => {
    const x = backend.allocF32(4);
    x.set([2, -6, 0.5, 7]);
    backend.scale(x, 0.5, 3);
    expect(Array.from(x)).toEqual([1, -3, 0.25, 7]);
  });
});
