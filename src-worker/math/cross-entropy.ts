// Fused softmax + cross-entropy over the vocabulary, forward and backward. Forward turns the
// logits into probabilities in place; backward may then overwrite those probabilities with dlogits.

/** A target token id outside [0, V): the batch and the vocabulary do not belong together. */
export class TargetOutOfRangeError extends RangeError {
  constructor(row: number, target: number, V: number) {
    super(`cross-entropy: target ${target} at row ${row} is outside the vocabulary [0, ${V})`);
    this.name = 'TargetOutOfRangeError';
  }
}

/**
 * Per row: p = softmax(logits) written over the logits, loss = −log p[target].
 * The row max is subtracted before exp, so the largest exponent is 0 and nothing overflows.
 * The loss is computed as log Σ exp(z − max) − (z[target] − max) from the float64 sum rather
 * than as −log of the stored float32 probability, which underflows to 0 (loss ∞) once the
 * target's logit trails the max by more than about 100.
 */
export function crossEntropyForward(
  losses: Float32Array, // (N)
  logitsToProbs: Float32Array, // (N,V) in: logits, out: probs
  targets: Int32Array, // (N)
  N: number,
  V: number,
): void {
  // Check every target before touching any row, so a bad batch leaves the logits as they were.
  for (let n = 0; n < N; n++) {
    if (!(targets[n] >= 0 && targets[n] < V)) throw new TargetOutOfRangeError(n, targets[n], V);
  }
  for (let n = 0; n < N; n++) {
    const target = targets[n];
    const row = n * V;
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (logitsToProbs[row + i] > max) max = logitsToProbs[row + i];
    const targetLogit = logitsToProbs[row + target];
    let sum = 0;
    for (let i = 0; i < V; i++) {
      const e = Math.exp(logitsToProbs[row + i] - max);
      logitsToProbs[row + i] = e;
      sum += e;
    }
    const invSum = 1 / sum;
    for (let i = 0; i < V; i++) logitsToProbs[row + i] *= invSum;
    losses[n] = Math.log(sum) - (targetLogit - max);
  }
}

/**
 * With loss = −log softmax(z)[y]: ∂loss/∂z_i = p_i − [i = y]. Each element is read and then
 * written at the same index, so dlogits may be the very buffer that holds probs.
 * WRITES (=), unlike every other backward kernel.
 */
export function crossEntropyBackward(
  dlogits: Float32Array, // (N,V)
  probs: Float32Array, // (N,V)
  targets: Int32Array, // (N)
  dlossScale: number, // d(mean loss)/d(row loss), e.g. 1/(N·accumulationSteps)
  N: number,
  V: number,
): void {
  for (let n = 0; n < N; n++) {
    const row = n * V;
    const target = targets[n];
    for (let i = 0; i < V; i++) {
      const indicator = i === target ? 1 : 0;
      dlogits[row + i] = (probs[row + i] - indicator) * dlossScale;
    }
  }
}
