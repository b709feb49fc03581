// Byte-level BPE training: repeatedly merge the most frequent adjacent pair of tokens inside the
// corpus's pre-tokenized words, keeping pair counts up to date incrementally.

import { BpeTokenizer, bytesKey, concatBytes, type BpeMerge } from './bpe-tokenizer';
import { forEachPreToken } from './byte-level';
import { TokenizerError, UTF8 } from './tokenizer';

export const MIN_BPE_VOCAB = 257;
export const MAX_BPE_VOCAB = 65536;
/** A pair seen only once is not worth a token: training stops when the best pair is that rare. */
const MIN_PAIR_COUNT = 2;
const PAIR_SPAN = 65536;

/**
 * Trains a byte-level BPE tokenizer on `text` up to `vocabSize` tokens (256 byte tokens plus the
 * tokens made by merges). Deterministic: among pairs of equal count the one with the smaller
 * (left id, right id) is merged first. Training ends early, with a smaller vocabulary, when no
 * pair occurs at least twice; read `vocabSize` from the result.
 *
 * Cost: the text is split once into words (GPT-2 pre-tokenizer) and each distinct word is kept
 * once with its frequency. Pair counts live in a map; for each pair, the words that contain it.
 * A merge revisits only the words holding the merged pair, so the total work follows the number
 * of changes, not (merges × corpus). The best pair comes from a max-heap whose entries may be
 * stale: a merge only lowers the counts of pairs it does not create (the pairs holding the new
 * token are pushed afresh), so an entry whose count disagrees with the map is pushed back with the
 * true count, and the first entry that agrees is the true best.
 */
export function trainBpe(text: string, vocabSize: number): BpeTokenizer {
  if (!(Number.isInteger(vocabSize) && vocabSize >= MIN_BPE_VOCAB && vocabSize <= MAX_BPE_VOCAB)) {
    throw new TokenizerError(
      `BPE vocabulary size must be an integer from ${MIN_BPE_VOCAB} to ${MAX_BPE_VOCAB} (256 byte tokens plus ` +
        `at least one merge); got ${vocabSize}.`,
    );
  }

  const frequencyOfPiece = new Map<string, number>();
  forEachPreToken(text, (piece) => frequencyOfPiece.set(piece, (frequencyOfPiece.get(piece) ?? 0) + 1));
  const words: Int32Array[] = [];
  const wordLength: number[] = [];
  const wordFrequency: number[] = [];
  for (const [piece, frequency] of frequencyOfPiece) {
    const bytes = UTF8.encode(piece);
    if (bytes.length < 2) continue; // no pair inside: nothing to learn from it
    words.push(Int32Array.from(bytes));
    wordLength.push(bytes.length);
    wordFrequency.push(frequency);
  }

  const tokenBytes: Uint8Array[] = Array.from({ length: 256 }, (_, byte) => Uint8Array.of(byte));
  const idOfBytes = new Map<string, number>(tokenBytes.map((bytes, id) => [bytesKey(bytes), id]));
  const countOfPair = new Map<number, number>();
  const wordsWithPair = new Map<number, number[]>();

  const addWordPairs = (w: number, sign: 1 | -1, register: (pair: number) => boolean): void => {
    const symbols = words[w];
    const delta = sign * wordFrequency[w];
    for (let i = 0; i + 1 < wordLength[w]; i++) {
      const pair = symbols[i] * PAIR_SPAN + symbols[i + 1];
      const count = (countOfPair.get(pair) ?? 0) + delta;
      if (count === 0) countOfPair.delete(pair);
      else countOfPair.set(pair, count);
      if (sign > 0 && register(pair)) {
        const list = wordsWithPair.get(pair);
        if (list === undefined) wordsWithPair.set(pair, [w]);
        else if (list[list.length - 1] !== w) list.push(w);
      }
    }
  };
  for (let w = 0; w < words.length; w++) addWordPairs(w, 1, () => true);

  const heap = new PairHeap();
  for (const [pair, count] of countOfPair) heap.push(count, pair);

  const merges: BpeMerge[] = [];
  const mergedPairs = new Set<number>();
  const lastVisit = new Int32Array(words.length).fill(-1);
  for (let step = 0; tokenBytes.length < vocabSize && heap.size > 0; step++) {
    const { count, pair } = heap.pop();
    const current = countOfPair.get(pair) ?? 0;
    if (count !== current) {
      if (current > 0) heap.push(current, pair);
      continue;
    }
    if (count < MIN_PAIR_COUNT) break;

    const left = Math.floor(pair / PAIR_SPAN);
    const right = pair % PAIR_SPAN;
    // Two different merges can spell the same bytes ("a"+"bc", "ab"+"c"); like Hugging Face's
    // trainer we give them one token, as the tokenizer.json vocabulary maps each string once.
    const joined = concatBytes(tokenBytes[left], tokenBytes[right]);
    let result = idOfBytes.get(bytesKey(joined));
    if (result === undefined) {
      result = tokenBytes.length;
      tokenBytes.push(joined);
      idOfBytes.set(bytesKey(joined), result);
    }
    // Reusing a token can bring back a pair merged before; encoding merges it at its first rank,
    // so training merges it here too but records the rule once.
    if (!mergedPairs.has(pair)) {
      merges.push({ left, right, result });
      mergedPairs.add(pair);
    }

    const newPairs = new Set<number>();
    const mergedId = result;
    const registerNew = (p: number): boolean => {
      const isNew = Math.floor(p / PAIR_SPAN) === mergedId || p % PAIR_SPAN === mergedId;
      if (isNew) newPairs.add(p);
      return isNew;
    };
    for (const w of wordsWithPair.get(pair) ?? []) {
      if (lastVisit[w] === step || !containsPair(words[w], wordLength[w], left, right)) continue;
      lastVisit[w] = step;
      addWordPairs(w, -1, registerNew);
      wordLength[w] = mergePair(words[w], wordLength[w], left, right, result);
      addWordPairs(w, 1, registerNew);
    }
    wordsWithPair.delete(pair);
    for (const p of newPairs) {
      const c = countOfPair.get(p);
      if (c !== undefined) heap.push(c, p);
    }
  }
  return new BpeTokenizer(tokenBytes, merges);
}

function containsPair(symbols: Int32Array, length: number, left: number, right: number): boolean {
  for (let i = 0; i + 1 < length; i++) if (symbols[i] === left && symbols[i + 1] === right) return true;
  return false;
}

/** Replaces each (left, right), scanning left to right without overlap, by `result`; returns the new length. */
function mergePair(symbols: Int32Array, length: number, left: number, right: number, result: number): number {
  let out = 0;
  for (let i = 0; i < length; i++) {
    if (i + 1 < length && symbols[i] === left && symbols[i + 1] === right) {
      symbols[out++] = result;
      i++;
    } else {
      symbols[out++] = symbols[i];
    }
  }
  return out;
}

/** Whether (count, pair) comes out of the heap before (otherCount, otherPair). */
function precedes(count: number, pair: number, otherCount: number, otherPair: number): boolean {
  return count > otherCount || (count === otherCount && pair < otherPair);
}

/** A max-heap of (count, pair): larger count first, then smaller pair key, so ties are deterministic. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly pairs: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  push(count: number, pair: number): void {
    const { counts, pairs } = this;
    let i = counts.length;
    counts.push(count);
    pairs.push(pair);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!precedes(count, pair, counts[parent], pairs[parent])) break;
      counts[i] = counts[parent];
      pairs[i] = pairs[parent];
      i = parent;
    }
    counts[i] = count;
    pairs[i] = pair;
  }

  pop(): { count: number; pair: number } {
    const { counts, pairs } = this;
    const top = { count: counts[0], pair: pairs[0] };
    const count = counts.pop() as number;
    const pair = pairs.pop() as number;
    const n = counts.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && precedes(counts[child + 1], pairs[child + 1], counts[child], pairs[child]))
        child++;
      if (!precedes(counts[child], pairs[child], count, pair)) break;
      counts[i] = counts[child];
      pairs[i] = pairs[child];
      i = child;
    }
    counts[i] = count;
    pairs[i] = pair;
    return top;
  }
}
