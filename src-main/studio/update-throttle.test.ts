// The monitoring throttle passes a run's updates on at most once per interval, merged in order,
// sends the first one of a quiet spell at once, and drops nothing.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunUpdate } from '../api';
import { emptyUpdate } from './monitoring';
import { UpdateThrottle } from './update-throttle';

function lossAt(step: number): RunUpdate {
  return { ...emptyUpdate(), metrics: [{ key: 'train/loss', points: [{ step, value: 1 / step }] }] };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('UpdateThrottle', () => {
  it('sends at most one update per interval per run, merging what arrived meanwhile', () => {
    const sent: { runId: number; at: number; update: RunUpdate }[] = [];
    const start = Date.now();
    const throttle = new UpdateThrottle(
      (runId, update) => sent.push({ runId, at: Date.now() - start, update }),
      100,
    );
    // 1000 updates a second for one second, for two runs.
    for (let ms = 0; ms < 1000; ms++) {
      throttle.add(1, lossAt(ms + 1));
      throttle.add(2, lossAt(ms + 1));
      vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(200);
    for (const runId of [1, 2]) {
      const mine = sent.filter((s) => s.runId === runId);
      expect(mine.length).toBeLessThanOrEqual(11);
      for (let i = 1; i < mine.length; i++) expect(mine[i].at - mine[i - 1].at).toBeGreaterThanOrEqual(100);
      const steps = mine.flatMap((s) => s.update.metrics[0].points.map((p) => p.step));
      expect(steps).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    }
    expect(sent[0].at).toBe(0); // the first update goes out at once
  });

  it('keeps the latest progress and every alert, checkpoint and sample', () => {
    const sent: RunUpdate[] = [];
    const throttle = new UpdateThrottle((_runId, update) => sent.push(update), 100);
    throttle.add(1, emptyUpdate());
    const alert = {
      step: 3,
      level: 'warning' as const,
      code: 'explosion',
      message: 'x',
      tensor: null,
      value: 9,
    };
    throttle.add(1, { ...emptyUpdate(), alerts: [alert] });
    throttle.add(1, {
      ...emptyUpdate(),
      alerts: [{ ...alert, step: 4 }],
      gradients: { step: 4, globalNorm: 1, layers: [], tensors: [] },
    });
    throttle.forget(1);
    expect(sent).toHaveLength(2);
    expect(sent[1].alerts.map((a) => a.step)).toEqual([3, 4]);
    expect(sent[1].gradients?.step).toBe(4);
  });
});
