// Each kind of damage gives its own CheckpointError, with the path and a way forward, from both
// readCheckpoint and verifyCheckpoint; no damaged file is ever loaded.

import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTempDir } from '../test-support/temp-dir';
import { CheckpointError, type CheckpointErrorCode } from './errors';
import { HASH_BYTES, PREAMBLE_BYTES, TRAILER_BYTES } from './format';
import { readCheckpoint, readCheckpointHeader, verifyCheckpoint } from './read';
import { SMALL_SHAPES, sampleHeader, sampleTensors } from './test-support/sample';
import { writeCheckpoint } from './write';

const dir = useTempDir('ckpt-bad-', 'file');
let good: Buffer;
/** Where the tensor data starts in `good`. */
let dataStart: number;

beforeAll(async () => {
  const path = join(dir.path, 'good.ckpt');
  await writeCheckpoint(path, sampleHeader(3), sampleTensors(9, SMALL_SHAPES));
  good = await readFile(path);
  const headerLength = good.readUInt32LE(12);
  dataStart = Math.ceil((PREAMBLE_BYTES + headerLength) / 64) * 64;
});

let counter = 0;
async function fileWith(bytes: Uint8Array): Promise<string> {
  const path = join(dir.path, `case-${counter++}.ckpt`);
  await writeFile(path, bytes);
  return path;
}

/** Both readCheckpoint and verifyCheckpoint report `code`, naming the file; returns the error. */
async function expectRejected(path: string, code: CheckpointErrorCode): Promise<CheckpointError> {
  const err = await readCheckpoint(path).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CheckpointError);
  const e = err as CheckpointError;
  expect({ code: e.code, path: e.path }).toEqual({ code, path });
  expect(e.message).toContain(path);
  const verified = await verifyCheckpoint(path);
  expect(verified.ok).toBe(false);
  if (!verified.ok) expect(verified.error.code).toBe(code);
  return e;
}

/**
 * Rebuilds `good` with an edited header JSON (same tensor data, moved to the new 64-aligned start)
 * and valid checksums, as a buggy writer would produce it.
 */
function resealedWithHeader(edit: (stored: Record<string, unknown>) => void): Buffer {
  const headerLength = good.readUInt32LE(12);
  const stored = JSON.parse(
    good.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength).toString('utf8'),
  ) as Record<string, unknown>;
  edit(stored);
  const json = Buffer.from(JSON.stringify(stored));
  const newStart = Math.ceil((PREAMBLE_BYTES + json.length) / 64) * 64;
  const data = good.subarray(dataStart, good.length - TRAILER_BYTES);
  const out = Buffer.alloc(newStart + data.length + TRAILER_BYTES);
  good.copy(out, 0, 0, PREAMBLE_BYTES);
  out.writeUInt32LE(json.length, 12);
  json.copy(out, PREAMBLE_BYTES);
  data.copy(out, newStart);
  const trailerStart = newStart + data.length;
  createHash('sha256').update(out.subarray(0, newStart)).digest().copy(out, trailerStart);
  createHash('sha256')
    .update(out.subarray(0, trailerStart))
    .digest()
    .copy(out, trailerStart + HASH_BYTES);
  good.copy(out, trailerStart + 2 * HASH_BYTES, good.length - (TRAILER_BYTES - 2 * HASH_BYTES));
  return out;
}

describe('checkpoint damage', () => {
  it('an empty file is not a checkpoint', async () => {
    const e = await expectRejected(await fileWith(new Uint8Array(0)), 'NOT_A_CHECKPOINT');
    expect(e.message).toContain('empty');
  });

  it('a file with the wrong magic is not a checkpoint', async () => {
    await expectRejected(
      await fileWith(Buffer.from('hello, these are my notes, not a checkpoint')),
      'NOT_A_CHECKPOINT',
    );
    const otherMagic = Buffer.from(good);
    otherMagic.write('CLLMCKPX', 0, 'ascii');
    await expectRejected(await fileWith(otherMagic), 'NOT_A_CHECKPOINT');
  });

  it('a file cut short anywhere is truncated', async () => {
    const cuts = [3, 8, 15, 16, 40, dataStart - 1, dataStart, dataStart + 1000, good.length - TRAILER_BYTES];
    cuts.push(good.length - HASH_BYTES, good.length - 1);
    for (const cut of cuts) {
      const e = await expectRejected(await fileWith(good.subarray(0, cut)), 'TRUNCATED');
      expect(e.message).toContain('Load an earlier checkpoint');
    }
  });

  it('one flipped byte in the tensor data is a checksum mismatch', async () => {
    for (const at of [dataStart, dataStart + 777, good.length - TRAILER_BYTES - 1]) {
      const bad = Buffer.from(good);
      bad[at] ^= 0x10;
      await expectRejected(await fileWith(bad), 'CHECKSUM_MISMATCH');
    }
  });

  it('one flipped byte in the header is a damaged header', async () => {
    for (const at of [12, PREAMBLE_BYTES, PREAMBLE_BYTES + 100, dataStart - 1]) {
      const bad = Buffer.from(good);
      bad[at] ^= 0x01;
      const e = await expectRejected(await fileWith(bad), 'CORRUPT_HEADER');
      expect(e.message).toContain('damaged header');
    }
  });

  it('a newer format version names both versions and says to update', async () => {
    const future = Buffer.from(good);
    future.writeUInt32LE(2, 8);
    const e = await expectRejected(await fileWith(future), 'FUTURE_VERSION');
    expect(e.message).toContain('format version 2');
    expect(e.message).toContain('formats up to 1');
    expect(e.message).toContain('Update the app');
  });

  it('a missing file is reported as not found', async () => {
    await expectRejected(join(dir.path, 'nope.ckpt'), 'NOT_FOUND');
  });
});

describe('checksummed but inconsistent headers', () => {
  it('(the resealing helper itself makes loadable files)', async () => {
    const path = await fileWith(resealedWithHeader((stored) => (stored.extra = 'x'.repeat(100))));
    expect((await readCheckpoint(path)).header.step).toBe(3);
  });

  it('a tensor claiming more bytes than the file holds is refused before allocation', async () => {
    const bad = resealedWithHeader((stored) => {
      const table = stored.tensors as { shape: number[]; length: number }[];
      table[0].shape = [1e6, 1e6];
      table[0].length = 4e12;
    });
    const e = await expectRejected(await fileWith(bad), 'CORRUPT_HEADER');
    expect(e.message).toContain('past the data region');
  });

  it('overlapping or misaligned tensors are refused', async () => {
    const overlap = resealedWithHeader((stored) => {
      const table = stored.tensors as { offset: number }[];
      table[1].offset = table[0].offset;
    });
    expect((await expectRejected(await fileWith(overlap), 'CORRUPT_HEADER')).message).toContain(
      'inside the previous',
    );
    const misaligned = resealedWithHeader((stored) => {
      (stored.tensors as { offset: number }[])[1].offset += 4;
    });
    expect((await expectRejected(await fileWith(misaligned), 'CORRUPT_HEADER')).message).toContain(
      'not a multiple',
    );
  });

  it('a header missing a field names the field', async () => {
    const bad = resealedWithHeader((stored) => {
      delete (stored.header as Record<string, unknown>).tokensSeen;
    });
    const e = await expectRejected(await fileWith(bad), 'CORRUPT_HEADER');
    expect(e.message).toContain('tokensSeen must be a whole number ≥ 0, got nothing');
    await expect(readCheckpointHeader(e.path)).rejects.toThrow(/tokensSeen/);
  });

  it('a header length field pointing past the end is a damaged header', async () => {
    const bad = Buffer.from(good);
    bad.writeUInt32LE(0x7fffffff, 12);
    const e = await expectRejected(await fileWith(bad), 'CORRUPT_HEADER');
    expect(e.message).toContain('header length');
  });
});
