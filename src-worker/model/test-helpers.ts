// Shared by the model's tests: random batches and a "scrambled" parameter state in which every
// path of the network matters (non-zero biases, LayerNorm gains away from 1, larger weights).

import { Rng } from '../util/rng';
import type { Gpt } from './gpt';

export function randomTokens(rng: Rng, n: number, V: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(V);
  return out;
}

/**
 * Fills every tensor with values of the size a trained model has, instead of GPT-2's init whose
 * zero biases and unit gains would leave some gradient terms untested.
 */
export function scrambleParams(model: Gpt, seed: number): void {
  const rng = new Rng(seed);
  for (const { spec, view } of model.tensors.values()) {
    const [mean, std] =
      spec.init.kind === 'normal' ? [0, 0.25] : spec.init.kind === 'ones' ? [1, 0.2] : [0, 0.1];
    for (let i = 0; i < view.length; i++) view[i] = mean + std * rng.normal();
  }
}
