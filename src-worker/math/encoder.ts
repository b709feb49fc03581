// Token + position embedding (GPT-2's wte and wpe), forward and backward.

/** out[b,t,:] = wte[inp[b,t],:] + wpe[t,:] */
export function encoderForward(
  out: Float32Array, // (B,T,C)
  inp: Int32Array, // (B,T) token ids
  wte: Float32Array, // (V,C)
  wpe: Float32Array, // (maxT,C)
  B: number,
  T: number,
  C: number,
): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * C;
      const ix = inp[b * T + t] * C;
      const p = t * C;
      for (let i = 0; i < C; i++) out[o + i] = wte[ix + i] + wpe[p + i];
    }
  }
}

/**
 * The output is a plain sum of one row of each table, so each row's gradient is dout routed back
 * to the row it came from: dwte[inp[b,t],:] += dout[b,t,:] and dwpe[t,:] += dout[b,t,:]. A token
 * that occurs several times collects all of its positions' gradients.
 */
export function encoderBackward(
  dwte: Float32Array, // (V,C)
  dwpe: Float32Array, // (maxT,C)
  dout: Float32Array, // (B,T,C)
  inp: Int32Array, // (B,T)
  B: number,
  T: number,
  C: number,
): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * C;
      const ix = inp[b * T + t] * C;
      const p = t * C;
      for (let i = 0; i < C; i++) {
        const d = dout[o + i];
        dwte[ix + i] += d;
        dwpe[p + i] += d;
      }
    }
  }
}
