// Which code computes the numbers: the native kernels (by instruction set) where the addon loads,
// and a build of the WebAssembly kernels — with relaxed-SIMD fused multiply-add, or with separate
// multiply and add — for every kernel the addon lacks. Paths round differently, so the path is
// part of what makes a run reproducible.
import { setFlagsFromString } from 'node:v8';
import { nativeIsas, type NativeIsa } from '../../native/native-kernels';
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
export type WasmKernelPath = 'wasm-relaxed-fma' | 'wasm-simd128';

export const WASM_KERNEL_PATHS: readonly WasmKernelPath[] = ['wasm-relaxed-fma', 'wasm-simd128'];

/**
 * The native kernels of one instruction set (the matmuls), the given WebAssembly build for the
 * rest; e.g. 'native-avx512f+wasm-relaxed-fma'.
 */
export type NativeKernelPath = `native-${NativeIsa}+${WasmKernelPath}`;

export type KernelPath = WasmKernelPath | NativeKernelPath;

/** The native instruction set of a path (null: WebAssembly only) and its WebAssembly build. */
export function splitKernelPath(path: KernelPath): { native: NativeIsa | null; wasm: WasmKernelPath } {
  const plus = path.indexOf('+');
  if (plus < 0) return { native: null, wasm: path as WasmKernelPath };
  return {
    native: path.slice('native-'.length, plus) as NativeIsa,
    wasm: path.slice(plus + 1) as WasmKernelPath,
  };
}

/** Every kernel path this process can run: native ones first (best instruction set first). */
export function availableKernelPaths(): KernelPath[] {
  const wasm = relaxedSimdAvailable()
    ? WASM_KERNEL_PATHS
    : WASM_KERNEL_PATHS.filter((p) => p === 'wasm-simd128');
  const native = nativeIsas().flatMap((isa) => wasm.map((w): KernelPath => `native-${isa}+${w}`));
  return [...native, ...wasm];
}

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

/** The fused WebAssembly build where the runtime has it, else the plain one. */
export function defaultWasmKernelPath(): WasmKernelPath {
  return relaxedSimdAvailable() ? 'wasm-relaxed-fma' : 'wasm-simd128';
}

/** The environment variable that picks the kernel path, e.g. to reproduce a run on another path. */
export const KERNEL_PATH_ENV = 'CRYSTALLINE_KERNEL_PATH';

/** $CRYSTALLINE_KERNEL_PATH names a kernel path this process cannot run. */
export class KernelPathUnavailableError extends Error {
  constructor(value: string) {
    super(
      `${KERNEL_PATH_ENV}='${value}' is not a kernel path this machine runs; it runs ${availableKernelPaths().join(', ')}`,
    );
    this.name = 'KernelPathUnavailableError';
  }
}

/**
 * $CRYSTALLINE_KERNEL_PATH when set; else the best native instruction set with the default
 * WebAssembly build, or that build alone without the addon.
 */
export function defaultKernelPath(): KernelPath {
  const chosen = process.env[KERNEL_PATH_ENV];
  if (chosen !== undefined && chosen !== '') {
    const path = availableKernelPaths().find((p) => p === chosen);
    if (path === undefined) throw new KernelPathUnavailableError(chosen);
    return path;
  }
  const wasm = defaultWasmKernelPath();
  const [isa] = nativeIsas();
  return isa === undefined ? wasm : `native-${isa}+${wasm}`;
}

const compiled = new Map<WasmKernelPath, Promise<WasmModule>>();

/** The compiled WebAssembly kernels of one build; compiled once per process (or worker) and then reused. */
export function compileKernels(path: WasmKernelPath): Promise<WasmModule> {
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
