// What a line chart draws for its series, decided so the chart cannot mislead: smoothing only for
// dense, noisy training series (never a schedule such as the learning rate, never a sparse
// evaluation), the raw points always drawn, sparse series drawn with visible points, and the
// tooltip's values read from the raw points themselves (with the smoothed value beside them).

import type { ChartPoint, ChartSeries } from './chart-types';
import { debiasedEma } from './smoothing';

/** Metric keys of dense, noisy training series: logged every few steps, read as a trend. */
export function isSmoothable(key: string): boolean {
  return key === 'train/loss' || key === 'grad/global_norm' || key.startsWith('grad/layer_');
}

/** Fewer points than this are too sparse for an average to mean anything: they are drawn as they are. */
export const SMOOTH_MIN_POINTS = 30;
/** A series of at most this many points is drawn with a marker on each, so a single one shows. */
export const MARKED_MAX_POINTS = 60;

export interface SeriesLayer {
  series: ChartSeries;
  /** The finite, drawable points (positive ones on a log axis), in x order. */
  points: ChartPoint[];
  /** The smoothed value of each of `points`, index for index; null when this series is not smoothed. */
  smoothed: number[] | null;
  /** Marker radius in pixels: 0 for a dense series. */
  radius: number;
}

/** Each series as drawn at smoothing weight `smoothing` (0 is off), on the given axes. */
export function seriesLayers(
  series: readonly ChartSeries[],
  smoothing: number,
  axes: { logX: boolean; logY: boolean },
): SeriesLayer[] {
  return series.map((s) => {
    const points = s.points.filter(
      (p) =>
        Number.isFinite(p.x) && Number.isFinite(p.y) && (!axes.logX || p.x > 0) && (!axes.logY || p.y > 0),
    );
    const smooth = smoothing > 0 && s.smoothable === true && points.length >= SMOOTH_MIN_POINTS;
    return {
      series: s,
      points,
      smoothed: smooth ? debiasedEma(points, smoothing).map((p) => p.y) : null,
      radius: points.length === 1 ? 3.5 : points.length <= MARKED_MAX_POINTS ? 2.5 : 0,
    };
  });
}

/** Index of the point of `points` (sorted by x) nearest to `x`; −1 for no points. */
export function nearestIndex(points: readonly { x: number }[], x: number): number {
  if (points.length === 0) return -1;
  let lo = 0;
  let hi = points.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid].x <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs(points[hi].x - x) < Math.abs(points[lo].x - x) ? hi : lo;
}

export interface TooltipRow {
  label: string;
  color: string;
  step: number;
  x: number;
  raw: number;
  smoothed: number | null;
}

export interface Tooltip {
  x: number;
  step: number;
  rows: TooltipRow[];
}

/**
 * What the tooltip shows with the cursor at pixel `cursor`: the logged point nearest to it (of any
 * series) sets the step, and each series gives its own point there, or its nearest one within
 * `reach` pixels (with its own step); `toPixel` maps x to pixels. Null when nothing is within reach.
 */
export function tooltipAt(
  layers: readonly SeriesLayer[],
  cursor: number,
  toPixel: (x: number) => number,
  toValue: (pixel: number) => number,
  reach: number,
): Tooltip | null {
  const at = toValue(cursor);
  const nearest = layers.map((layer) => {
    const i = nearestIndex(layer.points, at);
    return i < 0 ? null : { layer, i, distance: Math.abs(toPixel(layer.points[i].x) - cursor) };
  });
  let anchor: { x: number; step: number; distance: number } | null = null;
  for (const n of nearest) {
    if (n === null || n.distance > reach || (anchor !== null && n.distance >= anchor.distance)) continue;
    const p = n.layer.points[n.i];
    anchor = { x: p.x, step: p.step, distance: n.distance };
  }
  if (anchor === null) return null;
  const rows: TooltipRow[] = [];
  for (const n of nearest) {
    if (n === null) continue;
    const there = nearestIndex(n.layer.points, anchor.x);
    const i = n.layer.points[there].x === anchor.x ? there : n.distance <= reach ? n.i : -1;
    if (i < 0) continue;
    const p = n.layer.points[i];
    rows.push({
      label: n.layer.series.label,
      color: n.layer.series.color,
      step: p.step,
      x: p.x,
      raw: p.y,
      smoothed: n.layer.smoothed === null ? null : n.layer.smoothed[i],
    });
  }
  return { x: anchor.x, step: anchor.step, rows };
}
