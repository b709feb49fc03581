// One entry point that builds any of the three tokenizers for a corpus from a plain spec.

import { trainBpe } from './bpe-train';
import { ByteTokenizer } from './byte-tokenizer';
import { CharTokenizer } from './char-tokenizer';
import type { Tokenizer } from './tokenizer';

/** What the person chose; BPE's vocabSize is 257 … 65536. */
export type TokenizerSpec = { kind: 'byte' } | { kind: 'char' } | { kind: 'bpe'; vocabSize: number };

/** The byte tokenizer ignores `text`; char collects its characters; BPE trains on it. */
export function trainTokenizer(spec: TokenizerSpec, text: string): Tokenizer {
  switch (spec.kind) {
    case 'byte':
      return new ByteTokenizer();
    case 'char':
      return CharTokenizer.fromText(text);
    case 'bpe':
      return trainBpe(text, spec.vocabSize);
    default: {
      const unknown: never = spec;
      throw new TypeError(`Unknown tokenizer kind in ${JSON.stringify(unknown)}.`);
    }
  }
}
