// Corpus import: a .txt/.md file, or a folder of them, read as strict UTF-8 into one text with
// its statistics; every way the input can be unusable is a CorpusError a person can act on.

import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export type CorpusErrorReason =
  | 'missing' // nothing at the path
  | 'not-file-or-folder' // a device, socket, …
  | 'unreadable' // no permission, or another I/O failure
  | 'no-text-files' // a folder without any .txt/.md file
  | 'too-large' // more than MAX_CORPUS_BYTES in all
  | 'empty' // a file that is empty or only whitespace
  | 'binary' // NUL bytes or mostly control characters
  | 'invalid-utf8'; // bytes that are not UTF-8 (UTF-16 files included)

export class CorpusError extends Error {
  constructor(
    readonly reason: CorpusErrorReason,
    /** The file or folder the problem is in. */
    readonly path: string,
    message: string,
    /** Where in the file, for 'binary' and 'invalid-utf8'. */
    readonly byteOffset?: number,
  ) {
    super(message);
    this.name = 'CorpusError';
  }
}

export type CorpusFile = {
  /** Absolute or as given, joined with the folder's path. */
  path: string;
  /** Size on disk. */
  bytes: number;
};

export type CorpusStats = {
  files: number;
  /** UTF-8 bytes of `text`. */
  bytes: number;
  /** Unicode code points of `text`. */
  characters: number;
  /** Lines of `text` (a last line without a newline counts). */
  lines: number;
  /** Hex SHA-256 of `text` as UTF-8: equal hashes mean the same training text. */
  sha256: string;
};

export type Corpus = {
  text: string;
  /** The files read, in the order their text was joined. */
  files: CorpusFile[];
  stats: CorpusStats;
};

/** Extensions a folder import picks up (case-insensitive). A single file is read whatever its name. */
export const TEXT_EXTENSIONS = ['.txt', '.md'] as const;
/** Above this, a JavaScript string could not hold the text; no small model needs more. */
export const MAX_CORPUS_BYTES = 256 * 1024 * 1024;
/** More control characters than this share of a file's bytes means it is not text. */
const MAX_CONTROL_SHARE = 0.1;

/**
 * Reads the corpus at `path`.
 * - A file is read whatever its extension; its text is used as it is.
 * - A folder is searched recursively for .txt and .md files (hidden files and folders, and
 *   symbolic links to folders, are skipped), which are sorted by their path relative to the folder
 *   (plain code-unit order, the same on every machine); each file's trailing newlines are dropped
 *   and the texts joined with one blank line between them.
 * Every file must be non-empty UTF-8 text. A UTF-8 byte-order mark is dropped, and Windows line
 * ends (CR LF) become LF so that a corpus means the same text on every system.
 */
export async function importCorpus(path: string): Promise<Corpus> {
  const info = await statOrThrow(path);
  let files: CorpusFile[];
  if (info.isFile()) {
    files = [{ path, bytes: info.size }];
  } else if (info.isDirectory()) {
    files = await findTextFiles(path);
  } else {
    throw new CorpusError(
      'not-file-or-folder',
      path,
      `${path} is neither a file nor a folder (it may be a device or a socket). Choose a .txt or .md file, or a folder of them.`,
    );
  }
  const totalBytes = files.reduce((sum, file) => sum + file.bytes, 0);
  if (totalBytes > MAX_CORPUS_BYTES) {
    throw new CorpusError(
      'too-large',
      path,
      `${path} holds ${formatMiB(totalBytes)} of text; the limit is ${formatMiB(MAX_CORPUS_BYTES)}. ` +
        `Choose a smaller file or a folder with fewer files.`,
    );
  }

  const texts: string[] = [];
  for (const file of files) texts.push(await readTextFile(file.path));
  const text = texts.length === 1 ? texts[0] : texts.map((t) => t.replace(/\n+$/, '')).join('\n\n');
  return { text, files, stats: corpusStats(text, files.length) };
}

/** The statistics of a text that came from `files` files (also for generated corpora). */
export function corpusStats(text: string, files: number): CorpusStats {
  let characters = 0;
  let newlines = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0x0a) newlines++;
    if (unit < 0xdc00 || unit > 0xdfff) characters++; // a low surrogate completes a pair already counted
  }
  return {
    files,
    bytes: Buffer.byteLength(text, 'utf8'),
    characters,
    lines: newlines + (text.length > 0 && !text.endsWith('\n') ? 1 : 0),
    sha256: createHash('sha256').update(text, 'utf8').digest('hex'),
  };
}

async function statOrThrow(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (error) {
    throw ioError(path, error);
  }
}

async function findTextFiles(folder: string): Promise<CorpusFile[]> {
  const found: CorpusFile[] = [];
  let seen = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw ioError(dir, error);
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(full);
        continue;
      }
      // A link to a file counts as that file; a link to a folder is not followed (it could loop).
      const info = entry.isFile() || entry.isSymbolicLink() ? await statOrThrow(full) : null;
      if (info === null || !info.isFile()) continue;
      seen++;
      const lower = entry.name.toLowerCase();
      if (TEXT_EXTENSIONS.some((ext) => lower.endsWith(ext))) found.push({ path: full, bytes: info.size });
    }
  };
  await walk(folder);
  if (found.length === 0) {
    throw new CorpusError(
      'no-text-files',
      folder,
      `The folder ${folder} has no .txt or .md files (${seen} other file${seen === 1 ? '' : 's'} found in it and ` +
        `its subfolders; hidden ones are skipped). Put the training text in .txt or .md files, or choose another folder.`,
    );
  }
  const key = (file: CorpusFile): string => relative(folder, file.path).split(sep).join('/');
  return found.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

async function readTextFile(path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw ioError(path, error);
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new CorpusError(
      'invalid-utf8',
      path,
      `${path} is encoded as UTF-16 (it starts with a UTF-16 byte-order mark); only UTF-8 is read. ` +
        `Save it again with the UTF-8 encoding (most editors offer it under "Save As" or "Encoding").`,
      0,
    );
  }
  checkNotBinary(path, bytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); // drops a UTF-8 byte-order mark
  } catch {
    const offset = firstInvalidUtf8Offset(bytes);
    const shown = Array.from(
      bytes.subarray(offset, offset + 4),
      (b) => `0x${b.toString(16).padStart(2, '0')}`,
    );
    throw new CorpusError(
      'invalid-utf8',
      path,
      `${path} is not valid UTF-8: the bytes at offset ${offset} (${shown.join(' ')}) are not a UTF-8 character. ` +
        `The file is probably in another encoding (such as Latin-1 or Windows-1252); save it again with the ` +
        `UTF-8 encoding.`,
      offset,
    );
  }
  if (text.trim().length === 0) {
    throw new CorpusError(
      'empty',
      path,
      `${path} ${text.length === 0 ? 'is empty' : 'contains only whitespace'}: there is no text to train on. ` +
        `Add text to it, or remove it from the folder.`,
    );
  }
  return text.replace(/\r\n/g, '\n');
}

/** Text never holds NUL, and only a few control characters (tab, line ends, form feed) are common. */
function checkNotBinary(path: string, bytes: Uint8Array): void {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new CorpusError(
      'binary',
      path,
      `${path} looks like a binary file, not text: it has a NUL byte at offset ${nul}. Choose a plain-text file; ` +
        `to train on a PDF or a word-processor document, save or export it as plain text (UTF-8) first.`,
      nul,
    );
  }
  let controls = 0;
  let first = -1;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0b && b !== 0x0c && b !== 0x0d) || b === 0x7f) {
      controls++;
      if (first < 0) first = i;
    }
  }
  if (controls > MAX_CONTROL_SHARE * bytes.length) {
    throw new CorpusError(
      'binary',
      path,
      `${path} looks like a binary file, not text: ${((100 * controls) / bytes.length).toFixed(1)} % of its bytes ` +
        `are control characters (the first at offset ${first}). Choose a plain-text file (UTF-8).`,
      first,
    );
  }
}

/**
 * Offset of the first byte sequence that is not UTF-8 by the WHATWG decoder's rules (no overlong
 * forms, no surrogates, nothing above U+10FFFF, no truncated sequence), or -1 if there is none.
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const lead = bytes[i];
    if (lead < 0x80) {
      i++;
      continue;
    }
    let trailing: number;
    let lower = 0x80;
    let upper = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) trailing = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      trailing = 2;
      if (lead === 0xe0) lower = 0xa0; // overlong
      if (lead === 0xed) upper = 0x9f; // surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      trailing = 3;
      if (lead === 0xf0) lower = 0x90; // overlong
      if (lead === 0xf4) upper = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k <= trailing; k++) {
      const b = bytes[i + k];
      if (b === undefined || b < lower || b > upper) return i;
      lower = 0x80;
      upper = 0xbf;
    }
    i += trailing + 1;
  }
  return -1;
}

function ioError(path: string, error: unknown): CorpusError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new CorpusError(
      'missing',
      path,
      `There is no file or folder at ${path}. Check the path and try again.`,
    );
  }
  const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : String((error as Error).message);
  return new CorpusError(
    'unreadable',
    path,
    `${path} cannot be read (${why}). Check that the file or folder is readable by you and try again.`,
  );
}

function formatMiB(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
