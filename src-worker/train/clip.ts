// Global gradient-norm clipping: the norm is measured over every gradient at once and reported
// before clipping, so charts show what the model really produced.

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
