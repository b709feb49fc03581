// What a training run reports, as stored and forwarded: metrics logging (every key at every
// logged step), metrics aggregation (the loss EMA), progress tracking, gradient monitoring
// (global, per layer, per tensor, histograms), learning-rate tracking, and sample generations.

import { beforeAll, describe, expect, it } from 'vitest';
import type {
  HistogramInfo,
  MetricKeyInfo,
  MetricSeries,
  RunDetail,
  RunSummary,
  RunUpdate,
  SampleInfo,
} from '../api';
import { parameterCount } from '../../src-worker/model/layout';
import { learningRate } from '../../src-worker/train/schedules';
import { microConfig, runReaches } from './test-support/fixtures';
import { useStudio } from './test-support/studio-harness';

const STEPS = 40;
// One run, trained once; the tests read what it reported.
const harness = useStudio('monitoring', { scope: 'file', corpus: true });
let run: RunDetail;
let vocabSize: number;
let done: RunSummary;
const updates: RunUpdate[] = [];

async function series(key: string): Promise<MetricSeries> {
  const [s] = (await harness.studio.call('metrics.series', {
    runIds: [run.id],
    keys: [key],
    maxPoints: 10_000,
  })) as MetricSeries[];
  return s;
}

beforeAll(async () => {
  const { studio, dataset: d } = harness;
  vocabSize = d.vocabSize;
  const config = microConfig(d.id, STEPS, {
    model: { nLayer: 2, nHead: 2, nEmbd: 16, contextLength: 16 },
    samples: { every: 20, prompt: 'T', maxTokens: 12, temperature: 1, topK: 0, topP: 1, seed: 3 },
  });
  config.train = { ...config.train, logEvery: 1, evalEvery: 10, histogramEvery: 10 };
  studio.subscribe((e) => {
    if (e.type === 'run-update') updates.push(e.update);
  });
  run = (await studio.call('runs.create', { config })) as RunDetail;
  await studio.call('runs.start', { id: run.id });
  done = await runReaches(studio, run.id, (r) => r.status === 'completed', 'completed');
});

describe('monitoring', () => {
  it('logs every metric key at every logged step', async () => {
    const { studio } = harness;
    const keys = ((await studio.call('metrics.keys', { runId: run.id })) as MetricKeyInfo[]).map(
      (k) => k.key,
    );
    expect(keys).toEqual(
      expect.arrayContaining([
        'train/loss',
        'train/loss_ema',
        'train/lr',
        'train/grad_norm',
        'perf/tokens_per_second',
        'perf/step_ms',
        'memory/rss',
        'memory/engine_buffers',
        'val/loss',
        'val/perplexity',
        'val/accuracy',
        'val/top5',
        'val/f1_macro',
        'grad/global_norm',
        'grad/layer_0',
        'grad/layer_1',
      ]),
    );
    const loss = await series('train/loss');
    expect(loss.points.map((p) => p.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
    expect((await series('val/loss')).points.map((p) => p.step)).toEqual([10, 20, 30, 40]);
    expect(done.bestValLoss).toBe(Math.min(...(await series('val/loss')).points.map((p) => p.value)));
    const perplexity = (await series('val/perplexity')).points;
    (await series('val/loss')).points.forEach((p, i) =>
      expect(perplexity[i].value).toBeCloseTo(Math.exp(p.value), 6),
    );
  });

  it('aggregates the loss into a debiased moving average', async () => {
    const loss = (await series('train/loss')).points.map((p) => p.value);
    const ema = (await series('train/loss_ema')).points.map((p) => p.value);
    let raw = 0;
    loss.forEach((x, t) => {
      raw = 0.9 * raw + 0.1 * x;
      expect(ema[t]).toBeCloseTo(raw / (1 - 0.9 ** (t + 1)), 10);
    });
  });

  it('tracks the learning rate each step used, as the schedule defines it', async () => {
    const lr = (await series('train/lr')).points;
    const schedule = run.config?.train.schedule as Parameters<typeof learningRate>[1];
    for (const p of lr) expect(p.value).toBe(learningRate(p.step - 1, schedule));
  });

  it('tracks progress to 100 % with tokens and ETA, at most ~10 updates a second', () => {
    const progress = updates.flatMap((u) => (u.progress === null ? [] : [u.progress]));
    expect(progress.length).toBeGreaterThan(0);
    const percents = progress.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    const last = progress[progress.length - 1];
    expect(last).toMatchObject({ step: STEPS, totalSteps: STEPS, percent: 100, tokensSeen: STEPS * 4 * 16 });
    expect(last.etaSeconds).toBe(0);
    expect(last.memory.engineBuffers).toBeGreaterThan(0);
    expect(done).toMatchObject({ step: STEPS, tokensSeen: STEPS * 4 * 16 });
    // Every logged step reached subscribers, merged into few updates.
    const forwarded = updates.flatMap((u) =>
      u.metrics.filter((m) => m.key === 'train/loss').flatMap((m) => m.points),
    );
    expect(forwarded.map((p) => p.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
  });

  it('monitors gradients globally, per layer and per tensor, with histograms every N steps', async () => {
    const { studio } = harness;
    const gradients = updates.flatMap((u) => (u.gradients === null ? [] : [u.gradients]));
    const last = gradients[gradients.length - 1];
    expect(last.layers).toHaveLength(2);
    expect(last.tensors.map((t) => t.name)).toContain('transformer.h.1.mlp.c_fc.weight');
    const global = last.globalNorm as number;
    const layerSquares = (last.layers as number[]).reduce((s, n) => s + n * n, 0);
    expect(layerSquares).toBeLessThan(global * global + 1e-9); // blocks are part of the whole
    const { steps, histogram } = (await studio.call('runs.histograms', { id: run.id, kind: 'weights' })) as {
      steps: number[];
      histogram: HistogramInfo;
    };
    expect(steps).toEqual([10, 20, 30, 40]);
    // The weight histogram counts every parameter once.
    const shape = { vocabSize, nLayer: 2, nHead: 2, nEmbd: 16, contextLength: 16 };
    expect(histogram.counts.reduce((a, b) => a + b, 0)).toBe(parameterCount(shape));
    expect(histogram.edges).toHaveLength(histogram.counts.length + 1);
  });

  it('records sample generations every N steps', async () => {
    const { studio } = harness;
    const samples = (await studio.call('runs.samples', { id: run.id })) as SampleInfo[];
    expect(samples.map((s) => s.step)).toEqual([20, 40]);
    for (const s of samples) {
      expect(s.prompt).toBe('T');
      expect(s.text.length).toBeGreaterThan(0);
    }
  });
});
