// The memory snapshot carries Node's figures through unchanged and adds the engine's byte count.
import { describe, expect, it } from 'vitest';
import { memorySnapshot, viewBytes } from './memory';
import { MetricArgumentError } from './errors';

describe('memorySnapshot', () => {
  it('copies the five process figures and adds the engine bytes', () => {
    const read = (): ReturnType<NodeJS.Process['memoryUsage']> => ({
      rss: 500,
      heapUsed: 100,
      heapTotal: 200,
      external: 300,
      arrayBuffers: 250,
    });
    expect(memorySnapshot(64, read)).toEqual({
      rss: 500,
      heapUsed: 100,
      heapTotal: 200,
      external: 300,
      arrayBuffers: 250,
      engineBuffers: 64,
    });
  });

  it('reads the live process by default, where a live buffer shows up in arrayBuffers', () => {
    const buffer = new Float32Array(4 * 1024 * 1024); // 16 MiB
    const after = memorySnapshot(buffer.byteLength);
    expect(after.arrayBuffers).toBeGreaterThanOrEqual(buffer.byteLength);
    expect(after.rss).toBeGreaterThan(after.heapUsed);
    expect(after.engineBuffers).toBe(16 * 1024 * 1024);
  });

  it('rejects a negative or fractional engine byte count', () => {
    expect(() => memorySnapshot(-1)).toThrow(MetricArgumentError);
    expect(() => memorySnapshot(1.5)).toThrow(MetricArgumentError);
  });
});

describe('viewBytes', () => {
  it('sums the views, not the buffers they sit in', () => {
    const flat = new Float32Array(100);
    expect(viewBytes([flat.subarray(0, 10), flat.subarray(10, 30), new Int32Array(3)])).toBe(40 + 80 + 12);
  });
});
