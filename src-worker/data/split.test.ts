// The train/val split: where it cuts, and a SplitError with the sizes when a side is too small.
import { describe, expect, it } from 'vitest';
import { SplitError, splitTrainVal } from './split';

const range = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

describe('splitTrainVal', () => {
  it('takes the first 90 % for training and the last 10 % for validation, like int(0.9 * n)', () => {
    const tokens = range(1115394);
    const { train, val } = splitTrainVal(tokens, 4, 64);
    expect(train.length).toBe(1003854); // int(0.9 * 1115394) in Python
    expect(val.length).toBe(1115394 - 1003854);
    expect(train[train.length - 1] + 1).toBe(val[0]);
    expect(val.buffer).toBe(tokens.buffer); // views, not copies
  });

  it('honours another validation fraction, cutting where the decimal fraction says', () => {
    const { train, val } = splitTrainVal(range(1000), 2, 8, 0.25);
    expect([train.length, val.length]).toEqual([750, 250]);
    expect(splitTrainVal(range(1000), 2, 8, 0.8).train.length).toBe(200); // not 199 from 1 − 0.8 in binary
  });

  it('refuses a validation split smaller than B·T + 1, naming sizes and remedies', () => {
    // 10 % of 5000 is 500 tokens; B·T + 1 = 8·64 + 1 = 513.
    expect(() => splitTrainVal(range(5000), 8, 64)).toThrow(SplitError);
    expect(() => splitTrainVal(range(5000), 8, 64)).toThrow(
      /validation split has 500 tokens.*needs at least B·T \+ 1 = 513.*5000 tokens \(train 4500, validation 500.*larger validation fraction/,
    );
  });

  it('refuses a training split smaller than B·T + 1', () => {
    expect(() => splitTrainVal(range(1000), 4, 64, 0.8)).toThrow(
      /training split has 200 tokens.*smaller validation fraction/,
    );
  });

  it('accepts exactly B·T + 1 tokens on the smaller side', () => {
    expect(splitTrainVal(range(130), 2, 4, 0.1).val.length).toBe(13);
    expect(() => splitTrainVal(range(130), 2, 7, 0.1)).toThrow(SplitError);
  });

  it('refuses a fraction outside (0, 1)', () => {
    for (const f of [0, 1, -0.1, Number.NaN])
      expect(() => splitTrainVal(range(1000), 1, 1, f)).toThrow(/between 0 and 1/);
  });
});
