// tokenizer.json: the Hugging Face structure we write for each kind, exact read-back of every
// kind, and a TokenizerFormatError naming the field for anything we do not read.
import { describe, expect, it } from 'vitest';
import { thrownBy } from '../test-support/caught';
import { trainBpe } from './bpe-train';
import { ByteTokenizer } from './byte-tokenizer';
import { CharTokenizer } from './char-tokenizer';
import { generateSampleCorpus } from './sample-corpus';
import type { HfTokenizerJson, Tokenizer } from './tokenizer';
import { TokenizerFormatError, tokenizerFromJSON } from './tokenizer-json';

const SAMPLE = generateSampleCorpus(2, 30_000);
const PROBE = SAMPLE.slice(0, 3000) + ' naïve café — 日本語 🙂';
const bpe = trainBpe(PROBE, 400);
const char = CharTokenizer.fromText(PROBE);
const byte = new ByteTokenizer();

/** A fresh, mutable copy of what would be written to disk. */
function written(tokenizer: Tokenizer): HfTokenizerJson {
  return JSON.parse(JSON.stringify(tokenizer)) as HfTokenizerJson;
}

function formatError(json: unknown): TokenizerFormatError {
  return thrownBy(() => tokenizerFromJSON(json), TokenizerFormatError);
}

describe('tokenizer.json structure', () => {
  it('BPE is GPT-2 shaped: BPE model with byte-level vocab and "a b" merges, ByteLevel pre-tokenizer and decoder', () => {
    const json = written(bpe);
    expect(json.version).toBe('1.0');
    expect(json.added_tokens).toEqual([]);
    expect(json.normalizer).toBeNull();
    expect(json.pre_tokenizer).toEqual({
      type: 'ByteLevel',
      add_prefix_space: false,
      trim_offsets: true,
      use_regex: true,
    });
    expect(json.decoder).toMatchObject({ type: 'ByteLevel' });
    expect(json.model.type).toBe('BPE');
    expect(Object.keys(json.model.vocab)).toHaveLength(400);
    expect(json.model.vocab['Ġ']).toBe(0x20);
    expect(json.model.merges).toHaveLength(bpe.merges.length);
    expect(json.model.merges.every((m) => /^\S+ \S+$/.test(m))).toBe(true);
    const first = bpe.merges[0];
    expect(json.model.vocab[json.model.merges[0].replace(' ', '')]).toBe(first.result);
  });

  it('byte is the 256 byte-level symbols with id = byte value and no merges', () => {
    const json = written(byte);
    expect(Object.keys(json.model.vocab)).toHaveLength(256);
    expect(json.model.vocab['Ā']).toBe(0);
    expect(json.model.vocab['A']).toBe(65);
    expect(json.model.merges).toEqual([]);
    expect(json.pre_tokenizer?.type).toBe('ByteLevel');
  });

  it('char is a BPE model of raw characters, no merges, no pre-tokenizer, Fuse decoder', () => {
    const json = written(char);
    expect(json.model.vocab).toEqual(Object.fromEntries(char.chars.map((ch, id) => [ch, id])));
    expect(json.model.merges).toEqual([]);
    expect(json.pre_tokenizer).toBeNull();
    expect(json.decoder).toEqual({ type: 'Fuse' });
  });
});

describe('tokenizerFromJSON', () => {
  it.each([
    ['byte', byte],
    ['char', char],
    ['bpe', bpe],
  ] as const)('reads back %s exactly: same kind, vocabulary, ids and file', (kind, tokenizer) => {
    const text = JSON.stringify(tokenizer);
    const back = tokenizerFromJSON(text);
    expect(back.kind).toBe(kind);
    expect(back.vocabSize).toBe(tokenizer.vocabSize);
    expect(Array.from(back.encode(PROBE))).toEqual(Array.from(tokenizer.encode(PROBE)));
    expect(JSON.stringify(back)).toBe(text);
    expect(tokenizerFromJSON(JSON.parse(text)).kind).toBe(kind);
  });

  it('reads merges written as [left, right] pairs (tokenizers ≥ 0.20) too', () => {
    const json = written(bpe) as unknown as { model: { merges: unknown[] } };
    json.model.merges = (json.model.merges as string[]).map((m) => m.split(' '));
    expect(Array.from(tokenizerFromJSON(json).encode(PROBE))).toEqual(Array.from(bpe.encode(PROBE)));
  });

  it('refuses what it cannot read, naming the field', () => {
    const cases: [
      string,
      (json: Record<string, unknown> & { model: Record<string, unknown> }) => void,
      RegExp,
    ][] = [
      ['model.type', (j) => (j.model.type = 'WordPiece'), /"WordPiece" is not supported/],
      ['added_tokens', (j) => (j.added_tokens = [{ id: 400, content: '<|endoftext|>' }]), /special tokens/],
      ['normalizer', (j) => (j.normalizer = { type: 'NFC' }), /must be null/],
      ['model.unk_token', (j) => (j.model.unk_token = '<unk>'), /not supported/],
      ['model.vocab["Ġ"]', (j) => ((j.model.vocab as Record<string, number>)['Ġ'] = 9999), /without gaps/],
      ['model.merges[0]', (j) => ((j.model.merges as string[])[0] = 'Ġ ∅'), /missing from the vocabulary/],
      ['model.merges[1]', (j) => ((j.model.merges as string[])[1] = 'nospace'), /is not a merge/],
      [
        'pre_tokenizer.add_prefix_space',
        (j) => ((j.pre_tokenizer as Record<string, unknown>).add_prefix_space = true),
        /not supported/,
      ],
      ['pre_tokenizer', (j) => (j.pre_tokenizer = { type: 'Whitespace' }), /expected a ByteLevel/],
    ];
    for (const [field, damage, message] of cases) {
      const json = written(bpe) as unknown as Record<string, unknown> & { model: Record<string, unknown> };
      damage(json);
      const error = formatError(json);
      expect(error.field).toBe(field);
      expect(error.message).toMatch(message);
    }
  });

  it('refuses a char vocabulary entry that is not one character, and text that is not JSON', () => {
    const json = written(char);
    json.model.vocab = { ab: 0 };
    expect(formatError(json).message).toMatch(/not exactly one character/);
    expect(formatError('{"model": ').field).toBe('(file)');
    expect(formatError([]).field).toBe('(top level)');
  });
});
