// The matmul pool: every matmul kernel split over threads gives bitwise the results of one thread
// (each output row is computed by the same kernel with the same K blocking), for both layouts,
// ragged shapes and thread counts; and the pool starts and stops cleanly.
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../util/rng';
import type { Backend } from '../backend';
import { MatmulPool, ParallelWorkerError } from './parallel';
import { createWasmBackend } from './wasm-backend';

const pools = await Promise.all([1, 2, 3].map((threads) => MatmulPool.start(threads)));
const single = await createWasmBackend({ kernelPath: pools[0].backend.kernelPath });
afterAll(() => Promise.all(pools.map((pool) => pool.close())));

function random(be: Backend, rng: Rng, n: number): Float32Array {
  const out = be.allocF32(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** Index of the first element whose bits differ, or −1 (a plain loop: toEqual on 10⁵ elements takes seconds). */
function firstDifference(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (ua.length !== ub.length) return Math.min(ua.length, ub.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

/** Runs all four matmul kernels from the same seed; returns every output and gradient. */
function runMatmuls(be: Backend, N: number, C: number, OC: number): Float32Array[] {
  const rng = new Rng(N + C + OC);
  const [inp, weight, bias, dout] = [
    random(be, rng, N * C),
    random(be, rng, C * OC),
    random(be, rng, OC),
    random(be, rng, N * OC),
  ];
  const out = be.allocF32(N * OC);
  const outT = be.allocF32(N * OC);
  const [dinp, dweight, dbias] = [random(be, rng, N * C), random(be, rng, C * OC), random(be, rng, OC)];
  const [dinpT, dweightT] = [random(be, rng, N * C), random(be, rng, OC * C)];
  be.matmulForward(out, inp, weight, bias, N, C, OC);
  be.matmulBackward(dinp, dweight, dbias, dout, inp, weight, N, C, OC);
  be.matmulTransposedForward(outT, inp, weight, N, C, OC); // weight read as (OC,C)
  be.matmulTransposedBackward(dinpT, dweightT, dout, inp, weight, N, C, OC);
  return [out, dinp, dweight, dbias, outT, dinpT, dweightT];
}

describe('matmul pool', () => {
  it.each([
    [256, 128, 384],
    [131, 300, 65],
    [9, 7, 5],
  ])('gives bitwise the single-thread results at 1, 2 and 3 threads (N=%i C=%i OC=%i)', (N, C, OC) => {
    const want = runMatmuls(single, N, C, OC);
    for (const pool of pools) {
      const got = runMatmuls(pool.backend, N, C, OC);
      for (let i = 0; i < want.length; i++) {
        expect(firstDifference(got[i], want[i]), `${pool.threads} threads, output ${i}`).toBe(-1);
      }
    }
  });

  it('refuses a thread count below 1', async () => {
    await expect(MatmulPool.start(0)).rejects.toThrow(RangeError);
  });

  it('stops its helpers on close, after which its backend refuses matmuls', async () => {
    const pool = await MatmulPool.start(2);
    await expect(pool.close()).resolves.toBeUndefined();
    const x = pool.backend.allocF32(64);
    expect(() => pool.backend.matmulForward(x, x, x, null, 8, 8, 8)).toThrow(ParallelWorkerError);
  });
});
