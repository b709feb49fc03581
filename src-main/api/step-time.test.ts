// The time-per-step estimate runs.validate returns: a step's time scaled from a measured run by
// FLOPs per token and threads (never zero for a real model, unknown with nothing to scale from).

import { describe, expect, it } from 'vitest';
import RENDERER_TINY_PRESET from '../../src-renderer/src/state/tiny-preset.json';
import { presetRunConfig } from './schemas';
import type { RunConfig } from './schemas';
import { effectiveThreads, estimateStepTime, flopsPerToken, median } from './step-time';
import type { SpeedReference } from './step-time';

const TINY_PARAMETERS = 809_472;

/** The tiny preset as the studio's defaults make it, on two threads. */
function tinyPreset(over: Partial<RunConfig> = {}): RunConfig {
  const place = {
    name: 'Sample corpus · tiny',
    datasetId: 1,
    backend: 'wasm',
    threads: 2,
    samples: null,
  } as const;
  return { ...presetRunConfig('tiny', place), ...over };
}

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

  it('has no total while the number of steps is not valid', () => {
    const c = tinyPreset();
    c.train = { ...c.train, steps: Number.NaN };
    const estimate = estimateStepTime(c, TINY_PARAMETERS, [reference()], 2);
    expect(estimate.known && estimate.totalSeconds).toBeNull();
  });
});

describe('median', () => {
  it('ignores a few slow steps (an evaluation, a checkpoint)', () => {
    expect(median([1.8, 1.7, 30, 1.9, 1.8])).toBe(1.8);
    expect(median([1, 3])).toBe(2);
    expect(median([])).toBeNaN();
  });
});

describe("the renderer's tests", () => {
  it('estimate on the tiny preset as the API proposes it', () => {
    expect(RENDERER_TINY_PRESET).toEqual(tinyPreset());
  });
});
