// The batch sampler: windows and shifted targets, the range of starts, determinism, exact resume
// from a saved state, fixed validation batches and the epoch count.
import { describe, expect, it } from 'vitest';
import { BatchSampler, SamplerError, batchesPerEpoch, fixedBatches, type SamplerState } from './sampler';

const range = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

function draw(sampler: BatchSampler, count: number): Int32Array[] {
  return Array.from({ length: count }, () => {
    const inputs = new Int32Array(sampler.B * sampler.T);
    const targets = new Int32Array(sampler.B * sampler.T);
    sampler.next(inputs, targets);
    return Int32Array.from([...inputs, ...targets]);
  });
}

describe('BatchSampler', () => {
  it('fills rows with consecutive tokens and targets shifted by one', () => {
    const B = 3;
    const T = 5;
    const sampler = new BatchSampler(range(100), B, T, 1);
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    sampler.next(inputs, targets);
    for (let b = 0; b < B; b++) {
      const start = inputs[b * T];
      for (let t = 0; t < T; t++) {
        expect(inputs[b * T + t]).toBe(start + t);
        expect(targets[b * T + t]).toBe(start + t + 1);
      }
    }
  });

  it('draws starts uniformly from 0 to len − T − 1, both ends included', () => {
    const T = 4;
    const sampler = new BatchSampler(range(T + 3), 1, T, 5);
    const seen = new Map<number, number>();
    const inputs = new Int32Array(T);
    const targets = new Int32Array(T);
    for (let i = 0; i < 3000; i++) {
      sampler.next(inputs, targets);
      seen.set(inputs[0], (seen.get(inputs[0]) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual([0, 1, 2]);
    for (const count of seen.values()) expect(Math.abs(count - 1000)).toBeLessThan(120);
  });

  it('gives the same batches for the same seed and different ones for another seed', () => {
    const tokens = range(1000);
    expect(draw(new BatchSampler(tokens, 4, 8, 42), 5)).toEqual(draw(new BatchSampler(tokens, 4, 8, 42), 5));
    expect(draw(new BatchSampler(tokens, 4, 8, 43), 5)).not.toEqual(
      draw(new BatchSampler(tokens, 4, 8, 42), 5),
    );
  });

  it('resumes from a saved state (through JSON) with exactly the next batch', () => {
    const tokens = range(5000);
    const straight = new BatchSampler(tokens, 4, 16, 7);
    const expected = draw(straight, 10);

    const first = new BatchSampler(tokens, 4, 16, 7);
    draw(first, 6);
    const saved = JSON.parse(JSON.stringify(first.getState())) as SamplerState;
    const resumed = new BatchSampler(tokens, 4, 16, 999); // the seed no longer matters
    resumed.setState(saved);
    expect(resumed.batchesDrawn).toBe(6);
    expect(draw(resumed, 4)).toEqual(expected.slice(6));
  });

  it('refuses a state saved for other tokens or shapes', () => {
    const state = new BatchSampler(range(500), 2, 8, 1).getState();
    expect(() => new BatchSampler(range(501), 2, 8, 1).setState(state)).toThrow(/tokenCount = 500.*501/);
    expect(() => new BatchSampler(range(500), 2, 9, 1).setState(state)).toThrow(SamplerError);
  });

  it('counts epochs of ⌈tokens / (B·T)⌉ batches', () => {
    const sampler = new BatchSampler(range(1000), 4, 16, 1); // 1000 / 64 = 15.6 → 16
    expect(sampler.batchesPerEpoch).toBe(16);
    expect(batchesPerEpoch(1024, 4, 16)).toBe(16);
    draw(sampler, 15);
    expect(sampler.epoch).toBe(0);
    draw(sampler, 1);
    expect(sampler.epoch).toBe(1);
  });

  it('refuses too few tokens for one window, bad shapes and wrong buffer sizes', () => {
    expect(() => new BatchSampler(range(8), 1, 8, 1)).toThrow(/needs at least 9 tokens; the split has 8/);
    expect(() => new BatchSampler(range(100), 0, 8, 1)).toThrow(/B must be an integer ≥ 1/);
    const sampler = new BatchSampler(range(100), 2, 8, 1);
    expect(() => sampler.next(new Int32Array(15), new Int32Array(16))).toThrow(/B·T = 16/);
  });
});

describe('fixedBatches', () => {
  it('returns the same batches every time it is asked, each a valid window', () => {
    const tokens = range(3000);
    const a = fixedBatches(tokens, 4, 32, 5, 9);
    const b = fixedBatches(tokens, 4, 32, 5, 9);
    expect(a).toEqual(b);
    expect(a).toHaveLength(5);
    for (const { inputs, targets } of a) {
      expect(inputs).toHaveLength(128);
      expect(targets.every((t, i) => t === inputs[i] + 1)).toBe(true);
    }
    expect(fixedBatches(tokens, 4, 32, 5, 10)).not.toEqual(a);
  });

  it('refuses a count below 1', () => {
    expect(() => fixedBatches(range(100), 1, 4, 0, 1)).toThrow(SamplerError);
  });
});
