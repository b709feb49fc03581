// Whole-buffer reductions for gradient clipping: the squared L2 norm and an in-place scale.

/**
 * Σ x² over n values. The sum runs in a JS number (float64): a model has millions of gradient
 * values, and a float32 running sum would stop growing once the terms fall below its last bit.
 */
export function sumSquares(
  x: Float32Array, // (n)
  n: number,
): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i] * x[i];
  return s;
}

/** x *= s */
export function scale(
  x: Float32Array, // (n)
  s: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) x[i] *= s;
}
