// The safetensors format (huggingface/safetensors): a writer that follows the spec exactly and a
// strict reader that enforces the reference implementation's rules without reading out of bounds
// or allocating anything a header claims before checking it against the file.
//
// Layout: u64 LE N | N bytes of UTF-8 JSON header | data. The header maps each tensor name to
// { dtype, shape, data_offsets: [begin, end) relative to the data }, plus an optional
// "__metadata__" string→string map. Tensors tile the data exactly: no holes, no overlap, nothing after.

import { open, type FileHandle } from 'node:fs/promises';
import { nodeFs, readAll, writeAll, type DurableFs } from './durable-fs';
import { ModelFileError } from './errors';
import { isJsonObject } from './json';
import { assertLittleEndianHost, elementCount } from './format';
import { bf16ToF32Array, f16ToF32Array, f32ToBf16Array, f32ToF16Array } from './half-float';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = { F32: 4, F16: 2, BF16: 2 };

/** The reference implementation's limit on the header length. */
export const MAX_SAFETENSORS_HEADER = 100_000_000;

export type SafetensorsErrorCode =
  | 'NOT_FOUND'
  | 'READ_FAILED'
  | 'INVALID_INPUT' // the writer was given tensors that do not match their shapes
  | 'TOO_SMALL' // under 8 bytes
  | 'HEADER_TOO_LARGE' // header length over 100,000,000
  | 'HEADER_PAST_END' // header length beyond the end of the file
  | 'HEADER_NOT_UTF8'
  | 'HEADER_NOT_JSON'
  | 'HEADER_NOT_OBJECT'
  | 'INVALID_ENTRY' // a tensor entry missing or with an invalid dtype / shape / data_offsets
  | 'UNSUPPORTED_DTYPE' // a dtype this app does not read (it reads F32, F16, BF16)
  | 'SIZE_MISMATCH' // byte size ≠ dtype size × product(shape)
  | 'OFFSETS_OVERLAP'
  | 'OFFSETS_HOLE'
  | 'DATA_PAST_END' // offsets reach beyond the end of the file
  | 'TRAILING_BYTES' // bytes after the last tensor
  | 'INVALID_METADATA'; // __metadata__ not a string→string map

export class SafetensorsError extends ModelFileError<SafetensorsErrorCode> {
  override name = 'SafetensorsError';
}

export interface SafetensorsInput {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

export interface SafetensorsTensor {
  /** The dtype stored in the file; `data` holds its values converted (exactly) to float32. */
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsContents {
  metadata: Record<string, string> | null;
  /** Tensors by name, in the order of their data offsets. */
  tensors: Map<string, SafetensorsTensor>;
}

/**
 * Writes `tensors` (contiguous, in the order given) to `path` as `dtype`, converting from float32
 * with round-to-nearest-even, and fsyncs it. Creates the file and fails if it exists: callers
 * build into a fresh temp folder and rename it into place (see export.ts).
 */
export async function writeSafetensors(
  path: string,
  tensors: readonly SafetensorsInput[],
  options: {
    dtype: SafetensorsDtype;
    metadata?: Readonly<Record<string, string>>;
    /** File-system layer; tests inject failures here. */
    fs?: DurableFs;
  },
): Promise<{ bytes: number }> {
  const { dtype, metadata = {}, fs = nodeFs } = options;
  assertLittleEndianHost();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  let offset = 0;
  for (const t of tensors) {
    const count = elementCount(t.shape);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || count !== t.data.length) {
      throw new SafetensorsError(
        'INVALID_INPUT',
        path,
        `Cannot write ${path}: tensor "${t.name}" has shape [${t.shape.join(', ')}] but ${t.data.length} values.`,
      );
    }
    if (t.name === '__metadata__' || Object.hasOwn(header, t.name)) {
      throw new SafetensorsError(
        'INVALID_INPUT',
        path,
        `Cannot write ${path}: tensor name "${t.name}" is reserved or repeated.`,
      );
    }
    const end = offset + count * DTYPE_BYTES[dtype];
    header[t.name] = { dtype, shape: [...t.shape], data_offsets: [offset, end] };
    offset = end;
  }
  const json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned (8 + N with N a multiple of 8).
  const jsonBytes = Buffer.from(json + ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(jsonBytes.length));

  // Errors from the file system (a full disk, say) propagate as they are: the caller knows
  // whether a partial file matters (the export writes into a temp folder it removes).
  const handle = await fs.open(path, 'wx');
  try {
    await writeAll(handle, prefix);
    await writeAll(handle, jsonBytes);
    for (const t of tensors) await writeAll(handle, encode(t.data, dtype));
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
  await handle.close();
  return { bytes: 8 + jsonBytes.length + offset };
}

function encode(data: Float32Array, dtype: SafetensorsDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint16Array(data.length);
  if (dtype === 'F16') f32ToF16Array(data, out);
  else f32ToBf16Array(data, out);
  return new Uint8Array(out.buffer);
}

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Reads a safetensors file of F32/F16/BF16 tensors; throws SafetensorsError on any violation. */
export async function readSafetensors(path: string): Promise<SafetensorsContents> {
  assertLittleEndianHost();
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new SafetensorsError(
      missing ? 'NOT_FOUND' : 'READ_FAILED',
      path,
      missing
        ? `There is no file at ${path}. Check the path.`
        : `Cannot open ${path}: ${(err as Error).message}.`,
      { cause: err },
    );
  }
  try {
    const size = (await handle.stat()).size;
    const fail = (code: SafetensorsErrorCode, what: string): SafetensorsError =>
      new SafetensorsError(code, path, `${path} is not a valid safetensors file: ${what}.`);
    if (size < 8) throw fail('TOO_SMALL', `it is ${size} bytes, too short to hold the 8-byte header length`);
    const prefix = Buffer.alloc(8);
    await readFully(handle, prefix, 0, path);
    const n = prefix.readBigUInt64LE(0);
    if (n > BigInt(MAX_SAFETENSORS_HEADER)) {
      throw fail(
        'HEADER_TOO_LARGE',
        `its header length is ${n} bytes, over the limit of ${MAX_SAFETENSORS_HEADER}`,
      );
    }
    const headerLength = Number(n);
    if (8 + headerLength > size) {
      throw fail(
        'HEADER_PAST_END',
        `its header length (${headerLength} bytes) runs past the end of the file (${size} bytes)`,
      );
    }
    const headerBytes = Buffer.alloc(headerLength);
    await readFully(handle, headerBytes, 8, path);
    const { metadata, entries } = parseHeader(headerBytes, size - 8 - headerLength, fail);

    const tensors = new Map<string, SafetensorsTensor>();
    for (const e of entries) {
      const count = elementCount(e.shape);
      const data = new Float32Array(count);
      const position = 8 + headerLength + e.begin;
      if (e.dtype === 'F32') {
        await readFully(handle, new Uint8Array(data.buffer), position, path);
      } else {
        const raw = new Uint16Array(count);
        await readFully(handle, new Uint8Array(raw.buffer), position, path);
        if (e.dtype === 'F16') f16ToF32Array(raw, data);
        else bf16ToF32Array(raw, data);
      }
      tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
    }
    return { metadata, tensors };
  } finally {
    await handle.close();
  }
}

/**
 * Validates the header against the data section's real length (`dataBytes`), in the order of the
 * reference implementation: UTF-8, starts with "{", JSON object, each entry, metadata, then the
 * tiling of the data by the sorted offsets. Only then is anything allocated from it.
 */
function parseHeader(
  bytes: Buffer,
  dataBytes: number,
  fail: (code: SafetensorsErrorCode, what: string) => SafetensorsError,
): { metadata: Record<string, string> | null; entries: Entry[] } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw fail('HEADER_NOT_UTF8', 'its header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw fail('HEADER_NOT_OBJECT', 'its header does not start with "{"');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw fail('HEADER_NOT_JSON', `its header is not valid JSON (${(err as Error).message})`);
  }
  if (!isJsonObject(parsed)) throw fail('HEADER_NOT_OBJECT', 'its header is not a JSON object');

  let metadata: Record<string, string> | null = null;
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      if (value === null) continue;
      if (!isJsonObject(value)) throw fail('INVALID_METADATA', '"__metadata__" is not an object');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string')
          throw fail('INVALID_METADATA', `metadata "${k}" is ${JSON.stringify(v)}, not a string`);
      }
      metadata = value as Record<string, string>;
      continue;
    }
    entries.push(parseEntry(name, value, fail));
  }

  // Tile check: sorted by begin, each tensor starts exactly where the previous one ended.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of entries) {
    if (e.begin < expected) {
      throw fail(
        'OFFSETS_OVERLAP',
        `tensor "${e.name}" starts at ${e.begin}, inside the previous tensor (which ends at ${expected})`,
      );
    }
    if (e.begin > expected) {
      throw fail(
        'OFFSETS_HOLE',
        `tensor "${e.name}" starts at ${e.begin}, leaving bytes ${expected}–${e.begin} unused`,
      );
    }
    expected = e.end;
  }
  if (expected > dataBytes) {
    throw fail('DATA_PAST_END', `its tensors need ${expected} bytes of data but the file holds ${dataBytes}`);
  }
  if (expected < dataBytes) {
    throw fail('TRAILING_BYTES', `${dataBytes - expected} bytes follow the last tensor`);
  }
  return { metadata, entries };
}

function parseEntry(
  name: string,
  value: unknown,
  fail: (code: SafetensorsErrorCode, what: string) => SafetensorsError,
): Entry {
  const where = `tensor "${name}"`;
  if (!isJsonObject(value)) throw fail('INVALID_ENTRY', `${where} is not an object`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') throw fail('INVALID_ENTRY', `${where} has no dtype`);
  if (!Object.hasOwn(DTYPE_BYTES, dtype)) {
    throw fail('UNSUPPORTED_DTYPE', `${where} has dtype "${dtype}"; this app reads F32, F16 and BF16`);
  }
  const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw fail(
      'INVALID_ENTRY',
      `${where} has shape ${JSON.stringify(shape)}; expected a list of whole numbers`,
    );
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw fail(
      'INVALID_ENTRY',
      `${where} has data_offsets ${JSON.stringify(offsets)}; expected [begin, end] with begin ≤ end`,
    );
  }
  const [begin, end] = offsets as [number, number];
  const elementBytes = DTYPE_BYTES[dtype as SafetensorsDtype];
  // Compared as a product of doubles: a huge claimed shape simply fails to match, no overflow risk.
  const claimed = elementCount(shape) * elementBytes;
  if (claimed !== end - begin) {
    throw fail(
      'SIZE_MISMATCH',
      `${where} is ${dtype} with shape [${shape.join(', ')}] (${claimed} bytes) but data_offsets span ${end - begin} bytes`,
    );
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
}

async function readFully(
  handle: FileHandle,
  target: Uint8Array,
  position: number,
  path: string,
): Promise<void> {
  if ((await readAll(handle, target, position)) < target.length) {
    throw new SafetensorsError(
      'DATA_PAST_END',
      path,
      `${path} ended while reading it; it was changed or cut short.`,
    );
  }
}
