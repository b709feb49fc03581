// A snapshot of the training process's memory, for the run's resource chart: Node's own figures
// plus the bytes the engine's numeric buffers hold, which only the caller knows.

import { ensure } from './errors';

/** All figures in bytes. */
export interface MemorySnapshot {
  /** Resident set size: everything the process holds in RAM. */
  rss: number;
  /** V8 heap in use and reserved. */
  heapUsed: number;
  heapTotal: number;
  /** Memory of C++ objects bound to JS, ArrayBuffers included. */
  external: number;
  /** ArrayBuffers and SharedArrayBuffers, a part of `external`. */
  arrayBuffers: number;
  /**
   * Bytes of the engine's buffers (parameters, gradients, optimizer moments, activations), as the
   * caller counts them. Already contained in `arrayBuffers` (a TS backend) or in `rss` (WebAssembly
   * memory), so it shows where memory goes; it is not to be added to the others.
   */
  engineBuffers: number;
}

/** The subset of process.memoryUsage() read here; injectable so tests can supply known figures. */
export type MemoryUsageReader = () => Omit<MemorySnapshot, 'engineBuffers'>;

export function memorySnapshot(
  engineBufferBytes: number,
  read: MemoryUsageReader = () => process.memoryUsage(),
): MemorySnapshot {
  ensure(
    Number.isSafeInteger(engineBufferBytes) && engineBufferBytes >= 0,
    'engineBufferBytes',
    engineBufferBytes,
    'an integer ≥ 0',
  );
  const usage = read();
  return {
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    engineBuffers: engineBufferBytes,
  };
}

/** Bytes behind a set of typed-array views (their lengths, not their backing buffers'). */
export function viewBytes(views: readonly ArrayBufferView[]): number {
  let bytes = 0;
  for (const v of views) bytes += v.byteLength;
  return bytes;
}
