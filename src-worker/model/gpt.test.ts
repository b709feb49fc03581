// The whole model on every backend: forward against a naive float64 GPT-2, backward against central
// finite differences, gradient accumulation, init statistics, causality, checkpoint round trips.
import { describe, expect, it } from 'vitest';
import { availableBackends } from '../math/backends';
import { Rng } from '../util/rng';
import { ModelConfigError } from './config';
import type { ModelConfig } from './config';
import { ModelInputError, ModelStateError } from './errors';
import { Gpt } from './gpt';
import { engineMemory } from './layout';
import { randomTokens, scrambleParams } from './test-helpers';

// V=11, C=8, NH=2, L=2. The model is allocated for (maxB, maxT) = (3, 7) and run with (B, T) =
// (2, 5), so every test also proves that a step smaller than the allocation reads its buffers right.
const CFG: ModelConfig = { vocabSize: 11, contextLength: 7, nLayer: 2, nHead: 2, nEmbd: 8 };
const B = 2;
const T = 5;

describe.each(await availableBackends())('Gpt on the $name backend', (backend) => {
  function scrambledModel(seed = 1): Gpt {
    const model = new Gpt(backend, CFG, 3, 7);
    scrambleParams(model, seed);
    return model;
  }

  function batch(seed: number): { inputs: Int32Array; targets: Int32Array } {
    const rng = new Rng(seed);
    return {
      inputs: randomTokens(rng, B * T, CFG.vocabSize),
      targets: randomTokens(rng, B * T, CFG.vocabSize),
    };
  }

  describe('simple forward', () => {
    it('matches a naive float64 GPT-2 written out independently (loss, probs and logits)', () => {
      const model = scrambledModel();
      const { inputs, targets } = batch(2);
      const ref = referenceForward(CFG, model, inputs, targets, B, T);

      const loss = model.forward(inputs, targets, B, T);
      expect(Math.abs(loss - ref.loss)).toBeLessThan(1e-5 * ref.loss);
      expect(model.outputKind).toBe('probs');
      expectClose(model.outputs(), ref.probs, 1e-6);
      expectClose(model.losses(), ref.losses, 1e-5);

      expect(model.forward(inputs, null, B, T)).toBeNaN();
      expect(model.outputKind).toBe('logits');
      expectClose(model.outputs(), ref.logits, 1e-5);
      const V = CFG.vocabSize;
      for (let b = 0; b < B; b++) {
        const row = (b * T + T - 1) * V;
        expectClose(model.lastLogits(b), ref.logits.subarray(row, row + V), 1e-5);
      }
    });

    it('gives a loss close to ln(V) at init, as a near-uniform prediction should', () => {
      const cfg: ModelConfig = { vocabSize: 65, contextLength: 16, nLayer: 2, nHead: 4, nEmbd: 32 };
      const model = new Gpt(backend, cfg, 16, 16);
      model.init(new Rng(3));
      const rng = new Rng(4);
      const loss = model.forward(randomTokens(rng, 256, 65), randomTokens(rng, 256, 65), 16, 16);
      // Logits at init have std ≈ 0.02·√C ≈ 0.1, so the loss sits within a few hundredths of ln V
      // (over ten seeds: −0.008 … +0.024); a wrong init scale or head misses by tenths or more.
      expect(Math.abs(loss - Math.log(65))).toBeLessThan(0.05);
    });

    it('never lets a later token change an earlier position (causality)', () => {
      const model = scrambledModel();
      const { inputs } = batch(5);
      model.forward(inputs, null, B, T);
      const before = model.outputs().slice();
      const changedAt = 3;
      const altered = inputs.slice();
      altered[changedAt] = (altered[changedAt] + 1) % CFG.vocabSize; // sequence 0, position 3
      model.forward(altered, null, B, T);
      const after = model.outputs();
      const V = CFG.vocabSize;
      expect(after.subarray(0, changedAt * V)).toEqual(before.subarray(0, changedAt * V));
      expect(after.subarray(changedAt * V, T * V)).not.toEqual(before.subarray(changedAt * V, T * V));
      expect(after.subarray(T * V, 2 * T * V)).toEqual(before.subarray(T * V, 2 * T * V)); // sequence 1
    });
  });

  describe('simple backward', () => {
    it('matches central finite differences for every parameter of the whole model', () => {
      const model = scrambledModel();
      const { inputs, targets } = batch(6);
      model.zeroGrad();
      model.forward(inputs, targets, B, T);
      model.backward();
      const analytic = model.grads.slice();

      // The loss is a float32 computation: its rounding (~1e-6 absolute on a loss of ~3) divided
      // by 2·eps is the noise of a difference, while the truncation error eps²/6·f‴ grows with
      // eps. Measured on this model (ts backend), the worst absolute error over all parameters is
      // 1.3e-3 at eps = 3e-2, 2.2e-5 at eps = 3e-3 and 7.8e-5 at eps = 1e-3. Gradients here are
      // ~2e-2 (median) and ~2e-3 (10th percentile), so atol = 1e-4 with 1% relative slack leaves
      // room for another backend's summation order and still catches any wrong term.
      const eps = 3e-3;
      const atol = 1e-4;
      const rtol = 1e-2;
      const worst = { excess: -Infinity, name: '', i: 0, analytic: 0, numeric: 0 };
      for (const { spec, view } of model.tensors.values()) {
        for (let i = 0; i < view.length; i++) {
          const saved = view[i];
          view[i] = saved + eps;
          const up = model.forward(inputs, targets, B, T);
          view[i] = saved - eps;
          const down = model.forward(inputs, targets, B, T);
          view[i] = saved;
          // The step actually taken, after rounding saved ± eps to float32.
          const numeric = (up - down) / (Math.fround(saved + eps) - Math.fround(saved - eps));
          const a = analytic[spec.offset + i];
          const excess = Math.abs(a - numeric) - (atol + rtol * Math.abs(numeric));
          if (excess > worst.excess)
            Object.assign(worst, { excess, name: spec.name, i, analytic: a, numeric });
        }
      }
      expect(worst.excess, JSON.stringify(worst)).toBeLessThanOrEqual(0);
    });
  });

  describe('forward + backward', () => {
    it('adds to the gradients, so K micro-batches with lossWeight 1/K give the mean gradient', () => {
      const model = scrambledModel();
      const one = batch(7);
      const two = batch(8);
      const gradOf = (b: { inputs: Int32Array; targets: Int32Array }): Float32Array => {
        model.zeroGrad();
        model.forward(b.inputs, b.targets, B, T);
        model.backward();
        return model.grads.slice();
      };
      const g1 = gradOf(one);
      const g2 = gradOf(two);
      model.zeroGrad();
      model.forward(one.inputs, one.targets, B, T);
      model.backward(0.5);
      model.forward(two.inputs, two.targets, B, T);
      model.backward(0.5);
      const mean = g1.map((v, i) => 0.5 * (v + g2[i]));
      expectClose(model.grads, mean, 1e-6 * maxAbs(mean));
      model.zeroGrad();
      expect(maxAbs(model.grads)).toBe(0);
    });

    it('lowers the loss of a batch it trains on (gradient points downhill)', () => {
      const model = new Gpt(backend, CFG, 3, 7);
      model.init(new Rng(9));
      const { inputs, targets } = batch(10);
      const momentum = backend.allocF32(model.parameterCount);
      const first = model.forward(inputs, targets, B, T);
      let loss = first;
      for (let step = 0; step < 40; step++) {
        model.zeroGrad();
        loss = model.forward(inputs, targets, B, T);
        model.backward();
        backend.sgdMomentumUpdate(model.params, model.grads, momentum, model.parameterCount, 0.5, 0.9, 0);
      }
      expect(first).toBeGreaterThan(2);
      expect(loss).toBeLessThan(0.5 * first);
    });

    it('repeats bit for bit: same seed, same batch, same loss and gradients', () => {
      const run = (): [number, Float32Array] => {
        const model = new Gpt(backend, CFG, 3, 7);
        model.init(new Rng(11));
        const { inputs, targets } = batch(12);
        const loss = model.forward(inputs, targets, B, T);
        model.backward();
        return [loss, model.grads.slice()];
      };
      const [lossA, gradsA] = run();
      const [lossB, gradsB] = run();
      expect(lossB).toBe(lossA);
      expect(gradsB).toEqual(gradsA);
    });
  });

  describe('init', () => {
    it('draws N(0, 0.02) weights, N(0, 0.02/√(2L)) residual projections, zero biases, unit gains', () => {
      const cfg: ModelConfig = { vocabSize: 65, contextLength: 64, nLayer: 4, nHead: 4, nEmbd: 64 };
      const model = new Gpt(backend, cfg, 1, 64);
      model.init(new Rng(13));
      for (const { spec, view } of model.tensors.values()) {
        if (spec.init.kind === 'normal') {
          const n = view.length;
          let sum = 0;
          let sumSq = 0;
          for (const v of view) {
            sum += v;
            sumSq += v * v;
          }
          const mean = sum / n;
          const std = Math.sqrt(sumSq / n - mean * mean);
          const expected = spec.name.endsWith('c_proj.weight') ? 0.02 / Math.sqrt(8) : 0.02;
          expect(spec.init.std).toBeCloseTo(expected, 12);
          // Sampling error of a std estimate is std/√(2n): ≤ 1.1% here (n ≥ 4096); 5% is > 4σ.
          expect(Math.abs(std / expected - 1), spec.name).toBeLessThan(0.05);
          expect(Math.abs(mean), spec.name).toBeLessThan((5 * expected) / Math.sqrt(n));
        } else {
          expect(
            view.every((v) => v === (spec.init.kind === 'ones' ? 1 : 0)),
            spec.name,
          ).toBe(true);
        }
      }
    });

    it('is fixed by the seed', () => {
      const make = (seed: number): Float32Array => {
        const model = new Gpt(backend, CFG, 1, 7);
        model.init(new Rng(seed));
        return model.copyParams();
      };
      expect(make(14)).toEqual(make(14));
      expect(make(14)).not.toEqual(make(15));
    });
  });

  describe('checkpoint support', () => {
    it('copyParams then loadParams reproduces the model exactly', () => {
      const a = scrambledModel(16);
      const b = new Gpt(backend, CFG, 2, 5);
      b.loadParams(a.copyParams());
      const { inputs, targets } = batch(17);
      expect(b.forward(inputs, targets, B, T)).toBe(a.forward(inputs, targets, B, T));
      expect(() => b.loadParams(new Float32Array(10))).toThrow(ModelInputError);
    });

    it('allocates exactly what engineMemory estimates, apart from the optimizer state', () => {
      const model = new Gpt(backend, CFG, 3, 7);
      const m = engineMemory(CFG, 3, 7, 'sgd');
      expect(model.allocatedBytes).toBe(m.total - m.optimizerState);
    });
  });

  describe('misuse is reported with what to fix', () => {
    it('rejects out-of-range token ids, batch shapes and buffer sizes', () => {
      const model = scrambledModel();
      const { inputs, targets } = batch(18);
      const bad = inputs.slice();
      bad[3] = 11;
      expect(() => model.forward(bad, targets, B, T)).toThrow(/inputs\[3\] = 11 .*\[0, 11\)/);
      const badTargets = targets.slice();
      badTargets[0] = -1;
      expect(() => model.forward(inputs, badTargets, B, T)).toThrow(ModelInputError);
      expect(() => model.forward(inputs, targets, 4, T)).toThrow(/B = 4 .*maxB = 3/);
      expect(() => model.forward(inputs, targets, B, 8)).toThrow(/T = 8 .*maxT = 7/);
      expect(() => model.forward(inputs.subarray(0, 9), targets, B, T)).toThrow(/inputs.length = 9/);
    });

    it('rejects a bad config and a maxT beyond the context length', () => {
      expect(() => new Gpt(backend, { ...CFG, nHead: 3 }, 1, 7)).toThrow(ModelConfigError);
      expect(() => new Gpt(backend, CFG, 1, 8)).toThrow(/maxT = 8 .*contextLength = 7/);
      expect(() => new Gpt(backend, CFG, 0, 7)).toThrow(ModelInputError);
    });

    it('refuses backward without a training forward, and lastLogits after one', () => {
      const model = scrambledModel();
      const { inputs, targets } = batch(19);
      expect(() => model.backward()).toThrow(ModelStateError);
      model.forward(inputs, null, B, T);
      expect(() => model.backward()).toThrow(/holds logits/);
      expect(() => model.lastLogits(2)).toThrow(/b = 2/);
      model.forward(inputs, targets, B, T);
      expect(() => model.lastLogits(0)).toThrow(/holds probs/);
      model.backward();
      expect(() => model.backward()).toThrow(/holds dlogits/);
      // A forward refused midway leaves nothing to differentiate.
      model.forward(inputs, targets, B, T);
      const bad = targets.slice();
      bad[B * T - 1] = 99;
      expect(() => model.forward(inputs, bad, B, T)).toThrow(ModelInputError);
      expect(() => model.backward()).toThrow(/holds none/);
    });
  });
});

function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) [worst, at] = [d, i];
  }
  expect(worst, `largest difference at index ${at}`).toBeLessThanOrEqual(atol);
}

/**
 * GPT-2 in float64 with plain loops, sharing nothing with the engine but the parameter names:
 * the independent check of the forward (tied head, head channel layout, causal mask, gelu_new).
 */
function referenceForward(
  cfg: ModelConfig,
  model: Gpt,
  inputs: Int32Array,
  targets: Int32Array,
  B: number,
  T: number,
): { logits: Float64Array; probs: Float64Array; losses: Float64Array; loss: number } {
  const { vocabSize: V, nLayer: L, nHead: NH, nEmbd: C } = cfg;
  const hs = C / NH;
  const N = B * T;
  const w = (name: string): Float64Array => {
    const t = model.tensors.get(name);
    if (!t) throw new Error(`no tensor ${name}`);
    return Float64Array.from(t.view);
  };
  const layernorm = (x: Float64Array, g: Float64Array, b: Float64Array): Float64Array => {
    const out = new Float64Array(N * C);
    for (let n = 0; n < N; n++) {
      let mean = 0;
      for (let c = 0; c < C; c++) mean += x[n * C + c] / C;
      let variance = 0;
      for (let c = 0; c < C; c++) variance += (x[n * C + c] - mean) ** 2 / C;
      const rstd = 1 / Math.sqrt(variance + 1e-5);
      for (let c = 0; c < C; c++) out[n * C + c] = (x[n * C + c] - mean) * rstd * g[c] + b[c];
    }
    return out;
  };
  // x (N,K) · W (K,M) + b, with W stored [in, out]
  const linear = (
    x: Float64Array,
    W: Float64Array,
    bias: Float64Array,
    K: number,
    M: number,
  ): Float64Array => {
    const out = new Float64Array(N * M);
    for (let n = 0; n < N; n++) {
      for (let m = 0; m < M; m++) {
        let s = bias[m];
        for (let k = 0; k < K; k++) s += x[n * K + k] * W[k * M + m];
        out[n * M + m] = s;
      }
    }
    return out;
  };

  const wte = w('transformer.wte.weight');
  const wpe = w('transformer.wpe.weight');
  let x = new Float64Array(N * C);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const id = inputs[b * T + t];
      for (let c = 0; c < C; c++) x[(b * T + t) * C + c] = wte[id * C + c] + wpe[t * C + c];
    }
  }
  for (let l = 0; l < L; l++) {
    const h = `transformer.h.${l}`;
    const ln1 = layernorm(x, w(`${h}.ln_1.weight`), w(`${h}.ln_1.bias`));
    const qkv = linear(ln1, w(`${h}.attn.c_attn.weight`), w(`${h}.attn.c_attn.bias`), C, 3 * C);
    const y = new Float64Array(N * C);
    for (let b = 0; b < B; b++) {
      for (let head = 0; head < NH; head++) {
        for (let t = 0; t < T; t++) {
          const q = (b * T + t) * 3 * C + head * hs;
          const scores: number[] = [];
          for (let u = 0; u <= t; u++) {
            const k = (b * T + u) * 3 * C + C + head * hs;
            let s = 0;
            for (let i = 0; i < hs; i++) s += qkv[q + i] * qkv[k + i];
            scores.push(s / Math.sqrt(hs));
          }
          const top = Math.max(...scores);
          const e = scores.map((s) => Math.exp(s - top));
          const z = e.reduce((a, v) => a + v, 0);
          for (let u = 0; u <= t; u++) {
            const v = (b * T + u) * 3 * C + 2 * C + head * hs;
            for (let i = 0; i < hs; i++) y[(b * T + t) * C + head * hs + i] += (e[u] / z) * qkv[v + i];
          }
        }
      }
    }
    const attproj = linear(y, w(`${h}.attn.c_proj.weight`), w(`${h}.attn.c_proj.bias`), C, C);
    const residual2 = x.map((v, i) => v + attproj[i]);
    const ln2 = layernorm(residual2, w(`${h}.ln_2.weight`), w(`${h}.ln_2.bias`));
    const fch = linear(ln2, w(`${h}.mlp.c_fc.weight`), w(`${h}.mlp.c_fc.bias`), C, 4 * C);
    const gelu = fch.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));
    const fcproj = linear(gelu, w(`${h}.mlp.c_proj.weight`), w(`${h}.mlp.c_proj.bias`), 4 * C, C);
    x = residual2.map((v, i) => v + fcproj[i]);
  }
  const lnf = layernorm(x, w('transformer.ln_f.weight'), w('transformer.ln_f.bias'));
  const logits = new Float64Array(N * V);
  const probs = new Float64Array(N * V);
  const losses = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    for (let v = 0; v < V; v++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += lnf[n * C + c] * wte[v * C + c];
      logits[n * V + v] = s;
    }
    const row = logits.subarray(n * V, (n + 1) * V);
    const top = Math.max(...row);
    const z = row.reduce((a, v) => a + Math.exp(v - top), 0);
    for (let v = 0; v < V; v++) probs[n * V + v] = Math.exp(row[v] - top) / z;
    losses[n] = -Math.log(probs[n * V + targets[n]]);
  }
  return { logits, probs, losses, loss: losses.reduce((a, v) => a + v, 0) / N };
}
