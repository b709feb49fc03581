// Downsampling that keeps every spike: the points are cut into equal x-buckets and each bucket
// keeps its lowest and highest point (in x order), so a chart of a million points still shows them.

import type { XY } from './smoothing';

/**
 * At most `2 · buckets` points of `points` (sorted by x). Each bucket keeps its minimum and its
 * maximum y; the first and last points are always kept. Short inputs are returned as they are. The
 * points kept are the input's own objects, so what is drawn is what was given.
 */
export function downsampleMinMax<P extends XY>(points: readonly P[], buckets: number): P[] {
  if (!(Number.isInteger(buckets) && buckets >= 1))
    throw new RangeError(`buckets must be ≥ 1; got ${buckets}`);
  if (points.length <= 2 * buckets) return points.slice();
  const first = points[0].x;
  const span = points[points.length - 1].x - first;
  const out: P[] = [];
  let bucket = -1;
  let lo: P | null = null;
  let hi: P | null = null;
  const flush = (): void => {
    if (lo === null || hi === null) return;
    if (lo === hi) out.push(lo);
    else if (lo.x <= hi.x) out.push(lo, hi);
    else out.push(hi, lo);
  };
  for (const p of points) {
    const b = span === 0 ? 0 : Math.min(buckets - 1, Math.floor(((p.x - first) / span) * buckets));
    if (b !== bucket) {
      flush();
      bucket = b;
      lo = p;
      hi = p;
      continue;
    }
    // NaN never wins a comparison, so a bucket of NaN keeps its first point.
    if (lo === null || p.y < lo.y || !Number.isFinite(lo.y)) lo = p;
    if (hi === null || p.y > hi.y || !Number.isFinite(hi.y)) hi = p;
  }
  flush();
  if (out[0] !== points[0]) out.unshift(points[0]);
  const last = points[points.length - 1];
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}
