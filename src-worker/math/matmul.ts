// Linear layers, forward and backward: the [in, out] weight layout of GPT-2's Conv1D and the
// transposed [out, in] layout of the tied LM head. All six products share one blocked routine.

/**
 * out[i,j] += Σ_k A[i,k]·B[k,j] for an M×P output stored row-major (row stride P), where
 * A[i,k] = a[i·aRow + k·aK] and B[k,j] = b[k·bK + j·bCol].
 *
 * The strides let this one routine serve every product of both layouts (forward, dinp, dweight)
 * without copying or transposing anything. Speed comes from register blocking: each pass of the
 * k loop loads 4 values of A and 4 of B and feeds 16 independent accumulators, so there are 8
 * loads for 32 flops instead of 2 loads per 2 flops of a plain dot product. The accumulators are
 * JS numbers (float64), so each output is rounded to float32 once, when it is stored. The
 * summation order depends only on the shape, which keeps results bitwise reproducible.
 */
function gemmAccumulate(
  out: Float32Array, // (M,P)
  a: Float32Array,
  aRow: number,
  aK: number,
  b: Float32Array,
  bK: number,
  bCol: number,
  M: number,
  P: number,
  K: number,
): void {
  const M4 = M - (M % 4);
  const P4 = P - (P % 4);
  const aRow2 = 2 * aRow;
  const aRow3 = 3 * aRow;
  const bCol2 = 2 * bCol;
  const bCol3 = 3 * bCol;
  for (let i = 0; i < M4; i += 4) {
    // The 4×4 block is laid out by hand as a grid so it reads like the math.
    // prettier-ignore
    for (let j = 0; j < P4; j += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      let pa = i * aRow;
      let pb = j * bCol;
      for (let k = 0; k < K; k++, pa += aK, pb += bK) {
        const a0 = a[pa];
        const a1 = a[pa + aRow];
        const a2 = a[pa + aRow2];
        const a3 = a[pa + aRow3];
        const b0 = b[pb];
        const b1 = b[pb + bCol];
        const b2 = b[pb + bCol2];
        const b3 = b[pb + bCol3];
        s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
        s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
        s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2; s23 += a2 * b3;
        s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2; s33 += a3 * b3;
      }
      let o = i * P + j;
      out[o] += s00; out[o + 1] += s01; out[o + 2] += s02; out[o + 3] += s03;
      o += P;
      out[o] += s10; out[o + 1] += s11; out[o + 2] += s12; out[o + 3] += s13;
      o += P;
      out[o] += s20; out[o + 1] += s21; out[o + 2] += s22; out[o + 3] += s23;
      o += P;
      out[o] += s30; out[o + 1] += s31; out[o + 2] += s32; out[o + 3] += s33;
    }
    // Right edge: the P % 4 columns the blocks did not cover, for these 4 rows.
    for (let j = P4; j < P; j++) {
      for (let r = i; r < i + 4; r++) out[r * P + j] += dot(a, r * aRow, aK, b, j * bCol, bK, K);
    }
  }
  // Bottom edge: the M % 4 rows the blocks did not cover, every column.
  for (let i = M4; i < M; i++) {
    for (let j = 0; j < P; j++) out[i * P + j] += dot(a, i * aRow, aK, b, j * bCol, bK, K);
  }
}

/**
 * Σ_k x[xOff + k·xStep]·y[yOff + k·yStep] for k < n, in float64, for the edges of the blocks.
 * Four partial sums: with one accumulator every add would wait for the previous one.
 */
function dot(
  x: Float32Array,
  xOff: number,
  xStep: number,
  y: Float32Array,
  yOff: number,
  yStep: number,
  n: number,
): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let px = xOff;
  let py = yOff;
  const n4 = n - (n % 4);
  for (let k = 0; k < n4; k += 4) {
    s0 += x[px] * y[py];
    s1 += x[px + xStep] * y[py + yStep];
    s2 += x[px + 2 * xStep] * y[py + 2 * yStep];
    s3 += x[px + 3 * xStep] * y[py + 3 * yStep];
    px += 4 * xStep;
    py += 4 * yStep;
  }
  for (let k = n4; k < n; k++) {
    s0 += x[px] * y[py];
    px += xStep;
    py += yStep;
  }
  return s0 + s1 + (s2 + s3);
}

/** out = inp·weight + bias, weight stored [in, out] (C, OC). bias may be null. */
export function matmulForward(
  out: Float32Array, // (N,OC)
  inp: Float32Array, // (N,C)
  weight: Float32Array, // (C,OC)
  bias: Float32Array | null, // (OC)
  N: number,
  C: number,
  OC: number,
): void {
  // Start every row at the bias (or 0), then add the product: out[n,oc] = b[oc] + Σ_c inp[n,c]·W[c,oc].
  for (let n = 0; n < N; n++) {
    const o = n * OC;
    if (bias === null) out.fill(0, o, o + OC);
    else for (let oc = 0; oc < OC; oc++) out[o + oc] = bias[oc];
  }
  gemmAccumulate(out, inp, C, 1, weight, OC, 1, N, OC, C);
}

/**
 * With y = x·W + b (x: N×C, W: C×OC), for upstream dy:
 *   dx = dy·Wᵀ   dinp[n,c]   = Σ_oc dout[n,oc]·W[c,oc]   (contiguous over oc in both)
 *   dW = xᵀ·dy   dweight[c,oc] = Σ_n inp[n,c]·dout[n,oc]
 *   db = Σ_n dy  dbias[oc]   = Σ_n dout[n,oc]
 * All three accumulate (+=). dbias may be null.
 */
export function matmulBackward(
  dinp: Float32Array, // (N,C)
  dweight: Float32Array, // (C,OC)
  dbias: Float32Array | null, // (OC)
  dout: Float32Array, // (N,OC)
  inp: Float32Array, // (N,C)
  weight: Float32Array, // (C,OC)
  N: number,
  C: number,
  OC: number,
): void {
  // dinp: A = dout (rows n, k = oc), B[k=oc, j=c] = weight[c·OC + oc].
  gemmAccumulate(dinp, dout, OC, 1, weight, 1, OC, N, C, OC);
  // dweight: A[i=c, k=n] = inp[n·C + c], B[k=n, j=oc] = dout[n·OC + oc].
  gemmAccumulate(dweight, inp, 1, C, dout, OC, 1, C, OC, N);
  if (dbias !== null) {
    for (let oc = 0; oc < OC; oc++) dbias[oc] += columnSum(dout, oc, OC, N);
  }
}

/** Σ_k x[off + k·step] in float64: one column of a row-major matrix. */
function columnSum(x: Float32Array, off: number, step: number, K: number): number {
  let s = 0;
  for (let k = 0; k < K; k++) s += x[off + k * step];
  return s;
}

/** out = inp·weightᵀ, weight stored [out, in] (OC, C): the tied LM head with weight = wte. */
export function matmulTransposedForward(
  out: Float32Array, // (N,OC)
  inp: Float32Array, // (N,C)
  weight: Float32Array, // (OC,C)
  N: number,
  C: number,
  OC: number,
): void {
  out.fill(0, 0, N * OC);
  // B[k=c, j=oc] = weight[oc·C + c]: every output is a dot of two contiguous rows.
  gemmAccumulate(out, inp, C, 1, weight, 1, C, N, OC, C);
}

/**
 * With y = x·Wᵀ (W: OC×C):
 *   dx = dy·W    dinp[n,c]    = Σ_oc dout[n,oc]·W[oc,c]
 *   dW = dyᵀ·x   dweight[oc,c] = Σ_n dout[n,oc]·inp[n,c]
 * Both accumulate (+=).
 */
export function matmulTransposedBackward(
  dinp: Float32Array, // (N,C)
  dweight: Float32Array, // (OC,C)
  dout: Float32Array, // (N,OC)
  inp: Float32Array, // (N,C)
  weight: Float32Array, // (OC,C)
  N: number,
  C: number,
  OC: number,
): void {
  // dinp: A = dout (rows n, k = oc), B[k=oc, j=c] = weight[oc·C + c].
  gemmAccumulate(dinp, dout, OC, 1, weight, C, 1, N, C, OC);
  // dweight: A[i=oc, k=n] = dout[n·OC + oc], B[k=n, j=c] = inp[n·C + c].
  gemmAccumulate(dweight, dout, 1, OC, inp, C, 1, OC, C, N);
}
