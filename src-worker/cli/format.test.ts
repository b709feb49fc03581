// What the terminal prints about time and the end of a run: durations that read like a clock and a
// final line whose "best" is the run's lowest validation loss.

import { describe, expect, it } from 'vitest';
import type { DoneEvent } from '../train/events';
import { finalLine, formatDuration } from './format';

function done(valLoss: number, bestValLoss: number): DoneEvent {
  return {
    kind: 'done',
    reason: 'completed',
    message: 'Trained 300 steps.',
    step: 300,
    trainLoss: 1.9,
    valLoss,
    bestValLoss,
    tokensPerSecond: 12345.6,
    seconds: 299.6,
  };
}

describe('formatDuration', () => {
  it('carries a rounded-up minute or hour instead of printing 60 of the smaller unit', () => {
    expect(formatDuration(299.6)).toBe('5m 00s');
    expect(formatDuration(59.5)).toBe('1m 00s');
    expect(formatDuration(3599.5)).toBe('1h 00m');
    expect(formatDuration(187)).toBe('3m 07s');
    expect(formatDuration(3725)).toBe('1h 02m');
    expect(formatDuration(12.4)).toBe('12s');
  });

  it('says it does not know rather than printing a wrong time', () => {
    expect(formatDuration(Number.NaN)).toBe('–');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('–');
    expect(formatDuration(-1)).toBe('–');
  });
});

describe('finalLine', () => {
  it('names an earlier, lower validation loss as the best', () => {
    expect(finalLine(done(2.1348, 1.895))).toBe(
      'Final: train loss 1.9000, validation loss 2.1348 (best 1.8950), 12346 tokens/s, 5m 00s.',
    );
  });

  it("says the last validation loss is the run's best when nothing was lower", () => {
    expect(finalLine(done(1.895, 1.895))).toContain("validation loss 1.8950 (the run's best)");
  });

  it('prints no best for a run that was never evaluated', () => {
    expect(finalLine(done(Number.NaN, Number.POSITIVE_INFINITY))).toContain('validation loss –,');
  });
});
