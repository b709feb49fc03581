// Hand-computed values for the running mean, the raw and debiased EMA, per-epoch summaries and the
// windowed tokens/s, including how each treats NaN.
import { describe, expect, it } from 'vitest';
import { Ema, EpochAggregator, RunningMean, ThroughputWindow } from './aggregate';
import { MetricArgumentError } from './errors';

describe('RunningMean', () => {
  it('averages finite values and counts the others apart', () => {
    const m = new RunningMean();
    expect(m.mean).toBeNaN();
    for (const x of [1, 2, Number.NaN, 6, -Infinity]) m.add(x);
    expect([m.mean, m.count, m.nonFinite]).toEqual([3, 3, 2]);
    m.reset();
    expect([m.count, m.nonFinite]).toEqual([0, 0]);
  });
});

describe('Ema', () => {
  it('starts from 0 and debiases by 1 − βᵗ', () => {
    // β = 1/2. After 2: raw = ½·0 + ½·2 = 1, debiased = 1/(1 − ½) = 2.
    // After 4: raw = ½·1 + ½·4 = 5/2, debiased = (5/2)/(1 − ¼) = 10/3.
    const e = new Ema(0.5);
    expect(e.value).toBe(0);
    expect(e.debiased).toBeNaN();
    e.update(2);
    expect([e.value, e.debiased]).toEqual([1, 2]);
    e.update(4);
    expect(e.value).toBe(5 / 2);
    expect(e.debiased).toBeCloseTo(10 / 3, 15);
  });

  it('debiases a constant series to the constant from the first step', () => {
    // β = 0.9, x = 5: raw = 5(1 − 0.9ᵗ) = 0.5, 0.95, 1.355; debiased = 5 each time.
    const e = new Ema(0.9);
    const raw: number[] = [];
    for (let t = 0; t < 3; t++) {
      e.update(5);
      raw.push(e.value);
      expect(e.debiased).toBeCloseTo(5, 14);
    }
    expect(raw[0]).toBeCloseTo(0.5, 15);
    expect(raw[1]).toBeCloseTo(0.95, 15);
    expect(raw[2]).toBeCloseTo(1.355, 15);
  });

  it('skips non-finite values without counting them as steps', () => {
    const e = new Ema(0.5);
    for (const x of [2, Number.NaN, Infinity, 4]) e.update(x);
    expect(e.debiased).toBeCloseTo(10 / 3, 15);
    expect([e.count, e.nonFinite]).toEqual([2, 2]);
  });

  it('with β = 0 is the last value', () => {
    const e = new Ema(0);
    e.update(7);
    e.update(3);
    expect([e.value, e.debiased]).toEqual([3, 3]);
  });

  it('rejects β outside [0, 1)', () => {
    for (const beta of [1, -0.1, Number.NaN]) expect(() => new Ema(beta)).toThrow(MetricArgumentError);
  });
});

describe('EpochAggregator', () => {
  it('summarises each epoch and hands back the finished one when the next begins', () => {
    const agg = new EpochAggregator();
    expect(agg.current()).toBeNull();
    for (const x of [3, 1, Number.NaN, 2]) expect(agg.add(0, x)).toBeNull();
    const epoch0 = { epoch: 0, count: 3, mean: 2, min: 1, max: 3, last: 2, nonFinite: 1 };
    expect(agg.current()).toEqual(epoch0);
    expect(agg.add(1, 5)).toEqual(epoch0);
    agg.add(1, Number.NaN);
    const epoch1 = { epoch: 1, count: 1, mean: 5, min: 5, max: 5, last: Number.NaN, nonFinite: 1 };
    expect(agg.flush()).toEqual(epoch1);
    expect(agg.flush()).toBeNull();
    expect(agg.history()).toEqual([epoch0, epoch1]);
  });

  it('reports NaN mean/min/max for an epoch without a finite value', () => {
    const agg = new EpochAggregator();
    agg.add(2, Number.NaN);
    expect(agg.current()).toEqual({
      epoch: 2,
      count: 0,
      mean: Number.NaN,
      min: Number.NaN,
      max: Number.NaN,
      last: Number.NaN,
      nonFinite: 1,
    });
  });

  it('refuses an epoch that goes backwards or reopens a closed one', () => {
    const agg = new EpochAggregator();
    agg.add(3, 1);
    expect(() => agg.add(2, 1)).toThrow(MetricArgumentError);
    agg.flush();
    expect(() => agg.add(3, 1)).toThrow('epochs only move forward');
    expect(() => agg.add(4.5, 1)).toThrow('an integer ≥ 0');
  });
});

describe('ThroughputWindow', () => {
  it('divides the tokens of the last `size` steps by their seconds', () => {
    const w = new ThroughputWindow(3);
    expect(w.tokensPerSecond()).toBeNaN();
    w.add(100, 1);
    w.add(200, 1);
    w.add(300, 2);
    expect(w.tokensPerSecond()).toBe(150); // 600 / 4
    w.add(400, 1); // the first step leaves the window: 900 / 4
    expect(w.tokensPerSecond()).toBe(225);
    expect(w.steps).toBe(3);
    w.reset();
    expect(w.tokensPerSecond()).toBeNaN();
  });

  it('rejects negative or non-finite times and counts', () => {
    const w = new ThroughputWindow(2);
    expect(() => w.add(10, -1)).toThrow(MetricArgumentError);
    expect(() => w.add(Number.NaN, 1)).toThrow(MetricArgumentError);
    expect(() => new ThroughputWindow(0)).toThrow(MetricArgumentError);
  });
});
