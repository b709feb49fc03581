// What the charts draw and what their tooltip reads: smoothing only where it means something, raw
// values exactly as logged, markers on sparse series.

import { describe, expect, it } from 'vitest';
import { isSmoothable, nearestIndex, seriesLayers, SMOOTH_MIN_POINTS, tooltipAt } from './chart-data';
import type { ChartSeries } from './chart-types';
import { debiasedEma } from './smoothing';

const linear = { logX: false, logY: false };

function series(
  label: string,
  steps: number[],
  y: (step: number) => number,
  smoothable = false,
): ChartSeries {
  return {
    label,
    color: '#112233',
    smoothable,
    points: steps.map((step) => ({ x: step, y: y(step), step })),
  };
}
const range = (from: number, to: number, by = 1): number[] =>
  Array.from({ length: Math.floor((to - from) / by) + 1 }, (_, i) => from + i * by);
/** Noisy values that differ from their average, so smoothing visibly changes them. */
const noisy = (step: number): number => 3 - step / 100 + (step % 2 === 0 ? 0.4 : -0.4);

describe('isSmoothable', () => {
  it('smooths the training loss and gradient norms, never a schedule or an evaluation', () => {
    expect(isSmoothable('train/loss')).toBe(true);
    expect(isSmoothable('grad/global_norm')).toBe(true);
    expect(isSmoothable('grad/layer_3')).toBe(true);
    for (const key of [
      'train/lr',
      'val/loss',
      'val/perplexity',
      'val/accuracy',
      'val/f1_macro',
      'perf/step_ms',
    ])
      expect(isSmoothable(key)).toBe(false);
  });
});

describe('seriesLayers', () => {
  it('smooths a dense smoothable series and keeps its raw points as logged', () => {
    const train = series('train', range(1, 100), noisy, true);
    const [layer] = seriesLayers([train], 0.8, linear);
    expect(layer.points).toEqual(train.points);
    expect(layer.smoothed).toEqual(debiasedEma(train.points, 0.8).map((p) => p.y));
    expect(layer.smoothed?.[50]).not.toBeCloseTo(train.points[50].y, 2);
    expect(layer.radius).toBe(0);
  });

  it('never smooths a series that is not smoothable, whatever the slider says', () => {
    const lr = series('lr', range(1, 300), (s) => Math.min(1, s / 100) * 1e-3);
    const [layer] = seriesLayers([lr], 0.95, linear);
    expect(layer.smoothed).toBeNull();
    expect(layer.points.map((p) => p.y)).toEqual(lr.points.map((p) => p.y));
  });

  it('leaves a sparse series unsmoothed even when it is smoothable, and marks its points', () => {
    const few = series('train', range(1, SMOOTH_MIN_POINTS - 1), noisy, true);
    const [layer] = seriesLayers([few], 0.8, linear);
    expect(layer.smoothed).toBeNull();
    expect(layer.radius).toBeGreaterThan(0);
  });

  it('draws a single point with a marker', () => {
    const [layer] = seriesLayers([series('validation', [100], () => 0.89)], 0.8, linear);
    expect(layer.points).toHaveLength(1);
    expect(layer.radius).toBeGreaterThan(2.5);
  });

  it('is off at smoothing 0', () => {
    const [layer] = seriesLayers([series('train', range(1, 100), noisy, true)], 0, linear);
    expect(layer.smoothed).toBeNull();
  });

  it('drops what the axes cannot show: non-finite values, and non-positive ones on a log axis', () => {
    const s = series('x', [0, 1, 2, 3], (step) => [5, Number.NaN, -1, 2][step]);
    expect(seriesLayers([s], 0, linear)[0].points.map((p) => p.step)).toEqual([0, 2, 3]);
    expect(seriesLayers([s], 0, { logX: true, logY: true })[0].points.map((p) => p.step)).toEqual([3]);
  });
});

describe('nearestIndex', () => {
  it('finds the nearest x, ties going to the lower one', () => {
    const points = [0, 10, 20, 30].map((x) => ({ x }));
    expect(nearestIndex(points, -5)).toBe(0);
    expect(nearestIndex(points, 14)).toBe(1);
    expect(nearestIndex(points, 15)).toBe(1);
    expect(nearestIndex(points, 16)).toBe(2);
    expect(nearestIndex(points, 99)).toBe(3);
    expect(nearestIndex([], 3)).toBe(-1);
  });
});

describe('tooltipAt', () => {
  // One pixel per step: the cursor's pixel is the step under it.
  const px = (x: number): number => x;

  it('shows the raw logged value and the smoothed one at the nearest logged step', () => {
    const train = series('train', range(1, 100), noisy, true);
    const layers = seriesLayers([train], 0.8, linear);
    const tip = tooltipAt(layers, 42.3, px, px, 10);
    expect(tip?.step).toBe(42);
    expect(tip?.rows).toEqual([
      {
        label: 'train',
        color: '#112233',
        step: 42,
        x: 42,
        raw: noisy(42),
        smoothed: debiasedEma(train.points, 0.8)[41].y,
      },
    ]);
  });

  it('gives an unsmoothed series no smoothed value', () => {
    const layers = seriesLayers([series('lr', range(1, 100), (s) => s * 1e-5)], 0.8, linear);
    expect(tooltipAt(layers, 50, px, px, 10)?.rows[0]).toMatchObject({
      step: 50,
      raw: 50e-5,
      smoothed: null,
    });
  });

  it('shows each series at the same step where both were logged, else its nearest point with its step', () => {
    const train = series('train', range(5, 100, 5), noisy, true);
    const val = series('validation', [25, 50, 75, 100], (s) => 2 - s / 100);
    const layers = seriesLayers([train, val], 0.8, linear);
    const both = tooltipAt(layers, 51, px, px, 10);
    expect(both?.step).toBe(50);
    expect(both?.rows.map((r) => [r.label, r.step, r.raw])).toEqual([
      ['train', 50, noisy(50)],
      ['validation', 50, 1.5],
    ]);
    const near = tooltipAt(layers, 56, px, px, 10);
    expect(near?.step).toBe(55);
    expect(near?.rows.map((r) => [r.label, r.step])).toEqual([
      ['train', 55],
      ['validation', 50],
    ]);
    // Too far from any validation point: the row is left out rather than borrowed from afar.
    expect(tooltipAt(layers, 64, px, px, 5)?.rows.map((r) => r.label)).toEqual(['train']);
  });

  it('shows nothing away from every point', () => {
    const layers = seriesLayers([series('validation', [100], () => 0.89)], 0, linear);
    expect(tooltipAt(layers, 10, px, px, 24)).toBeNull();
    expect(tooltipAt(layers, 95, px, px, 24)?.rows[0]).toMatchObject({ step: 100, raw: 0.89 });
  });

  it('names the step when x is another axis (tokens seen)', () => {
    const s: ChartSeries = {
      label: 'train',
      color: '#112233',
      points: [1, 2, 3].map((step) => ({ x: step * 4096, y: step, step })),
    };
    const tip = tooltipAt(seriesLayers([s], 0, linear), 8000, px, px, 200);
    expect(tip).toMatchObject({ step: 2, x: 8192 });
  });
});
