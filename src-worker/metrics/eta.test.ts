// ETA and throughput arithmetic on hand-computed step times.
import { describe, expect, it } from 'vitest';
import { EtaEstimator } from './eta';
import { MetricArgumentError } from './errors';

describe('EtaEstimator', () => {
  it('multiplies the debiased EMA of step time by the steps left', () => {
    // β = ½, steps of 2 s then 4 s: debiased EMA = (½·1 + ½·4)/(1 − ¼) = 10/3 s per step.
    // After 2 of 10 steps, 8 remain: 8 · 10/3 = 80/3 s. Tokens 1000 per step: 1000 / (10/3) = 300/s.
    const eta = new EtaEstimator(0.5);
    eta.observe(2, 1000);
    expect(eta.etaSeconds(1, 10)).toBe(18); // 9 steps × 2 s
    eta.observe(4, 1000);
    expect(eta.secondsPerStep()).toBeCloseTo(10 / 3, 15);
    expect(eta.etaSeconds(2, 10)).toBeCloseTo(80 / 3, 14);
    expect(eta.tokensPerSecond()).toBeCloseTo(300, 12);
  });

  it('follows a change of pace at the rate β sets', () => {
    // β = 0: the last step alone.
    const eta = new EtaEstimator(0);
    eta.observe(1, 10);
    eta.observe(3, 30);
    expect(eta.etaSeconds(5, 7)).toBe(6);
    expect(eta.tokensPerSecond()).toBe(10);
  });

  it('is 0 when the run is done and NaN before any step', () => {
    const eta = new EtaEstimator();
    expect(eta.etaSeconds(10, 10)).toBe(0);
    expect(eta.etaSeconds(3, 10)).toBeNaN();
    expect(eta.tokensPerSecond()).toBeNaN();
    eta.observe(1, 1);
    eta.reset();
    expect(eta.secondsPerStep()).toBeNaN();
  });

  it('rejects negative durations and step counts', () => {
    const eta = new EtaEstimator();
    expect(() => eta.observe(-1, 10)).toThrow(MetricArgumentError);
    expect(() => eta.etaSeconds(-1, 10)).toThrow(MetricArgumentError);
    expect(() => new EtaEstimator(1)).toThrow(MetricArgumentError);
  });
});
