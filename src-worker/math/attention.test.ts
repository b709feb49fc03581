// Causal multi-head attention, forward and backward, on every backend: one position, several
// heads, odd head sizes, and causality (a later token never changes an earlier output).
import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import type { KernelCase } from './testing/gradcheck';
import { checkKernel, dirtyF32, randomTensor } from './testing/gradcheck';
import { availableBackends } from './backends';

// (B, T, C, NH): a single position, one head; several heads; head size 2; head size 3 over 2 batches.
const SHAPES: [number, number, number, number][] = [
  [1, 1, 4, 1],
  [2, 5, 8, 2],
  [1, 4, 6, 3],
  [2, 3, 9, 3],
];

/** Naive float64 causal attention: every (b, h, t) row written out in full. */
function referenceAttention(inp: Float64Array, B: number, T: number, C: number, NH: number) {
  const hs = C / NH;
  const out = new Float64Array(B * T * C);
  const preatt = new Float64Array(B * NH * T * T);
  const att = new Float64Array(B * NH * T * T);
  const at = (b: number, t: number, part: number, h: number, i: number) =>
    inp[(b * T + t) * 3 * C + part * C + h * hs + i];
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let t = 0; t < T; t++) {
        const row = ((b * NH + h) * T + t) * T;
        let max = -Infinity;
        for (let t2 = 0; t2 <= t; t2++) {
          let dot = 0;
          for (let i = 0; i < hs; i++) dot += at(b, t, 0, h, i) * at(b, t2, 1, h, i);
          preatt[row + t2] = dot / Math.sqrt(hs);
          max = Math.max(max, preatt[row + t2]);
        }
        let sum = 0;
        for (let t2 = 0; t2 <= t; t2++) sum += Math.exp(preatt[row + t2] - max);
        for (let t2 = 0; t2 <= t; t2++) att[row + t2] = Math.exp(preatt[row + t2] - max) / sum;
        for (let i = 0; i < hs; i++) {
          let s = 0;
          for (let t2 = 0; t2 <= t; t2++) s += att[row + t2] * at(b, t2, 2, h, i);
          out[(b * T + t) * C + h * hs + i] = s;
        }
      }
    }
  }
  return { out, preatt, att };
}

function attentionCase(B: number, T: number, C: number, NH: number): KernelCase {
  const rng = new Rng(B * 1000 + T * 100 + C * 10 + NH);
  return {
    // Spread of ±2 gives scores of a few units: softmax rows far from uniform, not saturated.
    inputs: { inp: randomTensor(rng, B * T * 3 * C, -2, 2) },
    reference: (x) => referenceAttention(x.inp, B, T, C, NH),
    lossOutputs: ['out'],
    forward: (be, x) => {
      const out = dirtyF32(be, B * T * C);
      const preatt = dirtyF32(be, B * NH * T * T);
      const att = dirtyF32(be, B * NH * T * T);
      be.attentionForward(out, preatt, att, x.inp, B, T, C, NH);
      return { out, preatt, att };
    },
    backward: (be, x, y, dy, dx) => {
      const dpreatt = be.allocF32(B * NH * T * T);
      const datt = be.allocF32(B * NH * T * T);
      be.attentionBackward(dx.inp, dpreatt, datt, dy.out, x.inp, y.att, B, T, C, NH);
    },
  };
}

describe.each(await availableBackends())('attention on the $name backend', (backend) => {
  it.each(SHAPES)('matches reference and gradients (B=%i T=%i C=%i NH=%i)', (B, T, C, NH) => {
    checkKernel(backend, attentionCase(B, T, C, NH));
  });

  it('is causal: changing the token at position p leaves every output before p bitwise unchanged', () => {
    const [B, T, C, NH] = [1, 6, 8, 2];
    const rng = new Rng(11);
    const inp = backend.allocF32(B * T * 3 * C);
    inp.set(randomTensor(rng, inp.length, -2, 2));
    const run = (): Float32Array => {
      const out = backend.allocF32(B * T * C);
      backend.attentionForward(
        out,
        backend.allocF32(B * NH * T * T),
        backend.allocF32(B * NH * T * T),
        inp,
        B,
        T,
        C,
        NH,
      );
      return out;
    };
    const before = run();
    const p = 3;
    for (let i = p * 3 * C; i < (p + 1) * 3 * C; i++) inp[i] += 1; // q, k and v of position p
    const after = run();
    expect(Array.from(after.subarray(0, p * C))).toEqual(Array.from(before.subarray(0, p * C)));
    // The change must reach position p itself, or the comparison above proves nothing.
    expect(Array.from(after.subarray(p * C, (p + 1) * C))).not.toEqual(
      Array.from(before.subarray(p * C, (p + 1) * C)),
    );
  });
});
