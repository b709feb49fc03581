// Wheel zoom on a chart's x-axis: how far one wheel event zooms, and the new visible range, scaled
// around the value under the cursor (which stays under it) and kept inside the data.

import type { XRange } from './chart-types';

/** Span change per wheel pixel: a 100-pixel notch zooms by about 20 %. */
const PER_PIXEL = 0.002;
/** Pixels of one wheel "line" and "page" (WheelEvent.deltaMode 1 and 2). */
const LINE_PIXELS = 16;
const PAGE_PIXELS = 400;
/** The narrowest range, as a fraction of the whole: deeper zoom shows nothing more. */
export const MIN_SPAN_FRACTION = 1e-4;

/**
 * The factor one wheel event scales the visible span by: above 1 (wheel down, away from the person)
 * zooms out, below 1 zooms in. One event never changes the span by more than about 1.5×.
 */
export function wheelScale(deltaY: number, deltaMode: number): number {
  const pixels = deltaY * (deltaMode === 1 ? LINE_PIXELS : deltaMode === 2 ? PAGE_PIXELS : 1);
  return Math.exp(Math.max(-200, Math.min(200, pixels)) * PER_PIXEL);
}

/**
 * The range `shown` scaled by `scale` around `at`, kept inside `whole` (the data's extent). On a
 * log axis the scaling is of the logarithms, as the axis draws them. Null when the result covers
 * the whole extent (no zoom), or when the whole extent is empty.
 */
export function zoomAround(
  shown: XRange,
  at: number,
  scale: number,
  whole: XRange,
  log = false,
): XRange | null {
  const to = log ? Math.log : (x: number): number => x;
  const from = log ? Math.exp : (x: number): number => x;
  const lo = to(whole.min);
  const hi = to(whole.max);
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi) || !(scale > 0)) return null;
  let a = Math.max(lo, to(shown.min));
  let b = Math.min(hi, to(shown.max));
  if (!(b > a)) [a, b] = [lo, hi];
  const c = Math.max(a, Math.min(b, to(at)));
  const span = Math.max((b - a) * scale, (hi - lo) * MIN_SPAN_FRACTION);
  if (span >= hi - lo) return null;
  // The cursor's value keeps its place: the same fraction of the range lies left of it.
  const left = (c - a) / (b - a);
  let min = c - span * left;
  let max = min + span;
  if (min < lo) [min, max] = [lo, lo + span];
  if (max > hi) [min, max] = [hi - span, hi];
  return { min: from(min), max: from(max) };
}

/** The x value at `fraction` of the plot's width (0: left edge, 1: right) when it shows `shown`. */
export function valueAtFraction(shown: XRange, fraction: number, log = false): number {
  if (!log) return shown.min + (shown.max - shown.min) * fraction;
  return Math.exp(Math.log(shown.min) + (Math.log(shown.max) - Math.log(shown.min)) * fraction);
}

/** The smallest and largest finite x of the points (positive only on a log axis); null if none. */
export function xExtent(points: Iterable<{ x: number }>, log = false): XRange | null {
  let min = Infinity;
  let max = -Infinity;
  for (const p of points) {
    if (!Number.isFinite(p.x) || (log && p.x <= 0)) continue;
    if (p.x < min) min = p.x;
    if (p.x > max) max = p.x;
  }
  return min <= max ? { min, max } : null;
}
