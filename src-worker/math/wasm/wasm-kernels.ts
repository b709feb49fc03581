// The WebAssembly kernels' exports, one table of each kernel's parameters that both the
// WebAssembly module and the native addon (src-worker/native) implement, and their instantiation
// on a heap's memory.
import { wasm, type WasmGlobal, type WasmModule } from './wasm-api';
import type { WasmHeap } from './wasm-heap';

/**
 * Each exported function's parameters, in order: buffers as byte addresses into the memory (0 for
 * an absent optional one), then dimensions as element counts, then scalars. The single statement
 * of the ABI: KernelExports is typed from it and each export's arity is checked against it at load,
 * so a .wat edit that changes a parameter list fails loudly.
 */
const KERNEL_PARAMETERS = {
  set_scratch: ['packA', 'packB', 'tile', 'chunk'],
  first_id_out_of_range: ['ids', 'n', 'limit'],
  encoder_forward: ['out', 'inp', 'wte', 'wpe', 'B', 'T', 'C'],
  encoder_backward: ['dwte', 'dwpe', 'dout', 'inp', 'B', 'T', 'C'],
  layernorm_forward: ['out', 'mean', 'rstd', 'inp', 'weight', 'bias', 'N', 'C'],
  layernorm_backward: ['dinp', 'dweight', 'dbias', 'dout', 'inp', 'weight', 'mean', 'rstd', 'N', 'C'],
  matmul_forward: ['out', 'inp', 'weight', 'bias', 'N', 'C', 'OC'],
  matmul_backward: ['dinp', 'dweight', 'dbias', 'dout', 'inp', 'weight', 'N', 'C', 'OC'],
  matmul_transposed_forward: ['out', 'inp', 'weight', 'N', 'C', 'OC'],
  matmul_transposed_backward: ['dinp', 'dweight', 'dout', 'inp', 'weight', 'N', 'C', 'OC'],
  attention_forward: ['out', 'preatt', 'att', 'inp', 'B', 'T', 'C', 'NH'],
  attention_backward: ['dinp', 'dpreatt', 'datt', 'dout', 'inp', 'att', 'B', 'T', 'C', 'NH'],
  gelu_forward: ['out', 'inp', 'n'],
  gelu_backward: ['dinp', 'inp', 'dout', 'n'],
  residual_forward: ['out', 'a', 'b', 'n'],
  residual_backward: ['da', 'db', 'dout', 'n'],
  cross_entropy_forward: ['losses', 'probs', 'targets', 'N', 'V'],
  cross_entropy_backward: ['dlogits', 'probs', 'targets', 'scale', 'N', 'V'],
  // beta1 and beta2 come with their complements, and the bias corrections c1 = 1/(1 − beta1^t)
  // and c2 = 1/(1 − beta2^t) come computed (in float64, by the caller), so the kernel only multiplies.
  adamw_update: [
    'params',
    'grads',
    'm',
    'v',
    'n',
    'lr',
    'beta1',
    'oneMinusBeta1',
    'beta2',
    'oneMinusBeta2',
    'eps',
    'weightDecay',
    'c1',
    'c2',
  ],
  sgd_momentum_update: ['params', 'grads', 'momentum', 'n', 'lr', 'mu', 'weightDecay'],
  sum_squares: ['x', 'n'],
  scale: ['x', 's', 'n'],
} as const;

export type KernelFunctionName = keyof typeof KERNEL_PARAMETERS;

/** The exports that return a value (an index, a sum); every other one returns nothing. */
interface KernelResults {
  first_id_out_of_range: number;
  sum_squares: number;
}

/** A number for each name of a parameter list. */
type NumberArgs<Names extends readonly string[]> = { -readonly [I in keyof Names]: number };

/** The exports of the compiled module; addresses are byte offsets, dims element counts. */
export type KernelExports = {
  readonly [K in KernelFunctionName]: (
    ...args: NumberArgs<(typeof KERNEL_PARAMETERS)[K]>
  ) => K extends keyof KernelResults ? KernelResults[K] : void;
} & {
  /** Sizes in floats of the scratch (matmul packing, GELU chunk) each instance needs its own of. */
  readonly pack_a_floats: WasmGlobal;
  readonly pack_b_floats: WasmGlobal;
  readonly tile_floats: WasmGlobal;
  readonly chunk_floats: WasmGlobal;
};

/**
 * An instance of the kernels on the heap's memory, its exports checked against KERNEL_PARAMETERS,
 * with packing scratch of its own allocated from the heap (once: instances sharing a memory never
 * share it).
 */
export function instantiateKernels(module: WasmModule, heap: WasmHeap): KernelExports {
  const exports = new wasm.Instance(module, { env: { memory: heap.memory } }).exports;
  for (const [name, parameters] of Object.entries(KERNEL_PARAMETERS)) {
    const fn = exports[name];
    if (typeof fn !== 'function' || fn.length !== parameters.length) {
      throw new Error(
        `wasm kernels: export '${name}' is missing or does not take ${parameters.length} parameters`,
      );
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
