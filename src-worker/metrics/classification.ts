// Next-token classification metrics: top-1 and top-k accuracy, precision/recall/F1 per token with
// macro, micro and weighted averages, and a confusion matrix over chosen tokens plus "other".
//
// One accumulator adds counts batch by batch, so an evaluation over many batches never keeps the
// probabilities: memory is O(V + K²), fixed in the constructor, and `add` allocates nothing.
//
// Ranking rule, the only place ties matter: tokens are ordered by probability, high to low; equal
// probabilities by token id, low first; NaN ranks as −∞ (below every number). So the top-1
// prediction is the lowest id among the highest probabilities, and the target is "in the top k"
// when fewer than k tokens rank before it. A row of all-equal probabilities predicts token 0.

import { MetricArgumentError, ensure } from './errors';

/** Precision, recall and F1 after one kind of averaging. */
export interface AveragedScores {
  precision: number;
  recall: number;
  f1: number;
}

/**
 * Per-token scores and their averages. Conventions (as scikit-learn with zero_division=0):
 * - precision = tp / predicted, and 0 for a token never predicted;
 * - recall = tp / support, and 0 for a token absent from the targets;
 * - F1 = 2·P·R / (P + R), and 0 when P + R = 0.
 * Macro is the plain mean over the tokens that occur as a target OR as a prediction (a token that is
 * neither is excluded: it says nothing about the model); macro F1 is the mean of per-token F1s.
 * Micro pools the counts: Σtp / Σpredicted and Σtp / Σsupport. With one label per row both equal the
 * top-1 accuracy. Weighted is the mean weighted by support. With no rows every average is NaN.
 */
export interface PrecisionRecallF1 {
  precision: Float64Array; // (V)
  recall: Float64Array; // (V)
  f1: Float64Array; // (V)
  /** Rows whose target is the token. */
  support: Float64Array; // (V)
  /** Rows whose top-1 prediction is the token. */
  predicted: Float64Array; // (V)
  /** How many tokens the macro average runs over. */
  macroClasses: number;
  macro: AveragedScores;
  micro: AveragedScores;
  weighted: AveragedScores;
}

/** Counts of (true, predicted) pairs over chosen tokens, the last row and column being "other". */
export interface ConfusionMatrix {
  /** The tokens shown, in order: row/column i is tokens[i], row/column tokens.length is "other". */
  tokens: Int32Array; // (K)
  /** Row-major, rows = true token, columns = predicted token; all entries sum to the rows seen. */
  counts: Float64Array; // (K+1, K+1)
  size: number; // K+1
}

export interface ClassificationOptions {
  /** Vocabulary size: each probs row has V entries and targets lie in [0, V). */
  V: number;
  /** The k of each top-k accuracy to track, integers in [1, V], e.g. [1, 5]. */
  topK: readonly number[];
  /** Token ids the confusion matrix shows, in display order, distinct; any other id is "other". */
  confusionTokens: ArrayLike<number>;
}

export class ClassificationAccumulator {
  readonly V: number;
  readonly topK: readonly number[];
  private readonly correctAtK: Float64Array; // (topK.length)
  private readonly truePositives: Float64Array; // (V)
  private readonly predictedCounts: Float64Array; // (V)
  private readonly supportCounts: Float64Array; // (V)
  private readonly tokens: Int32Array; // (K)
  private readonly bucketOf: Int32Array; // (V) token id → matrix row/column; K means "other"
  private readonly confusion: Float64Array; // (K+1, K+1)
  private rowsSeen = 0;

  constructor(options: ClassificationOptions) {
    const { V, topK, confusionTokens } = options;
    ensure(Number.isSafeInteger(V) && V >= 1, 'V', V, 'an integer ≥ 1');
    for (const k of topK)
      ensure(Number.isSafeInteger(k) && k >= 1 && k <= V, 'topK', k, `integers in [1, ${V}]`);
    this.V = V;
    this.topK = [...topK];
    this.correctAtK = new Float64Array(topK.length);
    this.truePositives = new Float64Array(V);
    this.predictedCounts = new Float64Array(V);
    this.supportCounts = new Float64Array(V);

    const K = confusionTokens.length;
    this.tokens = Int32Array.from(confusionTokens);
    this.bucketOf = new Int32Array(V).fill(K);
    for (let i = 0; i < K; i++) {
      const id = confusionTokens[i];
      ensure(Number.isSafeInteger(id) && id >= 0 && id < V, 'confusionTokens', id, `token ids in [0, ${V})`);
      ensure(this.bucketOf[id] === K, 'confusionTokens', id, 'each token id at most once');
      this.bucketOf[id] = i;
    }
    this.confusion = new Float64Array((K + 1) * (K + 1));
  }

  /** Rows added since construction or the last reset. */
  get rows(): number {
    return this.rowsSeen;
  }

  /** Adds one batch: probs (N,V) are probabilities (or any scores ranked the same way), targets (N). */
  add(probs: Float32Array, targets: Int32Array, N: number): void {
    const V = this.V;
    // Checks throw directly rather than through ensure(), whose message strings would be built on
    // every call: add() runs once per batch and allocates nothing.
    if (!(Number.isSafeInteger(N) && N >= 0)) throw new MetricArgumentError('N', N, 'an integer ≥ 0');
    if (probs.length < N * V) throw new MetricArgumentError('probs.length', probs.length, `≥ N·V = ${N * V}`);
    if (targets.length < N) throw new MetricArgumentError('targets.length', targets.length, `≥ N = ${N}`);
    const K = this.tokens.length;
    for (let r = 0; r < N; r++) {
      const target = targets[r];
      if (!(target >= 0 && target < V)) {
        throw new MetricArgumentError(`targets[${r}]`, target, `a token id in [0, ${V})`);
      }
      const base = r * V;
      const targetKey = rankKey(probs[base + target]);
      // One pass finds the top-1 token and how many tokens rank before the target.
      let best = 0;
      let bestKey = rankKey(probs[base]);
      let ahead = 0;
      for (let j = 0; j < V; j++) {
        const key = rankKey(probs[base + j]);
        if (key > bestKey) {
          best = j;
          bestKey = key;
        }
        if (key > targetKey || (key === targetKey && j < target)) ahead++;
      }
      for (let i = 0; i < this.topK.length; i++) if (ahead < this.topK[i]) this.correctAtK[i]++;
      this.supportCounts[target]++;
      this.predictedCounts[best]++;
      if (best === target) this.truePositives[target]++;
      this.confusion[this.bucketOf[target] * (K + 1) + this.bucketOf[best]]++;
    }
    this.rowsSeen += N;
  }

  reset(): void {
    this.correctAtK.fill(0);
    this.truePositives.fill(0);
    this.predictedCounts.fill(0);
    this.supportCounts.fill(0);
    this.confusion.fill(0);
    this.rowsSeen = 0;
  }

  /** Top-1 accuracy; NaN before any row. */
  accuracy(): number {
    let correct = 0;
    for (let c = 0; c < this.V; c++) correct += this.truePositives[c];
    return correct / this.rowsSeen;
  }

  /** Fraction of rows whose target ranks in the top k; k must be one of `topK`. NaN before any row. */
  topKAccuracy(k: number): number {
    const i = this.topK.indexOf(k);
    ensure(i >= 0, 'k', k, `one of the tracked topK [${this.topK.join(', ')}]`);
    return this.correctAtK[i] / this.rowsSeen;
  }

  precisionRecallF1(): PrecisionRecallF1 {
    return precisionRecallF1(this.truePositives, this.predictedCounts, this.supportCounts);
  }

  /** A copy of the confusion counts. */
  confusionMatrix(): ConfusionMatrix {
    return { tokens: this.tokens.slice(), counts: this.confusion.slice(), size: this.tokens.length + 1 };
  }

  /** A copy of how often each token was the target: feed it to mostFrequentTokens for the next run. */
  targetCounts(): Float64Array {
    return this.supportCounts.slice();
  }
}

/** NaN ranks as −∞, so a broken row still has a defined order. */
function rankKey(p: number): number {
  return p !== p ? -Infinity : p;
}

/** Scores from per-token counts (each (V)); see PrecisionRecallF1 for the conventions. */
export function precisionRecallF1(
  truePositives: Float64Array,
  predicted: Float64Array,
  support: Float64Array,
): PrecisionRecallF1 {
  const V = truePositives.length;
  ensure(predicted.length === V && support.length === V, 'count lengths', V, 'three arrays of one length');
  const precision = new Float64Array(V);
  const recall = new Float64Array(V);
  const f1 = new Float64Array(V);
  let macroClasses = 0;
  const macro = { precision: 0, recall: 0, f1: 0 };
  const weighted = { precision: 0, recall: 0, f1: 0 };
  let sumTp = 0;
  let sumPredicted = 0;
  let sumSupport = 0;
  for (let c = 0; c < V; c++) {
    const tp = truePositives[c];
    precision[c] = predicted[c] > 0 ? tp / predicted[c] : 0;
    recall[c] = support[c] > 0 ? tp / support[c] : 0;
    const pr = precision[c] + recall[c];
    f1[c] = pr > 0 ? (2 * precision[c] * recall[c]) / pr : 0;
    if (support[c] > 0 || predicted[c] > 0) {
      macroClasses++;
      macro.precision += precision[c];
      macro.recall += recall[c];
      macro.f1 += f1[c];
    }
    weighted.precision += support[c] * precision[c];
    weighted.recall += support[c] * recall[c];
    weighted.f1 += support[c] * f1[c];
    sumTp += tp;
    sumPredicted += predicted[c];
    sumSupport += support[c];
  }
  const microPrecision = sumTp / sumPredicted;
  const microRecall = sumTp / sumSupport;
  return {
    precision,
    recall,
    f1,
    support: support.slice(),
    predicted: predicted.slice(),
    macroClasses,
    macro: {
      precision: macro.precision / macroClasses,
      recall: macro.recall / macroClasses,
      f1: macro.f1 / macroClasses,
    },
    micro: {
      precision: microPrecision,
      recall: microRecall,
      f1: harmonicF1(microPrecision, microRecall),
    },
    weighted: {
      precision: weighted.precision / sumSupport,
      recall: weighted.recall / sumSupport,
      f1: weighted.f1 / sumSupport,
    },
  };
}

/** 2PR/(P+R); 0 when both are 0; NaN stays NaN (no rows). */
function harmonicF1(p: number, r: number): number {
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

/**
 * The (at most) K ids with the highest counts, most frequent first, ties by lower id; ids with a
 * count of 0 are never chosen. Picks the confusion-matrix tokens from target counts (of the
 * validation split, or of a previous evaluation), so the matrix keeps the same axes across evals.
 */
export function mostFrequentTokens(counts: ArrayLike<number>, K: number): Int32Array {
  ensure(Number.isSafeInteger(K) && K >= 0, 'K', K, 'an integer ≥ 0');
  const ids: number[] = [];
  for (let id = 0; id < counts.length; id++) if (counts[id] > 0) ids.push(id);
  ids.sort((a, b) => counts[b] - counts[a] || a - b);
  return Int32Array.from(ids.slice(0, K));
}
