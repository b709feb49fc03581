// The contract every tokenizer (byte, char, BPE) meets, the errors they raise, the streaming
// decoder for generated tokens, and the Hugging Face tokenizer.json shape they export.

export type TokenizerKind = 'byte' | 'char' | 'bpe';

export interface Tokenizer {
  readonly kind: TokenizerKind;
  /** Number of ids; every id is in [0, vocabSize). At most 65536, so ids also fit a Uint16Array. */
  readonly vocabSize: number;
  /**
   * Text → token ids, in a fresh Int32Array the caller owns (the model's input type, no copy
   * needed). Any well-formed string is accepted by byte and BPE; char throws UnknownCharacterError.
   */
  encode(text: string): Int32Array;
  /** Token ids → text. Ids whose bytes are not valid UTF-8 together decode to U+FFFD. */
  decode(ids: ArrayLike<number>): string;
  /** The UTF-8 bytes one token stands for (a view: do not modify). */
  tokenBytes(id: number): Uint8Array;
  /**
   * One token on its own, for display (a vocabulary list, top-k candidates). A byte-level token
   * that holds part of a multi-byte character shows as U+FFFD; to print generated text, use
   * `streamDecoder()`, which waits for the rest of the character.
   */
  decodeToken(id: number): string;
  /** A fresh incremental decoder for a stream of generated ids. */
  streamDecoder(): TokenStreamDecoder;
  /** The Hugging Face tokenizer.json object (what `JSON.stringify(tokenizer)` writes). */
  toJSON(): HfTokenizerJson;
}

/** A token id, a character or an option the tokenizer cannot work with. */
export class TokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerError';
  }
}

/** A character-level tokenizer was asked to encode a character its vocabulary does not have. */
export class UnknownCharacterError extends TokenizerError {
  constructor(
    /** The character itself (one code point). */
    readonly character: string,
    /** Position in the encoded text, counted in characters (code points) from 0. */
    readonly index: number,
    /** 1-based line and column of that position, for people. */
    readonly line: number,
    readonly column: number,
  ) {
    const cp = character.codePointAt(0) ?? 0;
    super(
      `The character ${JSON.stringify(character)} (U+${cp.toString(16).toUpperCase().padStart(4, '0')}) ` +
        `at line ${line}, column ${column} (character ${index}) is not in this character tokenizer's ` +
        `vocabulary, which holds only the characters of the corpus it was built from. Remove or replace ` +
        `it, or use the byte or BPE tokenizer, which accept any text.`,
    );
    this.name = 'UnknownCharacterError';
  }
}

/**
 * Turns generated token ids into text as they arrive. A byte-level token may end in the middle of
 * a multi-byte UTF-8 character; those bytes are held back until the character is complete, so
 * nothing half-formed is ever printed. Bytes that can never form a character come out as U+FFFD.
 */
export class TokenStreamDecoder {
  private readonly utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(private readonly tokenizer: Pick<Tokenizer, 'tokenBytes'>) {}

  /** The text completed by this token (possibly empty). */
  push(id: number): string {
    return this.utf8.decode(this.tokenizer.tokenBytes(id), { stream: true });
  }

  /** Ends the stream: whatever bytes are still held back come out as U+FFFD. */
  flush(): string {
    return this.utf8.decode();
  }
}

// --- Hugging Face tokenizer.json (the `tokenizers` library's serialization) -------------------
// Type aliases, not interfaces, so that they are assignable to plain JSON object types.

/** The ByteLevel pre-tokenizer / decoder entry as `tokenizers` writes it. */
export type HfByteLevel = {
  type: 'ByteLevel';
  add_prefix_space: boolean;
  trim_offsets: boolean;
  use_regex: boolean;
};

export type HfBpeModel = {
  type: 'BPE';
  dropout: null;
  unk_token: null;
  continuing_subword_prefix: null;
  end_of_word_suffix: null;
  fuse_unk: boolean;
  byte_fallback: boolean;
  ignore_merges: boolean;
  /** Token string → id. Byte-level tokens are spelled with BYTE_TO_CHAR; char tokens as themselves. */
  vocab: Record<string, number>;
  /** "left right" in rank order (the space-separated form every `tokenizers` version reads). */
  merges: string[];
};

export type HfTokenizerJson = {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: [];
  normalizer: null;
  pre_tokenizer: HfByteLevel | null;
  post_processor: null;
  decoder: HfByteLevel | { type: 'Fuse' };
  model: HfBpeModel;
};

export const HF_BYTE_LEVEL: HfByteLevel = {
  type: 'ByteLevel',
  add_prefix_space: false,
  trim_offsets: true,
  use_regex: true,
};

/** A BPE model entry with the given vocabulary and merges and every other option at its default. */
function hfBpeModel(vocab: Record<string, number>, merges: string[]): HfBpeModel {
  return {
    type: 'BPE',
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: false,
    vocab,
    merges,
  };
}

/**
 * A whole tokenizer.json around a BPE model: every tokenizer here is one, differing only in the
 * pre-tokenizer and decoder around it; no normalizer, post-processor or added tokens.
 */
export function bpeTokenizerJson(
  vocab: Record<string, number>,
  merges: string[],
  around: Pick<HfTokenizerJson, 'pre_tokenizer' | 'decoder'>,
): HfTokenizerJson {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: around.pre_tokenizer,
    post_processor: null,
    decoder: around.decoder,
    model: hfBpeModel(vocab, merges),
  };
}

/**
 * Byte-level BPE (GPT-2's layout): the BPE model between a ByteLevel pre-tokenizer and a ByteLevel
 * decoder. The byte tokenizer is this with no merges.
 */
export function byteLevelBpeJson(vocab: Record<string, number>, merges: string[]): HfTokenizerJson {
  return bpeTokenizerJson(vocab, merges, {
    pre_tokenizer: { ...HF_BYTE_LEVEL },
    decoder: { ...HF_BYTE_LEVEL },
  });
}

// --- helpers the tokenizers share ---------------------------------------------------------------

/** Throws unless `id` is an integer id of a vocabulary of `vocabSize`. */
export function checkTokenId(id: number, vocabSize: number): void {
  if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) {
    throw new TokenizerError(`Token id ${id} is outside the vocabulary: ids run from 0 to ${vocabSize - 1}.`);
  }
}

/** Concatenates the bytes of `ids` (looked up in `table`) and decodes them as UTF-8, lossily. */
export function decodeTokenBytes(table: readonly Uint8Array[], ids: ArrayLike<number>): string {
  let length = 0;
  for (let i = 0; i < ids.length; i++) {
    checkTokenId(ids[i], table.length);
    length += table[ids[i]].length;
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (let i = 0; i < ids.length; i++) {
    bytes.set(table[ids[i]], offset);
    offset += table[ids[i]].length;
  }
  return LOSSY_UTF8.decode(bytes);
}

/** Keeps a leading U+FEFF as a character, so decode(encode(text)) returns exactly text. */
export const LOSSY_UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });
export const UTF8 = new TextEncoder();
