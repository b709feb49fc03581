// matmul kernels of both weight layouts, forward and backward, on every backend, including sizes
// that are not multiples of the 4×4 register block.
import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import type { KernelCase, Tensors64 } from './testing/gradcheck';
import { checkKernel, dirtyF32, randomTensor } from './testing/gradcheck';
import { availableBackends } from './backends';

// (N, C, OC): single element, exact blocks, ragged rows/columns, an LM-head-like odd vocabulary.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [8, 12, 16],
  [7, 13, 11],
  [13, 6, 10],
  [5, 9, 65],
];

/** y = x·W + b with W stored [in, out]. */
function linearCase(N: number, C: number, OC: number, withBias: boolean): KernelCase {
  const rng = new Rng(N * 1000 + C * 10 + OC);
  const inputs: Tensors64 = { inp: randomTensor(rng, N * C), weight: randomTensor(rng, C * OC) };
  if (withBias) inputs.bias = randomTensor(rng, OC);
  return {
    inputs,
    reference: (x) => {
      const out = new Float64Array(N * OC);
      for (let n = 0; n < N; n++) {
        for (let oc = 0; oc < OC; oc++) {
          let s = withBias ? x.bias[oc] : 0;
          for (let c = 0; c < C; c++) s += x.inp[n * C + c] * x.weight[c * OC + oc];
          out[n * OC + oc] = s;
        }
      }
      return { out };
    },
    forward: (be, x) => {
      const out = dirtyF32(be, N * OC);
      be.matmulForward(out, x.inp, x.weight, withBias ? x.bias : null, N, C, OC);
      return { out };
    },
    backward: (be, x, _y, dy, dx) =>
      be.matmulBackward(dx.inp, dx.weight, withBias ? dx.bias : null, dy.out, x.inp, x.weight, N, C, OC),
  };
}

/** y = x·Wᵀ with W stored [out, in] (the tied LM head). */
function transposedCase(N: number, C: number, OC: number): KernelCase {
  const rng = new Rng(N * 1000 + C * 10 + OC + 7);
  return {
    inputs: { inp: randomTensor(rng, N * C), weight: randomTensor(rng, OC * C) },
    reference: (x) => {
      const out = new Float64Array(N * OC);
      for (let n = 0; n < N; n++) {
        for (let oc = 0; oc < OC; oc++) {
          let s = 0;
          for (let c = 0; c < C; c++) s += x.inp[n * C + c] * x.weight[oc * C + c];
          out[n * OC + oc] = s;
        }
      }
      return { out };
    },
    forward: (be, x) => {
      const out = dirtyF32(be, N * OC);
      be.matmulTransposedForward(out, x.inp, x.weight, N, C, OC);
      return { out };
    },
    backward: (be, x, _y, dy, dx) =>
      be.matmulTransposedBackward(dx.inp, dx.weight, dy.out, x.inp, x.weight, N, C, OC),
  };
}

describe.each(await availableBackends())('matmul on the $name backend', (backend) => {
  it.each(SHAPES)('[in,out] with bias matches reference and gradients (N=%i C=%i OC=%i)', (N, C, OC) => {
    checkKernel(backend, linearCase(N, C, OC, true));
  });

  it.each(SHAPES)('[in,out] without bias matches reference and gradients (N=%i C=%i OC=%i)', (N, C, OC) => {
    checkKernel(backend, linearCase(N, C, OC, false));
  });

  it.each(SHAPES)('transposed [out,in] matches reference and gradients (N=%i C=%i OC=%i)', (N, C, OC) => {
    checkKernel(backend, transposedCase(N, C, OC));
  });

  it('transposed forward equals the [in,out] forward on the transposed weight', () => {
    const [N, C, OC] = [6, 10, 9];
    const rng = new Rng(3);
    const inp = backend.allocF32(N * C);
    inp.set(randomTensor(rng, N * C));
    const w = backend.allocF32(C * OC); // (C,OC)
    w.set(randomTensor(rng, C * OC));
    const wT = backend.allocF32(OC * C); // (OC,C)
    for (let c = 0; c < C; c++) for (let oc = 0; oc < OC; oc++) wT[oc * C + c] = w[c * OC + oc];
    const a = backend.allocF32(N * OC);
    const b = backend.allocF32(N * OC);
    backend.matmulForward(a, inp, w, null, N, C, OC);
    backend.matmulTransposedForward(b, inp, wT, N, C, OC);
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
