// The wasm backend against the ts reference, kernel by kernel, on random inputs at the presets'
// shapes and at odd shapes (dimensions that are not multiples of the SIMD width, the 4×8 matmul
// tile or its 128/256/1024 cache blocks), on every kernel path this runtime can run.
//
// Tolerances. Each element must satisfy |wasm − ts| ≤ rtol·(|ts| + rms(ts)): relative error rtol
// on elements of typical size, and rtol·rms absolute error on the ones near zero, where a sum of
// products cancels and relative error means nothing. The ts kernels accumulate in float64; the
// wasm kernels accumulate in float32 (in a blocked order, fused or not), so their error grows like
// √K·2⁻²⁴ ≈ 2e-6 for the longest sums here (K = 1536) and stays far below the worst case K·2⁻²⁴.
//   matmul, attention, layernorm  rtol 1e-5   sums of up to 1536 float32 products
//   gelu, cross-entropy           rtol 1e-5   plus the polynomial e^x (≈ 1e-7 relative)
//   adamw, sgd, scale             rtol 1e-6   a handful of float32 operations per element
//   sumSquares                    rtol 1e-12  both sum exact float64 squares, in different orders
//   encoder, residual             bitwise     one float32 addition per element, as in ts
import { describe, expect, it } from 'vitest';
import { Rng } from '../../util/rng';
import type { Backend } from '../backend';
import { tsBackend } from '../ts-backend';
import { availableKernelPaths } from './kernel-path';
import { createWasmBackend, type WasmBackend } from './wasm-backend';

// Each test computes the ts reference once and checks every kernel path this machine runs against
// it: the WebAssembly builds, and the native kernels of each instruction set the CPU has.
const BACKENDS: WasmBackend[] = await Promise.all(
  availableKernelPaths().map((kernelPath) => createWasmBackend({ kernelPath })),
);

function normals(rng: Rng, n: number, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = offset + scale * rng.normal();
  return out;
}

function randomIds(rng: Rng, n: number, bound: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(bound);
  return out;
}

/** A copy of `values` in the backend's memory (ts: a plain copy). */
function load<A extends Float32Array | Int32Array>(be: Backend, values: A): A {
  const out = (values instanceof Int32Array ? be.allocI32(values.length) : be.allocF32(values.length)) as A;
  out.set(values);
  return out;
}

/** A buffer of the backend filled with NaN, so that an element a kernel fails to write shows. */
function dirty(be: Backend, n: number): Float32Array {
  return be.allocF32(n).fill(NaN);
}

type Buffers = Record<string, Float32Array>;

/** Each buffer of `got` against the reference's buffer of the same name, by expectCloseTo. */
function expectClose(be: WasmBackend, got: Buffers, ref: Buffers, rtol: number): void {
  for (const [name, buffer] of Object.entries(got))
    expectCloseTo(`${be.kernelPath} ${name}`, buffer, ref[name], rtol);
}

/** Throws naming the worst element unless |got − ref| ≤ rtol·(|ref| + rms(ref)) everywhere. */
function expectCloseTo(what: string, got: Float32Array, ref: Float32Array, rtol: number): void {
  let sq = 0;
  for (const x of ref) sq += x * x;
  const rms = Math.sqrt(sq / Math.max(1, ref.length));
  let worst = 0;
  let at = 0;
  for (let i = 0; i < ref.length; i++) {
    const diff = Math.abs(got[i] - ref[i]);
    const ratio = diff === 0 ? 0 : diff / (rtol * (Math.abs(ref[i]) + rms));
    if (!(ratio <= worst)) {
      worst = ratio;
      at = i;
    }
  }
  expect(worst, `${what}[${at}]: wasm ${got[at]} vs ts ${ref[at]} (rms ${rms})`).toBeLessThanOrEqual(1);
}

/** Each buffer of `got` equal bit for bit to the reference's buffer of the same name. */
function expectBitwise(be: WasmBackend, got: Buffers, ref: Buffers): void {
  for (const [name, buffer] of Object.entries(got))
    expectBitwiseTo(`${be.kernelPath} ${name}`, buffer, ref[name]);
}

/** Bit-for-bit equality, by a plain loop (toEqual on 10⁵ elements takes seconds). */
function expectBitwiseTo(what: string, got: Float32Array, ref: Float32Array): void {
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const r = new Uint32Array(ref.buffer, ref.byteOffset, ref.length);
  let at = g.length === r.length ? -1 : 0;
  for (let i = 0; i < r.length && at < 0; i++) if (g[i] !== r[i]) at = i;
  expect(at, `${what}: first differing element ${at}: wasm ${got[at]} vs ts ${ref[at]}`).toBe(-1);
}

// Preset shapes: tiny is B16·T64 = 1024 rows at C = 128; small is B8·T128 = 1024 rows at C = 384,
// run here on fewer rows to keep the float64 reference quick (the row count only repeats blocks).
const MATMUL_SHAPES: [number, number, number][] = [
  [1024, 128, 384], // tiny: qkv
  [1024, 128, 128], // tiny: attention projection
  [1024, 128, 512], // tiny: fc
  [1024, 512, 128], // tiny: fc projection
  [64, 384, 1152], // small: qkv (OC beyond one 1024-column block)
  [64, 384, 384], // small: attention projection (C beyond one 256-deep block)
  [64, 384, 1536], // small: fc
  [64, 1536, 384], // small: fc projection
  [1, 1, 1],
  [7, 13, 11],
  [131, 300, 1030], // ragged in every direction, across every block boundary
  [37, 257, 9],
  [5, 3, 1029],
];
const LM_HEAD_SHAPES: [number, number, number][] = [
  [1024, 128, 65], // tiny: char vocabulary
  [64, 384, 512], // small: BPE vocabulary
  [7, 13, 11],
  [131, 300, 1030],
  [2, 5, 1],
];

describe('wasm backend against ts', () => {
  describe.each(MATMUL_SHAPES)('matmul [in,out] N=%i C=%i OC=%i', (N, C, OC) => {
    const rng = new Rng(N * 7919 + C * 31 + OC);
    const inp = normals(rng, N * C);
    const weight = normals(rng, C * OC, 0.1);
    const bias = normals(rng, OC);

    it.each([true, false])('forward (bias: %s)', (withBias) => {
      const ref = dirty(tsBackend, N * OC);
      tsBackend.matmulForward(ref, inp, weight, withBias ? bias : null, N, C, OC);
      for (const be of BACKENDS) {
        const out = dirty(be, N * OC);
        be.matmulForward(out, load(be, inp), load(be, weight), withBias ? load(be, bias) : null, N, C, OC);
        expectClose(be, { out }, { out: ref }, 1e-5);
      }
    });

    it('backward accumulates dinp, dweight and dbias', () => {
      const dout = normals(rng, N * OC);
      const prefill = { dinp: normals(rng, N * C), dweight: normals(rng, C * OC), dbias: normals(rng, OC) };
      const ref = {
        dinp: load(tsBackend, prefill.dinp),
        dweight: load(tsBackend, prefill.dweight),
        dbias: load(tsBackend, prefill.dbias),
      };
      tsBackend.matmulBackward(ref.dinp, ref.dweight, ref.dbias, dout, inp, weight, N, C, OC);
      for (const be of BACKENDS) {
        const dinp = load(be, prefill.dinp);
        const dweight = load(be, prefill.dweight);
        const dbias = load(be, prefill.dbias);
        be.matmulBackward(dinp, dweight, dbias, load(be, dout), load(be, inp), load(be, weight), N, C, OC);
        expectClose(be, { dinp, dweight, dbias }, ref, 1e-5);
      }
    });
  });

  it.each(LM_HEAD_SHAPES)('matmul transposed [out,in] forward and backward N=%i C=%i OC=%i', (N, C, OC) => {
    const rng = new Rng(N * 7919 + C * 31 + OC + 1);
    const inp = normals(rng, N * C);
    const weight = normals(rng, OC * C, 0.1);
    const dout = normals(rng, N * OC);
    const prefill = { dinp: normals(rng, N * C), dweight: normals(rng, OC * C) };
    const ref = {
      out: dirty(tsBackend, N * OC),
      dinp: load(tsBackend, prefill.dinp),
      dweight: load(tsBackend, prefill.dweight),
    };
    tsBackend.matmulTransposedForward(ref.out, inp, weight, N, C, OC);
    tsBackend.matmulTransposedBackward(ref.dinp, ref.dweight, dout, inp, weight, N, C, OC);
    for (const be of BACKENDS) {
      const [x, w] = [load(be, inp), load(be, weight)];
      const out = dirty(be, N * OC);
      be.matmulTransposedForward(out, x, w, N, C, OC);
      expectClose(be, { out }, ref, 1e-5);
      const dinp = load(be, prefill.dinp);
      const dweight = load(be, prefill.dweight);
      be.matmulTransposedBackward(dinp, dweight, load(be, dout), x, w, N, C, OC);
      expectClose(be, { dinp, dweight }, ref, 1e-5);
    }
  });

  // (B, T, C, NH): tiny and small presets (small on 1 sequence), then head sizes 5 (no full
  // vector), 20 (one 16-lane block and a 4-lane one), 4, and a single position.
  it.each([
    [2, 64, 128, 4],
    [1, 128, 384, 6],
    [2, 7, 15, 3],
    [1, 33, 40, 2],
    [3, 5, 8, 2],
    [1, 1, 4, 1],
  ])('attention forward and backward B=%i T=%i C=%i NH=%i', (B, T, C, NH) => {
    const rng = new Rng(B * 1000 + T * 100 + C + NH);
    const [BTC, BT3C, BNTT] = [B * T * C, B * T * 3 * C, B * NH * T * T];
    const inp = normals(rng, BT3C);
    const dout = normals(rng, BTC);
    const dinpPrefill = normals(rng, BT3C);
    const ref = {
      out: dirty(tsBackend, BTC),
      preatt: dirty(tsBackend, BNTT),
      att: dirty(tsBackend, BNTT),
      dinp: load(tsBackend, dinpPrefill),
      dpreatt: tsBackend.allocF32(BNTT),
      datt: tsBackend.allocF32(BNTT),
    };
    tsBackend.attentionForward(ref.out, ref.preatt, ref.att, inp, B, T, C, NH);
    tsBackend.attentionBackward(ref.dinp, ref.dpreatt, ref.datt, dout, inp, ref.att, B, T, C, NH);
    for (const be of BACKENDS) {
      const x = load(be, inp);
      const [out, preatt, att] = [dirty(be, BTC), dirty(be, BNTT), dirty(be, BNTT)];
      be.attentionForward(out, preatt, att, x, B, T, C, NH);
      expectClose(be, { out, preatt, att }, ref, 1e-5);
      // Backward from the reference's att, so that it is checked on its own.
      const [dinp, dpreatt, datt] = [load(be, dinpPrefill), be.allocF32(BNTT), be.allocF32(BNTT)];
      be.attentionBackward(dinp, dpreatt, datt, load(be, dout), x, load(be, ref.att), B, T, C, NH);
      expectClose(be, { dinp, dpreatt, datt }, ref, 1e-5);
    }
  });

  // The last case has a row mean of 100 against a spread of 1.
  it.each([
    [1024, 128, 3, 2],
    [256, 384, 3, 2],
    [7, 37, 3, 2],
    [3, 3, 3, 2],
    [16, 64, 1, 100],
  ])('layernorm forward and backward N=%i C=%i (inputs %i·normal + %i)', (N, C, spread, offset) => {
    const rng = new Rng(N * 31 + C);
    const inp = normals(rng, N * C, spread, offset);
    const weight = normals(rng, C);
    const bias = normals(rng, C);
    const dout = normals(rng, N * C);
    const prefill = { dinp: normals(rng, N * C), dweight: normals(rng, C), dbias: normals(rng, C) };
    const ref = {
      out: dirty(tsBackend, N * C),
      mean: dirty(tsBackend, N),
      rstd: dirty(tsBackend, N),
      dinp: load(tsBackend, prefill.dinp),
      dweight: load(tsBackend, prefill.dweight),
      dbias: load(tsBackend, prefill.dbias),
    };
    tsBackend.layernormForward(ref.out, ref.mean, ref.rstd, inp, weight, bias, N, C);
    tsBackend.layernormBackward(
      ref.dinp,
      ref.dweight,
      ref.dbias,
      dout,
      inp,
      weight,
      ref.mean,
      ref.rstd,
      N,
      C,
    );
    for (const be of BACKENDS) {
      const [x, w] = [load(be, inp), load(be, weight)];
      const [out, mean, rstd] = [dirty(be, N * C), dirty(be, N), dirty(be, N)];
      be.layernormForward(out, mean, rstd, x, w, load(be, bias), N, C);
      expectClose(be, { out, mean, rstd }, ref, 1e-5);
      const [dinp, dweight, dbias] = [
        load(be, prefill.dinp),
        load(be, prefill.dweight),
        load(be, prefill.dbias),
      ];
      be.layernormBackward(
        dinp,
        dweight,
        dbias,
        load(be, dout),
        x,
        w,
        load(be, ref.mean),
        load(be, ref.rstd),
        N,
        C,
      );
      expectClose(be, { dinp, dweight, dbias }, ref, 1e-5);
    }
  });

  it.each([1024 * 512, 1027, 3])('gelu forward and backward n=%i, inputs across [−12, 12]', (n) => {
    const rng = new Rng(n);
    const inp = normals(rng, n, 4).map((x) => Math.max(-12, Math.min(12, x)));
    const dout = normals(rng, n);
    const dinpPrefill = normals(rng, n);
    const ref = { out: dirty(tsBackend, n), dinp: load(tsBackend, dinpPrefill) };
    tsBackend.geluForward(ref.out, inp, n);
    tsBackend.geluBackward(ref.dinp, inp, dout, n);
    for (const be of BACKENDS) {
      const x = load(be, inp);
      const out = dirty(be, n);
      be.geluForward(out, x, n);
      expectClose(be, { out }, ref, 1e-5);
      const dinp = load(be, dinpPrefill);
      be.geluBackward(dinp, x, load(be, dout), n);
      expectClose(be, { dinp }, ref, 1e-5);
    }
  });

  // Logits with spread 30 put some targets more than 100 below the row max (loss > 100).
  it.each([
    [1024, 65, 3],
    [256, 512, 3],
    [9, 7, 30],
    [3, 1, 1],
  ])('cross-entropy forward and backward N=%i V=%i (logit spread %i)', (N, V, spread) => {
    const rng = new Rng(N * 13 + V);
    const logits = normals(rng, N * V, spread);
    const targets = randomIds(rng, N, V);
    const ref = {
      losses: dirty(tsBackend, N),
      probs: load(tsBackend, logits),
      dlogits: dirty(tsBackend, N * V),
    };
    tsBackend.crossEntropyForward(ref.losses, ref.probs, targets, N, V);
    tsBackend.crossEntropyBackward(ref.dlogits, ref.probs, targets, 1 / N, N, V);
    for (const be of BACKENDS) {
      const [losses, probs, t] = [dirty(be, N), load(be, logits), load(be, targets)];
      be.crossEntropyForward(losses, probs, t, N, V);
      expectClose(be, { losses, probs }, ref, 1e-5);
      const dlogits = dirty(be, N * V);
      be.crossEntropyBackward(dlogits, probs, t, 1 / N, N, V);
      expectClose(be, { dlogits }, ref, 1e-5);
    }
  });

  it.each([
    [1027, 1],
    [1027, 1000],
    [4, 2],
  ])('adamw n=%i at step t=%i', (n, t) => {
    const rng = new Rng(n + t);
    const state = {
      params: normals(rng, n, 0.1),
      grads: normals(rng, n, 0.01),
      m: normals(rng, n, 0.001),
      v: normals(rng, n, 0.001).map((x) => x * x),
    };
    const ref = {
      params: load(tsBackend, state.params),
      m: load(tsBackend, state.m),
      v: load(tsBackend, state.v),
    };
    tsBackend.adamwUpdate(ref.params, state.grads, ref.m, ref.v, n, 3e-4, 0.9, 0.95, 1e-8, 0.1, t);
    for (const be of BACKENDS) {
      const [params, m, v] = [load(be, state.params), load(be, state.m), load(be, state.v)];
      be.adamwUpdate(params, load(be, state.grads), m, v, n, 3e-4, 0.9, 0.95, 1e-8, 0.1, t);
      expectClose(be, { params, m, v }, ref, 1e-6);
    }
  });

  it('sgd with momentum n=1027', () => {
    const n = 1027;
    const rng = new Rng(5);
    const state = {
      params: normals(rng, n, 0.1),
      grads: normals(rng, n, 0.01),
      momentum: normals(rng, n, 0.01),
    };
    const ref = { params: load(tsBackend, state.params), momentum: load(tsBackend, state.momentum) };
    tsBackend.sgdMomentumUpdate(ref.params, state.grads, ref.momentum, n, 0.01, 0.9, 1e-4);
    for (const be of BACKENDS) {
      const [params, momentum] = [load(be, state.params), load(be, state.momentum)];
      be.sgdMomentumUpdate(params, load(be, state.grads), momentum, n, 0.01, 0.9, 1e-4);
      expectClose(be, { params, momentum }, ref, 1e-6);
    }
  });

  it('sumSquares and scale n=100003', () => {
    const n = 100003;
    const values = normals(new Rng(6), n);
    const refSum = tsBackend.sumSquares(values, n);
    const refScaled = load(tsBackend, values);
    tsBackend.scale(refScaled, 0.37, n);
    for (const be of BACKENDS) {
      const x = load(be, values);
      expect(Math.abs(be.sumSquares(x, n) - refSum), be.kernelPath).toBeLessThanOrEqual(1e-12 * refSum);
      be.scale(x, 0.37, n);
      expectClose(be, { scaled: x }, { scaled: refScaled }, 1e-6);
    }
  });

  it('residual forward and backward n=1027, bitwise', () => {
    const n = 1027;
    const rng = new Rng(7);
    const [a, b, dout] = [normals(rng, n), normals(rng, n), normals(rng, n)];
    const ref = { out: dirty(tsBackend, n), da: load(tsBackend, a), db: load(tsBackend, b) };
    tsBackend.residualForward(ref.out, a, b, n);
    tsBackend.residualBackward(ref.da, ref.db, dout, n);
    for (const be of BACKENDS) {
      const [da, db, out] = [load(be, a), load(be, b), dirty(be, n)];
      be.residualForward(out, da, db, n);
      expectBitwise(be, { out }, ref);
      be.residualBackward(da, db, load(be, dout), n);
      expectBitwise(be, { da, db }, ref);
    }
  });

  it.each([
    [16, 64, 128, 65],
    [2, 5, 7, 3],
  ])('encoder forward and backward B=%i T=%i C=%i V=%i, bitwise', (B, T, C, V) => {
    const rng = new Rng(B + T + C + V);
    const tokens = randomIds(rng, B * T, V);
    const [wte, wpe, dout] = [normals(rng, V * C), normals(rng, T * C), normals(rng, B * T * C)];
    const ref = { out: dirty(tsBackend, B * T * C), dwte: load(tsBackend, wte), dwpe: load(tsBackend, wpe) };
    tsBackend.encoderForward(ref.out, tokens, wte, wpe, B, T, C);
    tsBackend.encoderBackward(ref.dwte, ref.dwpe, dout, tokens, B, T, C);
    for (const be of BACKENDS) {
      const [ids, out] = [load(be, tokens), dirty(be, B * T * C)];
      be.encoderForward(out, ids, load(be, wte), load(be, wpe), B, T, C);
      expectBitwise(be, { out }, ref);
      const [dwte, dwpe] = [load(be, wte), load(be, wpe)];
      be.encoderBackward(dwte, dwpe, load(be, dout), ids, B, T, C);
      expectBitwise(be, { dwte, dwpe }, ref);
    }
  });
});
