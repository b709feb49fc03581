// The contract every numeric backend implements: the engine's kernels, forward and backward,
// over flat Float32Array views. Model and training code call only these.
//
// Dimension legend (used in every shape comment of the engine):
//   B  batch size            T  sequence length (≤ contextLength)   C  channels (nEmbd)
//   V  vocabulary size       NH number of heads                     L  number of layers
//   N  rows = B·T            OC output channels of a matmul          hs head size = C / NH
//
// Conventions (llm.c style):
// - Outputs come first, then buffers saved for backward, then inputs, then weights, then dims.
// - Backward kernels ACCUMULATE (`+=`) into their gradient outputs; the caller zeroes gradients
//   once per optimizer step. The one exception is `crossEntropyBackward`, which writes `=` so its
//   output may alias `probs` (the logits buffer is reused for probs and then dlogits).
// - Kernels hold no state and allocate nothing. Buffers come from `alloc*` of the same backend,
//   because a WebAssembly backend can only see its own memory.
// - Weights follow Hugging Face GPT-2 (Conv1D) layout: a linear layer's weight is (C, OC),
//   i.e. [in, out], and y = x·W + b. The tied LM head uses the embedding (V, C) as (OC, C),
//   hence the separate `matmulTransposed*` pair.

import type { adamwUpdate } from './adamw';
import type { attentionBackward, attentionForward } from './attention';
import type { crossEntropyBackward, crossEntropyForward } from './cross-entropy';
import type { encoderBackward, encoderForward } from './encoder';
import type { geluBackward, geluForward } from './gelu';
import type { layernormBackward, layernormForward } from './layernorm';
import type {
  matmulBackward,
  matmulForward,
  matmulTransposedBackward,
  matmulTransposedForward,
} from './matmul';
import type { scale, sumSquares } from './norm';
import type { residualBackward, residualForward } from './residual';
import type { sgdMomentumUpdate } from './sgd';

/**
 * Each kernel's signature is declared once, by the reference (ts) kernel beside its doc comment
 * and shape comments; every backend implements exactly those signatures.
 */
export interface Kernels {
  encoderForward: typeof encoderForward;
  encoderBackward: typeof encoderBackward;
  layernormForward: typeof layernormForward;
  layernormBackward: typeof layernormBackward;
  matmulForward: typeof matmulForward;
  matmulBackward: typeof matmulBackward;
  matmulTransposedForward: typeof matmulTransposedForward;
  matmulTransposedBackward: typeof matmulTransposedBackward;
  attentionForward: typeof attentionForward;
  attentionBackward: typeof attentionBackward;
  geluForward: typeof geluForward;
  geluBackward: typeof geluBackward;
  residualForward: typeof residualForward;
  residualBackward: typeof residualBackward;
  crossEntropyForward: typeof crossEntropyForward;
  crossEntropyBackward: typeof crossEntropyBackward;
  adamwUpdate: typeof adamwUpdate;
  sgdMomentumUpdate: typeof sgdMomentumUpdate;
  sumSquares: typeof sumSquares;
  scale: typeof scale;
}

export interface Backend extends Kernels {
  readonly name: BackendName;
  /**
   * Which code path computes the numbers (e.g. 'ts-scalar', 'wasm-simd128', 'wasm-relaxed-fma').
   * Paths round differently, so bitwise reproducibility and exact resume hold per path; a
   * checkpoint records it.
   */
  readonly kernelPath: string;
  /** A zeroed buffer these kernels can address. */
  allocF32(n: number): Float32Array;
  allocI32(n: number): Int32Array;
}

export type BackendName = 'ts' | 'wasm';
