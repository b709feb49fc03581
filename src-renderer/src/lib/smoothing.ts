// Debiased exponential moving average for noisy training curves (the smoothing TensorBoard uses):
// an EMA whose early values are divided by 1 − w^n, so the line starts at the data, not at zero.

export interface XY {
  x: number;
  y: number;
}

/**
 * Smooths `points` with weight `weight` in [0, 1): 0 returns the points unchanged. Non-finite values
 * pass through as they are and do not enter the average, so one NaN does not erase the curve.
 */
export function debiasedEma(points: readonly XY[], weight: number): XY[] {
  if (!(weight >= 0 && weight < 1)) throw new RangeError(`smoothing weight must be in [0, 1); got ${weight}`);
  if (weight === 0) return points.map((p) => ({ x: p.x, y: p.y }));
  const out: XY[] = [];
  let biased = 0;
  let n = 0;
  for (const p of points) {
    if (!Number.isFinite(p.y)) {
      out.push({ x: p.x, y: p.y });
      continue;
    }
    biased = biased * weight + (1 - weight) * p.y;
    n += 1;
    out.push({ x: p.x, y: biased / (1 - weight ** n) });
  }
  return out;
}
