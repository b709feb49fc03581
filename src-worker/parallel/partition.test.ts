// The work division of a data-parallel step: every sequence and every parameter belongs to
// exactly one part, in order.
import { describe, expect, it } from 'vitest';
import { batchSlices, paramShards } from './partition';

describe('batchSlices', () => {
  it('splits a batch into contiguous slices that differ by at most one sequence, larger first', () => {
    expect(batchSlices(8, 2)).toEqual([
      [0, 4],
      [4, 8],
    ]);
    expect(batchSlices(7, 3)).toEqual([
      [0, 3],
      [3, 5],
      [5, 7],
    ]);
    expect(batchSlices(5, 1)).toEqual([[0, 5]]);
  });

  it('refuses more parts than sequences', () => {
    expect(() => batchSlices(2, 3)).toThrow(/cannot divide 2 sequences into 3 parts/);
  });
});

describe('paramShards', () => {
  it('covers every parameter once, with inner boundaries on 16-float lines', () => {
    for (const [count, parts] of [
      [809_856, 2],
      [1_000_003, 3],
      [100, 4],
      [17, 2],
    ]) {
      const shards = paramShards(count, parts);
      expect(shards).toHaveLength(parts);
      expect(shards[0][0]).toBe(0);
      expect(shards[parts - 1][1]).toBe(count);
      for (let i = 1; i < parts; i++) {
        expect(shards[i][0]).toBe(shards[i - 1][1]);
        expect(shards[i][0] % 16).toBe(0);
      }
    }
  });

  it('splits large buffers nearly evenly', () => {
    const [a, b] = paramShards(10_721_664, 2);
    expect(Math.abs(a[1] - a[0] - (b[1] - b[0]))).toBeLessThanOrEqual(32);
  });
});
