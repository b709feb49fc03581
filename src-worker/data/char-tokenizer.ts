// The character tokenizer: one token per Unicode code point, the vocabulary being the corpus's
// distinct code points sorted by code point (what Python's `sorted(set(text))` gives).

import {
  TokenStreamDecoder,
  TokenizerError,
  UTF8,
  UnknownCharacterError,
  checkTokenId,
  bpeTokenizerJson,
  type HfTokenizerJson,
  type Tokenizer,
} from './tokenizer';

/** The BPE model's ids are limited to 16 bits across the engine (see Tokenizer.vocabSize). */
const MAX_VOCAB = 65536;

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char';
  readonly vocabSize: number;
  private readonly idOfCodePoint = new Map<number, number>();
  private readonly bytesOfId: Uint8Array[];

  /**
   * @param chars the vocabulary in id order, one code point each, all distinct. `fromText` gives
   * them sorted by code point; a tokenizer.json read back may hold any order.
   */
  constructor(readonly chars: readonly string[]) {
    if (chars.length === 0) throw new TokenizerError('A character tokenizer needs at least one character.');
    if (chars.length > MAX_VOCAB) {
      throw new TokenizerError(
        `The text has ${chars.length} distinct characters; a character tokenizer holds at most ${MAX_VOCAB}. ` +
          `Use the byte or BPE tokenizer for this text.`,
      );
    }
    chars.forEach((ch, id) => {
      const cp = ch.codePointAt(0);
      if (cp === undefined || String.fromCodePoint(cp) !== ch) {
        throw new TokenizerError(
          `Vocabulary entry ${id} (${JSON.stringify(ch)}) is not exactly one character.`,
        );
      }
      if (this.idOfCodePoint.has(cp)) {
        throw new TokenizerError(`The character ${JSON.stringify(ch)} appears twice in the vocabulary.`);
      }
      this.idOfCodePoint.set(cp, id);
    });
    this.vocabSize = chars.length;
    this.bytesOfId = chars.map((ch) => UTF8.encode(ch));
  }

  /** The tokenizer whose vocabulary is every distinct code point of `text`, sorted by code point. */
  static fromText(text: string): CharTokenizer {
    const codePoints = new Set<number>();
    for (let i = 0; i < text.length;) {
      const cp = text.codePointAt(i) as number;
      codePoints.add(cp);
      i += cp > 0xffff ? 2 : 1;
    }
    return new CharTokenizer([...codePoints].sort((a, b) => a - b).map((cp) => String.fromCodePoint(cp)));
  }

  /** Throws UnknownCharacterError (with its position) at the first character outside the vocabulary. */
  encode(text: string): Int32Array {
    const ids = new Int32Array(text.length);
    let count = 0;
    for (let i = 0; i < text.length;) {
      const cp = text.codePointAt(i) as number;
      const id = this.idOfCodePoint.get(cp);
      if (id === undefined) throw unknownCharacterAt(text, i);
      ids[count++] = id;
      i += cp > 0xffff ? 2 : 1;
    }
    return count === ids.length ? ids : ids.slice(0, count);
  }

  decode(ids: ArrayLike<number>): string {
    const parts = new Array<string>(ids.length);
    for (let i = 0; i < ids.length; i++) {
      checkTokenId(ids[i], this.vocabSize);
      parts[i] = this.chars[ids[i]];
    }
    return parts.join('');
  }

  tokenBytes(id: number): Uint8Array {
    checkTokenId(id, this.vocabSize);
    return this.bytesOfId[id];
  }

  decodeToken(id: number): string {
    checkTokenId(id, this.vocabSize);
    return this.chars[id];
  }

  streamDecoder(): TokenStreamDecoder {
    return new TokenStreamDecoder(this);
  }

  /**
   * A BPE model whose vocabulary is the characters themselves (not byte-level spelled) with no
   * merges, no pre-tokenizer and the Fuse decoder. Hugging Face `tokenizers` then gives one token
   * per character with our ids and decodes by concatenation. The one difference: a character
   * outside the vocabulary is silently dropped there (the format has no "error" option), where
   * `encode` here throws.
   */
  toJSON(): HfTokenizerJson {
    const vocab: Record<string, number> = {};
    this.chars.forEach((ch, id) => (vocab[ch] = id));
    return bpeTokenizerJson(vocab, [], { pre_tokenizer: null, decoder: { type: 'Fuse' } });
  }
}

function unknownCharacterAt(text: string, unitIndex: number): UnknownCharacterError {
  let index = 0;
  let line = 1;
  let column = 1;
  for (let i = 0; i < unitIndex;) {
    const cp = text.codePointAt(i) as number;
    index++;
    if (cp === 0x0a) {
      line++;
      column = 1;
    } else {
      column++;
    }
    i += cp > 0xffff ? 2 : 1;
  }
  return new UnknownCharacterError(
    String.fromCodePoint(text.codePointAt(unitIndex) as number),
    index,
    line,
    column,
  );
}
