// Retention: which checkpoints survive pruning.

import { describe, expect, it } from 'vitest';
import { bestCheckpoint, planRetention } from './retention';
import type { RetainedCheckpoint } from './retention';

const ckpt = (
  step: number,
  valLoss: number | null = null,
  extra: Partial<RetainedCheckpoint> = {},
): RetainedCheckpoint => ({
  id: `step-${step}`,
  step,
  valLoss,
  finite: true,
  pinned: false,
  ...extra,
});

describe('checkpoint retention', () => {
  it('keeps the last N and the best by validation loss, removing the rest', () => {
    const list = [ckpt(10, 3.0), ckpt(20, 2.1), ckpt(30, 2.5), ckpt(40, 2.6), ckpt(50, 2.7)];
    const { keep, remove } = planRetention(list, { keepLast: 2, keepBest: true, keepEvery: 0 });
    expect(keep.map((c) => c.step)).toEqual([50, 40, 20]);
    expect(remove.map((c) => c.step)).toEqual([30, 10]);
  });

  it('keeps every M-th step and pinned checkpoints', () => {
    const list = [10, 20, 30, 40, 50, 60].map((s) => ckpt(s, null, { pinned: s === 10 }));
    const { keep } = planRetention(list, { keepLast: 1, keepBest: false, keepEvery: 20 });
    expect(keep.map((c) => c.step)).toEqual([60, 40, 20, 10]);
  });

  it('never marks a checkpoint with non-finite weights as best, and never deletes the newest good one', () => {
    const list = [ckpt(10, 2.0), ckpt(20, 1.0, { finite: false }), ckpt(30, null, { finite: false })];
    expect(bestCheckpoint(list)?.step).toBe(10);
    const { keep, remove } = planRetention(list, { keepLast: 1, keepBest: false, keepEvery: 0 });
    expect(keep.map((c) => c.step)).toEqual([30, 10]);
    expect(remove.map((c) => c.step)).toEqual([20]);
  });

  it('keeps at least one checkpoint even with keepLast 0', () => {
    const { keep } = planRetention([ckpt(5), ckpt(6)], { keepLast: 0, keepBest: false, keepEvery: 0 });
    expect(keep.map((c) => c.step)).toEqual([6]);
  });
});
