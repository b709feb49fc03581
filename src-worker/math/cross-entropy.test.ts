// Fused softmax + cross-entropy on every backend: probabilities and losses, the gradient written
// (=) into a separate buffer or over the probabilities themselves, extreme logits, bad targets.
import { describe, expect, it } from 'vitest';
import type { Backend } from './backend';
import { Rng } from '../util/rng';
import type { KernelCase } from './testing/gradcheck';
import { checkKernel, dirtyF32, randomTensor } from './testing/gradcheck';
import { availableBackends } from './backends';
import { TargetOutOfRangeError } from './cross-entropy';

const DLOSS_SCALE = 0.25;

function crossEntropyCase(
  backend: Backend,
  logits: Float64Array,
  targetIds: number[],
  V: number,
  aliased: boolean,
): KernelCase {
  const N = targetIds.length;
  const targets = backend.allocI32(N);
  targets.set(targetIds);
  return {
    inputs: { logits },
    reference: (x) => {
      const losses = new Float64Array(N);
      const probs = new Float64Array(N * V);
      for (let n = 0; n < N; n++) {
        const row = x.logits.subarray(n * V, (n + 1) * V);
        const max = Math.max(...row);
        const logSum = Math.log(row.reduce((a, z) => a + Math.exp(z - max), 0)) + max;
        for (let i = 0; i < V; i++) probs[n * V + i] = Math.exp(row[i] - logSum);
        losses[n] = logSum - row[targetIds[n]];
      }
      return { losses, probs };
    },
    lossOutputs: ['losses'],
    // The kernel takes one scale for every row, so the upstream gradient is that constant.
    upstream: { losses: new Float64Array(N).fill(DLOSS_SCALE) },
    gradMode: 'overwrite',
    forward: (be, x) => {
      const losses = dirtyF32(be, N);
      be.crossEntropyForward(losses, x.logits, targets, N, V);
      return { losses, probs: x.logits };
    },
    backward: (be, _x, y, _dy, dx) => {
      if (aliased) {
        be.crossEntropyBackward(y.probs, y.probs, targets, DLOSS_SCALE, N, V);
        dx.logits.set(y.probs);
      } else {
        be.crossEntropyBackward(dx.logits, y.probs, targets, DLOSS_SCALE, N, V);
      }
    },
  };
}

describe.each(await availableBackends())('cross-entropy on the $name backend', (backend) => {
  const N = 4;
  const V = 7;
  const logits = randomTensor(new Rng(9), N * V, -3, 3);

  it('matches reference and writes (=) the gradient into a separate buffer', () => {
    checkKernel(backend, crossEntropyCase(backend, logits, [0, 6, 3, 3], V, false));
  });

  it('matches reference when dlogits is the probs buffer itself', () => {
    checkKernel(backend, crossEntropyCase(backend, logits, [0, 6, 3, 3], V, true));
  });

  it('stays finite and exact with logits of ±80', () => {
    // Row 0: the target trails the max by 160, so its float32 probability underflows to 0 and
    // the loss must come from log-sum-exp, not from −log p. Row 1: the target is the max.
    const extreme = Float64Array.of(80, -80, -80, 0, -80, 80, 80, -80, 80, 80, 80, -80, -80, 80);
    checkKernel(backend, crossEntropyCase(backend, extreme, [1, 5], V, true));
  });

  it('rejects a target outside [0, V) before changing any logits', () => {
    const buf = backend.allocF32(2 * V);
    buf.set(logits.subarray(0, 2 * V));
    const before = Array.from(buf);
    for (const bad of [V, -1]) {
      const targets = backend.allocI32(2);
      targets.set([0, bad]);
      expect(() => backend.crossEntropyForward(backend.allocF32(2), buf, targets, 2, V)).toThrow(
        TargetOutOfRangeError,
      );
      expect(Array.from(buf)).toEqual(before);
    }
  });
});
