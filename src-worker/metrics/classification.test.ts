// Hand-computed cases for the classification accumulator: top-k with ties and NaN, precision /
// recall / F1 with a never-predicted token, the confusion matrix's "other" bucket, batching.
import { describe, expect, it } from 'vitest';
import { ClassificationAccumulator, mostFrequentTokens, precisionRecallF1 } from './classification';
import { MetricArgumentError } from './errors';

/** Rows of probabilities whose top-1 is `predicted[r]` (0.7 there, the rest shared equally). */
function rowsPredicting(predicted: number[], V: number): Float32Array {
  const probs = new Float32Array(predicted.length * V).fill(0.3 / (V - 1));
  predicted.forEach((p, r) => (probs[r * V + p] = 0.7));
  return probs;
}

function accumulator(
  V: number,
  topK: number[] = [1],
  confusionTokens: number[] = [],
): ClassificationAccumulator {
  return new ClassificationAccumulator({ V, topK, confusionTokens });
}

describe('top-1 and top-k accuracy', () => {
  // Row 0: target 2 has one token (id 1, 0.6) above it            → rank 1: top-2, not top-1.
  // Row 1: all equal; ids 0 and 1 come before target 2 on the tie → rank 2: top-3 only.
  // Row 2: target 0 ties id 3 at 0.4 and wins on the lower id     → rank 0: top-1.
  const probs = Float32Array.from([0.1, 0.6, 0.2, 0.1, 0.25, 0.25, 0.25, 0.25, 0.4, 0.1, 0.1, 0.4]);
  const targets = Int32Array.from([2, 2, 0]);

  it('counts a target in the top k when fewer than k tokens rank before it', () => {
    const acc = accumulator(4, [1, 2, 3]);
    acc.add(probs, targets, 3);
    expect(acc.rows).toBe(3);
    expect(acc.accuracy()).toBeCloseTo(1 / 3, 15);
    expect(acc.topKAccuracy(1)).toBeCloseTo(1 / 3, 15);
    expect(acc.topKAccuracy(2)).toBeCloseTo(2 / 3, 15);
    expect(acc.topKAccuracy(3)).toBe(1);
  });

  it('breaks a tie for the top probability towards the lower token id', () => {
    const acc = accumulator(4, [1, 2]);
    acc.add(Float32Array.from([0.4, 0.1, 0.1, 0.4]), Int32Array.from([3]), 1);
    expect(acc.topKAccuracy(1)).toBe(0); // id 0 holds the same 0.4 and a lower id
    expect(acc.topKAccuracy(2)).toBe(1);
    expect(acc.precisionRecallF1().predicted[0]).toBe(1);
  });

  it('ranks NaN below every number, and predicts token 0 for an all-NaN row', () => {
    const acc = accumulator(4, [1, 3, 4], [0, 2]);
    acc.add(Float32Array.from([Number.NaN, 0.2, 0.5, 0.3]), Int32Array.from([0]), 1);
    expect([acc.topKAccuracy(1), acc.topKAccuracy(3), acc.topKAccuracy(4)]).toEqual([0, 0, 1]);
    expect(acc.precisionRecallF1().predicted[2]).toBe(1);
    acc.reset();
    acc.add(new Float32Array(4).fill(Number.NaN), Int32Array.from([2]), 1);
    expect(acc.precisionRecallF1().predicted[0]).toBe(1);
    expect(acc.topKAccuracy(1)).toBe(0);
    expect(acc.topKAccuracy(3)).toBe(1); // ids 0 and 1 tie with it at −∞ and come first
  });

  it('gives NaN before any row rather than a made-up number', () => {
    const acc = accumulator(4, [1]);
    expect(acc.accuracy()).toBeNaN();
    expect(acc.topKAccuracy(1)).toBeNaN();
    expect(acc.precisionRecallF1().macro.f1).toBeNaN();
  });
});

describe('precision, recall and F1', () => {
  // V = 4. targets 0 0 0 1 1 2, predictions 0 0 1 1 0 0.
  //   token 0: tp 2, predicted 4, support 3 → P = 1/2, R = 2/3, F1 = 2·(1/2)(2/3)/(1/2 + 2/3) = 4/7
  //   token 1: tp 1, predicted 2, support 2 → P = 1/2, R = 1/2, F1 = 1/2
  //   token 2: tp 0, never predicted, support 1 → P = 0 (convention), R = 0, F1 = 0
  //   token 3: neither a target nor predicted → excluded from macro
  // macro over 3 tokens: P = (1/2 + 1/2 + 0)/3 = 1/3, R = (2/3 + 1/2 + 0)/3 = 7/18, F1 = (4/7 + 1/2)/3 = 5/14
  // micro: Σtp / N = 3/6 = 1/2 for P, R and F1 (= top-1 accuracy)
  // weighted by support 3, 2, 1 (of 6): P = (3·1/2 + 2·1/2)/6 = 5/12, R = (3·2/3 + 2·1/2)/6 = 1/2,
  //   F1 = (3·4/7 + 2·1/2)/6 = 19/42
  const targets = Int32Array.from([0, 0, 0, 1, 1, 2]);
  const predictions = [0, 0, 1, 1, 0, 0];

  function report(): ReturnType<ClassificationAccumulator['precisionRecallF1']> {
    const acc = accumulator(4);
    acc.add(rowsPredicting(predictions, 4), targets, 6);
    return acc.precisionRecallF1();
  }

  it('scores each token, with 0 precision for a token never predicted', () => {
    const r = report();
    expect(Array.from(r.support)).toEqual([3, 2, 1, 0]);
    expect(Array.from(r.predicted)).toEqual([4, 2, 0, 0]);
    expect(Array.from(r.precision)).toEqual([1 / 2, 1 / 2, 0, 0]);
    expect(r.recall[0]).toBeCloseTo(2 / 3, 15);
    expect(r.recall[1]).toBe(1 / 2);
    expect(r.recall[2]).toBe(0);
    expect(r.f1[0]).toBeCloseTo(4 / 7, 15);
    expect(r.f1[1]).toBe(1 / 2);
    expect(r.f1[2]).toBe(0);
  });

  it('averages macro over the tokens that occur, leaving out the absent, never-predicted one', () => {
    const r = report();
    expect(r.macroClasses).toBe(3);
    expect(r.macro.precision).toBeCloseTo(1 / 3, 15);
    expect(r.macro.recall).toBeCloseTo(7 / 18, 15);
    expect(r.macro.f1).toBeCloseTo(5 / 14, 15);
  });

  it('pools counts for micro, which equals the top-1 accuracy', () => {
    const r = report();
    expect(r.micro).toEqual({ precision: 1 / 2, recall: 1 / 2, f1: 1 / 2 });
  });

  it('weights by support for weighted', () => {
    const r = report();
    expect(r.weighted.precision).toBeCloseTo(5 / 12, 15);
    expect(r.weighted.recall).toBeCloseTo(1 / 2, 15);
    expect(r.weighted.f1).toBeCloseTo(19 / 42, 15);
  });

  it('keeps in macro a token that is predicted but never a target', () => {
    // V = 3. targets 0 1, predictions 0 2: token 0 P = R = F1 = 1; token 1 never predicted (0, 0, 0);
    // token 2 predicted once, never a target (0, 0, 0). Macro over all 3 = 1/3 each; weighted by
    // support 1, 1, 0 = 1/2 each.
    const acc = accumulator(3);
    acc.add(rowsPredicting([0, 2], 3), Int32Array.from([0, 1]), 2);
    const r = acc.precisionRecallF1();
    expect(r.macroClasses).toBe(3);
    expect(r.macro.precision).toBeCloseTo(1 / 3, 15);
    expect(r.macro.f1).toBeCloseTo(1 / 3, 15);
    expect(r.weighted).toEqual({ precision: 1 / 2, recall: 1 / 2, f1: 1 / 2 });
  });

  it('adds batches up to the same counts as one batch', () => {
    const acc = accumulator(4, [1, 2]);
    const probs = rowsPredicting(predictions, 4);
    acc.add(probs.subarray(0, 2 * 4), targets.subarray(0, 2), 2);
    acc.add(probs.subarray(2 * 4), targets.subarray(2), 4);
    expect(acc.rows).toBe(6);
    expect(acc.precisionRecallF1()).toEqual(report());
    expect(acc.topKAccuracy(1)).toBe(1 / 2);
  });

  it('computes the same report straight from counts', () => {
    const r = precisionRecallF1(
      Float64Array.from([2, 1, 0, 0]),
      Float64Array.from([4, 2, 0, 0]),
      Float64Array.from([3, 2, 1, 0]),
    );
    expect(r).toEqual(report());
  });
});

describe('confusion matrix', () => {
  // V = 6, shown tokens [2, 0], so rows/columns are [2, 0, other]. Pairs (true → predicted):
  //   2→2 [0][0]   2→0 [0][1]   0→0 [1][1]   0→3 [1][2]   5→2 [2][0]   4→5 [2][2]   1→1 [2][2]
  const targets = Int32Array.from([2, 2, 0, 0, 5, 4, 1]);
  const predictions = [2, 0, 0, 3, 2, 5, 1];

  it('puts rows = true and columns = predicted, folding every other token into "other"', () => {
    const acc = accumulator(6, [1], [2, 0]);
    acc.add(rowsPredicting(predictions, 6), targets, 7);
    const m = acc.confusionMatrix();
    expect(m.size).toBe(3);
    expect(Array.from(m.tokens)).toEqual([2, 0]);
    expect(Array.from(m.counts)).toEqual([1, 1, 0, 0, 1, 1, 1, 0, 2]);
    expect(m.counts.reduce((a, b) => a + b, 0)).toBe(7);
  });

  it('sums to the rows seen over several batches', () => {
    const acc = accumulator(6, [1], [2, 0]);
    const probs = rowsPredicting(predictions, 6);
    for (let r = 0; r < 7; r++) acc.add(probs.subarray(r * 6, (r + 1) * 6), targets.subarray(r, r + 1), 1);
    acc.add(probs, targets, 7);
    const m = acc.confusionMatrix();
    expect(Array.from(m.counts)).toEqual([2, 2, 0, 0, 2, 2, 2, 0, 4]);
    expect(m.counts.reduce((a, b) => a + b, 0)).toBe(acc.rows);
  });

  it('is a single "other" cell when no token is shown', () => {
    const acc = accumulator(6);
    acc.add(rowsPredicting(predictions, 6), targets, 7);
    expect(Array.from(acc.confusionMatrix().counts)).toEqual([7]);
  });

  it('takes its tokens from the most frequent targets, ties to the lower id, never a zero count', () => {
    expect(Array.from(mostFrequentTokens([3, 0, 5, 3, 1], 3))).toEqual([2, 0, 3]);
    expect(Array.from(mostFrequentTokens([3, 0, 5, 3, 1], 10))).toEqual([2, 0, 3, 4]);
    const acc = accumulator(6);
    acc.add(rowsPredicting(predictions, 6), targets, 7);
    expect(Array.from(mostFrequentTokens(acc.targetCounts(), 2))).toEqual([0, 2]);
  });
});

describe('argument checks', () => {
  it('rejects a target outside the vocabulary, naming the row', () => {
    const acc = accumulator(4);
    expect(() => acc.add(new Float32Array(8), Int32Array.from([1, 4]), 2)).toThrow(
      new MetricArgumentError('targets[1]', 4, 'a token id in [0, 4)'),
    );
  });

  it('rejects buffers shorter than N rows', () => {
    const acc = accumulator(4);
    expect(() => acc.add(new Float32Array(7), Int32Array.from([0, 0]), 2)).toThrow(MetricArgumentError);
    expect(() => acc.add(new Float32Array(8), Int32Array.from([0]), 2)).toThrow(MetricArgumentError);
  });

  it('rejects an untracked k, a k above V, and a repeated or out-of-range confusion token', () => {
    expect(() => accumulator(4, [1]).topKAccuracy(5)).toThrow('one of the tracked topK [1]');
    expect(() => accumulator(4, [5])).toThrow(MetricArgumentError);
    expect(() => accumulator(4, [1], [1, 1])).toThrow('each token id at most once');
    expect(() => accumulator(4, [1], [4])).toThrow(MetricArgumentError);
  });
});
