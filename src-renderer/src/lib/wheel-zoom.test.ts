// Wheel zoom math: the value under the cursor stays put, zooming in and out again round-trips,
// the range never leaves the data and has a floor, log axes scale their logarithms.

import { describe, expect, it } from 'vitest';
import { MIN_SPAN_FRACTION, valueAtFraction, wheelScale, xExtent, zoomAround } from './wheel-zoom';

const whole = { min: 0, max: 1000 };

describe('wheelScale', () => {
  it('zooms in for a wheel up, out for a wheel down, the same amount either way', () => {
    expect(wheelScale(-100, 0)).toBeLessThan(1);
    expect(wheelScale(100, 0)).toBeGreaterThan(1);
    expect(wheelScale(100, 0) * wheelScale(-100, 0)).toBeCloseTo(1, 12);
    expect(wheelScale(0, 0)).toBe(1);
  });

  it('reads lines and pages as pixels and caps one event', () => {
    expect(wheelScale(3, 1)).toBeCloseTo(wheelScale(48, 0), 12);
    expect(wheelScale(1, 2)).toBe(wheelScale(10_000, 0));
    expect(wheelScale(10_000, 0)).toBeCloseTo(Math.exp(0.4), 12);
  });
});

describe('zoomAround', () => {
  it('keeps the value under the cursor at the same place in the range', () => {
    const shown = { min: 200, max: 600 };
    const next = zoomAround(shown, 300, 0.5, whole);
    expect(next).toEqual({ min: 250, max: 450 });
    // 300 was a quarter of the way across; it still is.
    const r = next ?? whole;
    expect((300 - r.min) / (r.max - r.min)).toBeCloseTo(0.25, 12);
  });

  it('round-trips: zooming in and out again by the inverse factor restores the range', () => {
    const shown = { min: 100, max: 900 };
    const zoomedIn = zoomAround(shown, 700, 0.8, whole) ?? whole;
    const back = zoomAround(zoomedIn, 700, 1 / 0.8, whole);
    expect(back?.min).toBeCloseTo(100, 9);
    expect(back?.max).toBeCloseTo(900, 9);
  });

  it('shifts a range that would leave the data back inside, and resets once it covers it all', () => {
    expect(zoomAround({ min: 0, max: 100 }, 10, 1.5, whole)).toEqual({ min: 0, max: 150 });
    expect(zoomAround({ min: 900, max: 1000 }, 990, 1.5, whole)).toEqual({ min: 850, max: 1000 });
    expect(zoomAround({ min: 100, max: 900 }, 500, 1.3, whole)).toBeNull();
    expect(zoomAround(whole, 500, 1.01, whole)).toBeNull();
  });

  it('stops at the narrowest span and treats a cursor outside the range as its edge', () => {
    const tiny = zoomAround({ min: 500, max: 500.2 }, 500.1, 0.01, whole) ?? whole;
    expect(tiny.max - tiny.min).toBeCloseTo(1000 * MIN_SPAN_FRACTION, 9);
    expect(zoomAround({ min: 200, max: 600 }, -50, 0.5, whole)).toEqual({ min: 200, max: 400 });
  });

  it('starts from the whole extent when the range shown lies outside the data', () => {
    expect(zoomAround({ min: 2000, max: 3000 }, 500, 0.5, whole)).toEqual({ min: 250, max: 750 });
  });

  it('scales the logarithms on a log axis, so the cursor keeps its place there', () => {
    const next = zoomAround({ min: 1, max: 10_000 }, 100, 0.5, { min: 1, max: 10_000 }, true);
    expect(next?.min).toBeCloseTo(10, 9);
    expect(next?.max).toBeCloseTo(1000, 9);
  });

  it('has nothing to zoom in an empty or flat extent', () => {
    expect(zoomAround(whole, 5, 0.5, { min: 5, max: 5 })).toBeNull();
    expect(zoomAround(whole, 5, 0.5, { min: 0, max: 10 }, true)).toBeNull(); // log 0 is -∞
  });
});

describe('valueAtFraction and xExtent', () => {
  it('maps a fraction of the plot to x, linearly or logarithmically', () => {
    expect(valueAtFraction({ min: 100, max: 300 }, 0.25)).toBe(150);
    expect(valueAtFraction({ min: 1, max: 10_000 }, 0.5, true)).toBeCloseTo(100, 9);
  });

  it('finds the finite extent of the points, positive ones only for a log axis', () => {
    const points = [{ x: 3 }, { x: Number.NaN }, { x: -2 }, { x: 0 }, { x: 40 }];
    expect(xExtent(points)).toEqual({ min: -2, max: 40 });
    expect(xExtent(points, true)).toEqual({ min: 3, max: 40 });
    expect(xExtent([])).toBeNull();
  });
});
