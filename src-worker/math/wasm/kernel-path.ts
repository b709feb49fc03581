// Which build of the kernels runs: with relaxed-SIMD fused multiply-add, or with separate multiply
// and add. The two round differently, so the path is part of what makes a run reproducible.
import { setFlagsFromString } from 'node:v8';
import {
  KERNELS_RELAXED_FMA_BASE64,
  KERNELS_SIMD128_BASE64,
  RELAXED_SIMD_PROBE_BASE64,
} from './generated/kernels';
import { wasm, type WasmModule } from './wasm-api';

/**
 * 'wasm-relaxed-fma': every multiply-add is f32x4.relaxed_madd, one fused instruction where the
 * CPU has FMA (x86-64 since Haswell/Zen, every arm64). 'wasm-simd128': plain f32x4 mul then add,
 * for runtimes without relaxed SIMD. Results agree to rounding, not bitwise.
 */
export type KernelPath = 'wasm-relaxed-fma' | 'wasm-simd128';

export const KERNEL_PATHS: readonly KernelPath[] = ['wasm-relaxed-fma', 'wasm-simd128'];

/** The caller asked for the fused path on a runtime that cannot compile relaxed SIMD. */
export class RelaxedSimdUnavailableError extends Error {
  constructor() {
    super(
      `kernel path 'wasm-relaxed-fma' needs WebAssembly relaxed SIMD, which this runtime ` +
        `(Node ${process.versions.node}, V8 ${process.versions.v8}) does not provide; use 'wasm-simd128'`,
    );
    this.name = 'RelaxedSimdUnavailableError';
  }
}

let relaxedSimd: boolean | undefined;

/**
 * Whether relaxed SIMD compiles here. Node 20's V8 has it behind --experimental-wasm-relaxed-simd,
 * which Node refuses in NODE_OPTIONS but V8 accepts at run time before the first compile that
 * needs it; so when the probe fails the flag is switched on (process-wide, workers included) and
 * the probe tried again. Newer V8 (Electron, Node ≥ 22) ships it on and never reaches the flag.
 */
export function relaxedSimdAvailable(): boolean {
  if (relaxedSimd === undefined) {
    const probe = decode(RELAXED_SIMD_PROBE_BASE64);
    if (!wasm.validate(probe)) setFlagsFromString('--experimental-wasm-relaxed-simd');
    relaxedSimd = wasm.validate(probe);
  }
  return relaxedSimd;
}

/** The fused path where the runtime has it, else the plain one. */
export function defaultKernelPath(): KernelPath {
  return relaxedSimdAvailable() ? 'wasm-relaxed-fma' : 'wasm-simd128';
}

const compiled = new Map<KernelPath, Promise<WasmModule>>();

/** The compiled kernels of one path; compiled once per process (or worker) and then reused. */
export function compileKernels(path: KernelPath): Promise<WasmModule> {
  let module = compiled.get(path);
  if (module === undefined) {
    if (path === 'wasm-relaxed-fma' && !relaxedSimdAvailable()) throw new RelaxedSimdUnavailableError();
    module = wasm.compile(
      decode(path === 'wasm-relaxed-fma' ? KERNELS_RELAXED_FMA_BASE64 : KERNELS_SIMD128_BASE64),
    );
    compiled.set(path, module);
  }
  return module;
}

function decode(base64: string): Uint8Array {
  return new Uint8Array(Buffer.from(base64, 'base64'));
}
