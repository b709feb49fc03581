// The byte tokenizer: one token per UTF-8 byte, ids 0…255 equal to the byte values. Needs no
// training and is exact for any text; it is also byte-level BPE with zero merges, which is how
// it is written to tokenizer.json.

import {
  TokenStreamDecoder,
  UTF8,
  checkTokenId,
  decodeTokenBytes,
  byteLevelBpeJson,
  type HfTokenizerJson,
  type Tokenizer,
} from './tokenizer';
import { BYTE_TO_CHAR } from './byte-level';

const SINGLE_BYTES: readonly Uint8Array[] = Array.from({ length: 256 }, (_, byte) => Uint8Array.of(byte));

export class ByteTokenizer implements Tokenizer {
  readonly kind = 'byte';
  readonly vocabSize = 256;

  encode(text: string): Int32Array {
    return Int32Array.from(UTF8.encode(text));
  }

  decode(ids: ArrayLike<number>): string {
    return decodeTokenBytes(SINGLE_BYTES, ids);
  }

  tokenBytes(id: number): Uint8Array {
    checkTokenId(id, 256);
    return SINGLE_BYTES[id];
  }

  decodeToken(id: number): string {
    return this.decode([id]);
  }

  streamDecoder(): TokenStreamDecoder {
    return new TokenStreamDecoder(this);
  }

  /**
   * A byte-level BPE with the 256 byte symbols and no merges: loaded by Hugging Face `tokenizers`
   * it gives exactly our ids (each byte its own token) and decodes them back to the text.
   */
  toJSON(): HfTokenizerJson {
    const vocab: Record<string, number> = {};
    BYTE_TO_CHAR.forEach((ch, byte) => (vocab[ch] = byte));
    return byteLevelBpeJson(vocab, []);
  }
}
