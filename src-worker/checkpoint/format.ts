// The checkpoint file format (version 1): its byte layout, the header the trainer stores in it,
// and the checks a header must pass before a reader trusts a single offset in it.
//
// Layout (all integers little-endian):
//
//   offset 0   magic        8 bytes  "CLLMCKPT"
//          8   version      u32      format version, 1 here
//         12   headerLength u32      bytes of the UTF-8 JSON header that follows
//         16   header       JSON     { "header": CheckpointHeader, "tensors": TensorEntry[] }
//              padding      zeros up to the next multiple of 64 = dataStart
//   dataStart  tensor data  each tensor f32 LE at dataStart + entry.offset, offsets 64-aligned,
//                           zero padding between tensors; ends at trailerStart
//   trailerStart trailer    72 bytes:
//                           SHA-256 of bytes [0, dataStart)     (the "header checksum")
//                           SHA-256 of bytes [0, trailerStart)  (the "content checksum")
//                           end marker "CLLM-END"
//
// Why this shape: the magic and version come first so any reader can say what a file is; the end
// marker comes last so a file cut short anywhere is recognised as truncated without trusting any
// length inside it; the header has its own checksum so a damaged header is reported as such and
// no offset is read from it before it is known good; 64-byte alignment lets a reader (or a future
// mmap) view each tensor in place as a Float32Array.

import { endianness } from 'node:os';
import type { ModelConfig } from '../model/config';
import type { RngState } from '../util/rng';
import { isJsonObject, jsonProblem, type JsonObject } from './json';

export const MAGIC = Buffer.from('CLLMCKPT', 'ascii');
export const END_MARKER = Buffer.from('CLLM-END', 'ascii');
/** The newest format version this code writes and reads. Older versions migrate (migrations.ts). */
export const FORMAT_VERSION = 1;
export const PREAMBLE_BYTES = 16;
export const HASH_BYTES = 32;
export const TRAILER_BYTES = 2 * HASH_BYTES + END_MARKER.length;
export const DATA_ALIGNMENT = 64;
/** Headers hold a tokenizer (a BPE vocabulary is a few MB); anything near this limit is damage. */
export const MAX_HEADER_BYTES = 256 * 1024 * 1024;

/** Everything the trainer needs, besides the tensors, to continue a run exactly where it stopped. */
export interface CheckpointHeader {
  modelConfig: ModelConfig;
  /** The run's training configuration as the trainer defines it. */
  trainConfig: JsonObject;
  /** The tokenizer, as the content of its tokenizer.json. */
  tokenizer: JsonObject;
  /** Optimizer steps completed. */
  step: number;
  /** Epochs completed (fractional while inside an epoch, if the trainer counts that way). */
  epoch: number;
  /** Training tokens consumed so far. */
  tokensSeen: number;
  /** Optimizer state that is not a tensor, e.g. { kind: 'adamw', t: 20 }. */
  optimizer: JsonObject;
  /** LR-schedule state. */
  schedule: JsonObject;
  /** Batch-sampler position (epoch order, cursor, …). */
  sampler: JsonObject;
  /** Every seeded random stream of the run by name, e.g. { sampler: [..4 words..] }. */
  rng: Record<string, RngState>;
  /** Early-stopping bookkeeping, or null when early stopping is off. */
  earlyStopping: JsonObject | null;
  /** Best validation metric so far, or null before the first evaluation. */
  bestMetric: { name: string; value: number; step: number } | null;
  /** ISO-8601 time the checkpoint was made. */
  createdAt: string;
  /** Version of the app that wrote it. */
  appVersion: string;
  /** Where the numbers came from: bitwise resume holds only on the same backend and kernel path. */
  backend: { name: string; kernelPath: string };
  /**
   * What was measured at this step, for retention: the validation loss when an evaluation ran at
   * it, and whether every weight is finite (a non-finite checkpoint is never best nor exported).
   * Optional: checkpoints written before it was added lack it.
   */
  metrics?: { valLoss: number | null; finite: boolean };
}

/** One tensor's row of the table stored in the header. Offsets are relative to dataStart. */
export interface TensorEntry {
  name: string;
  dtype: 'F32';
  shape: number[];
  offset: number;
  length: number; // bytes = 4 · product(shape)
}

/** The JSON document between the preamble and the data. */
export interface StoredHeader {
  header: CheckpointHeader;
  tensors: TensorEntry[];
}

/** A tensor as the writer takes it and the reader returns it. */
export interface TensorData {
  shape: readonly number[];
  data: Float32Array;
}

export interface NamedTensor extends TensorData {
  name: string;
}

/**
 * Tensors go between memory and file as raw bytes, which is little-endian only on a little-endian
 * CPU (every platform the app ships for); refuse elsewhere rather than write swapped numbers.
 */
export function assertLittleEndianHost(): void {
  if (endianness() !== 'LE')
    throw new Error('Checkpoints can only be read and written on a little-endian CPU.');
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isU32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

/**
 * Every problem of a header, as "field: what is wrong" sentences; empty when it is valid. Run on
 * what the trainer passes (so a file is never written with a header it cannot read back) and on
 * what a file holds (its runtime shape is unknown until checked).
 */
export function headerProblems(h: unknown): string[] {
  if (!isJsonObject(h)) return ['the header is not a JSON object'];
  const problems: string[] = [];
  const need = (ok: boolean, field: string, what: string): void => {
    if (!ok) problems.push(`${field} must be ${what}, got ${show(h[field])}`);
  };
  const mc = h.modelConfig;
  if (!isJsonObject(mc)) {
    problems.push(`modelConfig must be an object, got ${show(mc)}`);
  } else {
    for (const f of ['vocabSize', 'contextLength', 'nLayer', 'nHead', 'nEmbd'] as const) {
      const v = mc[f];
      if (!(isCount(v) && v >= 1))
        problems.push(`modelConfig.${f} must be a positive integer, got ${show(v)}`);
    }
  }
  for (const f of ['trainConfig', 'tokenizer', 'optimizer', 'schedule', 'sampler'] as const) {
    need(isJsonObject(h[f]), f, 'an object');
  }
  need(isCount(h.step), 'step', 'a whole number ≥ 0');
  need(typeof h.epoch === 'number' && Number.isFinite(h.epoch) && h.epoch >= 0, 'epoch', 'a number ≥ 0');
  need(isCount(h.tokensSeen), 'tokensSeen', 'a whole number ≥ 0');
  const rng = h.rng;
  if (!isJsonObject(rng)) {
    problems.push(`rng must be an object of named states, got ${show(rng)}`);
  } else {
    for (const [name, s] of Object.entries(rng)) {
      const ok = Array.isArray(s) && s.length === 4 && s.every(isU32) && s.some((w) => w !== 0);
      if (!ok) problems.push(`rng.${name} must be four uint32 words, not all zero, got ${show(s)}`);
    }
  }
  need(h.earlyStopping === null || isJsonObject(h.earlyStopping), 'earlyStopping', 'an object or null');
  const best = h.bestMetric;
  const bestOk =
    best === null ||
    (isJsonObject(best) &&
      typeof best.name === 'string' &&
      typeof best.value === 'number' &&
      Number.isFinite(best.value) &&
      isCount(best.step));
  need(bestOk, 'bestMetric', 'null or { name: string, value: finite number, step: whole number }');
  need(
    typeof h.createdAt === 'string' && !Number.isNaN(Date.parse(h.createdAt)),
    'createdAt',
    'an ISO-8601 date string',
  );
  need(typeof h.appVersion === 'string', 'appVersion', 'a string');
  const b = h.backend;
  need(
    isJsonObject(b) && typeof b.name === 'string' && typeof b.kernelPath === 'string',
    'backend',
    '{ name: string, kernelPath: string }',
  );
  const m = h.metrics;
  if (m !== undefined) {
    const ok =
      isJsonObject(m) &&
      (m.valLoss === null || (typeof m.valLoss === 'number' && Number.isFinite(m.valLoss))) &&
      typeof m.finite === 'boolean';
    if (!ok)
      problems.push(`metrics must be { valLoss: finite number or null, finite: boolean }, got ${show(m)}`);
  }
  // Anything else (undefined, NaN, class instances) would not come back from the file as written.
  const lossy = jsonProblem(h, 'header');
  if (lossy !== null) problems.push(lossy);
  return problems;
}

/**
 * Problems of a tensor table read from a file whose data region is `dataBytes` long: each entry
 * well-formed, names unique, offsets aligned, in order and non-overlapping, and the last one
 * ending exactly where the data region ends. Checked before anything is allocated from it.
 */
export function tensorTableProblems(table: unknown, dataBytes: number): string[] {
  if (!Array.isArray(table)) return ['the tensor table is not a list'];
  const problems: string[] = [];
  const seen = new Set<string>();
  let end = 0;
  for (let i = 0; i < table.length && problems.length === 0; i++) {
    const e: unknown = table[i];
    if (!isJsonObject(e) || typeof e.name !== 'string' || e.name === '') {
      problems.push(`tensor #${i} has no name`);
      break;
    }
    const where = `tensor "${e.name}"`;
    const shape = e.shape;
    if (seen.has(e.name)) problems.push(`${where} appears twice`);
    else if (e.dtype !== 'F32') problems.push(`${where} has dtype ${show(e.dtype)}; only "F32" is stored`);
    else if (!Array.isArray(shape) || !shape.every(isCount)) {
      problems.push(`${where} has shape ${show(shape)}; expected a list of whole numbers`);
    } else if (!isCount(e.offset) || !isCount(e.length)) {
      problems.push(`${where} has offset ${show(e.offset)} and length ${show(e.length)}`);
    } else if (e.offset % DATA_ALIGNMENT !== 0) {
      problems.push(`${where} starts at ${e.offset}, not a multiple of ${DATA_ALIGNMENT}`);
    } else if (e.offset < end) {
      problems.push(`${where} starts at ${e.offset}, inside the previous tensor (which ends at ${end})`);
    } else if (e.offset + e.length > dataBytes) {
      problems.push(`${where} ends at ${e.offset + e.length}, past the data region (${dataBytes} bytes)`);
    } else if (elementCount(shape) * 4 !== e.length) {
      problems.push(`${where} has shape [${shape.join(', ')}] but ${e.length} bytes`);
    } else {
      seen.add(e.name);
      end = e.offset + e.length;
    }
  }
  if (problems.length === 0 && end !== dataBytes) {
    problems.push(`the tensors end at byte ${end} of the data region, but it is ${dataBytes} bytes long`);
  }
  return problems;
}

/** Offsets of each tensor in the data region, in the order given; and the region's length. */
export function planTensorTable(tensors: readonly NamedTensor[]): {
  table: TensorEntry[];
  dataBytes: number;
} {
  const table: TensorEntry[] = [];
  let cursor = 0;
  for (const t of tensors) {
    const offset = alignUp(cursor, DATA_ALIGNMENT);
    table.push({ name: t.name, dtype: 'F32', shape: [...t.shape], offset, length: t.data.byteLength });
    cursor = offset + t.data.byteLength;
  }
  return { table, dataBytes: cursor };
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
