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

export interface Kernels {
  /** out[b,t,:] = wte[inp[b,t],:] + wpe[t,:] */
  encoderForward(
    out: Float32Array, // (B,T,C)
    inp: Int32Array, // (B,T) token ids
    wte: Float32Array, // (V,C)
    wpe: Float32Array, // (maxT,C)
    B: number,
    T: number,
    C: number,
  ): void;
  encoderBackward(
    dwte: Float32Array, // (V,C)
    dwpe: Float32Array, // (maxT,C)
    dout: Float32Array, // (B,T,C)
    inp: Int32Array, // (B,T)
    B: number,
    T: number,
    C: number,
  ): void;

  /** LayerNorm over the last dim, eps = 1e-5; saves mean and 1/std per row for backward. */
  layernormForward(
    out: Float32Array, // (N,C)
    mean: Float32Array, // (N)
    rstd: Float32Array, // (N)
    inp: Float32Array, // (N,C)
    weight: Float32Array, // (C)
    bias: Float32Array, // (C)
    N: number,
    C: number,
  ): void;
  layernormBackward(
    dinp: Float32Array, // (N,C)
    dweight: Float32Array, // (C)
    dbias: Float32Array, // (C)
    dout: Float32Array, // (N,C)
    inp: Float32Array, // (N,C)
    weight: Float32Array, // (C)
    mean: Float32Array, // (N)
    rstd: Float32Array, // (N)
    N: number,
    C: number,
  ): void;

  /** out = inp·weight + bias, weight stored [in, out]. bias may be null. */
  matmulForward(
    out: Float32Array, // (N,OC)
    inp: Float32Array, // (N,C)
    weight: Float32Array, // (C,OC)
    bias: Float32Array | null, // (OC)
    N: number,
    C: number,
    OC: number,
  ): void;
  /** dinp += dout·weightᵀ; dweight += inpᵀ·dout; dbias += Σ_n dout. dbias may be null. */
  matmulBackward(
    dinp: Float32Array, // (N,C)
    dweight: Float32Array, // (C,OC)
    dbias: Float32Array | null, // (OC)
    dout: Float32Array, // (N,OC)
    inp: Float32Array, // (N,C)
    weight: Float32Array, // (C,OC)
    N: number,
    C: number,
    OC: number,
  ): void;

  /** out = inp·weightᵀ, weight stored [out, in] (the tied LM head: weight = wte). No bias. */
  matmulTransposedForward(
    out: Float32Array, // (N,OC)
    inp: Float32Array, // (N,C)
    weight: Float32Array, // (OC,C)
    N: number,
    C: number,
    OC: number,
  ): void;
  /** dinp += dout·weight; dweight += doutᵀ·inp. */
  matmulTransposedBackward(
    dinp: Float32Array, // (N,C)
    dweight: Float32Array, // (OC,C)
    dout: Float32Array, // (N,OC)
    inp: Float32Array, // (N,C)
    weight: Float32Array, // (OC,C)
    N: number,
    C: number,
    OC: number,
  ): void;

  /**
   * Causal multi-head self-attention. inp holds q, k, v concatenated on the last dim (HF GPT-2
   * c_attn order); head h uses channels [h·hs, (h+1)·hs) of each. Scale 1/√hs.
   * preatt holds the scaled scores, att the softmax (both zero above the diagonal).
   */
  attentionForward(
    out: Float32Array, // (B,T,C)
    preatt: Float32Array, // (B,NH,T,T)
    att: Float32Array, // (B,NH,T,T)
    inp: Float32Array, // (B,T,3C)
    B: number,
    T: number,
    C: number,
    NH: number,
  ): void;
  attentionBackward(
    dinp: Float32Array, // (B,T,3C)
    dpreatt: Float32Array, // (B,NH,T,T) scratch, accumulated into
    datt: Float32Array, // (B,NH,T,T) scratch, accumulated into
    dout: Float32Array, // (B,T,C)
    inp: Float32Array, // (B,T,3C)
    att: Float32Array, // (B,NH,T,T)
    B: number,
    T: number,
    C: number,
    NH: number,
  ): void;

  /** GELU, tanh approximation (GPT-2's gelu_new). */
  geluForward(out: Float32Array, inp: Float32Array, n: number): void;
  geluBackward(dinp: Float32Array, inp: Float32Array, dout: Float32Array, n: number): void;

  /** out = a + b */
  residualForward(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void;
  /** da += dout; db += dout */
  residualBackward(da: Float32Array, db: Float32Array, dout: Float32Array, n: number): void;

  /**
   * Fused softmax + cross-entropy. Turns `logits` into probabilities IN PLACE and writes each
   * row's loss −log p[target]. Targets must lie in [0, V).
   */
  crossEntropyForward(
    losses: Float32Array, // (N)
    logitsToProbs: Float32Array, // (N,V) in: logits, out: probs
    targets: Int32Array, // (N)
    N: number,
    V: number,
  ): void;
  /**
   * dlogits = (probs − onehot(target)) · dlossScale. WRITES (=), so dlogits may alias probs.
   * dlossScale is d(mean loss)/d(row loss), e.g. 1/(N·accumulationSteps).
   */
  crossEntropyBackward(
    dlogits: Float32Array, // (N,V)
    probs: Float32Array, // (N,V)
    targets: Int32Array, // (N)
    dlossScale: number,
    N: number,
    V: number,
  ): void;

  /**
   * AdamW step t (1-based) on one tensor, bias-corrected, decoupled weight decay:
   * p -= lr·(m̂/(√v̂+eps) + weightDecay·p).
   */
  adamwUpdate(
    params: Float32Array, // (n)
    grads: Float32Array, // (n)
    m: Float32Array, // (n)
    v: Float32Array, // (n)
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    t: number,
  ): void;
  /** SGD with (heavy-ball) momentum and L2 weight decay: buf = μ·buf + (g + wd·p); p -= lr·buf. */
  sgdMomentumUpdate(
    params: Float32Array, // (n)
    grads: Float32Array, // (n)
    momentum: Float32Array, // (n)
    n: number,
    lr: number,
    mu: number,
    weightDecay: number,
  ): void;

  /** Σ x² over n values, accumulated in double precision. */
  sumSquares(x: Float32Array, n: number): number;
  /** x *= s (gradient clipping). */
  scale(x: Float32Array, s: number, n: number): void;
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
