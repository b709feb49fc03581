// GELU with the tanh approximation (GPT-2's gelu_new), forward and backward:
// gelu(x) = ½·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³).

const GELU_SCALE = Math.sqrt(2 / Math.PI);
const GELU_CUBE = 0.044715;

export function geluForward(
  out: Float32Array, // (n)
  inp: Float32Array, // (n)
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const x = inp[i];
    const u = GELU_SCALE * (x + GELU_CUBE * x * x * x);
    out[i] = 0.5 * x * (1 + Math.tanh(u));
  }
}

/**
 * d gelu/dx = ½·(1 + tanh u) + ½·x·(1 − tanh² u)·du/dx, with du/dx = √(2/π)·(1 + 3·0.044715·x²).
 * The first term differentiates the factor x, the second the tanh; sech² u is written as
 * 1 − tanh² u so the tanh computed for the first term serves both (cosh would overflow for |u| >
 * 710, where 1 − tanh² is exactly 0 as it should be).
 */
export function geluBackward(
  dinp: Float32Array, // (n)
  inp: Float32Array, // (n)
  dout: Float32Array, // (n)
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const x = inp[i];
    const x2 = x * x;
    const th = Math.tanh(GELU_SCALE * (x + GELU_CUBE * x2 * x));
    const dudx = GELU_SCALE * (1 + 3 * GELU_CUBE * x2);
    const grad = 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * dudx;
    dinp[i] += grad * dout[i];
  }
}
