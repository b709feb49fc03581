// Hand-computed norms and histograms, and the gradient alert detector firing exactly when it should
// (and once per episode), never otherwise.
import { describe, expect, it } from 'vitest';
import { GradientAlertDetector, Histogram, TensorNorms } from './gradient-stats';
import type { GradientAlert, GradientAlertConfig } from './gradient-stats';
import { MetricArgumentError } from './errors';

describe('TensorNorms', () => {
  it('computes each tensor norm and the global norm √Σ‖t‖²', () => {
    // ‖(3, 4)‖ = 5, ‖(1, 2, 2)‖ = 3, global = √(25 + 9) = √34.
    const flat = Float32Array.from([3, 4, 1, 2, 2]);
    const norms = new TensorNorms([
      { name: 'wte', view: flat.subarray(0, 2) },
      { name: 'ln_f.bias', view: flat.subarray(2) },
    ]);
    expect(norms.compute()).toBe(Math.sqrt(34));
    expect(Array.from(norms.norms)).toEqual([5, 3]);
    expect(norms.names).toEqual(['wte', 'ln_f.bias']);
    flat[4] = Number.NaN; // the views follow the buffer
    expect(norms.compute()).toBeNaN();
    expect(norms.norms[0]).toBe(5);
  });

  it('uses the sum-of-squares kernel it is given', () => {
    const calls: number[] = [];
    const norms = new TensorNorms([{ name: 'x', view: new Float32Array(3) }], (_x, n) => {
      calls.push(n);
      return 16;
    });
    expect(norms.compute()).toBe(4);
    expect(calls).toEqual([3]);
  });

  it('refuses two tensors with one name', () => {
    const view = new Float32Array(1);
    expect(
      () =>
        new TensorNorms([
          { name: 'a', view },
          { name: 'a', view },
        ]),
    ).toThrow(MetricArgumentError);
  });
});

describe('Histogram', () => {
  it('spans [min, max] with equal bins, the last one closed, and counts NaN and ±Inf apart', () => {
    // Range [−1, 1] in 4 bins of ½: −1 → bin 0; 0 → bin 2; ½ → bin 3; 1 (= max) → bin 3.
    const h = new Histogram(4);
    h.compute(Float32Array.from([-1, 0, 0.5, 1, Number.NaN, Infinity, -Infinity, Infinity]));
    expect(Array.from(h.edges)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(Array.from(h.counts)).toEqual([1, 0, 1, 2]);
    expect([h.min, h.max, h.nan, h.posInf, h.negInf]).toEqual([-1, 1, 1, 2, 1]);
  });

  it('puts a value on an inner edge in the bin to its right', () => {
    // 0..8 in 4 bins of 2: {0,1} {2,3} {4,5} {6,7,8}.
    const h = new Histogram(4);
    h.compute(Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8]));
    expect(Array.from(h.edges)).toEqual([0, 2, 4, 6, 8]);
    expect(Array.from(h.counts)).toEqual([2, 2, 2, 3]);
  });

  it('centres an all-zero tensor in [−½, ½]', () => {
    const h = new Histogram(4);
    h.compute(new Float32Array(3));
    expect(Array.from(h.edges)).toEqual([-0.5, -0.25, 0, 0.25, 0.5]);
    expect(Array.from(h.counts)).toEqual([0, 0, 3, 0]);
    expect([h.min, h.max]).toEqual([0, 0]);
    const odd = new Histogram(3);
    odd.compute(new Float32Array(5));
    expect(Array.from(odd.counts)).toEqual([0, 5, 0]);
  });

  it('keeps a constant of huge magnitude in range instead of dropping it', () => {
    const h = new Histogram(2);
    h.compute(new Float32Array(4).fill(1e30));
    expect(h.counts[0] + h.counts[1]).toBe(4);
  });

  it('bins nothing when no value is finite', () => {
    const h = new Histogram(2);
    h.compute(Float32Array.from([Number.NaN, -Infinity]));
    expect(Array.from(h.counts)).toEqual([0, 0]);
    expect(Array.from(h.edges)).toEqual([-0.5, 0, 0.5]);
    expect([h.min, h.max, h.nan, h.negInf]).toEqual([Number.NaN, Number.NaN, 1, 1]);
  });

  it('bins only the first n values, replaces old contents, and snapshots a copy', () => {
    const h = new Histogram(2);
    h.compute(Float32Array.from([5, 5, 5, 5]));
    h.compute(Float32Array.from([0, 2, 100]), 2);
    const snap = h.snapshot();
    expect(Array.from(snap.counts)).toEqual([1, 1]);
    expect(Array.from(snap.edges)).toEqual([0, 1, 2]);
    h.compute(Float32Array.from([7]));
    expect(Array.from(snap.counts)).toEqual([1, 1]);
  });
});

describe('GradientAlertDetector', () => {
  const names = ['wte', 'h.0.mlp.c_fc.weight'];
  const off: Partial<GradientAlertConfig> = {
    explosionNorm: Infinity,
    explosionFactor: Infinity,
    vanishingNorm: 0,
  };

  /** Runs one check per global norm (tensor norms 1, 1) and returns every alert with its step. */
  function run(detector: GradientAlertDetector, globals: number[]): GradientAlert[] {
    return globals.flatMap((g, step) => [...detector.check(step, g, Float64Array.from([1, 1]))]);
  }

  it('fires an explosion when the global norm crosses the absolute limit, once per episode', () => {
    const d = new GradientAlertDetector(names, { ...off, explosionNorm: 100 });
    const alerts = run(d, [1, 150, 200, 1, 150, 100]);
    expect(alerts.map((a) => [a.kind, a.step, a.value, a.threshold])).toEqual([
      ['explosion', 1, 150, 100],
      ['explosion', 4, 150, 100],
    ]);
    expect(alerts[0].tensor).toBeUndefined();
    expect(alerts[0].message).toBe(
      'Gradient explosion at step 1: global norm 150 exceeds the limit 100. Lower the learning rate or clip gradients.',
    );
  });

  it('fires when the global norm exceeds k × its recent debiased EMA, after the warmup checks', () => {
    // β = ½, k = 3, warmup 2. Norms 2, 2 → EMA 2; 5 < 3·2 stays quiet; EMA after 2, 2, 5:
    // raw = 1, 1.5, 3.25; debiased = 3.25 / (1 − ⅛) = 26/7. Then 12 > 3·26/7 = 78/7 ≈ 11.14 fires.
    const d = new GradientAlertDetector(names, { ...off, explosionFactor: 3, emaBeta: 0.5, emaWarmup: 2 });
    const alerts = run(d, [2, 2, 5, 12]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].step).toBe(3);
    expect(alerts[0].value).toBe(12);
    expect(alerts[0].threshold).toBeCloseTo(78 / 7, 14);
  });

  it('does not apply the relative test before the EMA has its warmup checks', () => {
    const d = new GradientAlertDetector(names, { ...off, explosionFactor: 3, emaBeta: 0.5, emaWarmup: 2 });
    expect(run(d, [2, 100])).toEqual([]);
  });

  it('fires vanishing when one tensor stays below the floor for N consecutive checks, once', () => {
    const d = new GradientAlertDetector(names, { ...off, vanishingNorm: 1e-3, vanishingChecks: 3 });
    // The second tensor: low, low, recovers, then low ×4. Only the 3rd check of the second streak fires.
    const second = [1e-4, 1e-4, 1, 1e-4, 1e-4, 1e-4, 1e-4];
    const alerts = second.flatMap((n, step) => [...d.check(step, 1, Float64Array.from([1, n]))]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      kind: 'vanishing',
      step: 5,
      tensor: 'h.0.mlp.c_fc.weight',
      value: 1e-4,
      threshold: 1e-3,
    });
  });

  it('reports a non-finite norm with the first tensor holding it, once until norms are finite again', () => {
    const d = new GradientAlertDetector(names, { explosionNorm: 100 });
    const checks: [number, number[]][] = [
      [Number.NaN, [1, Number.NaN]],
      [Number.NaN, [Number.NaN, Number.NaN]],
      [1, [1, 1]],
      [Infinity, [Infinity, 1]],
    ];
    const alerts = checks.flatMap(([g, n], step) => [...d.check(step, g, Float64Array.from(n))]);
    expect(alerts.map((a) => [a.kind, a.step, a.tensor, a.value, a.threshold])).toEqual([
      ['non-finite', 0, 'h.0.mlp.c_fc.weight', Number.NaN, Infinity],
      ['non-finite', 3, 'wte', Infinity, Infinity],
    ]);
  });

  it('stays quiet on a healthy run with the defaults', () => {
    const d = new GradientAlertDetector(names);
    const globals = Array.from({ length: 200 }, (_, i) => 1 + 0.5 * Math.sin(i));
    expect(run(d, globals)).toEqual([]);
  });

  it('reuses its result array and forgets everything on reset', () => {
    const d = new GradientAlertDetector(names, { ...off, explosionNorm: 10 });
    const first = d.check(0, 20, Float64Array.from([1, 1]));
    expect(first).toHaveLength(1);
    expect(d.check(1, 20, Float64Array.from([1, 1]))).toBe(first);
    expect(first).toHaveLength(0);
    d.reset();
    expect(d.check(2, 20, Float64Array.from([1, 1]))).toHaveLength(1);
  });

  it('rejects bad settings and a norm count that does not match the names', () => {
    expect(() => new GradientAlertDetector(names, { explosionFactor: 1 })).toThrow(MetricArgumentError);
    expect(() => new GradientAlertDetector(names, { emaBeta: 1 })).toThrow(MetricArgumentError);
    expect(() => new GradientAlertDetector(names, { vanishingChecks: 0 })).toThrow(MetricArgumentError);
    expect(() => new GradientAlertDetector(names).check(0, 1, new Float64Array(3))).toThrow(
      'one norm per named tensor',
    );
  });
});
