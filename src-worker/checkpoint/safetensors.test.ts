// The safetensors writer follows the spec (checked by an independent minimal reader written here),
// its output reads back exactly, and the strict reader rejects each malformed file with its own code.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../test-support/temp-dir';
import { f16BitsToF32, f32BitsToBf16, f32BitsToF16, float32Bits, float32FromBits } from './half-float';
import {
  readSafetensors,
  SafetensorsError,
  writeSafetensors,
  type SafetensorsErrorCode,
} from './safetensors';

const dir = useTempDir('st-', 'file');
let counter = 0;
const freshPath = (): string => join(dir.path, `f${counter++}.safetensors`);

const tensors = [
  { name: 'transformer.wte.weight', shape: [3, 2], data: new Float32Array([1, -2, 0.5, 65504, 1e-8, -0]) },
  { name: 'scalar', shape: [], data: new Float32Array([3.25]) },
  { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
  { name: 'odd', shape: [5], data: new Float32Array([0.1, 0.2, 0.3, 1e6, -7]) },
];

/**
 * A minimal safetensors parser written from the spec alone: returns the header and checks the
 * structural rules (8-byte length, padding, offsets tiling the data exactly once).
 */
function independentParse(file: Buffer): {
  header: Record<string, unknown>;
  data: Buffer;
  paddingOk: boolean;
} {
  const n = Number(file.readBigUInt64LE(0));
  const headerText = file.subarray(8, 8 + n).toString('utf8');
  const trimmed = headerText.trimEnd();
  const header = JSON.parse(headerText) as Record<string, unknown>;
  const data = file.subarray(8 + n);
  const covered = new Uint8Array(data.length);
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = (entry as { data_offsets: [number, number] }).data_offsets;
    for (let i = begin; i < end; i++) covered[i]++;
  }
  if (!covered.every((c) => c === 1)) throw new Error('offsets do not cover the data exactly once');
  const paddingOk = n % 8 === 0 && /^ *$/.test(headerText.slice(trimmed.length)) && trimmed.endsWith('}');
  return { header, data, paddingOk };
}

describe('safetensors writer', () => {
  it('writes the spec layout: u64 length, space-padded JSON to a multiple of 8, contiguous data', async () => {
    const path = freshPath();
    const { bytes } = await writeSafetensors(path, tensors, {
      dtype: 'F32',
      metadata: { format: 'pt', note: 'ü' },
    });
    const file = await readFile(path);
    expect(file.length).toBe(bytes);

    const { header, data, paddingOk } = independentParse(file);
    expect(paddingOk).toBe(true);
    expect(header.__metadata__).toEqual({ format: 'pt', note: 'ü' });
    expect(header['transformer.wte.weight']).toEqual({ dtype: 'F32', shape: [3, 2], data_offsets: [0, 24] });
    expect(header.scalar).toEqual({ dtype: 'F32', shape: [], data_offsets: [24, 28] });
    expect(header.empty).toEqual({ dtype: 'F32', shape: [0, 4], data_offsets: [28, 28] });
    expect(header.odd).toEqual({ dtype: 'F32', shape: [5], data_offsets: [28, 48] });
    expect(data.length).toBe(48);
    // In the order of their offsets, tensors appear in the order given.
    expect(data.readFloatLE(12)).toBe(65504);
    expect(data.readFloatLE(24)).toBe(3.25);
  });

  it('writes F16 and BF16 with round-to-nearest-even conversion', async () => {
    for (const dtype of ['F16', 'BF16'] as const) {
      const path = freshPath();
      await writeSafetensors(path, tensors, { dtype });
      const { header, data } = independentParse(await readFile(path));
      const odd = header.odd as { dtype: string; data_offsets: [number, number] };
      expect(odd.dtype).toBe(dtype);
      expect(odd.data_offsets).toEqual([14, 24]); // 6 + 1 + 0 values of 2 bytes before it
      const convert = dtype === 'F16' ? f32BitsToF16 : f32BitsToBf16;
      const expected = [...tensors[3].data].map((x) => convert(float32Bits(x)));
      const got = Array.from({ length: 5 }, (_, i) => data.readUInt16LE(14 + 2 * i));
      expect(got).toEqual(expected);
    }
  });

  it('reads back what it wrote: F32 exactly, F16/BF16 as their rounded values', async () => {
    const path = freshPath();
    await writeSafetensors(path, tensors, { dtype: 'F32', metadata: { format: 'pt' } });
    const back = await readSafetensors(path);
    expect(back.metadata).toEqual({ format: 'pt' });
    for (const t of tensors) {
      const got = back.tensors.get(t.name)!;
      expect(got.shape).toEqual(t.shape);
      expect(got.dtype).toBe('F32');
      expect(new Uint32Array(got.data.buffer)).toEqual(new Uint32Array(t.data.buffer));
    }

    const halfPath = freshPath();
    await writeSafetensors(halfPath, tensors, { dtype: 'F16' });
    const half = await readSafetensors(halfPath);
    expect(half.metadata).toBeNull();
    const wte = half.tensors.get('transformer.wte.weight')!;
    expect(wte.dtype).toBe('F16');
    const rounded = [...tensors[0].data].map((x) =>
      float32FromBits(f16BitsToF32(f32BitsToF16(float32Bits(x)))),
    );
    expect([...wte.data]).toEqual(rounded);
  });

  it('refuses data that does not match its shape', async () => {
    const bad = [{ name: 'w', shape: [2, 2], data: new Float32Array(3) }];
    await expect(writeSafetensors(freshPath(), bad, { dtype: 'F32' })).rejects.toThrow(SafetensorsError);
  });
});

/** Builds a file: u64 header length (or `lengthField`), the header text, then `data`. */
function craft(
  header: string | Uint8Array | object,
  data: Uint8Array = new Uint8Array(0),
  lengthField?: bigint,
): Buffer {
  const text =
    header instanceof Uint8Array
      ? header
      : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(lengthField ?? BigInt(text.length));
  return Buffer.concat([prefix, text, data]);
}

async function expectRejected(
  bytes: Uint8Array,
  code: SafetensorsErrorCode,
  fragment?: string,
): Promise<void> {
  const path = freshPath();
  await writeFile(path, bytes);
  const err = await readSafetensors(path).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SafetensorsError);
  expect((err as SafetensorsError).code).toBe(code);
  expect((err as SafetensorsError).message).toContain(path);
  if (fragment !== undefined) expect((err as SafetensorsError).message).toContain(fragment);
}

const entry = (begin: number, end: number, shape: number[] = [(end - begin) / 4]): object => ({
  dtype: 'F32',
  shape,
  data_offsets: [begin, end],
});

describe('safetensors reader rejects', () => {
  it('a file under 8 bytes', async () => {
    await expectRejected(new Uint8Array(0), 'TOO_SMALL');
    await expectRejected(new Uint8Array(7), 'TOO_SMALL');
  });

  it('a header length over 100,000,000 without allocating it', async () => {
    await expectRejected(craft('{}', undefined, 100_000_001n), 'HEADER_TOO_LARGE');
    await expectRejected(craft('{}', undefined, 0xffffffffffffffffn), 'HEADER_TOO_LARGE');
  });

  it('a header length past the end of the file', async () => {
    await expectRejected(craft('{}', undefined, 3n), 'HEADER_PAST_END');
  });

  it('a header that is not UTF-8, not JSON, or not an object', async () => {
    const notUtf8 = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    await expectRejected(craft(notUtf8), 'HEADER_NOT_UTF8');
    await expectRejected(craft('{"a": '), 'HEADER_NOT_JSON');
    await expectRejected(craft('[1, 2]'), 'HEADER_NOT_OBJECT');
    await expectRejected(craft(' {}'), 'HEADER_NOT_OBJECT');
  });

  it('an entry with a missing or invalid dtype, shape or data_offsets', async () => {
    const data = new Uint8Array(8);
    await expectRejected(
      craft({ a: { shape: [2], data_offsets: [0, 8] } }, data),
      'INVALID_ENTRY',
      'no dtype',
    );
    await expectRejected(
      craft({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, data),
      'UNSUPPORTED_DTYPE',
    );
    await expectRejected(
      craft({ a: { dtype: 'toString', shape: [2], data_offsets: [0, 8] } }, data),
      'UNSUPPORTED_DTYPE',
    );
    await expectRejected(
      craft({ a: { dtype: 'F32', data_offsets: [0, 8] } }, data),
      'INVALID_ENTRY',
      'shape',
    );
    await expectRejected(
      craft({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, data),
      'INVALID_ENTRY',
    );
    await expectRejected(
      craft({ a: { dtype: 'F32', shape: [2.5], data_offsets: [0, 8] } }, data),
      'INVALID_ENTRY',
    );
    await expectRejected(craft({ a: { dtype: 'F32', shape: [2] } }, data), 'INVALID_ENTRY', 'data_offsets');
    await expectRejected(
      craft({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, data),
      'INVALID_ENTRY',
    );
    await expectRejected(
      craft({ a: { dtype: 'F32', shape: [2], data_offsets: [0] } }, data),
      'INVALID_ENTRY',
    );
    await expectRejected(craft({ a: 5 }, data), 'INVALID_ENTRY');
  });

  it('a byte size that is not dtype size × product(shape), even for absurd shapes', async () => {
    const data = new Uint8Array(8);
    await expectRejected(craft({ a: entry(0, 8, [3]) }, data), 'SIZE_MISMATCH');
    await expectRejected(craft({ a: entry(0, 8, [1e9, 1e9, 1e9]) }, data), 'SIZE_MISMATCH');
    await expectRejected(
      craft({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 8] } }, data),
      'SIZE_MISMATCH',
    );
  });

  it('offsets that overlap or leave holes', async () => {
    const data = new Uint8Array(16);
    await expectRejected(
      craft({ a: entry(0, 8), b: entry(4, 12), c: entry(12, 16) }, data),
      'OFFSETS_OVERLAP',
    );
    await expectRejected(craft({ a: entry(0, 8), b: entry(12, 16) }, data), 'OFFSETS_HOLE');
    await expectRejected(craft({ b: entry(4, 16) }, data), 'OFFSETS_HOLE'); // must start at 0
  });

  it('offsets past the end of the file, and bytes after the last tensor', async () => {
    await expectRejected(craft({ a: entry(0, 4e12, [1e12]) }, new Uint8Array(8)), 'DATA_PAST_END');
    await expectRejected(craft({ a: entry(0, 8) }, new Uint8Array(12)), 'TRAILING_BYTES');
  });

  it('metadata that is not a string → string map', async () => {
    const data = new Uint8Array(4);
    await expectRejected(craft({ __metadata__: { format: 1 }, a: entry(0, 4) }, data), 'INVALID_METADATA');
    await expectRejected(craft({ __metadata__: ['pt'], a: entry(0, 4) }, data), 'INVALID_METADATA');
  });

  it('and accepts tensors listed in any order, tiling the data by their offsets', async () => {
    const data = Buffer.alloc(12);
    data.writeFloatLE(1.5, 0);
    data.writeFloatLE(2.5, 4);
    data.writeFloatLE(3.5, 8);
    const path = freshPath();
    await writeFile(path, craft({ b: entry(4, 12), __metadata__: null, a: entry(0, 4) }, data));
    const back = await readSafetensors(path);
    expect([...back.tensors.keys()]).toEqual(['a', 'b']);
    expect([...back.tensors.get('b')!.data]).toEqual([2.5, 3.5]);
  });
});
