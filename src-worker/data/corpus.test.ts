// Corpus import: file and folder reading, the stats, and a CorpusError with the path and a
// useful sentence for every way the input can be unusable.
import { createHash } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../test-support/temp-dir';
import { Rng } from '../util/rng';
import {
  CorpusError,
  corpusStats,
  firstInvalidUtf8Offset,
  importCorpus,
  type CorpusErrorReason,
} from './corpus';

const dir = useTempDir('cllm-corpus-', 'file');

async function put(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir.path, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  return path;
}

async function corpusError(path: string): Promise<CorpusError> {
  try {
    await importCorpus(path);
  } catch (error) {
    if (error instanceof CorpusError) return error;
    throw error;
  }
  throw new Error(`expected ${path} to be refused`);
}

async function expectRefused(path: string, reason: CorpusErrorReason, message: RegExp, byteOffset?: number) {
  const error = await corpusError(path);
  expect(error.name).toBe('CorpusError');
  expect(error.reason).toBe(reason);
  expect(error.message).toContain(path);
  expect(error.message).toMatch(message);
  expect(error.byteOffset).toBe(byteOffset);
}

describe('importCorpus: what it reads', () => {
  it('reads one file as is and reports its stats', async () => {
    const text = 'First line\nSecond: naïve 🙂\nno newline at end';
    const path = await put('one.txt', text);
    const corpus = await importCorpus(path);
    expect(corpus.text).toBe(text);
    expect(corpus.files).toEqual([{ path, bytes: Buffer.byteLength(text) }]);
    expect(corpus.stats).toEqual({
      files: 1,
      bytes: Buffer.byteLength(text),
      characters: [...text].length,
      lines: 3,
      sha256: createHash('sha256').update(text).digest('hex'),
    });
  });

  it('reads a file of any extension when it is named directly', async () => {
    expect((await importCorpus(await put('notes.csv', 'a,b\n1,2\n'))).text).toBe('a,b\n1,2\n');
  });

  it('drops a UTF-8 byte-order mark and turns CR LF into LF', async () => {
    const path = await put('bom.txt', new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('one\r\ntwo\r\n')]));
    const corpus = await importCorpus(path);
    expect(corpus.text).toBe('one\ntwo\n');
    expect(corpus.stats.lines).toBe(2);
  });

  it('reads a folder recursively in path order, skipping hidden and non-text files, one blank line between files', async () => {
    await put('folder/b.txt', 'B\n\n\n');
    await put('folder/a/z.md', 'Z');
    await put('folder/a.TXT', 'A\n');
    await put('folder/image.png', 'not read');
    await put('folder/.hidden/secret.txt', 'not read');
    await symlink(join(dir.path, 'folder', 'a'), join(dir.path, 'folder', 'loop'));
    const corpus = await importCorpus(join(dir.path, 'folder'));
    // 'a.TXT' < 'a/z.md' < 'b.txt' in code-unit order ('.' 0x2E sorts before '/' 0x2F).
    expect(corpus.files.map((f) => f.path)).toEqual(
      ['a.TXT', 'a/z.md', 'b.txt'].map((p) => join(dir.path, 'folder', p)),
    );
    expect(corpus.text).toBe('A\n\nZ\n\nB');
    expect(corpus.stats.files).toBe(3);
  });
});

describe('importCorpus: what it refuses', () => {
  it('a path with nothing there', async () => {
    await expectRefused(join(dir.path, 'nope.txt'), 'missing', /no file or folder/);
  });

  it('something that is neither file nor folder', async () => {
    await expectRefused('/dev/null', 'not-file-or-folder', /neither a file nor a folder/);
  });

  it('a folder without .txt or .md files', async () => {
    await put('pictures/a.png', 'x');
    await put('pictures/b.jpg', 'x');
    await expectRefused(
      join(dir.path, 'pictures'),
      'no-text-files',
      /no \.txt or \.md files \(2 other files/,
    );
  });

  it('an empty file and a whitespace-only file', async () => {
    await expectRefused(await put('empty.txt', ''), 'empty', /is empty/);
    await expectRefused(await put('blank.txt', ' \n\t\n'), 'empty', /contains only whitespace/);
  });

  it('an empty file inside a folder, naming that file', async () => {
    await put('mixed/good.txt', 'text');
    const bad = await put('mixed/sub/bad.md', '\n');
    const error = await corpusError(join(dir.path, 'mixed'));
    expect([error.reason, error.path]).toEqual(['empty', bad]);
  });

  it('binary content: a NUL byte, with its offset', async () => {
    await expectRefused(
      await put('nul.txt', Buffer.from('hello\0world')),
      'binary',
      /NUL byte at offset 5/,
      5,
    );
  });

  it('binary content: mostly control characters, with the first offset', async () => {
    const bytes = Buffer.from('ab' + '\x01\x02\x1b'.repeat(10) + 'cd'.repeat(20));
    await expectRefused(
      await put('ctrl.txt', bytes),
      'binary',
      /control characters \(the first at offset 2\)/,
      2,
    );
  });

  it('bytes that are not UTF-8, with the offset of the bad sequence', async () => {
    const latin1 = Buffer.from([...Buffer.from('caf'), 0xe9, ...Buffer.from(' au lait')]);
    await expectRefused(
      await put('latin1.txt', latin1),
      'invalid-utf8',
      /offset 3 \(0xe9 0x20 0x61 0x75\)/,
      3,
    );
    const truncated = Buffer.from([...Buffer.from('ok '), 0xf0, 0x9f, 0x99]);
    await expectRefused(await put('cut.txt', truncated), 'invalid-utf8', /not valid UTF-8/, 3);
  });

  it('a UTF-16 file, saying so', async () => {
    const utf16 = Buffer.from([0xff, 0xfe, ...Buffer.from('hi', 'utf16le')]);
    await expectRefused(await put('utf16.txt', utf16), 'invalid-utf8', /encoded as UTF-16/, 0);
  });
});

describe('firstInvalidUtf8Offset', () => {
  it('finds overlong forms, surrogates, code points above U+10FFFF and stray continuation bytes', () => {
    expect(firstInvalidUtf8Offset(Buffer.from('aé日🙂'))).toBe(-1);
    expect(firstInvalidUtf8Offset(new Uint8Array([0x61, 0xc0, 0x80]))).toBe(1);
    expect(firstInvalidUtf8Offset(new Uint8Array([0xe0, 0x80, 0x80]))).toBe(0);
    expect(firstInvalidUtf8Offset(new Uint8Array([0x61, 0x62, 0xed, 0xa0, 0x80]))).toBe(2);
    expect(firstInvalidUtf8Offset(new Uint8Array([0xf4, 0x90, 0x80, 0x80]))).toBe(0);
    expect(firstInvalidUtf8Offset(new Uint8Array([0x61, 0x80]))).toBe(1);
  });

  it('agrees with the fatal TextDecoder on random bytes', () => {
    const rng = new Rng(11);
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const lead = [
      0x41, 0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xc0, 0xa0, 0x9f, 0x90, 0x8f,
    ];
    for (let trial = 0; trial < 2000; trial++) {
      const bytes = Uint8Array.from({ length: 1 + rng.int(6) }, () => lead[rng.int(lead.length)]);
      let valid = true;
      try {
        decoder.decode(bytes);
      } catch {
        valid = false;
      }
      expect(firstInvalidUtf8Offset(bytes) === -1).toBe(valid);
    }
  });
});

describe('corpusStats', () => {
  it('counts code points, lines and bytes of generated text too', () => {
    expect(corpusStats('a🙂\nb\n', 0)).toMatchObject({ files: 0, bytes: 8, characters: 5, lines: 2 });
    expect(corpusStats('', 0).lines).toBe(0);
  });
});
