// AdamW (Loshchilov & Hutter): Adam moments with bias correction and weight decay applied to the
// parameter directly, not through the gradient.

/**
 * Step t (1-based) on one tensor:
 *   m = β1·m + (1 − β1)·g          v = β2·v + (1 − β2)·g²
 *   m̂ = m/(1 − β1ᵗ)                v̂ = v/(1 − β2ᵗ)
 *   p -= lr·(m̂/(√v̂ + eps) + weightDecay·p)
 * Bias correction undoes the pull of the zero-initialised moments toward 0 in early steps.
 * Decay is decoupled: it shrinks p in proportion to p, whatever the gradient's scale, which is
 * what distinguishes AdamW from Adam with an L2 term folded into g.
 */
export function adamwUpdate(
  params: Float32Array, // (n)
  grads: Float32Array, // (n)
  m: Float32Array, // (n)
  v: Float32Array, // (n)
  n: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  t: number,
): void {
  const correction1 = 1 - Math.pow(beta1, t);
  const correction2 = 1 - Math.pow(beta2, t);
  for (let i = 0; i < n; i++) {
    const g = grads[i];
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    const mHat = mi / correction1;
    const vHat = vi / correction2;
    const p = params[i];
    params[i] = p - lr * (mHat / (Math.sqrt(vHat) + eps) + weightDecay * p);
  }
}
