// Causal multi-head self-attention, forward and backward. inp holds q, k and v side by side on
// the last dim (HF GPT-2 c_attn order); head h reads channels [h·hs, (h+1)·hs) of each.

/**
 * For each (b, h, t): preatt[t2] = q_t·k_t2/√hs for t2 ≤ t, att = softmax over those entries,
 * out_t = Σ_t2 att[t2]·v_t2. Entries above the diagonal (t2 > t) are written as 0 in preatt and
 * att, so both buffers are fully defined.
 */
export function attentionForward(
  out: Float32Array, // (B,T,C)
  preatt: Float32Array, // (B,NH,T,T)
  att: Float32Array, // (B,NH,T,T)
  inp: Float32Array, // (B,T,3C)
  B: number,
  T: number,
  C: number,
  NH: number,
): void {
  const C3 = 3 * C;
  const hs = C / NH;
  const scale = 1 / Math.sqrt(hs);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      const keys = b * T * C3 + C + h * hs; // k of position 0; position t2 is t2·C3 further
      const values = keys + C;
      for (let t = 0; t < T; t++) {
        const q = (b * T + t) * C3 + h * hs;
        const row = ((b * NH + h) * T + t) * T;
        // rowDots and weightedRowSum add into their target, so rows start at 0; this also
        // writes the zeros above the diagonal.
        preatt.fill(0, row, row + T);
        att.fill(0, row, row + T);
        rowDots(preatt, row, inp, q, inp, keys, C3, t + 1, hs, scale);

        // The max is subtracted before exp, so the largest exponent is 0 and nothing overflows.
        let max = -Infinity;
        for (let t2 = 0; t2 <= t; t2++) if (preatt[row + t2] > max) max = preatt[row + t2];
        let sum = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          const e = Math.exp(preatt[row + t2] - max);
          att[row + t2] = e;
          sum += e;
        }
        const invSum = 1 / sum;
        for (let t2 = 0; t2 <= t; t2++) att[row + t2] *= invSum;

        const o = (b * T + t) * C + h * hs;
        out.fill(0, o, o + hs);
        weightedRowSum(out, o, att, row, 1, inp, values, C3, t + 1, hs, 1);
      }
    }
  }
}

/**
 * Backward through out = att·v, att = softmax(preatt), preatt = q·kᵀ/√hs, per (b, h):
 *   datt[t,t2]    += dout_t·v_t2
 *   dpreatt[t,t2] += att[t,t2]·(datt[t,t2] − Σ_t3 att[t,t3]·datt[t,t3])
 *     (softmax: ∂att_j/∂pre_i = att_j·(δ_ij − att_i), so dpre_i = att_i·da_i − att_i·Σ_j att_j·da_j;
 *      this is O(T) per row where the written-out Jacobian product is O(T²))
 *   dq_t  += Σ_t2 dpreatt[t,t2]·k_t2/√hs
 *   dk_t2 += Σ_t  dpreatt[t,t2]·q_t/√hs
 *   dv_t2 += Σ_t  att[t,t2]·dout_t
 * with t2 ≤ t throughout. The first pass runs over query rows t (datt, dpreatt, dq); the second
 * over key positions t2 gathers dk and dv down the columns of dpreatt and att from every t ≥ t2,
 * so each gradient element gets one float64 sum added once instead of T float32 scatter updates.
 * datt and dpreatt are read back after accumulating, so scratch that already held values acts
 * as part of the sum.
 */
export function attentionBackward(
  dinp: Float32Array, // (B,T,3C)
  dpreatt: Float32Array, // (B,NH,T,T) scratch, accumulated into
  datt: Float32Array, // (B,NH,T,T) scratch, accumulated into
  dout: Float32Array, // (B,T,C)
  inp: Float32Array, // (B,T,3C)
  att: Float32Array, // (B,NH,T,T)
  B: number,
  T: number,
  C: number,
  NH: number,
): void {
  const C3 = 3 * C;
  const hs = C / NH;
  const scale = 1 / Math.sqrt(hs);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      const queries = b * T * C3 + h * hs; // q of position 0; position t is t·C3 further
      const keys = queries + C;
      const values = keys + C;
      const douts = b * T * C + h * hs; // dout of position 0; position t is t·C further
      const att0 = (b * NH + h) * T * T; // att[t,t2] of this (b,h) is att[att0 + t·T + t2]

      for (let t = 0; t < T; t++) {
        const row = att0 + t * T;
        rowDots(datt, row, dout, douts + t * C, inp, values, C3, t + 1, hs, 1);
        let weighted = 0;
        for (let t2 = 0; t2 <= t; t2++) weighted += att[row + t2] * datt[row + t2];
        for (let t2 = 0; t2 <= t; t2++) dpreatt[row + t2] += att[row + t2] * (datt[row + t2] - weighted);
        weightedRowSum(dinp, queries + t * C3, dpreatt, row, 1, inp, keys, C3, t + 1, hs, scale);
      }

      for (let t2 = 0; t2 < T; t2++) {
        const diag = att0 + t2 * T + t2; // [t2,t2]; [t,t2] for a later t is (t − t2)·T further
        const rows = T - t2; // the queries t = t2 … T−1 that see this key
        const dk = keys + t2 * C3;
        const dv = values + t2 * C3;
        weightedRowSum(dinp, dk, dpreatt, diag, T, inp, queries + t2 * C3, C3, rows, hs, scale);
        weightedRowSum(dinp, dv, att, diag, T, dout, douts + t2 * C, C, rows, hs, 1);
      }
    }
  }
}

/**
 * dst[dstOff + r] += mul · Σ_i x[xOff + i]·m[mOff + r·mStride + i] for r < count, i < n: one
 * vector against `count` rows of a matrix (a query against the keys, dout against the values).
 * Four rows at a time share each load of x and keep four independent float64 sums.
 */
function rowDots(
  dst: Float32Array,
  dstOff: number,
  x: Float32Array,
  xOff: number,
  m: Float32Array,
  mOff: number,
  mStride: number,
  count: number,
  n: number,
  mul: number,
): void {
  let r = 0;
  for (; r + 4 <= count; r += 4) {
    const m0 = mOff + r * mStride;
    const m1 = m0 + mStride;
    const m2 = m1 + mStride;
    const m3 = m2 + mStride;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xOff + i];
      s0 += xi * m[m0 + i];
      s1 += xi * m[m1 + i];
      s2 += xi * m[m2 + i];
      s3 += xi * m[m3 + i];
    }
    dst[dstOff + r] += s0 * mul;
    dst[dstOff + r + 1] += s1 * mul;
    dst[dstOff + r + 2] += s2 * mul;
    dst[dstOff + r + 3] += s3 * mul;
  }
  for (; r < count; r++) {
    const mr = mOff + r * mStride;
    let s = 0;
    for (let i = 0; i < n; i++) s += x[xOff + i] * m[mr + i];
    dst[dstOff + r] += s * mul;
  }
}

/**
 * dst[dstOff + i] += mul · Σ_r w[wOff + r·wStep]·m[mOff + r·mStride + i] for i < n, r < count:
 * a weighted sum of `count` matrix rows (att·v, dpreatt·k, and the column sums of dk and dv).
 * Four channels at a time share each load of the weight and keep four independent float64 sums.
 */
function weightedRowSum(
  dst: Float32Array,
  dstOff: number,
  w: Float32Array,
  wOff: number,
  wStep: number,
  m: Float32Array,
  mOff: number,
  mStride: number,
  count: number,
  n: number,
  mul: number,
): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let r = 0, pw = wOff, pm = mOff + i; r < count; r++, pw += wStep, pm += mStride) {
      const wr = w[pw];
      s0 += wr * m[pm];
      s1 += wr * m[pm + 1];
      s2 += wr * m[pm + 2];
      s3 += wr * m[pm + 3];
    }
    dst[dstOff + i] += s0 * mul;
    dst[dstOff + i + 1] += s1 * mul;
    dst[dstOff + i + 2] += s2 * mul;
    dst[dstOff + i + 3] += s3 * mul;
  }
  for (; i < n; i++) {
    let s = 0;
    for (let r = 0, pw = wOff, pm = mOff + i; r < count; r++, pw += wStep, pm += mStride) s += w[pw] * m[pm];
    dst[dstOff + i] += s * mul;
  }
}
