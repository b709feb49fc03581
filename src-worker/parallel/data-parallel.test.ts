// Data-parallel steps against the single-thread step they replace: same loss, gradient and update
// to float rounding; bitwise repeatable for a given replica count; failures reported by replica.
// The replicas run the bundled entry out/engine/replica-worker.js (built by the global setup).

import { describe, expect, it } from 'vitest';
import { createWasmBackend } from '../math/wasm/wasm-backend';
import type { WasmBackend } from '../math/wasm/wasm-backend';
import type { ModelConfig } from '../model/config';
import { Gpt } from '../model/gpt';
import { engineMemory } from '../model/layout';
import { randomTokens, scrambleParams } from '../model/test-helpers';
import { clipFactor } from '../train/clip';
import type { OptimizerConfig } from '../train/config';
import { LocalGradients } from '../train/gradients';
import type { GradientCompute } from '../train/gradients';
import { Optimizer } from '../train/optimizer';
import { Rng } from '../util/rng';
import { DataParallelGradients, ReplicaError } from './data-parallel';
import { replicaBytes } from './replica-memory';

const CONFIG: ModelConfig = { vocabSize: 37, contextLength: 16, nLayer: 2, nHead: 2, nEmbd: 32 };
const ADAMW: OptimizerConfig = { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
// Linear in the gradient, so float-rounding differences stay float-rounding small in the weights
// (AdamW's first steps move each weight by ±lr whatever the gradient's size, sign noise included).
const SGD: OptimizerConfig = { kind: 'sgd', momentum: 0.9, weightDecay: 0.1 };
const T = 16;

interface Setup {
  model: Gpt;
  gradients: GradientCompute;
}

async function setup(workers: number, B: number, config = ADAMW): Promise<Setup> {
  const backend = await createWasmBackend();
  const model = new Gpt(backend, CONFIG, B, T);
  scrambleParams(model, 7);
  const optimizer = new Optimizer(backend, config, model.params, model.grads, model.layout.specs);
  const gradients =
    workers === 1
      ? new LocalGradients(backend, model, optimizer)
      : await DataParallelGradients.start({ backend, model, optimizer, workers, batchSize: B, seqLen: T });
  return { model, gradients };
}

interface StepResult {
  losses: number[];
  norms: number[];
  grads: Float32Array; // after the last step's gather
  params: Float32Array; // after the last update
}

/** `steps` steps of 2 accumulated micro-batches each, on the same random tokens for every setup. */
function train({ model, gradients }: Setup, B: number, steps: number): StepResult {
  const rng = new Rng(99);
  const losses: number[] = [];
  const norms: number[] = [];
  let grads = new Float32Array(0);
  for (let s = 0; s < steps; s++) {
    gradients.zeroGrad();
    let loss = 0;
    for (let k = 0; k < 2; k++) {
      const inputs = randomTokens(rng, B * T, CONFIG.vocabSize);
      const targets = randomTokens(rng, B * T, CONFIG.vocabSize);
      loss += gradients.accumulate(inputs, targets, B, T, 0.5) / 2;
    }
    const norm = Math.sqrt(gradients.gather());
    grads = new Float32Array(model.grads);
    gradients.update(1e-2, clipFactor(norm, 1));
    losses.push(loss);
    norms.push(norm);
  }
  return { losses, norms, grads, params: new Float32Array(model.params) };
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / scale;
}

describe('data-parallel gradients', () => {
  it.each([
    [2, 4],
    [3, 5], // uneven: slices of 2, 2 and 1 sequences
  ])('with %i threads on a batch of %i match one thread to float rounding', async (workers, B) => {
    const local = await setup(1, B, SGD);
    const parallel = await setup(workers, B, SGD);
    try {
      expect(parallel.gradients.workers).toBe(workers);
      const one = train(local, B, 3);
      const many = train(parallel, B, 3);
      for (let s = 0; s < 3; s++) {
        expect(many.losses[s]).toBeCloseTo(one.losses[s], 5);
        expect(many.norms[s] / one.norms[s]).toBeCloseTo(1, 4);
      }
      expect(maxRelDiff(many.grads, one.grads)).toBeLessThan(1e-4);
      expect(maxRelDiff(many.params, one.params)).toBeLessThan(1e-4);
    } finally {
      await parallel.gradients.close();
    }
  });

  it('evaluates a batch split over 3 threads as one thread does: the loss, and every position once', async () => {
    const B = 5;
    const local = await setup(1, B);
    const parallel = await setup(3, B);
    try {
      const rng = new Rng(11);
      const inputs = randomTokens(rng, B * T, CONFIG.vocabSize);
      const targets = randomTokens(rng, B * T, CONFIG.vocabSize);
      const seen = (g: GradientCompute): { loss: number; probs: number[]; targets: number[] } => {
        const probs: number[] = [];
        const seenTargets: number[] = [];
        const loss = g.evaluate(inputs, targets, B, T, (p, t, n) => {
          expect(p.length).toBe(n * CONFIG.vocabSize);
          probs.push(...p);
          seenTargets.push(...t.subarray(0, n));
        });
        return { loss, probs, targets: seenTargets };
      };
      const one = seen(local.gradients);
      const three = seen(parallel.gradients);
      expect(three.loss).toBeCloseTo(one.loss, 5);
      expect(three.targets).toEqual([...targets]);
      expect(three.probs).toHaveLength(B * T * CONFIG.vocabSize);
      const worst = three.probs.reduce((m, p, i) => Math.max(m, Math.abs(p - one.probs[i])), 0);
      expect(worst).toBeLessThan(1e-5);
    } finally {
      await parallel.gradients.close();
    }
  });

  it('is bitwise repeatable for a given number of threads', async () => {
    const first = await setup(2, 4);
    const second = await setup(2, 4);
    try {
      const a = train(first, 4, 3);
      const b = train(second, 4, 3);
      expect(b.losses).toEqual(a.losses);
      expect(b.norms).toEqual(a.norms);
      expect(Buffer.from(b.params.buffer).equals(Buffer.from(a.params.buffer))).toBe(true);
    } finally {
      await Promise.all([first.gradients.close(), second.gradients.close()]);
    }
  });

  it('never starts more threads than a micro-batch has sequences, and counts what the replica holds', async () => {
    const parallel = await setup(4, 2);
    try {
      expect(parallel.gradients.workers).toBe(2);
      // One replica of one sequence: its gradients, activations, and token ids twice (model +
      // staging) — what the memory check counts before a run starts.
      const m = engineMemory(CONFIG, 1, T, 'adamw');
      const held = m.grads + m.activations + m.activationGrads + 2 * m.tokens;
      expect(parallel.gradients.replicaBytes).toBe(held);
      expect(replicaBytes(CONFIG, 2, T, 4)).toBe(held);
      expect(replicaBytes(CONFIG, 5, T, 3)).toBe(2 * replicaBytes(CONFIG, 4, T, 2)); // two replicas of 2 rows
    } finally {
      await parallel.gradients.close();
    }
  });

  it("reports a replica's failure with its message, and keeps working afterwards", async () => {
    const B = 4;
    const parallel = await setup(2, B);
    try {
      const rng = new Rng(3);
      const inputs = randomTokens(rng, B * T, CONFIG.vocabSize);
      const targets = randomTokens(rng, B * T, CONFIG.vocabSize);
      targets[B * T - 1] = CONFIG.vocabSize; // in the second replica's rows
      parallel.gradients.zeroGrad();
      expect(() => parallel.gradients.accumulate(inputs, targets, B, T, 1)).toThrow(ReplicaError);
      expect(() => parallel.gradients.accumulate(inputs, targets, B, T, 1)).toThrow(/replica 1: .*targets/);
      targets[B * T - 1] = 0;
      expect(Number.isFinite(parallel.gradients.accumulate(inputs, targets, B, T, 1))).toBe(true);
    } finally {
      await parallel.gradients.close();
    }
  });

  it('stops the replicas already started when a later one cannot start, and says why', async () => {
    const model = (backend: WasmBackend): { model: Gpt; optimizer: Optimizer } => {
      const m = new Gpt(backend, CONFIG, 4, T);
      return { model: m, optimizer: new Optimizer(backend, ADAMW, m.params, m.grads, m.layout.specs) };
    };
    const roomy = await createWasmBackend();
    const before = roomy.heap.usedBytes;
    const probe = await DataParallelGradients.start({
      backend: roomy,
      ...model(roomy),
      workers: 2,
      batchSize: 4,
      seqLen: T,
    });
    const perReplica = roomy.heap.usedBytes - before;
    await probe.close();
    // Room for the coordinator and one replica, not two.
    const tight = await createWasmBackend({ initialBytes: before, maximumBytes: before + 1.5 * perReplica });
    const start = DataParallelGradients.start({
      backend: tight,
      ...model(tight),
      workers: 3,
      batchSize: 4,
      seqLen: T,
    });
    await expect(start).rejects.toThrow(ReplicaError);
    await expect(start).rejects.toThrow(/cannot allocate/);
  });

  it('refuses a batch of another shape than planned, and steps after close', async () => {
    const parallel = await setup(2, 4);
    const tokens = new Int32Array(4 * T);
    expect(() => parallel.gradients.accumulate(tokens, tokens, 2, T, 1)).toThrow(/planned for 4×16/);
    await parallel.gradients.close();
    expect(() => parallel.gradients.accumulate(tokens, tokens, 4, T, 1)).toThrow(/stopped/);
  });
});
