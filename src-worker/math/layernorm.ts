// LayerNorm over the last dimension (eps = 1e-5), forward and backward. Forward saves each row's
// mean and reciprocal standard deviation so backward need not recompute them.

const LAYERNORM_EPS = 1e-5;

/** out = (inp − mean)·rstd·weight + bias per row, rstd = 1/√(var + eps), var biased (÷C). */
export function layernormForward(
  out: Float32Array, // (N,C)
  mean: Float32Array, // (N)
  rstd: Float32Array, // (N)
  inp: Float32Array, // (N,C)
  weight: Float32Array, // (C)
  bias: Float32Array, // (C)
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const x = n * C;
    let sum = 0;
    for (let i = 0; i < C; i++) sum += inp[x + i];
    const m = sum / C;
    // Two passes (mean first, then squared deviations) instead of E[x²] − E[x]², which cancels
    // catastrophically when the mean is large compared with the spread.
    let sq = 0;
    for (let i = 0; i < C; i++) {
      const d = inp[x + i] - m;
      sq += d * d;
    }
    const s = 1 / Math.sqrt(sq / C + LAYERNORM_EPS);
    for (let i = 0; i < C; i++) out[x + i] = (inp[x + i] - m) * s * weight[i] + bias[i];
    mean[n] = m;
    rstd[n] = s;
  }
}

/**
 * Per row, with norm_i = (x_i − μ)·r (r = rstd) and y_i = norm_i·w_i + b_i:
 *   dbias_i   += dy_i
 *   dweight_i += norm_i·dy_i
 *   dnorm_i    = w_i·dy_i
 * μ and r depend on every x_j: ∂μ/∂x_j = 1/C and ∂r/∂x_j = −r³·(x_j − μ)/C = −r²·norm_j/C, so
 *   ∂norm_i/∂x_j = r·(δ_ij − 1/C − norm_i·norm_j/C)
 *   dx_j = Σ_i dnorm_i·∂norm_i/∂x_j = r·(dnorm_j − mean(dnorm) − norm_j·mean(dnorm·norm)).
 * The two row means are the only coupling between channels, so the row costs two passes.
 */
export function layernormBackward(
  dinp: Float32Array, // (N,C)
  dweight: Float32Array, // (C)
  dbias: Float32Array, // (C)
  dout: Float32Array, // (N,C)
  inp: Float32Array, // (N,C)
  weight: Float32Array, // (C)
  mean: Float32Array, // (N)
  rstd: Float32Array, // (N)
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const x = n * C;
    const m = mean[n];
    const r = rstd[n];
    let dnormSum = 0;
    let dnormNormSum = 0;
    for (let i = 0; i < C; i++) {
      const dnorm = weight[i] * dout[x + i];
      dnormSum += dnorm;
      dnormNormSum += dnorm * (inp[x + i] - m) * r;
    }
    const dnormMean = dnormSum / C;
    const dnormNormMean = dnormNormSum / C;
    for (let i = 0; i < C; i++) {
      const dy = dout[x + i];
      const norm = (inp[x + i] - m) * r;
      dbias[i] += dy;
      dweight[i] += norm * dy;
      dinp[x + i] += (weight[i] * dy - dnormMean - norm * dnormNormMean) * r;
    }
  }
}
