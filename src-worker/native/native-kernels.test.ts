// The native kernels as the engine sees them: chosen by default where the addon loads, the same
// numbers on every x86 instruction set (each matmul output is one fused multiply-add chain in k
// order and each element-wise result the same operations, whatever the vector width), working in the engine's memory after it grows, and refused with a
// clear message where an instruction set is missing. Their agreement with the ts reference is
// checked with every other kernel path's, in math/wasm/parity.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  defaultKernelPath,
  defaultWasmKernelPath,
  KERNEL_PATH_ENV,
  KernelPathUnavailableError,
  type KernelPath,
} from '../math/wasm/kernel-path';
import { createWasmBackend, type WasmBackend } from '../math/wasm/wasm-backend';
import {
  NATIVE_ISAS,
  nativeIsas,
  NativeKernelsUnavailableError,
  nativeStatus,
  type NativeIsa,
} from './native-kernels';

const status = nativeStatus();
if (!status.loaded) console.warn(`native kernel tests skipped: the addon is ${status.reason}`);

function bits(x: Float32Array): Uint32Array {
  return new Uint32Array(x.buffer, x.byteOffset, x.length);
}

/** A buffer of the backend holding f(0), f(1), … */
function filled(be: WasmBackend, n: number, f: (i: number) => number): Float32Array {
  const x = be.allocF32(n);
  for (let i = 0; i < n; i++) x[i] = f(i);
  return x;
}

/** The matmul products, GELU both ways and an AdamW step at a ragged shape, on one backend. */
function results(be: WasmBackend): Float32Array[] {
  const [N, C, OC] = [131, 300, 70];
  const inp = filled(be, N * C, Math.sin);
  const weight = filled(be, C * OC, (i) => Math.cos(i) / 10);
  const dout = filled(be, N * OC, (i) => Math.sin(3 * i));
  const [out, dinp, dweight] = [be.allocF32(N * OC), be.allocF32(N * C), be.allocF32(C * OC)];
  be.matmulForward(out, inp, weight, null, N, C, OC);
  be.matmulBackward(dinp, dweight, null, dout, inp, weight, N, C, OC);
  const [gelu, dgelu] = [be.allocF32(N * OC), be.allocF32(N * OC)];
  be.geluForward(gelu, out, N * OC);
  be.geluBackward(dgelu, out, dout, N * OC);
  const [m, v] = [be.allocF32(C * OC), be.allocF32(C * OC)];
  be.adamwUpdate(weight, dweight, m, v, C * OC, 1e-3, 0.9, 0.95, 1e-8, 0.1, 3);
  return [out, dinp, dweight, gelu, dgelu, weight, m, v];
}

describe('native kernels', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('are the default kernel path exactly when the addon loads for this CPU', () => {
    vi.stubEnv(KERNEL_PATH_ENV, '');
    const [best] = nativeIsas();
    const expected: KernelPath =
      best === undefined ? defaultWasmKernelPath() : `native-${best}+${defaultWasmKernelPath()}`;
    expect(defaultKernelPath()).toBe(expected);
  });

  it.skipIf(nativeIsas().length < 2)('give bitwise the same results on every instruction set', async () => {
    const all = await Promise.all(
      nativeIsas().map(async (isa) =>
        results(await createWasmBackend({ kernelPath: `native-${isa}+${defaultWasmKernelPath()}` })),
      ),
    );
    for (const other of all.slice(1)) {
      other.forEach((x, i) => expect(bits(x)).toEqual(bits(all[0][i])));
    }
  });

  it.skipIf(!status.loaded)('work on buffers allocated after the memory grew', async () => {
    const be = await createWasmBackend({ initialBytes: 1 << 20 });
    const before = be.heap.memory.buffer.byteLength;
    const [N, C, OC] = [64, 512, 512]; // 1.3 MiB of operands: past the first MiB
    const inp = be.allocF32(N * C).fill(0.5);
    const weight = be.allocF32(C * OC).fill(0.25);
    const out = be.allocF32(N * OC);
    expect(be.heap.memory.buffer.byteLength).toBeGreaterThan(before);
    be.matmulForward(out, inp, weight, null, N, C, OC);
    expect(out.every((x) => x === C * 0.125)).toBe(true);
  });

  const missing = NATIVE_ISAS.find((isa) => !nativeIsas().includes(isa));
  it.skipIf(missing === undefined)('refuse an instruction set this machine lacks, saying why', async () => {
    const attempt = createWasmBackend({ kernelPath: `native-${missing as NativeIsa}+wasm-simd128` });
    await expect(attempt).rejects.toThrow(NativeKernelsUnavailableError);
    await expect(attempt).rejects.toThrow(new RegExp(`native kernels for ${missing} are unavailable here`));
  });
});

describe('choosing the kernel path by environment', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('runs the path $CRYSTALLINE_KERNEL_PATH names, the WebAssembly one included', async () => {
    vi.stubEnv(KERNEL_PATH_ENV, 'wasm-simd128');
    expect((await createWasmBackend()).kernelPath).toBe('wasm-simd128');
  });

  it('refuses a path this machine cannot run, listing those it can', () => {
    vi.stubEnv(KERNEL_PATH_ENV, 'native-sse2');
    expect(() => defaultKernelPath()).toThrow(KernelPathUnavailableError);
    expect(() => defaultKernelPath()).toThrow(
      /CRYSTALLINE_KERNEL_PATH='native-sse2' .* it runs .*wasm-simd128/,
    );
  });
});
