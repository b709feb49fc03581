// The `wasm` backend: the kernels of wat/*.wat (f32x4 SIMD, blocked matmul) over one shared
// WebAssembly.Memory, with the native addon's kernels in their place where the kernel path names
// an instruction set (src-worker/native): those work in place on the same memory, so the model,
// data-parallel replicas and checkpoints see one backend. Same contract and results as the `ts`
// reference, to float32 rounding.
//
// Buffers: every Float32Array/Int32Array given to a kernel must be a view of this backend's memory,
// i.e. come from its allocF32/allocI32 (a subarray of one is fine). Kernels receive the view's
// byteOffset as the address; a foreign or too-short view is refused with a typed error before any
// WebAssembly runs. Allocation is a bump pointer that never frees: allocate a run's buffers once.
import type { Backend, Kernels } from '../backend';
import { TargetOutOfRangeError } from '../cross-entropy';
import { bindNativeKernels, type NativeKernelName } from '../../native/native-kernels';
import { compileKernels, defaultKernelPath, splitKernelPath, type KernelPath } from './kernel-path';
import type { WasmModule } from './wasm-api';
import { DEFAULT_INITIAL_BYTES, MAX_MEMORY_BYTES, WasmHeap } from './wasm-heap';
import { instantiateKernels, type KernelExports } from './wasm-kernels';

export interface WasmBackendOptions {
  /** Which kernels to run; default: the native ones where the addon loads, the fused wasm build where the runtime has it. */
  kernelPath?: KernelPath;
  /** Memory reserved up front (default 16 MiB); it grows on demand. */
  initialBytes?: number;
  /** Upper bound of the memory (default and most: 4 GiB). */
  maximumBytes?: number;
}

/** A dimension that is not a non-negative integer below 2³², or shapes that do not fit together. */
export class KernelDimensionError extends RangeError {
  constructor(kernel: string, detail: string) {
    super(`${kernel}: ${detail}`);
    this.name = 'KernelDimensionError';
  }
}

/** A token id outside the embedding table: reading its row would read another tensor's memory. */
export class TokenIdOutOfRangeError extends RangeError {
  constructor(position: number, id: number, V: number) {
    super(`encoder: token id ${id} at position ${position} is outside the vocabulary [0, ${V})`);
    this.name = 'TokenIdOutOfRangeError';
  }
}

/** True for a non-negative integer below 2³² (what a kernel's i32 dimension can hold). */
function isDim(x: number): boolean {
  return x >>> 0 === x;
}

export class WasmBackend implements Backend {
  readonly name = 'wasm';
  /** The kernels in use; checkpoints record it, since the paths round differently. */
  readonly kernelPath: KernelPath;
  /** The compiled WebAssembly kernels, for instantiating on the same memory in other workers. */
  readonly module: WasmModule;
  readonly heap: WasmHeap;
  /** Each kernel by its export name: the native one where the path has one, else WebAssembly's. */
  private readonly k: KernelExports;

  /** `module` must be the compiled build `kernelPath` names (compileKernels of its wasm part). */
  constructor(module: WasmModule, kernelPath: KernelPath, heap: WasmHeap) {
    this.module = module;
    this.kernelPath = kernelPath;
    this.heap = heap;
    const wasmKernels = instantiateKernels(module, heap);
    const { native } = splitKernelPath(kernelPath);
    if (native === null) {
      this.k = wasmKernels;
    } else {
      // Typed as the exports they replace, so a native kernel must match one by name.
      const nativeKernels: Pick<KernelExports, NativeKernelName> = bindNativeKernels(native, heap.memory);
      this.k = { ...wasmKernels, ...nativeKernels };
    }
  }

  // The kernels are arrow-function fields so that they stay bound when taken off the object, as
  // the plain functions of the ts backend do.

  allocF32 = (n: number): Float32Array => this.heap.allocF32(n);
  allocI32 = (n: number): Int32Array => this.heap.allocI32(n);

  encoderForward: Kernels['encoderForward'] = (out, inp, wte, wpe, B, T, C) => {
    const h = this.heap;
    const name = 'encoderForward';
    this.dims(name, B, T, C);
    const ids = this.tokenIds(name, inp, B * T, wte, C);
    this.k.encoder_forward(
      h.address(out, B * T * C, name, 'out'),
      ids,
      h.address(wte, 0, name, 'wte'),
      h.address(wpe, T * C, name, 'wpe'),
      B,
      T,
      C,
    );
  };

  encoderBackward: Kernels['encoderBackward'] = (dwte, dwpe, dout, inp, B, T, C) => {
    const h = this.heap;
    const name = 'encoderBackward';
    this.dims(name, B, T, C);
    const ids = this.tokenIds(name, inp, B * T, dwte, C);
    this.k.encoder_backward(
      h.address(dwte, 0, name, 'dwte'),
      h.address(dwpe, T * C, name, 'dwpe'),
      h.address(dout, B * T * C, name, 'dout'),
      ids,
      B,
      T,
      C,
    );
  };

  layernormForward: Kernels['layernormForward'] = (out, mean, rstd, inp, weight, bias, N, C) => {
    const h = this.heap;
    const name = 'layernormForward';
    this.dims(name, N, C);
    this.k.layernorm_forward(
      h.address(out, N * C, name, 'out'),
      h.address(mean, N, name, 'mean'),
      h.address(rstd, N, name, 'rstd'),
      h.address(inp, N * C, name, 'inp'),
      h.address(weight, C, name, 'weight'),
      h.address(bias, C, name, 'bias'),
      N,
      C,
    );
  };

  layernormBackward: Kernels['layernormBackward'] = (
    dinp,
    dweight,
    dbias,
    dout,
    inp,
    weight,
    mean,
    rstd,
    N,
    C,
  ) => {
    const h = this.heap;
    const name = 'layernormBackward';
    this.dims(name, N, C);
    this.k.layernorm_backward(
      h.address(dinp, N * C, name, 'dinp'),
      h.address(dweight, C, name, 'dweight'),
      h.address(dbias, C, name, 'dbias'),
      h.address(dout, N * C, name, 'dout'),
      h.address(inp, N * C, name, 'inp'),
      h.address(weight, C, name, 'weight'),
      h.address(mean, N, name, 'mean'),
      h.address(rstd, N, name, 'rstd'),
      N,
      C,
    );
  };

  matmulForward: Kernels['matmulForward'] = (out, inp, weight, bias, N, C, OC) => {
    const h = this.heap;
    const name = 'matmulForward';
    this.dims(name, N, C, OC);
    this.k.matmul_forward(
      h.address(out, N * OC, name, 'out'),
      h.address(inp, N * C, name, 'inp'),
      h.address(weight, C * OC, name, 'weight'),
      bias === null ? 0 : h.address(bias, OC, name, 'bias'),
      N,
      C,
      OC,
    );
  };

  matmulBackward: Kernels['matmulBackward'] = (dinp, dweight, dbias, dout, inp, weight, N, C, OC) => {
    const h = this.heap;
    const name = 'matmulBackward';
    this.dims(name, N, C, OC);
    this.k.matmul_backward(
      h.address(dinp, N * C, name, 'dinp'),
      h.address(dweight, C * OC, name, 'dweight'),
      dbias === null ? 0 : h.address(dbias, OC, name, 'dbias'),
      h.address(dout, N * OC, name, 'dout'),
      h.address(inp, N * C, name, 'inp'),
      h.address(weight, C * OC, name, 'weight'),
      N,
      C,
      OC,
    );
  };

  matmulTransposedForward: Kernels['matmulTransposedForward'] = (out, inp, weight, N, C, OC) => {
    const h = this.heap;
    const name = 'matmulTransposedForward';
    this.dims(name, N, C, OC);
    this.k.matmul_transposed_forward(
      h.address(out, N * OC, name, 'out'),
      h.address(inp, N * C, name, 'inp'),
      h.address(weight, OC * C, name, 'weight'),
      N,
      C,
      OC,
    );
  };

  matmulTransposedBackward: Kernels['matmulTransposedBackward'] = (
    dinp,
    dweight,
    dout,
    inp,
    weight,
    N,
    C,
    OC,
  ) => {
    const h = this.heap;
    const name = 'matmulTransposedBackward';
    this.dims(name, N, C, OC);
    this.k.matmul_transposed_backward(
      h.address(dinp, N * C, name, 'dinp'),
      h.address(dweight, OC * C, name, 'dweight'),
      h.address(dout, N * OC, name, 'dout'),
      h.address(inp, N * C, name, 'inp'),
      h.address(weight, OC * C, name, 'weight'),
      N,
      C,
      OC,
    );
  };

  attentionForward: Kernels['attentionForward'] = (out, preatt, att, inp, B, T, C, NH) => {
    const h = this.heap;
    const name = 'attentionForward';
    this.attentionDims(name, B, T, C, NH);
    this.k.attention_forward(
      h.address(out, B * T * C, name, 'out'),
      h.address(preatt, B * NH * T * T, name, 'preatt'),
      h.address(att, B * NH * T * T, name, 'att'),
      h.address(inp, B * T * 3 * C, name, 'inp'),
      B,
      T,
      C,
      NH,
    );
  };

  attentionBackward: Kernels['attentionBackward'] = (dinp, dpreatt, datt, dout, inp, att, B, T, C, NH) => {
    const h = this.heap;
    const name = 'attentionBackward';
    this.attentionDims(name, B, T, C, NH);
    this.k.attention_backward(
      h.address(dinp, B * T * 3 * C, name, 'dinp'),
      h.address(dpreatt, B * NH * T * T, name, 'dpreatt'),
      h.address(datt, B * NH * T * T, name, 'datt'),
      h.address(dout, B * T * C, name, 'dout'),
      h.address(inp, B * T * 3 * C, name, 'inp'),
      h.address(att, B * NH * T * T, name, 'att'),
      B,
      T,
      C,
      NH,
    );
  };

  geluForward: Kernels['geluForward'] = (out, inp, n) => {
    const h = this.heap;
    this.dims('geluForward', n);
    this.k.gelu_forward(h.address(out, n, 'geluForward', 'out'), h.address(inp, n, 'geluForward', 'inp'), n);
  };

  geluBackward: Kernels['geluBackward'] = (dinp, inp, dout, n) => {
    const h = this.heap;
    const name = 'geluBackward';
    this.dims(name, n);
    this.k.gelu_backward(
      h.address(dinp, n, name, 'dinp'),
      h.address(inp, n, name, 'inp'),
      h.address(dout, n, name, 'dout'),
      n,
    );
  };

  residualForward: Kernels['residualForward'] = (out, a, b, n) => {
    const h = this.heap;
    const name = 'residualForward';
    this.dims(name, n);
    this.k.residual_forward(
      h.address(out, n, name, 'out'),
      h.address(a, n, name, 'a'),
      h.address(b, n, name, 'b'),
      n,
    );
  };

  residualBackward: Kernels['residualBackward'] = (da, db, dout, n) => {
    const h = this.heap;
    const name = 'residualBackward';
    this.dims(name, n);
    this.k.residual_backward(
      h.address(da, n, name, 'da'),
      h.address(db, n, name, 'db'),
      h.address(dout, n, name, 'dout'),
      n,
    );
  };

  crossEntropyForward: Kernels['crossEntropyForward'] = (losses, logitsToProbs, targets, N, V) => {
    const h = this.heap;
    const name = 'crossEntropyForward';
    this.dims(name, N, V);
    const t = this.targets(name, targets, N, V);
    this.k.cross_entropy_forward(
      h.address(losses, N, name, 'losses'),
      h.address(logitsToProbs, N * V, name, 'logitsToProbs'),
      t,
      N,
      V,
    );
  };

  crossEntropyBackward: Kernels['crossEntropyBackward'] = (dlogits, probs, targets, dlossScale, N, V) => {
    const h = this.heap;
    const name = 'crossEntropyBackward';
    this.dims(name, N, V);
    const t = this.targets(name, targets, N, V);
    this.k.cross_entropy_backward(
      h.address(dlogits, N * V, name, 'dlogits'),
      h.address(probs, N * V, name, 'probs'),
      t,
      dlossScale,
      N,
      V,
    );
  };

  adamwUpdate: Kernels['adamwUpdate'] = (params, grads, m, v, n, lr, beta1, beta2, eps, weightDecay, t) => {
    const h = this.heap;
    const name = 'adamwUpdate';
    this.dims(name, n);
    if (!(Number.isInteger(t) && t >= 1))
      throw new KernelDimensionError(name, `step t must be an integer ≥ 1, got ${t}`);
    this.k.adamw_update(
      h.address(params, n, name, 'params'),
      h.address(grads, n, name, 'grads'),
      h.address(m, n, name, 'm'),
      h.address(v, n, name, 'v'),
      n,
      lr,
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      eps,
      weightDecay,
      // bias corrections in double precision, as reciprocals so the kernel multiplies
      1 / (1 - Math.pow(beta1, t)),
      1 / (1 - Math.pow(beta2, t)),
    );
  };

  sgdMomentumUpdate: Kernels['sgdMomentumUpdate'] = (params, grads, momentum, n, lr, mu, weightDecay) => {
    const h = this.heap;
    const name = 'sgdMomentumUpdate';
    this.dims(name, n);
    this.k.sgd_momentum_update(
      h.address(params, n, name, 'params'),
      h.address(grads, n, name, 'grads'),
      h.address(momentum, n, name, 'momentum'),
      n,
      lr,
      mu,
      weightDecay,
    );
  };

  sumSquares: Kernels['sumSquares'] = (x, n) => {
    this.dims('sumSquares', n);
    return this.k.sum_squares(this.heap.address(x, n, 'sumSquares', 'x'), n);
  };

  scale: Kernels['scale'] = (x, s, n) => {
    this.dims('scale', n);
    this.k.scale(this.heap.address(x, n, 'scale', 'x'), s, n);
  };

  /** Throws unless every given dimension is a non-negative integer an i32 can hold (fixed arity: no allocation). */
  private dims(kernel: string, a: number, b = 0, c = 0): void {
    if (!(isDim(a) && isDim(b) && isDim(c))) {
      const bad = !isDim(a) ? a : !isDim(b) ? b : c;
      throw new KernelDimensionError(kernel, `dimensions must be integers in [0, 2³²), got ${bad}`);
    }
  }

  private attentionDims(kernel: string, B: number, T: number, C: number, NH: number): void {
    this.dims(kernel, B, T, C);
    if (!(isDim(NH) && NH > 0 && C % NH === 0)) {
      throw new KernelDimensionError(kernel, `C (${C}) must be a multiple of the head count NH (${NH})`);
    }
  }

  /**
   * The address of n token ids, after checking that each indexes a row of the (V,C) table, V read
   * off the table's length: an id past it would read or write another tensor's memory.
   */
  private tokenIds(kernel: string, ids: Int32Array, n: number, table: Float32Array, C: number): number {
    const address = this.heap.address(ids, n, kernel, 'inp');
    const V = C === 0 ? 0 : Math.floor(table.length / C);
    const bad = this.k.first_id_out_of_range(address, n, V);
    if (bad >= 0) throw new TokenIdOutOfRangeError(bad, ids[bad], V);
    return address;
  }

  /** The address of N targets, after checking that each is a class of the V logits. */
  private targets(kernel: string, targets: Int32Array, N: number, V: number): number {
    const address = this.heap.address(targets, N, kernel, 'targets');
    const bad = this.k.first_id_out_of_range(address, N, V);
    if (bad >= 0) throw new TargetOutOfRangeError(bad, targets[bad], V);
    return address;
  }
}

/** A wasm backend on a fresh memory. Compiles the kernels once per process and path. */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const kernelPath = options.kernelPath ?? defaultKernelPath();
  const module = await compileKernels(splitKernelPath(kernelPath).wasm);
  const heap = new WasmHeap(
    options.initialBytes ?? DEFAULT_INITIAL_BYTES,
    options.maximumBytes ?? MAX_MEMORY_BYTES,
  );
  return new WasmBackend(module, kernelPath, heap);
}
