// The GPT-2 byte ↔ character table and pre-tokenizer that tokenizer.json consumers rely on.
import { describe, expect, it } from 'vitest';
import { BYTE_TO_CHAR, byteLevelToBytes, bytesToByteLevel, forEachPreToken } from './byte-level';

function pieces(text: string): string[] {
  const out: string[] = [];
  forEachPreToken(text, (piece) => out.push(piece));
  return out;
}

describe('byte-level spelling', () => {
  it('maps the 256 bytes to 256 distinct visible characters, keeping printable ASCII as itself', () => {
    expect(new Set(BYTE_TO_CHAR).size).toBe(256);
    expect(BYTE_TO_CHAR[0x20]).toBe('Ġ');
    expect(BYTE_TO_CHAR[0x0a]).toBe('Ċ');
    expect(BYTE_TO_CHAR[0x41]).toBe('A');
    expect(BYTE_TO_CHAR[0x00]).toBe('Ā');
    expect(BYTE_TO_CHAR.every((ch) => !/\s/u.test(ch))).toBe(true);
  });

  it('round-trips every byte and rejects characters outside the table', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(byteLevelToBytes(bytesToByteLevel(all))).toEqual(all);
    expect(byteLevelToBytes('a b')).toBeNull(); // a raw space is spelled 'Ġ'
  });
});

describe('pre-tokenizer', () => {
  it('splits like GPT-2: contractions, a leading space joins the word, a space run leaves its last space to the next word', () => {
    expect(pieces("Hello world's  123 !!\n\nOK")).toEqual([
      'Hello',
      ' world',
      "'s",
      ' ',
      ' 123',
      ' !!',
      '\n', // "\n\nOK" gives two "\n" pieces, as in GPT-2 (a run before a word keeps all but its last character)
      '\n',
      'OK',
    ]);
  });

  it('uses Unicode White_Space, not JavaScript \\s (U+FEFF is a symbol, U+0085 a space)', () => {
    expect(pieces('a\uFEFFb')).toEqual(['a', '\uFEFF', 'b']);
    expect(pieces('a\u0085b')).toEqual(['a', '\u0085', 'b']);
  });

  it('pieces concatenate back to the text, whatever it holds', () => {
    const text = "naïve café — 日本語 🙂\t\r\n  x'll 42,5%\u00a0end  ";
    expect(pieces(text).join('')).toBe(text);
  });
});
