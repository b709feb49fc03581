// What the byte and BPE tokenizers share: every id stands for a fixed run of bytes, so decoding
// looks the bytes up and reads them as UTF-8 (a token may hold part of a character).

import {
  TokenStreamDecoder,
  checkTokenId,
  decodeTokenBytes,
  type HfTokenizerJson,
  type Tokenizer,
  type TokenizerKind,
} from './tokenizer';

export abstract class ByteTableTokenizer implements Tokenizer {
  abstract readonly kind: TokenizerKind;
  readonly vocabSize: number;

  /** @param bytesOfId id → the bytes that token stands for. */
  protected constructor(protected readonly bytesOfId: readonly Uint8Array[]) {
    this.vocabSize = bytesOfId.length;
  }

  abstract encode(text: string): Int32Array;
  abstract toJSON(): HfTokenizerJson;

  decode(ids: ArrayLike<number>): string {
    return decodeTokenBytes(this.bytesOfId, ids);
  }

  tokenBytes(id: number): Uint8Array {
    checkTokenId(id, this.vocabSize);
    return this.bytesOfId[id];
  }

  decodeToken(id: number): string {
    return this.decode([id]);
  }

  streamDecoder(): TokenStreamDecoder {
    return new TokenStreamDecoder(this);
  }
}
