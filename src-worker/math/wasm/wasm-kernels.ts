// The WebAssembly kernels' exports, one declaration of each kernel's parameters that both the
// WebAssembly module and the native addon (src-worker/native) implement, and their instantiation
// on a heap's memory.
import { wasm, type WasmGlobal, type WasmModule } from './wasm-api';
import type { WasmHeap } from './wasm-heap';

/** The exports of the compiled module; addresses are byte offsets, dims element counts. */
export interface KernelExports {
  /** Sizes in floats of the scratch (matmul packing, GELU chunk) each instance needs its own of. */
  readonly pack_a_floats: WasmGlobal;
  readonly pack_b_floats: WasmGlobal;
  readonly tile_floats: WasmGlobal;
  readonly chunk_floats: WasmGlobal;
  set_scratch(packA: number, packB: number, tile: number, chunk: number): void;
  first_id_out_of_range(ids: number, n: number, limit: number): number;
  encoder_forward(out: number, inp: number, wte: number, wpe: number, B: number, T: number, C: number): void;
  encoder_backward(
    dwte: number,
    dwpe: number,
    dout: number,
    inp: number,
    B: number,
    T: number,
    C: number,
  ): void;
  layernorm_forward(
    out: number,
    mean: number,
    rstd: number,
    inp: number,
    weight: number,
    bias: number,
    N: number,
    C: number,
  ): void;
  layernorm_backward(
    dinp: number,
    dweight: number,
    dbias: number,
    dout: number,
    inp: number,
    weight: number,
    mean: number,
    rstd: number,
    N: number,
    C: number,
  ): void;
  matmul_forward(
    out: number,
    inp: number,
    weight: number,
    bias: number,
    N: number,
    C: number,
    OC: number,
  ): void;
  matmul_backward(
    dinp: number,
    dweight: number,
    dbias: number,
    dout: number,
    inp: number,
    weight: number,
    N: number,
    C: number,
    OC: number,
  ): void;
  matmul_transposed_forward(out: number, inp: number, weight: number, N: number, C: number, OC: number): void;
  matmul_transposed_backward(
    dinp: number,
    dweight: number,
    dout: number,
    inp: number,
    weight: number,
    N: number,
    C: number,
    OC: number,
  ): void;
  attention_forward(
    out: number,
    preatt: number,
    att: number,
    inp: number,
    B: number,
    T: number,
    C: number,
    NH: number,
  ): void;
  attention_backward(
    dinp: number,
    dpreatt: number,
    datt: number,
    dout: number,
    inp: number,
    att: number,
    B: number,
    T: number,
    C: number,
    NH: number,
  ): void;
  gelu_forward(out: number, inp: number, n: number): void;
  gelu_backward(dinp: number, inp: number, dout: number, n: number): void;
  residual_forward(out: number, a: number, b: number, n: number): void;
  residual_backward(da: number, db: number, dout: number, n: number): void;
  cross_entropy_forward(losses: number, probs: number, targets: number, N: number, V: number): void;
  cross_entropy_backward(
    dlogits: number,
    probs: number,
    targets: number,
    scale: number,
    N: number,
    V: number,
  ): void;
  adamw_update(
    params: number,
    grads: number,
    m: number,
    v: number,
    n: number,
    lr: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    eps: number,
    weightDecay: number,
    c1: number,
    c2: number,
  ): void;
  sgd_momentum_update(
    params: number,
    grads: number,
    momentum: number,
    n: number,
    lr: number,
    mu: number,
    weightDecay: number,
  ): void;
  sum_squares(x: number, n: number): number;
  scale(x: number, s: number, n: number): void;
}

export type KernelFunctionName = Exclude<
  keyof KernelExports,
  'pack_a_floats' | 'pack_b_floats' | 'tile_floats' | 'chunk_floats'
>;

/** Parameter count of each exported function: checked at load, so a .wat edit that changes one fails loudly. */
const ARITY: Record<KernelFunctionName, number> = {
  set_scratch: 4,
  first_id_out_of_range: 3,
  encoder_forward: 7,
  encoder_backward: 7,
  layernorm_forward: 8,
  layernorm_backward: 10,
  matmul_forward: 7,
  matmul_backward: 9,
  matmul_transposed_forward: 6,
  matmul_transposed_backward: 8,
  attention_forward: 8,
  attention_backward: 10,
  gelu_forward: 3,
  gelu_backward: 4,
  residual_forward: 4,
  residual_backward: 4,
  cross_entropy_forward: 5,
  cross_entropy_backward: 6,
  adamw_update: 14,
  sgd_momentum_update: 7,
  sum_squares: 2,
  scale: 3,
};

/**
 * An instance of the kernels on the heap's memory, its exports checked against ARITY, with packing
 * scratch of its own allocated from the heap (once: instances sharing a memory never share it).
 */
export function instantiateKernels(module: WasmModule, heap: WasmHeap): KernelExports {
  const exports = new wasm.Instance(module, { env: { memory: heap.memory } }).exports;
  for (const [name, arity] of Object.entries(ARITY)) {
    const fn = exports[name];
    if (typeof fn !== 'function' || fn.length !== arity) {
      throw new Error(`wasm kernels: export '${name}' is missing or does not take ${arity} parameters`);
    }
  }
  const kernels = exports as unknown as KernelExports;
  const [packA, packB, tile, chunk] = allocScratch(kernels, heap);
  kernels.set_scratch(packA, packB, tile, chunk);
  return kernels;
}

/** Allocates one instance's worth of scratch; returns the addresses for set_scratch. */
function allocScratch(kernels: KernelExports, heap: WasmHeap): [number, number, number, number] {
  return [
    heap.allocF32(kernels.pack_a_floats.value).byteOffset,
    heap.allocF32(kernels.pack_b_floats.value).byteOffset,
    heap.allocF32(kernels.tile_floats.value).byteOffset,
    heap.allocF32(kernels.chunk_floats.value).byteOffset,
  ];
}
