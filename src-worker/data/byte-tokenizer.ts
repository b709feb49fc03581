// The byte tokenizer: one token per UTF-8 byte, ids 0…255 equal to the byte values. Needs no
// training and is exact for any text; it is also byte-level BPE with zero merges, which is how
// it is written to tokenizer.json.

import { BYTE_TO_CHAR } from './byte-level';
import { ByteTableTokenizer } from './byte-table-tokenizer';
import { UTF8, byteLevelBpeJson, type HfTokenizerJson } from './tokenizer';

const SINGLE_BYTES: readonly Uint8Array[] = Array.from({ length: 256 }, (_, byte) => Uint8Array.of(byte));

export class ByteTokenizer extends ByteTableTokenizer {
  readonly kind = 'byte';

  constructor() {
    super(SINGLE_BYTES);
  }

  encode(text: string): Int32Array {
    return Int32Array.from(UTF8.encode(text));
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
