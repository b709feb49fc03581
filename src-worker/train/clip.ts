// Global gradient-norm clipping: the norm is measured over every gradient at once and reported
// before clipping, so charts show what the model really produced.

import type { Backend } from '../math/backend';

export interface ClipResult {
  norm: number; // global L2 norm before clipping (NaN/Infinity when a gradient is not finite)
  clipped: boolean;
}

/**
 * The factor that brings a gradient of global norm `norm` to at most `maxNorm` (0 disables),
 * torch-style: 1 when no clipping is needed or the norm is not finite.
 */
export function clipFactor(norm: number, maxNorm: number): number {
  if (maxNorm <= 0 || !Number.isFinite(norm)) return 1;
  // The 1e-6 keeps the factor finite for an all-zero gradient and matches torch's clip_grad_norm_.
  const factor = maxNorm / (norm + 1e-6);
  return factor >= 1 ? 1 : factor;
}

/** Scales `grads` so their global norm is at most `maxNorm` (0 disables). */
export function clipGradNorm(backend: Backend, grads: Float32Array, maxNorm: number): ClipResult {
  const norm = Math.sqrt(backend.sumSquares(grads, grads.length));
  const factor = clipFactor(norm, maxNorm);
  if (factor === 1) return { norm, clipped: false };
  backend.scale(grads, factor, grads.length);
  return { norm, clipped: true };
}
