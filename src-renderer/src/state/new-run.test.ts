// The New run form's time estimate and status: a step's time scaled from a measured run by FLOPs
// per token and threads (never zero for a real model, unknown with nothing to scale from), the
// measurement taken from the runs here through a fake transport, and a status that never says
// "Checking…" beside a refusal's count.

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Estimate, RunConfig } from '../../../src-main/api';
import { setTransport } from './api';
import { fakeTransport } from './fake-transport';
import { runSummary, tinyPreset } from './fixtures';
import {
  effectiveThreads,
  estimateStepTime,
  flopsPerToken,
  formatSeconds,
  median,
  NewRunState,
} from './new-run.svelte';
import type { SpeedReference } from './new-run.svelte';

const TINY_PARAMETERS = 809_472;

/** The e2e specs' one-layer model of width 32 (15,776 parameters) on batches of 4 × 32 tokens. */
function oneLayer(): RunConfig {
  const c = tinyPreset({ name: 'e2e lifecycle' });
  c.model = { nLayer: 1, nHead: 2, nEmbd: 32, contextLength: 32 };
  c.train = { ...c.train, batchSize: 4, seqLen: 32 };
  return c;
}
const ONE_LAYER_PARAMETERS = 15_776;

const reference = (over: Partial<SpeedReference> = {}): SpeedReference => ({
  runName: 'e2e lifecycle',
  backend: 'wasm',
  threads: 2,
  parameters: ONE_LAYER_PARAMETERS,
  flopsPerToken: flopsPerToken(ONE_LAYER_PARAMETERS, oneLayer()),
  tokensPerSecond: 128 / 0.0018, // a step of 4 × 32 tokens in 1.8 ms, as measured here
  ...over,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('FLOPs per token', () => {
  it('counts 6 per parameter plus attention over the sequence', () => {
    expect(flopsPerToken(ONE_LAYER_PARAMETERS, oneLayer())).toBe(6 * 15_776 + 12 * 1 * 32 * 32);
    expect(flopsPerToken(TINY_PARAMETERS, tinyPreset())).toBe(6 * 809_472 + 12 * 4 * 128 * 64);
  });
});

describe('time per step', () => {
  it('scales the one-layer run’s speed to the tiny preset: about 0.7 s a step, not zero', () => {
    const estimate = estimateStepTime(tinyPreset(), TINY_PARAMETERS, [reference()], 2);
    if (!estimate.known) throw new Error(estimate.reason);
    // 1024 tokens × 5,250,048 FLOPs per token at 71,111 tokens/s × 106,944 FLOPs per token.
    expect(estimate.secondsPerStep).toBeCloseTo((1024 * 5_250_048) / ((128 / 0.0018) * 106_944), 9);
    expect(estimate.secondsPerStep).toBeCloseTo(0.707, 3);
    expect(estimate.totalSeconds).toBeCloseTo(2000 * estimate.secondsPerStep, 6);
    expect(estimate.threadsScaled).toBe(false);
    expect(formatSeconds(estimate.secondsPerStep)).toBe('707 ms');
    expect(formatSeconds(estimate.totalSeconds ?? NaN)).toBe('23 min 34 s');
  });

  it('grows with the tokens of a step: accumulation and batch multiply it', () => {
    const base = estimateStepTime(tinyPreset(), TINY_PARAMETERS, [reference()], 2);
    const doubled = tinyPreset();
    doubled.train = { ...doubled.train, gradAccumSteps: 2 };
    const twice = estimateStepTime(doubled, TINY_PARAMETERS, [reference()], 2);
    if (!base.known || !twice.known) throw new Error('both are known');
    expect(twice.secondsPerStep).toBeCloseTo(2 * base.secondsPerStep, 12);
  });

  it('scales by the threads that run at once, capped by the cores, and says so', () => {
    const oneThread = estimateStepTime(tinyPreset({ threads: 1 }), TINY_PARAMETERS, [reference()], 2);
    const twoThreads = estimateStepTime(tinyPreset({ threads: 2 }), TINY_PARAMETERS, [reference()], 2);
    const eightOnTwoCores = estimateStepTime(tinyPreset({ threads: 8 }), TINY_PARAMETERS, [reference()], 2);
    if (!oneThread.known || !twoThreads.known || !eightOnTwoCores.known) throw new Error('all are known');
    expect(oneThread.secondsPerStep).toBeCloseTo(2 * twoThreads.secondsPerStep, 12);
    expect(oneThread.threadsScaled).toBe(true);
    expect(eightOnTwoCores.secondsPerStep).toBeCloseTo(twoThreads.secondsPerStep, 12);
    expect(eightOnTwoCores.threadsScaled).toBe(false);
    expect(effectiveThreads('ts', 4, 8)).toBe(1);
    expect(effectiveThreads('wasm', undefined, 8)).toBe(1);
    expect(effectiveThreads('wasm', 4, 8)).toBe(4);
  });

  it('prefers a run on the same threads, then the one closest in compute per token', () => {
    const small = reference({ runName: 'small', threads: 2 });
    const close = reference({ runName: 'close', threads: 2, flopsPerToken: 4e6, tokensPerSecond: 3000 });
    const closeOtherThreads = reference({ runName: 'one thread', threads: 1, flopsPerToken: 5.25e6 });
    const pick = (refs: SpeedReference[]): string => {
      const e = estimateStepTime(tinyPreset(), TINY_PARAMETERS, refs, 2);
      return e.known ? e.reference.runName : e.reason;
    };
    expect(pick([small, close, closeOtherThreads])).toBe('close');
    expect(pick([small, closeOtherThreads])).toBe('small');
  });

  it('is unknown with nothing measured, or nothing measured on this backend', () => {
    const none = estimateStepTime(tinyPreset(), TINY_PARAMETERS, [], 2);
    expect(none).toEqual({ known: false, reason: 'Known once a run here has taken its first steps.' });
    const other = estimateStepTime(
      tinyPreset({ backend: 'ts', threads: 1 }),
      TINY_PARAMETERS,
      [reference()],
      2,
    );
    expect(other.known).toBe(false);
    expect(!other.known && other.reason).toMatch(/TypeScript backend/);
  });

  it('has no total while the number of steps is not valid', () => {
    const c = tinyPreset();
    c.train = { ...c.train, steps: Number.NaN };
    const estimate = estimateStepTime(c, TINY_PARAMETERS, [reference()], 2);
    expect(estimate.known && estimate.totalSeconds).toBeNull();
  });
});

describe('formatSeconds', () => {
  it('keeps two significant digits below a minute, so nothing positive reads as zero', () => {
    expect(formatSeconds(0.00042)).toBe('0.42 ms');
    expect(formatSeconds(0.0047)).toBe('4.7 ms');
    expect(formatSeconds(0.0123)).toBe('12 ms');
    expect(formatSeconds(0.9996)).toBe('1 s');
    expect(formatSeconds(1.44)).toBe('1.4 s');
    expect(formatSeconds(45.2)).toBe('45 s');
    expect(formatSeconds(5400)).toBe('1 h 30 min');
    expect(formatSeconds(Number.NaN)).toBe('—');
  });
});

describe('median', () => {
  it('ignores a few slow steps (an evaluation, a checkpoint)', () => {
    expect(median([1.8, 1.7, 30, 1.9, 1.8])).toBe(1.8);
    expect(median([1, 3])).toBe(2);
    expect(median([])).toBeNaN();
  });
});

const estimateFor = (parameters: number): Estimate => ({
  parameters,
  memoryBytes: 1,
  freeMemoryBytes: 2,
  trainTokens: 3,
  valTokens: 4,
});

describe('the form measures the runs here', () => {
  it('takes the median of a run’s later step times, skipping runs without a config or steps', async () => {
    const t = fakeTransport({
      'runs.defaults': () => tinyPreset(),
      'system.info': () => ({
        appVersion: '0',
        dataDir: '/d',
        cores: 2,
        freeMemoryBytes: 1,
        totalMemoryBytes: 2,
        defaultConcurrency: 1,
      }),
      'runs.list': () => [
        runSummary(3, { name: 'from a terminal', step: 50 }),
        runSummary(2, { name: 'never started' }),
        runSummary(1, { name: 'e2e lifecycle', step: 200 }),
      ],
      'runs.get': (input) => ({
        ...runSummary(input.id),
        config: input.id === 1 ? oneLayer() : null,
        spec: null,
        notes: '',
        errorStack: null,
        checkpoints: [],
        progress: null,
      }),
      'metrics.series': (input) => [
        {
          runId: input.runIds[0],
          key: 'perf/step_ms',
          total: 5,
          downsampled: false,
          points: [1.8, 1.7, 30, 1.9, 1.8].map((value, i) => ({ step: 100 + 10 * i, value })),
        },
      ],
      'runs.validate': (input) => ({
        ok: true,
        problems: [],
        estimate: estimateFor(
          (input.config as RunConfig).model.nLayer === 1 ? ONE_LAYER_PARAMETERS : TINY_PARAMETERS,
        ),
      }),
    });
    setTransport(t);
    const form = new NewRunState();
    await form.begin(1, null);
    expect(form.measuring).toBe(true);
    await vi.waitUntil(() => !form.measuring && form.estimate !== null);

    expect(form.references).toEqual([reference()]);
    expect(t.calls.filter((c) => c.method === 'metrics.series').map((c) => c.input)).toEqual([
      { runIds: [3], keys: ['perf/step_ms'], maxPoints: 1000, fromStep: 25 },
      { runIds: [1], keys: ['perf/step_ms'], maxPoints: 1000, fromStep: 100 },
    ]);
    const stepTime = form.stepTime;
    expect(stepTime?.known && stepTime.secondsPerStep).toBeCloseTo(0.707, 3);
  });

  it('says the time is unknown when the runs cannot be read', async () => {
    setTransport(
      fakeTransport({
        'runs.defaults': () => tinyPreset(),
        'runs.validate': () => ({ ok: true, problems: [], estimate: estimateFor(TINY_PARAMETERS) }),
      }),
    );
    const form = new NewRunState();
    await form.begin(1, null);
    await vi.waitUntil(() => !form.measuring && form.estimate !== null);
    expect(form.references).toEqual([]);
    expect(form.stepTime).toEqual({
      known: false,
      reason: 'Known once a run here has taken its first steps.',
    });
  });
});

describe('the form’s status', () => {
  it('never says “Checking…” beside a refusal, and recounts after the next edit', async () => {
    vi.useFakeTimers();
    let problems = [
      { field: 'train.schedule.lr', message: 'must be a finite number > 0' },
      { field: 'train.batchSize', message: 'must be a whole number ≥ 1' },
      { field: 'model.nHead', message: 'must divide nEmbd' },
      { field: 'model.nHead', message: 'must be ≥ 1' },
    ];
    const t = fakeTransport({
      'runs.validate': () => ({ ok: problems.length === 0, problems, estimate: null }),
    });
    setTransport(t);
    const form = new NewRunState();
    form.config = tinyPreset();
    form.estimate = estimateFor(TINY_PARAMETERS); // of the config before the edits below

    form.changed(); // an edit, then Create before the check a moment later
    expect(form.status).toBe('checking');
    expect(await form.submit()).toBeNull();
    expect(form.status).toBe('problems');
    expect(form.problemCount).toBe(3);
    expect(form.submitError).toBe(
      'The run was not created: 3 fields need attention, each marked in the form.',
    );
    expect(form.estimate).toBeNull(); // the estimate describes the config refused, too
    vi.advanceTimersByTime(1000);
    expect(t.calls.map((c) => c.method)).toEqual(['runs.validate']); // once, and nothing created

    problems = [{ field: 'train.batchSize', message: 'must be a whole number ≥ 1' }];
    form.changed();
    expect(form.submitError).toBeNull();
    expect(form.status).toBe('checking');
    await vi.waitFor(() => expect(form.status).toBe('problems'));
    expect(form.problemCount).toBe(1);
  });
});

describe('the default name', () => {
  const named = (datasetId: number): RunConfig =>
    tinyPreset({ datasetId, name: `${datasetId === 1 ? 'Sample corpus' : 'Poems'} · tiny` });
  const transportFor = () =>
    fakeTransport({
      'runs.defaults': (input) => named(input.datasetId),
      'runs.validate': () => ({ ok: true, problems: [], estimate: null }),
      'system.info': () => {
        throw new Error('not needed');
      },
    });

  it('follows the dataset until the person edits it', async () => {
    setTransport(transportFor());
    const form = new NewRunState();
    await form.begin(1, null);
    await form.chooseDataset(2);
    expect(form.config?.name).toBe('Poems · tiny');
    form.preset = 'custom';
    await form.chooseDataset(1);
    expect(form.config?.name).toBe('Sample corpus · custom');
    expect(form.config?.datasetId).toBe(1);

    form.nameEdited = true; // the name input's oninput
    if (form.config !== null) form.config.name = 'my run';
    await form.chooseDataset(2);
    expect(form.config?.name).toBe('my run');
    form.preset = 'tiny';
    await form.applyDefaults(2, 'small');
    expect(form.config?.name).toBe('my run');
  });

  it('a duplicate keeps its “(copy)” name and the run’s settings', async () => {
    const original = tinyPreset({ name: 'lr sweep', threads: 1 });
    original.train.schedule.lr = 3e-4;
    const t = fakeTransport({
      'runs.get': () => ({ ...runSummary(7), config: original }) as never,
      'runs.validate': () => ({ ok: true, problems: [], estimate: null }),
    });
    setTransport(t);
    const form = new NewRunState();
    await form.begin(null, 7);
    expect(form.config).toEqual({ ...original, name: 'lr sweep (copy)' });
    expect(form.preset).toBe('custom');
    expect(form.nameEdited).toBe(true);
    // Nothing is created until the form is submitted.
    expect(t.calls.map((c) => c.method).filter((m) => m.startsWith('runs.') && m !== 'runs.list')).toEqual([
      'runs.get',
      'runs.validate',
    ]);
  });
});

describe('the engine on the Compute card', () => {
  it('keeps only the chosen engine’s settings and shows the environment check', async () => {
    const t = fakeTransport({
      'runs.validate': () => ({ ok: true, problems: [], estimate: null }),
      'engines.pytorch': () => ({
        available: false,
        python: 'python3',
        summary: 'not found: there is no Python interpreter "python3"; install python3 and PyTorch …',
        devices: { cuda: [], mps: false },
      }),
    });
    setTransport(t);
    const form = new NewRunState();
    form.config = { ...tinyPreset(), threads: 2 };

    form.chooseEngine('pytorch');
    expect(form.config).toMatchObject({ engine: 'pytorch', device: 'auto' });
    expect(form.config.threads).toBeUndefined();
    await vi.waitFor(() => expect(form.torch?.summary).toMatch(/^not found: .*install python3 and PyTorch/));
    expect(form.stepTime).toBeNull(); // no estimate yet; with one, the PyTorch engine measures it

    form.chooseEngine('builtin');
    expect(form.config.engine).toBeUndefined();
    expect(form.config.device).toBeUndefined();
    expect(form.config.threads).toBe(2);
  });

  it('does not scale a PyTorch run’s step time from the builtin engine’s speed', () => {
    const estimate = estimateStepTime(
      { ...tinyPreset(), engine: 'pytorch' },
      TINY_PARAMETERS,
      [reference()],
      2,
    );
    expect(estimate).toEqual({
      known: false,
      reason: 'Measured by the PyTorch engine once the run has taken its first steps.',
    });
  });
});
