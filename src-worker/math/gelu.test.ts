// GELU (tanh approximation) forward and backward on every backend, from deep negative to large
// positive inputs.
import { describe, it } from 'vitest';
import { Rng } from '../util/rng';
import type { KernelCase } from './testing/gradcheck';
import { checkKernel, dirtyF32, randomTensor } from './testing/gradcheck';
import { availableBackends } from './backends';

function geluCase(values: Float64Array): KernelCase {
  const n = values.length;
  return {
    inputs: { inp: values },
    reference: (x) => ({
      out: x.inp.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))),
    }),
    forward: (be, x) => {
      const out = dirtyF32(be, n);
      be.geluForward(out, x.inp, n);
      return { out };
    },
    backward: (be, x, _y, dy, dx) => be.geluBackward(dx.inp, x.inp, dy.out, n),
  };
}

describe.each(await availableBackends())('gelu on the $name backend', (backend) => {
  it('matches reference and gradients on random inputs in [-4, 4)', () => {
    checkKernel(backend, geluCase(randomTensor(new Rng(5), 64, -4, 4)));
  });

  it('matches reference and gradients at 0 and in the saturated tails', () => {
    checkKernel(backend, geluCase(Float64Array.of(-30, -10, -5, -1, -0.5, 0, 0.5, 1, 5, 10, 30)));
  });
});
