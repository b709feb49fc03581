// What the wasm backend adds to the kernel contract: its memory (shared, zeroed, aligned, views
// valid across growth), the refusal of buffers and dimensions it cannot serve safely, its kernel
// paths, and a build output that matches the .wat sources.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TargetOutOfRangeError } from '../cross-entropy';
import {
  availableKernelPaths,
  defaultKernelPath,
  relaxedSimdAvailable,
  splitKernelPath,
} from './kernel-path';
import { createWasmBackend, KernelDimensionError, TokenIdOutOfRangeError } from './wasm-backend';
import { BufferTooSmallError, ForeignBufferError, WasmMemoryExhaustedError } from './wasm-heap';

const MiB = 1024 * 1024;

describe('wasm backend memory', () => {
  it('hands out zeroed, 64-byte-aligned views of one shared memory', async () => {
    const be = await createWasmBackend();
    const views = [be.allocF32(3), be.allocI32(17), be.allocF32(1)];
    for (const v of views) {
      expect(v.byteOffset % 64).toBe(0);
      expect(v.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(Array.from(v).every((x) => x === 0)).toBe(true);
    }
    expect(views[1].byteOffset).toBeGreaterThanOrEqual(views[0].byteOffset + 64);
  });

  it('grows on demand, and views taken before the growth stay valid for the kernels', async () => {
    const be = await createWasmBackend({ initialBytes: 2 * MiB });
    const a = be.allocF32(4);
    a.set([1, 2, 3, 4]);
    const big = be.allocF32(8 * MiB); // 32 MiB: forces growth past the initial size
    expect(big.buffer).not.toBe(a.buffer);
    const out = be.allocF32(4);
    be.residualForward(out, a, a, 4);
    expect(Array.from(out)).toEqual([2, 4, 6, 8]);
    be.residualForward(big.subarray(0, 4), a, out, 4);
    expect(Array.from(big.subarray(0, 4))).toEqual([3, 6, 9, 12]);
  });

  it('refuses an allocation past its maximum, saying how much is in use', async () => {
    const be = await createWasmBackend({ initialBytes: 2 * MiB, maximumBytes: 4 * MiB });
    expect(() => be.allocF32(MiB)).toThrow(WasmMemoryExhaustedError);
    expect(() => be.allocF32(MiB)).toThrow(/of at most 4194304 bytes are in use/);
  });
});

describe('wasm backend argument checks', () => {
  it('refuses a buffer from outside its memory, naming the kernel and the argument', async () => {
    const be = await createWasmBackend();
    const other = await createWasmBackend();
    const x = be.allocF32(8);
    expect(() => be.scale(new Float32Array(8), 2, 8)).toThrow(ForeignBufferError);
    expect(() => be.residualForward(x, x, other.allocF32(8), 8)).toThrow(
      /residualForward: 'b' is not a view/,
    );
  });

  it('refuses dimensions that need more elements than a view holds, before writing anything', async () => {
    const be = await createWasmBackend();
    const out = be.allocF32(6).fill(7);
    const inp = be.allocF32(6);
    const weight = be.allocF32(4);
    // N=2, C=3, OC=2 needs a 3×2 weight (6 values); it holds 4.
    expect(() => be.matmulForward(out, inp, weight, null, 2, 3, 2)).toThrow(BufferTooSmallError);
    expect(() => be.matmulForward(out, inp, weight, null, 2, 3, 2)).toThrow(
      /'weight' holds 4 elements but .* need 6/,
    );
    expect(Array.from(out)).toEqual([7, 7, 7, 7, 7, 7]);
  });

  it('refuses dimensions that are not non-negative integers, and heads that do not divide C', async () => {
    const be = await createWasmBackend();
    const x = be.allocF32(64);
    for (const n of [-1, 1.5, NaN]) expect(() => be.scale(x, 2, n)).toThrow(KernelDimensionError);
    expect(() => be.attentionForward(x, x, x, x, 1, 1, 6, 4)).toThrow(/multiple of the head count/);
  });

  it('refuses token ids outside the embedding table and targets outside the vocabulary', async () => {
    const be = await createWasmBackend();
    const [B, T, C, V] = [1, 3, 4, 5];
    const ids = be.allocI32(B * T);
    ids.set([0, 5, 1]);
    const out = be.allocF32(B * T * C);
    expect(() => be.encoderForward(out, ids, be.allocF32(V * C), be.allocF32(T * C), B, T, C)).toThrow(
      TokenIdOutOfRangeError,
    );
    expect(() => be.encoderForward(out, ids, be.allocF32(V * C), be.allocF32(T * C), B, T, C)).toThrow(
      /token id 5 at position 1/,
    );
    const logits = be.allocF32(B * T * V).fill(0.5);
    const targets = be.allocI32(B * T);
    targets.set([4, 0, -1]);
    expect(() => be.crossEntropyForward(be.allocF32(B * T), logits, targets, B * T, V)).toThrow(
      TargetOutOfRangeError,
    );
    expect(Array.from(logits).every((x) => x === 0.5)).toBe(true);
  });

  it('keeps its kernels bound when they are taken off the backend', async () => {
    const be = await createWasmBackend();
    const { residualForward, allocF32 } = be;
    const a = allocF32(2).fill(1.5);
    const out = allocF32(2);
    residualForward(out, a, a, 2);
    expect(Array.from(out)).toEqual([3, 3]);
  });
});

describe('wasm kernel paths', () => {
  it('defaults to the fused WebAssembly build exactly when the runtime has relaxed SIMD', async () => {
    const be = await createWasmBackend();
    expect(be.kernelPath).toBe(defaultKernelPath());
    expect(splitKernelPath(be.kernelPath).wasm === 'wasm-relaxed-fma').toBe(relaxedSimdAvailable());
  });

  it.each(availableKernelPaths())(
    '%s gives bitwise-identical matmul results on identical inputs',
    async (kernelPath) => {
      const be = await createWasmBackend({ kernelPath });
      expect(be.kernelPath).toBe(kernelPath);
      const [N, C, OC] = [67, 300, 45];
      const inp = be.allocF32(N * C);
      const weight = be.allocF32(C * OC);
      inp.set(inp.map((_, i) => Math.sin(i)));
      weight.set(weight.map((_, i) => Math.cos(i) / 10));
      const first = be.allocF32(N * OC);
      const second = be.allocF32(N * OC);
      be.matmulForward(first, inp, weight, null, N, C, OC);
      be.matmulForward(second, inp, weight, null, N, C, OC);
      const a = new Uint32Array(first.buffer, first.byteOffset, N * OC);
      const b = new Uint32Array(second.buffer, second.byteOffset, N * OC);
      expect(a.every((bits, i) => bits === b[i])).toBe(true);
    },
  );
});

describe('wasm build', () => {
  it('the generated kernels are up to date with the .wat sources', () => {
    const script = fileURLToPath(new URL('./build-wasm.mjs', import.meta.url));
    // Exits 1 with a message naming the command to run when generated/kernels.ts is stale.
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
