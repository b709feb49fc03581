// SGD with heavy-ball momentum and L2 weight decay folded into the gradient (PyTorch's SGD with
// momentum, dampening 0, nesterov off).

/**
 * buf = μ·buf + (g + weightDecay·p); p -= lr·buf.
 * With buf starting at 0 the first step is plain SGD on g + weightDecay·p, as in PyTorch.
 */
export function sgdMomentumUpdate(
  params: Float32Array, // (n)
  grads: Float32Array, // (n)
  momentum: Float32Array, // (n)
  n: number,
  lr: number,
  mu: number,
  weightDecay: number,
): void {
  for (let i = 0; i < n; i++) {
    const p = params[i];
    const buf = mu * momentum[i] + (grads[i] + weightDecay * p);
    momentum[i] = buf;
    params[i] = p - lr * buf;
  }
}
