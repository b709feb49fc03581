// Reading a Hugging Face tokenizer.json back into one of our tokenizers: every layout we write
// (byte, char, byte-level BPE) is recognised; anything else is a TokenizerFormatError.

import { BpeTokenizer, type BpeMerge } from './bpe-tokenizer';
import { BYTE_TO_CHAR, byteLevelToBytes } from './byte-level';
import { ByteTokenizer } from './byte-tokenizer';
import { CharTokenizer } from './char-tokenizer';
import { TokenizerError, type Tokenizer } from './tokenizer';

/** The tokenizer.json cannot be read as one of our tokenizers; `field` is the JSON path at fault. */
export class TokenizerFormatError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`tokenizer.json, ${field}: ${message}`);
    this.name = 'TokenizerFormatError';
  }
}

type JsonRecord = Record<string, unknown>;

/**
 * `json` is the parsed object or its text. Recognises:
 * - byte-level BPE (ByteLevel pre-tokenizer and decoder) → 'bpe', or 'byte' when it is exactly
 *   the 256 byte tokens with id = byte value and no merges (what ByteTokenizer writes);
 * - a BPE model with no merges, no pre-tokenizer and the Fuse decoder → 'char'.
 * Added tokens, normalizers, truncation, padding, dropout, unknown-token and subword-affix options
 * change what ids mean, so a file using them is refused rather than read differently.
 */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  const root = typeof json === 'string' ? parse(json) : json;
  if (!isRecord(root)) throw new TokenizerFormatError('(top level)', 'expected a JSON object.');
  if (root.version !== undefined && root.version !== '1.0') {
    throw new TokenizerFormatError(
      'version',
      `version ${JSON.stringify(root.version)} is not supported; expected "1.0".`,
    );
  }
  for (const field of ['truncation', 'padding', 'normalizer'] as const) {
    if (root[field] !== undefined && root[field] !== null) {
      throw new TokenizerFormatError(field, 'must be null: this setting is not supported.');
    }
  }
  if (
    root.added_tokens !== undefined &&
    !(Array.isArray(root.added_tokens) && root.added_tokens.length === 0)
  ) {
    throw new TokenizerFormatError('added_tokens', 'added or special tokens are not supported; expected [].');
  }
  if (
    root.post_processor !== undefined &&
    root.post_processor !== null &&
    !isByteLevel(root.post_processor)
  ) {
    throw new TokenizerFormatError(
      'post_processor',
      'only null or ByteLevel (which changes no ids) is supported.',
    );
  }

  const model = root.model;
  if (!isRecord(model)) throw new TokenizerFormatError('model', 'expected an object.');
  if (model.type !== 'BPE') {
    throw new TokenizerFormatError(
      'model.type',
      `${JSON.stringify(model.type)} is not supported; expected "BPE".`,
    );
  }
  for (const [field, allowed] of [
    ['dropout', [null]],
    ['unk_token', [null]],
    ['continuing_subword_prefix', [null, '']],
    ['end_of_word_suffix', [null, '']],
    ['byte_fallback', [false]],
    ['ignore_merges', [false]],
  ] as const) {
    const value = model[field];
    if (value !== undefined && !(allowed as readonly unknown[]).includes(value)) {
      throw new TokenizerFormatError(
        `model.${field}`,
        `${JSON.stringify(value)} is not supported; expected ${allowed.map((a) => JSON.stringify(a)).join(' or ')}.`,
      );
    }
  }
  const tokens = readVocab(model.vocab);
  const merges = readMerges(model.merges);

  const preTokenizer = root.pre_tokenizer ?? null;
  const decoder = root.decoder ?? null;
  if (isByteLevel(preTokenizer) && isByteLevel(decoder)) {
    checkByteLevelOptions('pre_tokenizer', preTokenizer);
    checkByteLevelOptions('decoder', decoder);
    return byteLevelTokenizer(tokens, merges);
  }
  if (preTokenizer === null && isRecord(decoder) && decoder.type === 'Fuse' && merges.length === 0) {
    return wrap('model.vocab', () => new CharTokenizer(tokens));
  }
  throw new TokenizerFormatError(
    'pre_tokenizer',
    'expected a ByteLevel pre-tokenizer and decoder (byte or BPE tokenizer), or no pre-tokenizer, the Fuse decoder ' +
      'and no merges (character tokenizer).',
  );
}

function byteLevelTokenizer(tokens: string[], merges: [string, string][]): Tokenizer {
  const bytes = tokens.map((token, id) => {
    const b = byteLevelToBytes(token);
    if (b === null || b.length === 0) {
      throw new TokenizerFormatError(
        `model.vocab[${JSON.stringify(token)}]`,
        `token ${id} is not spelled with byte-level characters.`,
      );
    }
    return b;
  });
  if (
    merges.length === 0 &&
    tokens.length === 256 &&
    tokens.every((token, id) => token === BYTE_TO_CHAR[id])
  ) {
    return new ByteTokenizer();
  }
  const idOf = new Map(tokens.map((token, id) => [token, id]));
  const rules: BpeMerge[] = merges.map(([left, right], rank) => {
    const ids = [left, right, left + right].map((token) => idOf.get(token));
    if (ids.some((id) => id === undefined)) {
      throw new TokenizerFormatError(
        `model.merges[${rank}]`,
        `the merge ${JSON.stringify(`${left} ${right}`)} uses or makes a token missing from the vocabulary.`,
      );
    }
    const [l, r, result] = ids as number[];
    return { left: l, right: r, result };
  });
  return wrap('model', () => new BpeTokenizer(bytes, rules));
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TokenizerFormatError('(file)', `not valid JSON (${(error as Error).message}).`);
  }
}

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isByteLevel(value: unknown): value is JsonRecord {
  return isRecord(value) && value.type === 'ByteLevel';
}

/** We split with GPT-2's pattern and add no leading space; other ByteLevel settings give other ids. */
function checkByteLevelOptions(field: string, value: JsonRecord): void {
  if (value.add_prefix_space === true) {
    throw new TokenizerFormatError(`${field}.add_prefix_space`, 'true is not supported; expected false.');
  }
  if (field === 'pre_tokenizer' && value.use_regex === false) {
    throw new TokenizerFormatError(`${field}.use_regex`, 'false is not supported; expected true.');
  }
}

/** The vocabulary as an array indexed by id; ids must be exactly 0 … n−1. */
function readVocab(vocab: unknown): string[] {
  if (!isRecord(vocab))
    throw new TokenizerFormatError('model.vocab', 'expected an object mapping tokens to ids.');
  const entries = Object.entries(vocab);
  if (entries.length === 0) throw new TokenizerFormatError('model.vocab', 'the vocabulary is empty.');
  const tokens = new Array<string>(entries.length);
  for (const [token, id] of entries) {
    if (!(typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < entries.length)) {
      throw new TokenizerFormatError(
        `model.vocab[${JSON.stringify(token)}]`,
        `id ${JSON.stringify(id)} is not an integer from 0 to ${entries.length - 1} (ids must be 0 … n−1 without gaps).`,
      );
    }
    if (tokens[id] !== undefined) {
      throw new TokenizerFormatError(
        `model.vocab[${JSON.stringify(token)}]`,
        `id ${id} is also used by ${JSON.stringify(tokens[id])}.`,
      );
    }
    tokens[id] = token;
  }
  return tokens;
}

/** Merges in either serialization: "left right" strings (all versions) or [left, right] pairs (≥ 0.20). */
function readMerges(merges: unknown): [string, string][] {
  if (merges === undefined) return [];
  if (!Array.isArray(merges)) throw new TokenizerFormatError('model.merges', 'expected an array.');
  return merges.map((merge: unknown, rank) => {
    if (typeof merge === 'string') {
      const parts = merge.split(' ');
      if (parts.length === 2 && parts[0] !== '' && parts[1] !== '') return [parts[0], parts[1]];
    } else if (
      Array.isArray(merge) &&
      merge.length === 2 &&
      merge.every((part) => typeof part === 'string')
    ) {
      return [merge[0] as string, merge[1] as string];
    }
    throw new TokenizerFormatError(
      `model.merges[${rank}]`,
      `${JSON.stringify(merge)} is not a merge; expected "left right" or ["left", "right"].`,
    );
  });
}

/** Runs a constructor, turning its TokenizerError (a structural problem) into a format error. */
function wrap<T>(field: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof TokenizerError) throw new TokenizerFormatError(field, error.message);
    throw error;
  }
}
