// Residual connection, forward and backward: a sum whose gradient flows unchanged to both inputs.

/** out = a + b */
export function residualForward(
  out: Float32Array, // (n)
  a: Float32Array, // (n)
  b: Float32Array, // (n)
  n: number,
): void {
  for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
}

/** da += dout; db += dout */
export function residualBackward(
  da: Float32Array, // (n)
  db: Float32Array, // (n)
  dout: Float32Array, // (n)
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const d = dout[i];
    da[i] += d;
    db[i] += d;
  }
}
