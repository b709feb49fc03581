// The Trainer and its loop on every backend: single and multiple steps, epochs, determinism,
// gradient accumulation, clipping, the non-finite guard, early stopping and fixed validation.

import { describe, expect, it } from 'vitest';
import { availableBackends } from '../math/backends';
import { runTraining } from './loop';
import type { TrainingEvent } from './events';
import { microTrainer } from './test-run';

/** Runs the loop to its end, or until the trainer has done `stopAtStep` steps, and returns its events. */
async function collect(
  trainer: ReturnType<typeof microTrainer>,
  stopAtStep?: number,
): Promise<TrainingEvent[]> {
  const events: TrainingEvent[] = [];
  const shouldStop = stopAtStep === undefined ? undefined : () => trainer.step >= stopAtStep;
  await runTraining(trainer, { onEvent: (e) => events.push(structuredClone(e)), shouldStop });
  return events;
}

/**
 * A 40-step run stopped after `stopAt` steps, whose early stopping never counts an improvement
 * (minDelta 100): the trainer and its events.
 */
async function stoppedEarly(
  backend: Parameters<typeof microTrainer>[0],
  o: { evalEvery: number; patience: number; stopAt: number },
): Promise<{ trainer: ReturnType<typeof microTrainer>; events: TrainingEvent[] }> {
  const trainer = microTrainer(backend, {
    steps: 40,
    evalEvery: o.evalEvery,
    earlyStopping: { patience: o.patience, minDelta: 100 },
  });
  return { trainer, events: await collect(trainer, o.stopAt) };
}

describe.each(await availableBackends())('Trainer on the $name backend', (backend) => {
  it('a single training step lowers the loss on the batch it trained on', () => {
    const trainer = microTrainer(backend, {
      schedule: { kind: 'constant', lr: 1e-2, minLr: 0, warmupSteps: 0, totalSteps: 20 },
    });
    const batch = { inputs: new Int32Array(64), targets: new Int32Array(64) };
    // Peek at the batch the first step will draw by training a twin trainer's sampler state.
    const twin = microTrainer(backend);
    twin['sampler'].next(batch.inputs, batch.targets);
    const before = trainer.model.forward(batch.inputs, batch.targets, 4, 16);
    const report = trainer.trainStep();
    const after = trainer.model.forward(batch.inputs, batch.targets, 4, 16);
    expect(report.step).toBe(1);
    expect(report.skipped).toBe(false);
    expect(report.loss).toBeCloseTo(before, 5);
    expect(after).toBeLessThan(before);
  });

  it('multiple steps drive validation loss down from ln(V)', async () => {
    const trainer = microTrainer(backend, { steps: 60, evalEvery: 30 });
    const initial = trainer.evaluate().valLoss;
    expect(initial).toBeGreaterThan(Math.log(trainer.model.config.vocabSize) - 0.3);
    const events = await collect(trainer);
    const evals = events.filter((e) => e.kind === 'eval');
    expect(evals.map((e) => e.step)).toEqual([30, 60]);
    expect(evals[1].valLoss).toBeLessThan(initial - 0.5);
  });

  it('a complete epoch draws ⌈train tokens / (B·T)⌉ batches and multi-epoch training keeps counting', async () => {
    const probe = microTrainer(backend);
    const perEpoch = probe.batchesPerEpoch;
    expect(perEpoch).toBe(Math.ceil(probe.trainTokens.length / (4 * 16)));
    const trainer = microTrainer(backend, { steps: perEpoch, evalEvery: 0, logEvery: perEpoch });
    const one = await collect(trainer);
    const progress = one.filter((e) => e.kind === 'progress');
    expect(progress.at(-1)?.epoch).toBeCloseTo(1, 10);

    const two = microTrainer(backend, { steps: 2 * perEpoch + 3, evalEvery: perEpoch, logEvery: perEpoch });
    const events = await collect(two);
    const last = events.filter((e) => e.kind === 'progress').at(-1);
    expect(last?.epoch).toBeGreaterThan(2);
    const done = events.at(-1);
    expect(done?.kind === 'done' && done.reason).toBe('completed');
    expect(done?.kind === 'done' && Number.isFinite(done.valLoss)).toBe(true);
  });

  it('the same seed and config give bitwise-identical losses, run to run', async () => {
    const losses = async (): Promise<number[]> => {
      const t = microTrainer(backend, { steps: 12, logEvery: 1, evalEvery: 6 });
      const events = await collect(t);
      return events.flatMap((e) => (e.kind === 'progress' ? [e.loss] : e.kind === 'eval' ? [e.valLoss] : []));
    };
    const a = await losses();
    const b = await losses();
    expect(a.length).toBe(14);
    expect(b).toEqual(a);
  });

  it('gradient accumulation of 2 micro-batches of B equals one batch of 2B', () => {
    const accumulated = microTrainer(backend, { batchSize: 2, gradAccumSteps: 2 });
    const whole = microTrainer(backend, { batchSize: 4, gradAccumSteps: 1 });
    // Both samplers draw the same four windows: two of B=2 in a row are one of B=4.
    const a = accumulated.trainStep();
    const b = whole.trainStep();
    expect(a.loss).toBeCloseTo(b.loss, 5);
    expect(a.gradNorm).toBeCloseTo(b.gradNorm, 4);
    const pa = accumulated.model.params;
    const pb = whole.model.params;
    let maxDiff = 0;
    for (let i = 0; i < pa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(pa[i] - pb[i]));
    expect(maxDiff).toBeLessThan(1e-6);
  });

  it('clipping reports the norm before clipping and leaves the update bounded', () => {
    const clipped = microTrainer(backend, { clipNorm: 1e-3 });
    const r = clipped.trainStep();
    expect(r.clipped).toBe(true);
    expect(r.gradNorm).toBeGreaterThan(1e-3);
    const after = Math.sqrt(backend.sumSquares(clipped.model.grads, clipped.model.grads.length));
    expect(after).toBeCloseTo(1e-3, 6);
    const unclipped = microTrainer(backend, { clipNorm: 0 }).trainStep();
    expect(unclipped.clipped).toBe(false);
    expect(unclipped.gradNorm).toBeCloseTo(r.gradNorm, 4);
  });

  it('a non-finite loss skips the step with an alert, and K in a row halt the run with the reason', async () => {
    const trainer = microTrainer(backend, { maxBadSteps: 3, steps: 10 });
    const wte = trainer.model.tensors.get('transformer.wte.weight');
    wte?.view.fill(Number.NaN);
    const bias = trainer.model.tensors.get('transformer.h.0.attn.c_attn.bias');
    const biasBefore = Float32Array.from(bias?.view ?? []);
    const events = await collect(trainer);
    const skipped = events.filter((e) => e.kind === 'alert' && e.code === 'skipped-step');
    expect(skipped).toHaveLength(3);
    const done = events.at(-1);
    expect(done?.kind).toBe('done');
    if (done?.kind !== 'done') return;
    expect(done.reason).toBe('halted');
    expect(done.step).toBe(3);
    expect(done.message).toMatch(/3 steps in a row had a non-finite loss/);
    // No update reached the parameters.
    expect(Array.from(bias?.view ?? [])).toEqual(Array.from(biasBefore));
  });

  it('early stopping ends the run after `patience` evaluations without improvement', async () => {
    const trainer = microTrainer(backend, {
      steps: 100,
      evalEvery: 5,
      earlyStopping: { patience: 2, minDelta: 100 },
    });
    const events = await collect(trainer);
    const done = events.at(-1);
    expect(done?.kind === 'done' && done.reason).toBe('early-stopped');
    // First evaluation sets the best; two more without an improvement of 100 nats stop at step 15.
    expect(done?.kind === 'done' && done.step).toBe(15);
  });

  it('evaluates on fixed validation batches: two evaluations of the same weights agree exactly', () => {
    const trainer = microTrainer(backend);
    trainer.trainStep();
    const a = trainer.evaluate();
    const b = trainer.evaluate();
    expect(b.valLoss).toBe(a.valLoss);
    expect(b.accuracy).toBe(a.accuracy);
    expect(Array.from(b.confusion.counts)).toEqual(Array.from(a.confusion.counts));
    const total = Array.from(a.confusion.counts).reduce((s, x) => s + x, 0);
    expect(total).toBe(2 * 4 * 16);
  });

  it('AdamW weight decay shrinks 2-D weights only, never biases or LayerNorm', () => {
    const trainer = microTrainer(backend, {
      optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.5 },
    });
    const model = trainer.model;
    model.zeroGrad();
    const w = model.tensors.get('transformer.h.0.mlp.c_fc.weight');
    const ln = model.tensors.get('transformer.h.0.ln_1.weight');
    const w0 = w?.view[3] ?? 0;
    const ln0 = ln?.view[3] ?? 0;
    trainer.optimizer.update(0.1);
    expect(w?.view[3]).toBeCloseTo(w0 * (1 - 0.1 * 0.5), 6);
    expect(ln?.view[3]).toBe(ln0);
  });

  it('reports progress with ETA, throughput, memory and per-layer gradient norms', async () => {
    const trainer = microTrainer(backend, { steps: 10, logEvery: 5, histogramEvery: 5 });
    const events = await collect(trainer);
    const progress = events.filter((e) => e.kind === 'progress');
    expect(progress.map((e) => e.step)).toEqual([5, 10]);
    const p = progress[0];
    expect(p.percent).toBe(50);
    expect(p.etaSeconds).toBeGreaterThan(0);
    expect(p.tokensPerSecond).toBeGreaterThan(0);
    expect(p.memory.rss).toBeGreaterThan(p.memory.engineBuffers);
    expect(p.memory.engineBuffers).toBeGreaterThan(0);
    expect(p.lr).toBeGreaterThan(0);
    const grads = events.filter((e) => e.kind === 'gradients');
    expect(grads).toHaveLength(2);
    expect(grads[0].layers).toHaveLength(2);
    expect(grads[0].tensors).toHaveLength(trainer.model.layout.specs.length);
    // The global norm is the root of the summed squares of the per-tensor norms.
    const sq = grads[0].tensors.reduce((s, t) => s + t.norm * t.norm, 0);
    expect(Math.sqrt(sq)).toBeCloseTo(grads[0].globalNorm, 6);
    const hist = events.filter((e) => e.kind === 'histogram');
    expect(hist).toHaveLength(2);
    const counted = hist[0].weights.counts.reduce((s, c) => s + c, 0);
    expect(counted).toBe(trainer.model.parameterCount);
  });

  it('the evaluation of a stopped run’s final weights leaves early stopping untouched (so resume is exact)', async () => {
    const { trainer, events } = await stoppedEarly(backend, { evalEvery: 10, patience: 1, stopAt: 15 });
    const evals = events.filter((e) => e.kind === 'eval');
    expect(evals.map((e) => e.step)).toEqual([10, 15]);
    expect(trainer.earlyStopping).toEqual({ best: evals[0].valLoss, bestStep: 10, badEvals: 0 });
    const done = events.at(-1);
    expect(done?.kind === 'done' && done.reason).toBe('stopped');
  });

  it('reports the lowest validation loss of the run as its best, the stopped run’s final one included', async () => {
    // The final evaluation, at step 17, is off the schedule.
    const { events } = await stoppedEarly(backend, { evalEvery: 5, patience: 99, stopAt: 17 });
    const losses = events.flatMap((e) => (e.kind === 'eval' ? [e.valLoss] : []));
    expect(losses).toHaveLength(4);
    const done = events.at(-1);
    expect(done?.kind === 'done' && done.bestValLoss).toBe(Math.min(...losses));
  });

  it('the evaluation at the planned last step counts for the best loss, even off the eval schedule', async () => {
    const trainer = microTrainer(backend, { steps: 7, evalEvery: 5 });
    const events = await collect(trainer);
    const evals = events.filter((e) => e.kind === 'eval');
    expect(evals.map((e) => e.step)).toEqual([5, 7]);
    const done = events.at(-1);
    expect(done?.kind === 'done' && done.bestValLoss).toBe(Math.min(...evals.map((e) => e.valLoss)));
  });
});
