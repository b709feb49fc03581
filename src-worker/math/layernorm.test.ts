// LayerNorm forward (with its saved mean and rstd) and backward on every backend.
import { describe, it } from 'vitest';
import { Rng } from '../util/rng';
import type { KernelCase } from './testing/gradcheck';
import { checkKernel, dirtyF32, randomTensor } from './testing/gradcheck';
import { availableBackends } from './backends';

function layernormCase(N: number, C: number, lo = -1, hi = 1): KernelCase {
  const rng = new Rng(N * 100 + C);
  return {
    inputs: {
      inp: randomTensor(rng, N * C, lo, hi),
      weight: randomTensor(rng, C, 0.5, 1.5),
      bias: randomTensor(rng, C),
    },
    reference: (x) => {
      const out = new Float64Array(N * C);
      const mean = new Float64Array(N);
      const rstd = new Float64Array(N);
      for (let n = 0; n < N; n++) {
        const row = x.inp.subarray(n * C, (n + 1) * C);
        const m = row.reduce((a, v) => a + v, 0) / C;
        const variance = row.reduce((a, v) => a + (v - m) ** 2, 0) / C;
        const r = 1 / Math.sqrt(variance + 1e-5);
        for (let i = 0; i < C; i++) out[n * C + i] = (row[i] - m) * r * x.weight[i] + x.bias[i];
        mean[n] = m;
        rstd[n] = r;
      }
      return { out, mean, rstd };
    },
    lossOutputs: ['out'],
    forward: (be, x) => {
      const out = dirtyF32(be, N * C);
      const mean = dirtyF32(be, N);
      const rstd = dirtyF32(be, N);
      be.layernormForward(out, mean, rstd, x.inp, x.weight, x.bias, N, C);
      return { out, mean, rstd };
    },
    backward: (be, x, y, dy, dx) =>
      be.layernormBackward(dx.inp, dx.weight, dx.bias, dy.out, x.inp, x.weight, y.mean, y.rstd, N, C),
  };
}

describe.each(await availableBackends())('layernorm on the $name backend', (backend) => {
  it.each([
    [1, 1],
    [3, 5],
    [4, 16],
  ])('matches reference and gradients (N=%i C=%i)', (N, C) => {
    checkKernel(backend, layernormCase(N, C));
  });

  it('normalises rows whose mean is large compared with their spread', () => {
    // The saved mean is float32 (the contract's buffer), off by up to half an ulp of 100 (4e-6);
    // backward's normalised values inherit that times rstd, hence the looser gradient bound.
    checkKernel(backend, { ...layernormCase(3, 8, 99, 101), gradAtol: 1e-4, gradRtol: 1e-4 });
  });
});
