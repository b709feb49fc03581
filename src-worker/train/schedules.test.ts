// Pins every schedule's value at the points that matter (step 0, the warmup edge, mid-decay, the
// last step, past the end) to hand-derived numbers, and the typed errors for bad configs.
import { describe, expect, it } from 'vitest';
import {
  ScheduleConfigError,
  ScheduleStepError,
  assertScheduleConfig,
  learningRate,
  validateScheduleConfig,
} from './schedules';
import type { ScheduleConfig } from './schedules';

// lr 1 → 0.1 over 14 steps, 4 of them warmup: the decay spans steps 4..13 (T − W = 10), so step 9
// sits at progress 1/2 and the last step, 13, at progress 9/10.
const base = { lr: 1, minLr: 0.1, warmupSteps: 4, totalSteps: 14 };
const constant: ScheduleConfig = { kind: 'constant', ...base };
const linear: ScheduleConfig = { kind: 'linear', ...base };
const cosine: ScheduleConfig = { kind: 'cosine', ...base };
const stepDecay: ScheduleConfig = { kind: 'step', ...base, stepSize: 3, gamma: 0.5 };
const inverseSqrt: ScheduleConfig = { kind: 'inverse-sqrt', ...base };
const all = [constant, linear, cosine, stepDecay, inverseSqrt];

function lrs(cfg: ScheduleConfig, steps: number[]): number[] {
  return steps.map((s) => learningRate(s, cfg));
}

describe('warmup', () => {
  it('ramps lr·(step+1)/W for every kind: step 0 gives lr/W, the last warmup step exactly lr', () => {
    for (const cfg of all) expect(lrs(cfg, [0, 1, 2, 3])).toEqual([0.25, 0.5, 0.75, 1]);
  });

  it('gives exactly lr at the first step after warmup for every kind', () => {
    for (const cfg of all) expect(learningRate(4, cfg)).toBe(1);
  });

  it('reaches lr exactly at the last warmup step even when lr·W is not exact in binary', () => {
    const cfg: ScheduleConfig = { kind: 'cosine', lr: 6e-4, minLr: 6e-5, warmupSteps: 3, totalSteps: 100 };
    expect(learningRate(2, cfg)).toBe(6e-4);
    expect(learningRate(0, cfg)).toBeCloseTo(2e-4, 18);
  });

  it('starts straight at lr when warmupSteps is 0', () => {
    for (const cfg of all) expect(learningRate(0, { ...cfg, warmupSteps: 0 })).toBe(1);
  });
});

describe('constant', () => {
  it('holds lr through the run and past its end', () => {
    expect(lrs(constant, [9, 13, 14, 1000])).toEqual([1, 1, 1, 1]);
  });
});

describe('linear', () => {
  it('falls on a straight line: 1 − 0.9·p', () => {
    // p = 1/2 → 1 − 0.45; p = 9/10 (last step) → 1 − 0.81.
    expect(learningRate(9, linear)).toBeCloseTo(0.55, 15);
    expect(learningRate(13, linear)).toBeCloseTo(0.19, 15);
  });

  it('is minLr at totalSteps and beyond', () => {
    expect(lrs(linear, [14, 15, 10_000])).toEqual([0.1, 0.1, 0.1]);
  });

  it('decays over all steps when there is no warmup', () => {
    // W = 0, T = 10: step 5 is p = 1/2, step 9 is p = 9/10.
    const cfg: ScheduleConfig = { ...linear, warmupSteps: 0, totalSteps: 10 };
    expect(learningRate(5, cfg)).toBeCloseTo(0.55, 15);
    expect(learningRate(9, cfg)).toBeCloseTo(0.19, 15);
    expect(learningRate(10, cfg)).toBe(0.1);
  });
});

describe('cosine', () => {
  it('follows minLr + ½(1 + cos πp)(lr − minLr)', () => {
    // p = 1/2: cos(π/2) = 0 → 0.1 + 0.45 = 0.55.
    expect(learningRate(9, cosine)).toBeCloseTo(0.55, 15);
    // p = 9/10: cos(9π/10) = −cos(π/10) = −√(10+2√5)/4 → 0.1 + 0.45·(1 − √(10+2√5)/4).
    const cosPiOver10 = Math.sqrt(10 + 2 * Math.sqrt(5)) / 4;
    expect(learningRate(13, cosine)).toBeCloseTo(0.1 + 0.45 * (1 - cosPiOver10), 15);
    expect(learningRate(13, cosine)).toBeCloseTo(0.122024567667181, 14);
  });

  it('is minLr at totalSteps and beyond', () => {
    expect(lrs(cosine, [14, 99])).toEqual([0.1, 0.1]);
  });

  it('decays over all steps when there is no warmup', () => {
    const cfg: ScheduleConfig = { ...cosine, warmupSteps: 0, totalSteps: 10 };
    expect(learningRate(5, cfg)).toBeCloseTo(0.55, 15);
  });
});

describe('step', () => {
  it('multiplies by gamma every stepSize steps after warmup', () => {
    // Steps since warmup 0..9 → exponents ⌊k/3⌋ = 0,0,0,1,1,1,2,2,2,3.
    expect(lrs(stepDecay, [4, 5, 6, 7, 8, 9, 10, 11, 12, 13])).toEqual([
      1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125,
    ]);
  });

  it('never goes below minLr, and is minLr from totalSteps on', () => {
    const cfg: ScheduleConfig = { ...stepDecay, stepSize: 1, gamma: 0.1, minLr: 0.05 };
    // 1, 0.1, 0.01 → floored at 0.05.
    expect(learningRate(4, cfg)).toBe(1);
    expect(learningRate(5, cfg)).toBeCloseTo(0.1, 16);
    expect(learningRate(6, cfg)).toBe(0.05);
    expect(lrs(stepDecay, [14, 50])).toEqual([0.1, 0.1]);
  });

  it('decays from step 0 when there is no warmup', () => {
    const cfg: ScheduleConfig = { ...stepDecay, warmupSteps: 0 };
    expect(lrs(cfg, [0, 2, 3, 6])).toEqual([1, 1, 0.5, 0.25]);
  });
});

describe('inverse-sqrt', () => {
  it('decays as lr·√W/√step after a warmup', () => {
    // Step 9: √(4/9) = 2/3. Last step 13: √(4/13) = 2/√13.
    expect(learningRate(9, inverseSqrt)).toBeCloseTo(2 / 3, 15);
    expect(learningRate(13, inverseSqrt)).toBeCloseTo(2 / Math.sqrt(13), 15);
  });

  it('is floored at minLr, and is minLr from totalSteps on', () => {
    const cfg: ScheduleConfig = { ...inverseSqrt, minLr: 0.6 };
    // Step 11: √(4/11) ≈ 0.603 stays; step 12: √(4/12) ≈ 0.577 is floored to 0.6.
    expect(learningRate(11, cfg)).toBeCloseTo(2 / Math.sqrt(11), 15);
    expect(learningRate(12, cfg)).toBe(0.6);
    expect(lrs(inverseSqrt, [14, 400])).toEqual([0.1, 0.1]);
  });

  it('decays as lr/√(step+1) without a warmup', () => {
    const cfg: ScheduleConfig = { ...inverseSqrt, warmupSteps: 0, minLr: 0, totalSteps: 100 };
    expect(lrs(cfg, [0, 3, 15, 99])).toEqual([1, 0.5, 0.25, 0.1]);
  });
});

describe('a warmup as long as the run', () => {
  it('ends the warmup at lr on the last step, then drops to minLr', () => {
    const cfg: ScheduleConfig = { ...cosine, warmupSteps: 14 };
    expect(learningRate(13, cfg)).toBe(1);
    expect(learningRate(14, cfg)).toBe(0.1);
  });
});

describe('validation', () => {
  it('accepts every well-formed config', () => {
    for (const cfg of all) expect(validateScheduleConfig(cfg)).toEqual([]);
  });

  it('names each bad field with its value and what is allowed', () => {
    const problems = validateScheduleConfig({ ...linear, warmupSteps: -1, minLr: 2, lr: 1 });
    expect(problems).toEqual([
      { field: 'minLr', value: 2, allowed: '≤ lr (1)' },
      { field: 'warmupSteps', value: -1, allowed: 'an integer ≥ 0' },
    ]);
  });

  it('rejects non-finite and out-of-range numbers', () => {
    const fields = (cfg: ScheduleConfig): string[] => validateScheduleConfig(cfg).map((p) => p.field);
    expect(fields({ ...linear, lr: Number.NaN })).toEqual(['lr']);
    expect(fields({ ...linear, lr: Infinity })).toEqual(['lr']);
    expect(fields({ ...linear, lr: 0 })).toEqual(['lr']); // minLr is not compared with an invalid lr
    expect(fields({ ...linear, minLr: -1e-9 })).toEqual(['minLr']);
    expect(fields({ ...linear, totalSteps: 0 })).toEqual(['totalSteps']);
    expect(fields({ ...linear, totalSteps: 2.5 })).toEqual(['totalSteps']);
    expect(fields({ ...linear, warmupSteps: 15 })).toEqual(['warmupSteps']);
    expect(fields({ ...stepDecay, stepSize: 0 })).toEqual(['stepSize']);
    expect(fields({ ...stepDecay, gamma: 0 })).toEqual(['gamma']);
    expect(fields({ ...stepDecay, gamma: 1.5 })).toEqual(['gamma']);
    expect(fields({ ...stepDecay, gamma: 1 })).toEqual([]);
  });

  it('throws a ScheduleConfigError that lists every problem', () => {
    const bad: ScheduleConfig = { ...cosine, warmupSteps: -2, minLr: Number.NaN };
    expect(() => assertScheduleConfig(bad)).toThrow(ScheduleConfigError);
    expect(() => learningRate(0, bad)).toThrow(
      'Invalid learning-rate schedule: minLr = NaN (allowed: a finite number ≥ 0); ' +
        'warmupSteps = -2 (allowed: an integer ≥ 0)',
    );
  });

  it('throws a ScheduleStepError for a negative or fractional step', () => {
    expect(() => learningRate(-1, cosine)).toThrow(ScheduleStepError);
    expect(() => learningRate(1.5, cosine)).toThrow(ScheduleStepError);
    expect(() => learningRate(Number.NaN, cosine)).toThrow('allowed: an integer ≥ 0');
  });
});
