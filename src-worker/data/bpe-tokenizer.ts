// The byte-level BPE tokenizer (GPT-2 style): text is split by the GPT-2 pre-tokenizer, each
// piece becomes UTF-8 bytes, and merges are applied lowest rank first. Training is in bpe-train.ts.

import { bytesToByteLevel, forEachPreToken } from './byte-level';
import { ByteTableTokenizer } from './byte-table-tokenizer';
import { TokenizerError, UTF8, checkTokenId, byteLevelBpeJson, type HfTokenizerJson } from './tokenizer';

/** One merge rule: the adjacent tokens `left`, `right` become `result` (all ids). */
export interface BpeMerge {
  readonly left: number;
  readonly right: number;
  readonly result: number;
}

const MAX_VOCAB = 65536;
/** Ranks and positions share one heap key, rank · 2³² + position; ranks stay below 2²⁰. */
const MAX_MERGES = 1 << 20;
const POSITION_SPAN = 2 ** 32;
/** Distinct pieces remembered by `encode`; the cache starts over when it is full. */
const CACHE_LIMIT = 100_000;

export class BpeTokenizer extends ByteTableTokenizer {
  readonly kind = 'bpe';
  private readonly idOfByte = new Int32Array(256).fill(-1);
  /** pair key (left · 65536 + right) → rank · 65536 + result */
  private readonly mergeOfPair = new Map<number, number>();
  private readonly cache = new Map<string, Int32Array>();

  /**
   * @param tokenBytes id → the bytes of that token. All 256 single bytes must be present and no
   *   two tokens may have the same bytes.
   * @param merges in rank order; each result's bytes are its left's followed by its right's.
   */
  constructor(
    tokenBytesOfId: readonly Uint8Array[],
    readonly merges: readonly BpeMerge[],
  ) {
    super(tokenBytesOfId);
    const vocabSize = tokenBytesOfId.length;
    if (vocabSize > MAX_VOCAB) {
      throw new TokenizerError(
        `A BPE vocabulary holds at most ${MAX_VOCAB} tokens; this one has ${vocabSize}.`,
      );
    }
    if (merges.length >= MAX_MERGES) {
      throw new TokenizerError(
        `A BPE tokenizer holds fewer than ${MAX_MERGES} merges; this one has ${merges.length}.`,
      );
    }
    const idOfBytes = new Map<string, number>();
    tokenBytesOfId.forEach((bytes, id) => {
      const key = bytesKey(bytes);
      const other = idOfBytes.get(key);
      if (other !== undefined)
        throw new TokenizerError(`Tokens ${other} and ${id} stand for the same bytes.`);
      if (bytes.length === 0) throw new TokenizerError(`Token ${id} stands for no bytes.`);
      idOfBytes.set(key, id);
      if (bytes.length === 1) this.idOfByte[bytes[0]] = id;
    });
    const missing = this.idOfByte.indexOf(-1);
    if (missing >= 0) {
      throw new TokenizerError(
        `The vocabulary has no token for the byte 0x${missing.toString(16)}; all 256 are needed.`,
      );
    }
    merges.forEach(({ left, right, result }, rank) => {
      for (const id of [left, right, result]) checkTokenId(id, vocabSize);
      const joined = concatBytes(tokenBytesOfId[left], tokenBytesOfId[right]);
      if (bytesKey(joined) !== bytesKey(tokenBytesOfId[result])) {
        throw new TokenizerError(
          `Merge ${rank} (${left} + ${right} → ${result}) does not join the two tokens' bytes.`,
        );
      }
      const pair = left * MAX_VOCAB + right;
      if (this.mergeOfPair.has(pair))
        throw new TokenizerError(`Merge ${rank} (${left} + ${right}) is listed twice.`);
      this.mergeOfPair.set(pair, rank * MAX_VOCAB + result);
    });
  }

  encode(text: string): Int32Array {
    let ids = new Int32Array(Math.max(16, text.length >> 1));
    let count = 0;
    forEachPreToken(text, (piece) => {
      const pieceIds = this.encodePiece(piece);
      if (count + pieceIds.length > ids.length) {
        const grown = new Int32Array(Math.max(ids.length * 2, count + pieceIds.length));
        grown.set(ids.subarray(0, count));
        ids = grown;
      }
      ids.set(pieceIds, count);
      count += pieceIds.length;
    });
    return ids.slice(0, count);
  }

  /**
   * GPT-2's layout: a BPE model (vocabulary spelled byte-level, merges in rank order) between a
   * ByteLevel pre-tokenizer and a ByteLevel decoder. Hugging Face `tokenizers` gives the same ids.
   */
  toJSON(): HfTokenizerJson {
    const spelled = this.bytesOfId.map(bytesToByteLevel);
    const vocab: Record<string, number> = {};
    spelled.forEach((token, id) => (vocab[token] = id));
    const merges = this.merges.map(({ left, right }) => `${spelled[left]} ${spelled[right]}`);
    return byteLevelBpeJson(vocab, merges);
  }

  /** The ids of one pre-token piece, from the cache or by applying merges. */
  private encodePiece(piece: string): Int32Array {
    const cached = this.cache.get(piece);
    if (cached !== undefined) return cached;
    const ids = this.applyMerges(UTF8.encode(piece));
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(piece, ids);
    return ids;
  }

  /**
   * Merges the lowest-ranked adjacent pair first, leftmost first among equals, until no pair has a
   * merge. The symbols form a linked list over the byte positions and candidate merges sit in a
   * min-heap keyed rank · 2³² + position, so a piece of n bytes takes O(n log n), not O(n²): long
   * pieces (a paragraph of CJK text is one \p{L}+ run) stay cheap. Entries made stale by an earlier
   * merge are recognised on pop (the symbol is gone, or its pair is no longer the one ranked).
   */
  private applyMerges(bytes: Uint8Array): Int32Array {
    const n = bytes.length;
    const ids = new Int32Array(n);
    for (let i = 0; i < n; i++) ids[i] = this.idOfByte[bytes[i]];
    if (n < 2) return ids;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1;
      prev[i] = i - 1;
    }
    const heap = new MinHeap();
    const offer = (pos: number): void => {
      const merge = this.mergeOfPair.get(ids[pos] * MAX_VOCAB + ids[next[pos]]);
      if (merge !== undefined) heap.push(Math.floor(merge / MAX_VOCAB) * POSITION_SPAN + pos);
    };
    for (let i = 0; i + 1 < n; i++) offer(i);
    let remaining = n;
    while (heap.size > 0) {
      const key = heap.pop();
      const rank = Math.floor(key / POSITION_SPAN);
      const pos = key - rank * POSITION_SPAN;
      const right = next[pos];
      if (ids[pos] < 0 || right >= n) continue;
      const merge = this.mergeOfPair.get(ids[pos] * MAX_VOCAB + ids[right]);
      if (merge === undefined || Math.floor(merge / MAX_VOCAB) !== rank) continue;
      ids[pos] = merge % MAX_VOCAB;
      ids[right] = -1;
      next[pos] = next[right];
      if (next[pos] < n) prev[next[pos]] = pos;
      remaining--;
      if (prev[pos] >= 0) offer(prev[pos]);
      if (next[pos] < n) offer(pos);
    }
    const out = new Int32Array(remaining);
    for (let pos = 0, k = 0; pos < n; pos = next[pos]) out[k++] = ids[pos];
    return out;
  }
}

/** A binary min-heap of non-negative numbers. */
class MinHeap {
  private items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const items = this.items;
    let i = items.length;
    items.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent] <= value) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = value;
  }

  pop(): number {
    const items = this.items;
    const top = items[0];
    const last = items.pop() as number;
    const n = items.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && items[child + 1] < items[child]) child++;
      if (items[child] >= last) break;
      items[i] = items[child];
      i = child;
    }
    items[i] = last;
    return top;
  }
}

/** A string with one char per byte, usable as a Map key for byte sequences. */
export function bytesKey(bytes: Uint8Array): string {
  let key = '';
  for (const byte of bytes) key += String.fromCharCode(byte);
  return key;
}

export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
