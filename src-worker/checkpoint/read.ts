// Reads and verifies checkpoints. Every load checks, in order: magic, version, end marker (a file
// cut short), header checksum, header and tensor table against the file size, then the SHA-256 of
// all content; a tensor is returned only after the last check passes.

import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { ModelConfig } from '../model/config';
import { readAll } from './durable-fs';
import { CheckpointError, type ConfigDifference } from './errors';
import {
  DATA_ALIGNMENT,
  END_MARKER,
  FORMAT_VERSION,
  HASH_BYTES,
  MAGIC,
  MAX_HEADER_BYTES,
  PREAMBLE_BYTES,
  TRAILER_BYTES,
  alignUp,
  assertLittleEndianHost,
  elementCount,
  headerProblems,
  tensorTableProblems,
  type CheckpointHeader,
  type StoredHeader,
  type TensorData,
  type TensorEntry,
} from './format';
import { isJsonObject } from './json';
import { applyMigrations } from './migrations';

export interface LoadedCheckpoint {
  header: CheckpointHeader;
  /** Tensors by name, in file order. Their arrays share one ArrayBuffer. */
  tensors: Map<string, TensorData>;
  /** The format version the file was written in (older ones were migrated on load). */
  formatVersion: number;
  bytes: number;
  sha256: string;
}

export interface CheckpointSummary {
  header: CheckpointHeader;
  /** The tensor table: names, shapes, offsets. */
  tensors: TensorEntry[];
  formatVersion: number;
  bytes: number;
}

export type VerifyResult =
  | { ok: true; path: string; step: number; formatVersion: number; bytes: number; sha256: string }
  | { ok: false; path: string; error: CheckpointError };

export interface ReadCheckpointOptions {
  /** The run's model config: a checkpoint of another shape throws CONFIG_MISMATCH before its data is read. */
  expect?: ModelConfig;
}

/** Reads, verifies and returns a whole checkpoint; throws CheckpointError on any damage. */
export async function readCheckpoint(
  path: string,
  options: ReadCheckpointOptions = {},
): Promise<LoadedCheckpoint> {
  assertLittleEndianHost();
  const file = await openVerifiedHead(path);
  try {
    if (options.expect !== undefined) assertCompatible(file.stored.header, options.expect, path);
    // Sizes below were checked against the file's real size, so this allocation is bounded by it.
    const data = new ArrayBuffer(file.trailerStart - file.dataStart);
    const hash = createHash('sha256').update(file.head);
    const chunk = 64 * 1024 * 1024;
    for (let pos = 0; pos < data.byteLength; pos += chunk) {
      const view = new Uint8Array(data, pos, Math.min(chunk, data.byteLength - pos));
      await readInto(file.handle, view, file.dataStart + pos, path);
      hash.update(view);
    }
    const sha256 = checkContent(hash.digest(), file.contentSha, path);
    const tensors = new Map<string, TensorData>();
    for (const e of file.stored.tensors) {
      tensors.set(e.name, { shape: e.shape, data: new Float32Array(data, e.offset, elementCount(e.shape)) });
    }
    return { header: file.stored.header, tensors, formatVersion: file.version, bytes: file.size, sha256 };
  } finally {
    await file.handle.close();
  }
}

/**
 * Reads the header and tensor table only (checksummed, but the tensor data is not read or
 * verified): for listing checkpoints in the UI. Loading still goes through readCheckpoint.
 */
export async function readCheckpointHeader(path: string): Promise<CheckpointSummary> {
  const file = await openVerifiedHead(path);
  await file.handle.close();
  return {
    header: file.stored.header,
    tensors: file.stored.tensors,
    formatVersion: file.version,
    bytes: file.size,
  };
}

/** Checks a checkpoint end to end (streaming, no tensor allocation) and says whether it is sound. */
export async function verifyCheckpoint(path: string): Promise<VerifyResult> {
  try {
    const file = await openVerifiedHead(path);
    try {
      const hash = createHash('sha256').update(file.head);
      const buf = new Uint8Array(1024 * 1024);
      for (let pos = file.dataStart; pos < file.trailerStart; pos += buf.length) {
        const view = buf.subarray(0, Math.min(buf.length, file.trailerStart - pos));
        await readInto(file.handle, view, pos, path);
        hash.update(view);
      }
      const sha256 = checkContent(hash.digest(), file.contentSha, path);
      return {
        ok: true,
        path,
        step: file.stored.header.step,
        formatVersion: file.version,
        bytes: file.size,
        sha256,
      };
    } finally {
      await file.handle.close();
    }
  } catch (err) {
    if (err instanceof CheckpointError) return { ok: false, path, error: err };
    throw err;
  }
}

const SHAPE_FIELDS = ['vocabSize', 'contextLength', 'nLayer', 'nHead', 'nEmbd'] as const;

/**
 * Throws CONFIG_MISMATCH, listing every differing field, unless the checkpoint's model has the
 * shape of `run`: its tensors would not fit the run's buffers.
 */
export function assertCompatible(header: CheckpointHeader, run: ModelConfig, path: string): void {
  const differences: ConfigDifference[] = [];
  for (const field of SHAPE_FIELDS) {
    const checkpoint = header.modelConfig[field];
    if (checkpoint !== run[field]) differences.push({ field, checkpoint, run: run[field] });
  }
  if (differences.length === 0) return;
  const list = differences.map(
    (d) => `${d.field} is ${d.checkpoint} in the checkpoint but ${d.run} in this run`,
  );
  throw new CheckpointError(
    'CONFIG_MISMATCH',
    path,
    `${path} was saved from a model of a different shape: ${list.join('; ')}. Resume it with the model settings it was saved with, or start a new run.`,
    { differences },
  );
}

interface VerifiedHead {
  handle: FileHandle;
  size: number;
  version: number;
  /** Bytes [0, dataStart): preamble, header JSON, padding. */
  head: Buffer;
  dataStart: number;
  trailerStart: number;
  stored: StoredHeader;
  contentSha: Buffer;
}

/** Opens `path` and checks everything up to the tensor data; the caller closes the handle. */
async function openVerifiedHead(path: string): Promise<VerifiedHead> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw openError(path, err);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notACheckpoint(path, `${path} is not a file`);
    const size = info.size;
    if (size === 0) throw notACheckpoint(path, `${path} is empty (0 bytes), so it is not a checkpoint`);

    const first = Buffer.alloc(Math.min(size, PREAMBLE_BYTES));
    await readInto(handle, first, 0, path);
    const magicSeen = Math.min(size, MAGIC.length);
    if (!first.subarray(0, magicSeen).equals(MAGIC.subarray(0, magicSeen))) {
      throw notACheckpoint(
        path,
        `${path} does not start with the checkpoint marker "${MAGIC.toString('ascii')}"`,
      );
    }
    if (size < PREAMBLE_BYTES) throw truncated(path, size);
    const version = first.readUInt32LE(8);
    if (version > FORMAT_VERSION) {
      throw new CheckpointError(
        'FUTURE_VERSION',
        path,
        `${path} uses checkpoint format version ${version}, but this version of Crystalline Studio reads formats up to ${FORMAT_VERSION}. Update the app to load it.`,
      );
    }
    if (version === 0) throw corruptHeader(path, 'its format version is 0, which no app writes');
    if (size < PREAMBLE_BYTES + TRAILER_BYTES) throw truncated(path, size);

    const trailerStart = size - TRAILER_BYTES;
    const trailer = Buffer.alloc(TRAILER_BYTES);
    await readInto(handle, trailer, trailerStart, path);
    if (!trailer.subarray(2 * HASH_BYTES).equals(END_MARKER)) throw truncated(path, size);

    const headerLength = first.readUInt32LE(12);
    const dataStart = alignUp(PREAMBLE_BYTES + headerLength, DATA_ALIGNMENT);
    if (headerLength > MAX_HEADER_BYTES || dataStart > trailerStart) {
      throw corruptHeader(
        path,
        `its header length field says ${headerLength} bytes, more than the file holds`,
      );
    }
    const head = Buffer.alloc(dataStart);
    await readInto(handle, head, 0, path);
    if (!createHash('sha256').update(head).digest().equals(trailer.subarray(0, HASH_BYTES))) {
      throw corruptHeader(path, 'its header does not match the header checksum');
    }

    let parsed: unknown;
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(
        head.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength),
      );
      parsed = JSON.parse(text);
    } catch (err) {
      throw corruptHeader(path, `its header is not UTF-8 JSON (${(err as Error).message})`);
    }
    if (!isJsonObject(parsed)) throw corruptHeader(path, 'its header is not a JSON object');
    const migrated = applyMigrations(parsed, version, FORMAT_VERSION);
    const problems = [
      ...headerProblems(migrated.header),
      ...tensorTableProblems(migrated.tensors, trailerStart - dataStart),
    ];
    if (problems.length > 0) throw corruptHeader(path, problems.join('; '));
    // Every field read below was checked by headerProblems / tensorTableProblems just above.
    const stored = migrated as unknown as StoredHeader;
    const contentSha = trailer.subarray(HASH_BYTES, 2 * HASH_BYTES);
    return { handle, size, version, head, dataStart, trailerStart, stored, contentSha };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Reads exactly `target.length` bytes at `position`; a file that ends early was truncated under us. */
async function readInto(
  handle: FileHandle,
  target: Uint8Array,
  position: number,
  path: string,
): Promise<void> {
  let got: number;
  try {
    got = await readAll(handle, target, position);
  } catch (err) {
    throw new CheckpointError(
      'READ_FAILED',
      path,
      `Could not read ${path}: ${(err as Error).message}. Check the disk and try again.`,
      { cause: err },
    );
  }
  if (got < target.length) throw truncated(path, position + got);
}

function checkContent(actual: Buffer, recorded: Buffer, path: string): string {
  if (actual.equals(recorded)) return actual.toString('hex');
  throw new CheckpointError(
    'CHECKSUM_MISMATCH',
    path,
    `${path} is damaged: the SHA-256 of its contents is ${actual.toString('hex')} but the file records ${recorded.toString('hex')}. It was not loaded; load an earlier checkpoint of this run, and check the disk if this happens again.`,
  );
}

function openError(path: string, err: unknown): CheckpointError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new CheckpointError('NOT_FOUND', path, `There is no checkpoint at ${path}. Check the path.`, {
      cause: err,
    });
  }
  return new CheckpointError(
    'READ_FAILED',
    path,
    `Could not open ${path}: ${(err as Error).message}. Check that the file is readable.`,
    { cause: err },
  );
}

function notACheckpoint(path: string, what: string): CheckpointError {
  return new CheckpointError(
    'NOT_A_CHECKPOINT',
    path,
    `${what}. Choose a checkpoint file written by Crystalline Studio.`,
  );
}

function truncated(path: string, size: number): CheckpointError {
  return new CheckpointError(
    'TRUNCATED',
    path,
    `${path} is truncated: it ends after ${size} bytes, before its end marker, so its write was cut short (a crash, a kill or a full disk). Load an earlier checkpoint of this run.`,
  );
}

function corruptHeader(path: string, what: string): CheckpointError {
  return new CheckpointError(
    'CORRUPT_HEADER',
    path,
    `${path} has a damaged header: ${what}. It was not loaded; load an earlier checkpoint of this run.`,
  );
}
