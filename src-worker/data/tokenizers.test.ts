// Byte, char and BPE tokenizers: exact round-trips, the char vocabulary order, BPE training
// (merges, tie-breaking, compression) and encoding against a plain reference, streaming decode.
import { describe, expect, it } from 'vitest';
import { BpeTokenizer } from './bpe-tokenizer';
import { trainBpe } from './bpe-train';
import { forEachPreToken } from './byte-level';
import { ByteTokenizer } from './byte-tokenizer';
import { CharTokenizer } from './char-tokenizer';
import { generateSampleCorpus } from './sample-corpus';
import { TokenizerError, UnknownCharacterError, type Tokenizer } from './tokenizer';
import { trainTokenizer } from './train-tokenizer';
import { Rng } from '../util/rng';

const SAMPLE = generateSampleCorpus(1, 60_000);
const NON_ASCII = 'naïve café — 日本語 🙂';
const bpe512 = trainBpe(SAMPLE + '\n' + NON_ASCII, 512);

/** GPT-2's encoder loop: merge every occurrence of the lowest-ranked pair, until none is left. */
function referenceBpe(tokenizer: BpeTokenizer, bytes: Uint8Array): number[] {
  const rank = new Map(tokenizer.merges.map((m, r) => [`${m.left},${m.right}`, { r, result: m.result }]));
  let ids = Array.from(bytes);
  for (;;) {
    let best: { r: number; result: number; left: number; right: number } | null = null;
    for (let i = 0; i + 1 < ids.length; i++) {
      const m = rank.get(`${ids[i]},${ids[i + 1]}`);
      if (m !== undefined && (best === null || m.r < best.r))
        best = { ...m, left: ids[i], right: ids[i + 1] };
    }
    if (best === null) return ids;
    const out: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (i + 1 < ids.length && ids[i] === best.left && ids[i + 1] === best.right) {
        out.push(best.result);
        i++;
      } else out.push(ids[i]);
    }
    ids = out;
  }
}

describe('every tokenizer', () => {
  const all: Tokenizer[] = [
    new ByteTokenizer(),
    CharTokenizer.fromText(SAMPLE + NON_ASCII + '\uFEFF'),
    bpe512,
  ];

  it.each(all.map((t) => [t.kind, t] as const))(
    '%s: decode(encode(text)) is the text, ids in range',
    (_, tok) => {
      for (const text of [SAMPLE, NON_ASCII, '\uFEFFleading mark', '']) {
        const ids = tok.encode(text);
        expect(ids).toBeInstanceOf(Int32Array);
        expect(ids.every((id) => id >= 0 && id < tok.vocabSize)).toBe(true);
        expect(tok.decode(ids)).toBe(text);
      }
    },
  );

  it.each(all.map((t) => [t.kind, t] as const))('%s: rejects ids outside the vocabulary', (_, tok) => {
    expect(() => tok.decode([tok.vocabSize])).toThrow(TokenizerError);
    expect(() => tok.decode([-1])).toThrow(/outside the vocabulary/);
    expect(() => tok.tokenBytes(1.5)).toThrow(TokenizerError);
  });
});

describe('ByteTokenizer', () => {
  it('has 256 ids equal to the UTF-8 bytes', () => {
    const tok = new ByteTokenizer();
    expect(tok.vocabSize).toBe(256);
    expect(Array.from(tok.encode('aé'))).toEqual([0x61, 0xc3, 0xa9]);
  });
});

describe('CharTokenizer', () => {
  it('orders its vocabulary by code point, as Python sorted(set(text)) does (not by UTF-16 unit)', () => {
    // sorted(set('b🙂ｱa\n')) == ['\n', 'a', 'b', 'ｱ', '🙂'] (U+FF71 < U+1F642, though "\uD83D" < "\uFF71").
    expect(CharTokenizer.fromText('b🙂ｱa\n').chars).toEqual(['\n', 'a', 'b', 'ｱ', '🙂']);
  });

  it('gives one id per code point, astral characters included', () => {
    const tok = CharTokenizer.fromText(NON_ASCII);
    expect(tok.encode(NON_ASCII).length).toBe([...NON_ASCII].length);
  });

  it('names an unknown character, its code point and its position', () => {
    const tok = CharTokenizer.fromText('abc\n');
    const error = (() => {
      try {
        tok.encode('ab\ncb🙂a');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UnknownCharacterError);
    const unknown = error as UnknownCharacterError;
    expect([unknown.character, unknown.index, unknown.line, unknown.column]).toEqual(['🙂', 5, 2, 3]);
    expect(unknown.message).toContain('U+1F642');
    expect(unknown.message).toContain('line 2, column 3');
  });
});

describe('BPE training', () => {
  it('merges the most frequent pair, ties to the smaller pair, and stops when no pair repeats', () => {
    // aa occurs 4 times; then "a a"→Z leaves Za and ab at 2 each: ab (97,98) < Za (256,97) wins.
    const tok = trainBpe('aaabdaaabac', 1000);
    expect(tok.merges).toEqual([
      { left: 97, right: 97, result: 256 },
      { left: 97, right: 98, result: 257 },
      { left: 256, right: 257, result: 258 },
    ]);
    expect(tok.vocabSize).toBe(259);
    expect(Array.from(tok.encode('aaabdaaabac'))).toEqual([258, 100, 258, 97, 99]);
  });

  it('never merges across pre-token boundaries (a space starts a new word)', () => {
    const tok = trainBpe('ab ab ab ab', 300);
    const tokens = Array.from({ length: tok.vocabSize - 256 }, (_, i) => tok.decodeToken(256 + i));
    expect(tokens).toEqual(['ab', ' ab']); // never "b " or "ab ab"; then no pair is left to merge
  });

  it('reaches the requested size, shrinks the sample corpus, and is deterministic', () => {
    const bytes = new TextEncoder().encode(SAMPLE).length;
    const tok = trainBpe(SAMPLE, 400);
    expect(tok.vocabSize).toBe(400);
    expect(bpe512.vocabSize).toBe(512);
    const ratio400 = bytes / tok.encode(SAMPLE).length;
    const ratio512 = bytes / bpe512.encode(SAMPLE).length;
    expect(ratio400).toBeGreaterThan(2);
    expect(ratio512).toBeGreaterThan(ratio400);
    expect(trainBpe(SAMPLE, 400).merges).toEqual(tok.merges);
  });

  it('refuses vocabulary sizes outside 257…65536', () => {
    for (const size of [256, 65537, 300.5]) expect(() => trainBpe('abc', size)).toThrow(/257 to 65536/);
  });
});

describe('BPE encoding', () => {
  it('matches the plain GPT-2 merge loop on every distinct piece of the sample and of random text', () => {
    const encoder = new TextEncoder();
    const rng = new Rng(3);
    const alphabet = [..."the ande, .\n'séé日本🙂"];
    const random = Array.from({ length: 4000 }, () => alphabet[rng.int(alphabet.length)]).join('');
    const pieces = new Set<string>();
    forEachPreToken(SAMPLE + random, (piece) => pieces.add(piece));
    for (const piece of pieces) {
      expect(Array.from(bpe512.encode(piece))).toEqual(referenceBpe(bpe512, encoder.encode(piece)));
    }
  });

  it('handles one very long piece (a run of 20 000 letters) and returns it intact', () => {
    const long = 'the'.repeat(3000) + '日本語'.repeat(2000);
    const ids = bpe512.encode(long);
    expect(bpe512.decode(ids)).toBe(long);
    expect(Array.from(ids.subarray(0, 200))).toEqual(
      referenceBpe(bpe512, new TextEncoder().encode('the'.repeat(3000))).slice(0, 200),
    );
  });

  it('accepts two merges that make the same token, applying the first-ranked one', () => {
    const bytes = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));
    const [a, b, c] = [97, 98, 99];
    const tok = new BpeTokenizer(
      [...bytes, Uint8Array.of(a, b), Uint8Array.of(b, c), Uint8Array.of(a, b, c)],
      [
        { left: b, right: c, result: 257 },
        { left: a, right: b, result: 256 },
        { left: 256, right: c, result: 258 },
        { left: a, right: 257, result: 258 },
      ],
    );
    expect(Array.from(tok.encode('abc'))).toEqual([258]);
    expect(Array.from(tok.encode('abd'))).toEqual([256, 100]);
  });

  it('refuses merges whose result does not join the two tokens', () => {
    const bytes = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));
    expect(
      () => new BpeTokenizer([...bytes, Uint8Array.of(1, 2)], [{ left: 2, right: 1, result: 256 }]),
    ).toThrow(/does not join/);
  });
});

describe('streaming decode', () => {
  it('holds back the bytes of a character split across tokens until it is complete', () => {
    const tok = new ByteTokenizer();
    const stream = tok.streamDecoder();
    const outputs = Array.from(tok.encode('é🙂!')).map((id) => stream.push(id));
    expect(outputs).toEqual(['', 'é', '', '', '', '🙂', '!']);
    expect(stream.flush()).toBe('');
  });

  it('BPE: the pieces printed for generated ids join to the text and never show a broken character', () => {
    for (const text of [NON_ASCII, SAMPLE.slice(0, 2000)]) {
      const stream = bpe512.streamDecoder();
      const printed = Array.from(bpe512.encode(text), (id) => stream.push(id));
      expect(printed.join('') + stream.flush()).toBe(text);
      expect(printed.some((piece) => piece.includes('\uFFFD'))).toBe(false);
      if (text === NON_ASCII) expect(printed).toContain(''); // 日本語 was never merged: its bytes came one by one
    }
  });

  it('flushes bytes that never completed a character as U+FFFD', () => {
    const stream = new ByteTokenizer().streamDecoder();
    expect(stream.push(0xe6) + stream.push(0x97)).toBe('');
    expect(stream.flush()).toBe('\uFFFD');
    expect(stream.push(0x41)).toBe('A');
  });

  it('decodeToken shows a partial character as U+FFFD, for display only', () => {
    expect(new ByteTokenizer().decodeToken(0xc3)).toBe('\uFFFD');
  });
});

describe('trainTokenizer', () => {
  it('builds the kind asked for', () => {
    expect(trainTokenizer({ kind: 'byte' }, SAMPLE).kind).toBe('byte');
    expect(trainTokenizer({ kind: 'char' }, 'abca').vocabSize).toBe(3);
    expect(trainTokenizer({ kind: 'bpe', vocabSize: 260 }, SAMPLE).vocabSize).toBe(260);
  });
});
