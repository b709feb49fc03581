// A checkpoint written and read back gives the same header and bitwise-identical tensors, and the
// writer refuses input it could not read back.

import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rejectionOf } from '../test-support/caught';
import { useTempDir } from '../test-support/temp-dir';
import { CheckpointError } from './errors';
import { DATA_ALIGNMENT, TRAILER_BYTES } from './format';
import { toJsonObject } from './json';
import { assertCompatible, readCheckpoint, readCheckpointHeader, verifyCheckpoint } from './read';
import { SMALL_SHAPES, sampleHeader, sampleTensors } from './test-support/sample';
import { writeCheckpoint } from './write';

const dir = useTempDir('ckpt-rt-');

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

describe('checkpoint save and load', () => {
  it('returns the header and every tensor bitwise, in order', async () => {
    const path = join(dir.path, 'step-7.ckpt');
    const header = sampleHeader(7);
    const tensors = sampleTensors(1, SMALL_SHAPES);
    // Values JSON or a lossy copy would not keep: NaN payloads, -0, infinities, subnormals.
    const special = new Uint32Array([0x7fc00001, 0xffa00000, 0x80000000, 0x7f800000, 0xff800000, 0x00000001]);
    tensors.push({ name: 'special', shape: [2, 3], data: new Float32Array(special.buffer) });

    const written = await writeCheckpoint(path, header, tensors);
    const loaded = await readCheckpoint(path);

    expect(loaded.header).toEqual(header);
    expect([...loaded.tensors.keys()]).toEqual(tensors.map((t) => t.name));
    for (const t of tensors) {
      const got = loaded.tensors.get(t.name)!;
      expect(got.shape).toEqual(t.shape);
      expect(bits(got.data)).toEqual(bits(t.data));
    }
    expect(loaded.formatVersion).toBe(1);
    expect(loaded.bytes).toBe(written.bytes);
    expect(loaded.sha256).toBe(written.sha256);
  });

  it('stores tensors at 64-byte-aligned offsets, taken from views into a larger buffer', async () => {
    const path = join(dir.path, 'views.ckpt');
    const flat = new Float32Array(1000).map((_, i) => i * 0.5);
    const tensors = [
      { name: 'a', shape: [3], data: flat.subarray(1, 4) },
      { name: 'b', shape: [10, 7], data: flat.subarray(5, 75) },
    ];
    await writeCheckpoint(path, sampleHeader(1), tensors);

    const summary = await readCheckpointHeader(path);
    expect(summary.tensors.map((e) => e.offset % DATA_ALIGNMENT)).toEqual([0, 0]);
    const loaded = await readCheckpoint(path);
    expect([...loaded.tensors.get('b')!.data]).toEqual([...flat.subarray(5, 75)]);
    expect([...loaded.tensors.get('a')!.data]).toEqual([0.5, 1, 1.5]);
  });

  it('replaces an existing checkpoint and leaves no temp file behind', async () => {
    const path = join(dir.path, 'latest.ckpt');
    await writeCheckpoint(path, sampleHeader(1), sampleTensors(1, SMALL_SHAPES));
    await writeCheckpoint(path, sampleHeader(2), sampleTensors(2, SMALL_SHAPES));

    expect(await readdir(dir.path)).toEqual(['latest.ckpt']);
    expect((await readCheckpoint(path)).header.step).toBe(2);
  });

  it('verifies without loading, reporting step, size and the SHA-256 of everything before the trailer', async () => {
    const path = join(dir.path, 'v.ckpt');
    await writeCheckpoint(path, sampleHeader(42), sampleTensors(3, SMALL_SHAPES));
    const bytes = await readFile(path);

    const result = await verifyCheckpoint(path);

    const expected = createHash('sha256')
      .update(bytes.subarray(0, bytes.length - TRAILER_BYTES))
      .digest('hex');
    expect(result).toEqual({
      ok: true,
      path,
      step: 42,
      formatVersion: 1,
      bytes: bytes.length,
      sha256: expected,
    });
  });

  it('reads the header alone for listings', async () => {
    const path = join(dir.path, 'h.ckpt');
    await writeCheckpoint(path, sampleHeader(5), sampleTensors(4, SMALL_SHAPES));
    const summary = await readCheckpointHeader(path);
    expect(summary.header).toEqual(sampleHeader(5));
    expect(summary.tensors.find((e) => e.name === 'adam.v/transformer.wte.weight')?.shape).toEqual([96, 16]);
  });
});

describe('checkpoint writer input checks', () => {
  async function expectInvalid(promise: Promise<unknown>, fragment: string): Promise<void> {
    const err = await rejectionOf(promise, CheckpointError);
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toContain(fragment);
  }

  it('refuses a tensor whose data does not match its shape, writing nothing', async () => {
    const path = join(dir.path, 'bad.ckpt');
    const tensors = [{ name: 'w', shape: [2, 3], data: new Float32Array(5) }];
    await expectInvalid(
      writeCheckpoint(path, sampleHeader(1), tensors),
      'tensor "w" has shape [2, 3] (6 values) but 5',
    );
    expect(await readdir(dir.path)).toEqual([]);
  });

  it('refuses duplicate tensor names', async () => {
    const t = { name: 'w', shape: [1], data: new Float32Array(1) };
    await expectInvalid(
      writeCheckpoint(join(dir.path, 'd.ckpt'), sampleHeader(1), [t, t]),
      'tensor "w" is given twice',
    );
  });

  it('refuses a header JSON would not keep (NaN, undefined, bad counts)', async () => {
    const path = join(dir.path, 'h.ckpt');
    const nan = { ...sampleHeader(1), schedule: { lastLr: Number.NaN } };
    await expectInvalid(writeCheckpoint(path, nan, []), 'header.schedule.lastLr is NaN');
    const negative = { ...sampleHeader(1), step: -1 };
    await expectInvalid(writeCheckpoint(path, negative, []), 'step must be a whole number ≥ 0, got -1');
    const zeroRng = { ...sampleHeader(1), rng: { sampler: [0, 0, 0, 0] as const } };
    await expectInvalid(writeCheckpoint(path, zeroRng, []), 'rng.sampler must be four uint32 words');
    const nanLoss = { ...sampleHeader(1), metrics: { valLoss: Number.NaN, finite: false } };
    await expectInvalid(writeCheckpoint(path, nanLoss, []), 'metrics must be');
  });

  it('toJsonObject passes interface-typed configs and names what JSON would lose', () => {
    interface Schedule {
      kind: string;
      lr: number;
    }
    const ok: { schedule: Schedule; tags: string[] } = {
      schedule: { kind: 'cosine', lr: 3e-4 },
      tags: ['a'],
    };
    expect(toJsonObject(ok, 'trainConfig')).toBe(ok);
    expect(() => toJsonObject({ schedule: { lr: Infinity } }, 'trainConfig')).toThrow(
      'trainConfig.schedule.lr is Infinity',
    );
    expect(() => toJsonObject({ at: new Date(0) }, 'sampler')).toThrow(
      'sampler.at is a Date, not a plain object',
    );
    expect(() => toJsonObject({ list: [1, undefined] }, 'x')).toThrow('x.list[1] is undefined');
  });

  it('reports a missing folder as a write failure naming the path', async () => {
    const path = join(dir.path, 'no-such-folder', 'x.ckpt');
    const err = await writeCheckpoint(path, sampleHeader(1), []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).code).toBe('WRITE_FAILED');
    expect((err as CheckpointError).message).toContain(path);
  });
});

describe('model compatibility', () => {
  it('passes a checkpoint of the same shape and lists every differing field otherwise', async () => {
    const path = join(dir.path, 'c.ckpt');
    const header = sampleHeader(1);
    await writeCheckpoint(path, header, sampleTensors(1, SMALL_SHAPES));

    await expect(readCheckpoint(path, { expect: header.modelConfig })).resolves.toBeDefined();
    const run = { ...header.modelConfig, nLayer: 6, nEmbd: 32 };
    const err = await readCheckpoint(path, { expect: run }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    const e = err as CheckpointError;
    expect(e.code).toBe('CONFIG_MISMATCH');
    expect(e.differences).toEqual([
      { field: 'nLayer', checkpoint: 2, run: 6 },
      { field: 'nEmbd', checkpoint: 16, run: 32 },
    ]);
    expect(e.message).toContain(path);
    expect(e.message).toContain('nLayer is 2 in the checkpoint but 6 in this run');
  });

  it('assertCompatible is silent for equal configs', () => {
    const header = sampleHeader(1);
    expect(() => assertCompatible(header, { ...header.modelConfig }, 'x.ckpt')).not.toThrow();
  });
});

describe('empty tensor lists', () => {
  it('round-trip a header-only checkpoint', async () => {
    const path = join(dir.path, 'empty.ckpt');
    await writeCheckpoint(path, sampleHeader(0), []);
    const loaded = await readCheckpoint(path);
    expect(loaded.tensors.size).toBe(0);
    expect(loaded.header.step).toBe(0);
  });
});
