// The GPT-2 byte-level conventions shared by the byte and BPE tokenizers: the reversible map from
// bytes to printable characters used in tokenizer.json, and the pre-tokenizer that splits words.

/**
 * GPT-2's byte → character table. Bytes that are already printable and not whitespace keep their
 * own code point; the other 68 bytes are moved, in byte order, to U+0100 and up. So a space is
 * 'Ġ' (U+0120) and a newline 'Ċ' (U+010A), and every token can be written as a visible string.
 */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((ch, byte) => [ch, byte]));

function buildByteToChar(): string[] {
  const table: string[] = new Array<string>(256);
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    const printable =
      (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
    table[byte] = String.fromCharCode(printable ? byte : next++);
  }
  return table;
}

/** The byte-level spelling of a byte sequence, as it appears in a tokenizer.json vocabulary. */
export function bytesToByteLevel(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += BYTE_TO_CHAR[byte];
  return out;
}

/** The bytes behind a byte-level string, or null when a character is not one of the 256. */
export function byteLevelToBytes(text: string): Uint8Array | null {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const byte = CHAR_TO_BYTE.get(text[i]);
    if (byte === undefined) return null;
    bytes[i] = byte;
  }
  return bytes;
}

/**
 * The GPT-2 pre-tokenizer pattern, which Hugging Face's ByteLevel pre-tokenizer also applies
 * (`use_regex: true`): English contractions, an optional space plus a run of letters, of digits,
 * or of other symbols, and whitespace runs (a run before a word leaves its last space to the word).
 * `\p{White_Space}` stands where the original has `\s`: JavaScript's `\s` differs from Unicode's
 * (it includes U+FEFF and omits U+0085), and a consumer of our tokenizer.json splits by Unicode's.
 */
const PRE_TOKEN_PATTERN =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

/** Calls `visit` with each piece of `text` that BPE merges never cross, in order; they concatenate to `text`. */
export function forEachPreToken(text: string, visit: (piece: string) => void): void {
  const pattern = new RegExp(PRE_TOKEN_PATTERN);
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) visit(match[0]);
}
