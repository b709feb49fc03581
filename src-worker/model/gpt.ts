// CLLM-GPT: a GPT-2 language model over one flat buffer each for parameters, gradients,
// activations and activation gradients; forward and backward are straight lists of backend kernels.

import type { Backend } from '../math/backend';
import type { Rng } from '../util/rng';
import { assertModelConfig } from './config';
import type { ModelConfig } from './config';
import { ModelInputError, ModelStateError } from './errors';
import { activationGradLayout, activationLayout, LAYER_SCRATCH_START, parameterLayout } from './layout';
import type { ActivationGradName, ActivationName, BufferLayout, ParamLayout, ParamSpec } from './layout';

/** One parameter tensor: its table entry and its views into the parameter and gradient buffers. */
export interface TensorView {
  spec: ParamSpec;
  view: Float32Array;
  gradView: Float32Array;
}

/** What the logits buffer holds: logits after an inference forward, probs after a training
 *  forward, dlogits after backward. */
export type OutputKind = 'none' | 'logits' | 'probs' | 'dlogits';

interface BlockParams {
  ln1w: Float32Array; // (C)
  ln1b: Float32Array; // (C)
  qkvw: Float32Array; // (C,3C)
  qkvb: Float32Array; // (3C)
  attprojw: Float32Array; // (C,C)
  attprojb: Float32Array; // (C)
  ln2w: Float32Array; // (C)
  ln2b: Float32Array; // (C)
  fcw: Float32Array; // (C,4C)
  fcb: Float32Array; // (4C)
  fcprojw: Float32Array; // (4C,C)
  fcprojb: Float32Array; // (C)
}

interface ParamViews {
  wte: Float32Array; // (V,C)
  wpe: Float32Array; // (maxT,C)
  blocks: BlockParams[];
  lnfw: Float32Array; // (C)
  lnfb: Float32Array; // (C)
}

interface BlockActs {
  ln1: Float32Array; // (B,T,C)
  ln1Mean: Float32Array; // (B,T)
  ln1Rstd: Float32Array; // (B,T)
  qkv: Float32Array; // (B,T,3C)
  atty: Float32Array; // (B,T,C)
  att: Float32Array; // (B,NH,T,T)
  residual2: Float32Array; // (B,T,C)
  ln2: Float32Array; // (B,T,C)
  ln2Mean: Float32Array; // (B,T)
  ln2Rstd: Float32Array; // (B,T)
  fch: Float32Array; // (B,T,4C)
  fchGelu: Float32Array; // (B,T,4C)
  residual3: Float32Array; // (B,T,C)
}

interface ActViews {
  encoded: Float32Array; // (B,T,C)
  blocks: BlockActs[];
  preatt: Float32Array; // (B,NH,T,T) shared by all blocks
  attproj: Float32Array; // (B,T,C) shared by all blocks
  fcproj: Float32Array; // (B,T,C) shared by all blocks
  lnf: Float32Array; // (B,T,C)
  lnfMean: Float32Array; // (B,T)
  lnfRstd: Float32Array; // (B,T)
  logits: Float32Array; // (B,T,V) logits → probs → dlogits
  losses: Float32Array; // (B,T)
}

interface ActGradViews {
  dlnf: Float32Array; // (B,T,C)
  dresidualOut: Float32Array; // (B,T,C) swapped with dresidualIn after each block
  dresidualIn: Float32Array; // (B,T,C)
  blockScratch: Float32Array; // everything below, zeroed before each block
  dresidual2: Float32Array; // (B,T,C)
  dfcproj: Float32Array; // (B,T,C)
  dfchGelu: Float32Array; // (B,T,4C)
  dfch: Float32Array; // (B,T,4C)
  dln2: Float32Array; // (B,T,C)
  dattproj: Float32Array; // (B,T,C)
  datty: Float32Array; // (B,T,C)
  dpreatt: Float32Array; // (B,NH,T,T)
  datt: Float32Array; // (B,NH,T,T)
  dqkv: Float32Array; // (B,T,3C)
  dln1: Float32Array; // (B,T,C)
}

/**
 * The model. Buffers are sized at construction for micro-batches of up to `maxB` sequences of up
 * to `maxT` tokens; a step may use any smaller B and T, because every kernel reads its buffers
 * from the start with the step's own dimensions. A step allocates nothing.
 */
export class Gpt {
  readonly config: Readonly<ModelConfig>;
  readonly layout: ParamLayout;
  readonly activationLayout: BufferLayout<ActivationName>;
  readonly activationGradLayout: BufferLayout<ActivationGradName>;
  /** All parameters, in `layout` order (a checkpoint or an export is one copy of this). */
  readonly params: Float32Array;
  /** Gradients, laid out like `params`. backward adds into them; zeroGrad clears them. */
  readonly grads: Float32Array;
  /** name → views, in layout order. */
  readonly tensors: ReadonlyMap<string, TensorView>;

  private readonly acts: Float32Array;
  private readonly actGrads: Float32Array;
  private readonly inputs: Int32Array; // (B,T)
  private readonly targets: Int32Array; // (B,T)
  private readonly p: ParamViews;
  private readonly g: ParamViews;
  private readonly a: ActViews;
  private readonly ga: ActGradViews;
  private readonly sharesParams: boolean;
  private lastB = 0;
  private lastT = 0;
  private output: OutputKind = 'none';

  constructor(
    private readonly backend: Backend,
    config: ModelConfig,
    readonly maxB: number,
    readonly maxT: number,
    /**
     * Another model's parameter buffer (same config, same backend memory) to read instead of
     * allocating one: a data-parallel replica computes gradients of the shared weights.
     */
    sharedParams?: Float32Array,
  ) {
    assertModelConfig(config);
    if (!Number.isInteger(maxB) || maxB < 1) {
      throw new ModelInputError('maxB', maxB, 'a positive integer batch size');
    }
    if (!Number.isInteger(maxT) || maxT < 1 || maxT > config.contextLength) {
      throw new ModelInputError('maxT', maxT, `an integer in [1, contextLength = ${config.contextLength}]`);
    }
    this.config = Object.freeze({ ...config });
    this.layout = parameterLayout(config);
    this.activationLayout = activationLayout(config, maxB, maxT);
    this.activationGradLayout = activationGradLayout(config, maxB, maxT);

    if (sharedParams !== undefined && sharedParams.length !== this.layout.count) {
      throw new ModelInputError(
        'sharedParams',
        sharedParams.length,
        `${this.layout.count} floats for this config`,
      );
    }
    this.params = sharedParams ?? backend.allocF32(this.layout.count);
    this.sharesParams = sharedParams !== undefined;
    this.grads = backend.allocF32(this.layout.count);
    this.acts = backend.allocF32(this.activationLayout.count);
    this.actGrads = backend.allocF32(this.activationGradLayout.count);
    this.inputs = backend.allocI32(maxB * maxT);
    this.targets = backend.allocI32(maxB * maxT);

    this.tensors = new Map(
      this.layout.specs.map((spec) => [
        spec.name,
        { spec, view: slice(this.params, spec), gradView: slice(this.grads, spec) },
      ]),
    );
    this.p = pointParams(this.tensors, config.nLayer, 'view');
    this.g = pointParams(this.tensors, config.nLayer, 'gradView');
    this.a = pointActivations(this.acts, this.activationLayout, config.nLayer);
    this.ga = pointActivationGrads(this.actGrads, this.activationGradLayout);
  }

  get parameterCount(): number {
    return this.layout.count;
  }

  /** Bytes of every buffer this model allocated from its backend (shared parameters excluded). */
  get allocatedBytes(): number {
    const own = [this.grads, this.acts, this.actGrads, this.inputs, this.targets];
    if (!this.sharesParams) own.push(this.params);
    return own.reduce((sum, buf) => sum + buf.byteLength, 0);
  }

  /** What the logits buffer holds now (see `outputs`). */
  get outputKind(): OutputKind {
    return this.output;
  }

  /**
   * GPT-2 init, tensor by tensor in layout order (so a seed fixes every value): N(0, 0.02) for
   * weights and embeddings, N(0, 0.02/√(2L)) for the residual projections, zeros for biases,
   * ones/zeros for LayerNorm.
   */
  init(rng: Rng): void {
    for (const { spec, view } of this.tensors.values()) {
      const init = spec.init;
      if (init.kind === 'zeros') view.fill(0);
      else if (init.kind === 'ones') view.fill(1);
      else for (let i = 0; i < view.length; i++) view[i] = init.std * rng.normal();
    }
  }

  /**
   * Runs the model on `inputs` (B,T) and returns the mean cross-entropy against `targets` (B,T),
   * or NaN when targets is null. Afterwards the logits buffer holds probs (with targets, ready for
   * backward) or logits (without, for sampling: see lastLogits).
   */
  forward(inputs: Int32Array, targets: Int32Array | null, B: number, T: number): number {
    this.loadBatch(inputs, targets, B, T);
    const k = this.backend;
    const { nLayer: L, nHead: NH, nEmbd: C, vocabSize: V } = this.config;
    const N = B * T;
    const p = this.p;
    const a = this.a;

    k.encoderForward(a.encoded, this.inputs, p.wte, p.wpe, B, T, C);
    for (let l = 0; l < L; l++) {
      const w = p.blocks[l];
      const x = a.blocks[l];
      const residual = l === 0 ? a.encoded : a.blocks[l - 1].residual3;
      k.layernormForward(x.ln1, x.ln1Mean, x.ln1Rstd, residual, w.ln1w, w.ln1b, N, C);
      k.matmulForward(x.qkv, x.ln1, w.qkvw, w.qkvb, N, C, 3 * C);
      k.attentionForward(x.atty, a.preatt, x.att, x.qkv, B, T, C, NH);
      k.matmulForward(a.attproj, x.atty, w.attprojw, w.attprojb, N, C, C);
      k.residualForward(x.residual2, residual, a.attproj, N * C);
      k.layernormForward(x.ln2, x.ln2Mean, x.ln2Rstd, x.residual2, w.ln2w, w.ln2b, N, C);
      k.matmulForward(x.fch, x.ln2, w.fcw, w.fcb, N, C, 4 * C);
      k.geluForward(x.fchGelu, x.fch, N * 4 * C);
      k.matmulForward(a.fcproj, x.fchGelu, w.fcprojw, w.fcprojb, N, 4 * C, C);
      k.residualForward(x.residual3, x.residual2, a.fcproj, N * C);
    }
    k.layernormForward(a.lnf, a.lnfMean, a.lnfRstd, a.blocks[L - 1].residual3, p.lnfw, p.lnfb, N, C);
    k.matmulTransposedForward(a.logits, a.lnf, p.wte, N, C, V);
    if (targets === null) {
      this.output = 'logits';
      return NaN;
    }
    k.crossEntropyForward(a.losses, a.logits, this.targets, N, V);
    this.output = 'probs';
    let sum = 0;
    for (let i = 0; i < N; i++) sum += a.losses[i];
    return sum / N;
  }

  /**
   * Adds to `grads` the gradient of `lossWeight × (the mean loss the last forward returned)`.
   * For gradient accumulation over K micro-batches call forward/backward K times with
   * lossWeight = 1/K, then update once. The forward kernel list above, reversed.
   */
  backward(lossWeight = 1): void {
    if (this.output !== 'probs') {
      throw new ModelStateError(
        `backward needs a forward with targets just before it (the logits buffer holds ${this.output})`,
      );
    }
    const k = this.backend;
    const { nLayer: L, nHead: NH, nEmbd: C, vocabSize: V } = this.config;
    const B = this.lastB;
    const T = this.lastT;
    const N = B * T;
    const p = this.p;
    const g = this.g;
    const a = this.a;
    const { dlnf, blockScratch, dresidual2, dfcproj, dfchGelu, dfch, dln2, dattproj, datty } = this.ga;
    const { dpreatt, datt, dqkv, dln1 } = this.ga;
    // Activation gradients hold only this backward's values: the kernels add into them.
    dlnf.fill(0);
    let dOut = this.ga.dresidualOut;
    let dIn = this.ga.dresidualIn;
    dOut.fill(0);
    const lastResidual = a.blocks[L - 1].residual3;

    k.crossEntropyBackward(a.logits, a.logits, this.targets, lossWeight / N, N, V);
    this.output = 'dlogits';
    k.matmulTransposedBackward(dlnf, g.wte, a.logits, a.lnf, p.wte, N, C, V);
    k.layernormBackward(dOut, g.lnfw, g.lnfb, dlnf, lastResidual, p.lnfw, a.lnfMean, a.lnfRstd, N, C);
    for (let l = L - 1; l >= 0; l--) {
      const w = p.blocks[l];
      const dw = g.blocks[l];
      const x = a.blocks[l];
      const residual = l === 0 ? a.encoded : a.blocks[l - 1].residual3;
      blockScratch.fill(0);
      dIn.fill(0);
      k.residualBackward(dresidual2, dfcproj, dOut, N * C);
      k.matmulBackward(dfchGelu, dw.fcprojw, dw.fcprojb, dfcproj, x.fchGelu, w.fcprojw, N, 4 * C, C);
      k.geluBackward(dfch, x.fch, dfchGelu, N * 4 * C);
      k.matmulBackward(dln2, dw.fcw, dw.fcb, dfch, x.ln2, w.fcw, N, C, 4 * C);
      // prettier-ignore
      k.layernormBackward(dresidual2, dw.ln2w, dw.ln2b, dln2, x.residual2, w.ln2w, x.ln2Mean, x.ln2Rstd, N, C);
      k.residualBackward(dIn, dattproj, dresidual2, N * C);
      k.matmulBackward(datty, dw.attprojw, dw.attprojb, dattproj, x.atty, w.attprojw, N, C, C);
      k.attentionBackward(dqkv, dpreatt, datt, datty, x.qkv, x.att, B, T, C, NH);
      k.matmulBackward(dln1, dw.qkvw, dw.qkvb, dqkv, x.ln1, w.qkvw, N, C, 3 * C);
      k.layernormBackward(dIn, dw.ln1w, dw.ln1b, dln1, residual, w.ln1w, x.ln1Mean, x.ln1Rstd, N, C);
      // This block's input gradient is the output gradient of the block below.
      const done = dOut;
      dOut = dIn;
      dIn = done;
    }
    k.encoderBackward(g.wte, g.wpe, dOut, this.inputs, B, T, C);
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }

  /**
   * Logits (V) at the final position of sequence b of the last forward, which must have been run
   * without targets. A view into the model's buffer: the next forward overwrites it.
   */
  lastLogits(b: number): Float32Array {
    if (this.output !== 'logits') {
      throw new ModelStateError(
        `lastLogits needs a forward without targets just before it (the logits buffer holds ${this.output})`,
      );
    }
    if (!Number.isInteger(b) || b < 0 || b >= this.lastB) {
      throw new ModelInputError('b', b, `a sequence index in [0, ${this.lastB})`);
    }
    const V = this.config.vocabSize;
    const row = (b * this.lastT + this.lastT - 1) * V;
    return this.a.logits.subarray(row, row + V);
  }

  /** The (B,T,V) output of the last forward, of kind `outputKind` (a view, overwritten next step). */
  outputs(): Float32Array {
    return this.a.logits.subarray(0, this.lastB * this.lastT * this.config.vocabSize);
  }

  /** The (B,T) per-position losses of the last forward with targets (a view). */
  losses(): Float32Array {
    return this.a.losses.subarray(0, this.lastB * this.lastT);
  }

  /** A copy of all parameters, in layout order (for checkpoints and export). */
  copyParams(): Float32Array {
    return new Float32Array(this.params);
  }

  /** Replaces all parameters with `flat` (layout order, as copyParams returns them). */
  loadParams(flat: Float32Array): void {
    if (flat.length !== this.layout.count) {
      throw new ModelInputError(
        'params.length',
        flat.length,
        `exactly ${this.layout.count} values, the parameter count of this model config`,
      );
    }
    this.params.set(flat);
  }

  /** Checks the batch and copies it into the backend-visible token buffers. */
  private loadBatch(inputs: Int32Array, targets: Int32Array | null, B: number, T: number): void {
    // From here until the forward finishes, the buffers hold nothing usable: a bad token found
    // midway leaves the token buffers half overwritten, and a kernel may throw.
    this.output = 'none';
    if (!Number.isInteger(B) || B < 1 || B > this.maxB) {
      throw new ModelInputError('B', B, `an integer in [1, maxB = ${this.maxB}]`);
    }
    if (!Number.isInteger(T) || T < 1 || T > this.maxT) {
      throw new ModelInputError('T', T, `an integer in [1, maxT = ${this.maxT}]`);
    }
    const N = B * T;
    copyTokens(this.inputs, inputs, N, this.config.vocabSize, 'inputs');
    if (targets !== null) copyTokens(this.targets, targets, N, this.config.vocabSize, 'targets');
    this.lastB = B;
    this.lastT = T;
  }
}

/** Copies N token ids, refusing any outside [0, V): the kernels would read outside their tables. */
function copyTokens(dst: Int32Array, src: Int32Array, N: number, V: number, what: string): void {
  if (src.length < N)
    throw new ModelInputError(`${what}.length`, src.length, `at least B·T = ${N} token ids`);
  for (let i = 0; i < N; i++) {
    const id = src[i];
    if (id < 0 || id >= V) throw new ModelInputError(`${what}[${i}]`, id, `a token id in [0, ${V})`);
    dst[i] = id;
  }
}

function slice(buffer: Float32Array, spec: { offset: number; size: number }): Float32Array {
  return buffer.subarray(spec.offset, spec.offset + spec.size);
}

function pointParams(
  tensors: ReadonlyMap<string, TensorView>,
  L: number,
  which: 'view' | 'gradView',
): ParamViews {
  const get = (name: string): Float32Array => {
    const t = tensors.get(name);
    if (t === undefined) throw new Error(`parameter table has no ${name}`);
    return t[which];
  };
  const blocks: BlockParams[] = [];
  for (let l = 0; l < L; l++) {
    const h = `transformer.h.${l}`;
    blocks.push({
      ln1w: get(`${h}.ln_1.weight`),
      ln1b: get(`${h}.ln_1.bias`),
      qkvw: get(`${h}.attn.c_attn.weight`),
      qkvb: get(`${h}.attn.c_attn.bias`),
      attprojw: get(`${h}.attn.c_proj.weight`),
      attprojb: get(`${h}.attn.c_proj.bias`),
      ln2w: get(`${h}.ln_2.weight`),
      ln2b: get(`${h}.ln_2.bias`),
      fcw: get(`${h}.mlp.c_fc.weight`),
      fcb: get(`${h}.mlp.c_fc.bias`),
      fcprojw: get(`${h}.mlp.c_proj.weight`),
      fcprojb: get(`${h}.mlp.c_proj.bias`),
    });
  }
  return {
    wte: get('transformer.wte.weight'),
    wpe: get('transformer.wpe.weight'),
    blocks,
    lnfw: get('transformer.ln_f.weight'),
    lnfb: get('transformer.ln_f.bias'),
  };
}

function pointActivations(buffer: Float32Array, layout: BufferLayout<ActivationName>, L: number): ActViews {
  const whole = (name: ActivationName): Float32Array => slice(buffer, layout.byName[name]);
  const ofBlock = (name: ActivationName, l: number): Float32Array => {
    const spec = layout.byName[name];
    const stride = spec.size / L;
    return buffer.subarray(spec.offset + l * stride, spec.offset + (l + 1) * stride);
  };
  const blocks: BlockActs[] = [];
  for (let l = 0; l < L; l++) {
    blocks.push({
      ln1: ofBlock('ln1', l),
      ln1Mean: ofBlock('ln1_mean', l),
      ln1Rstd: ofBlock('ln1_rstd', l),
      qkv: ofBlock('qkv', l),
      atty: ofBlock('atty', l),
      att: ofBlock('att', l),
      residual2: ofBlock('residual2', l),
      ln2: ofBlock('ln2', l),
      ln2Mean: ofBlock('ln2_mean', l),
      ln2Rstd: ofBlock('ln2_rstd', l),
      fch: ofBlock('fch', l),
      fchGelu: ofBlock('fch_gelu', l),
      residual3: ofBlock('residual3', l),
    });
  }
  return {
    encoded: whole('encoded'),
    blocks,
    preatt: whole('preatt'),
    attproj: whole('attproj'),
    fcproj: whole('fcproj'),
    lnf: whole('lnf'),
    lnfMean: whole('lnf_mean'),
    lnfRstd: whole('lnf_rstd'),
    logits: whole('logits'),
    losses: whole('losses'),
  };
}

function pointActivationGrads(buffer: Float32Array, layout: BufferLayout<ActivationGradName>): ActGradViews {
  const whole = (name: ActivationGradName): Float32Array => slice(buffer, layout.byName[name]);
  return {
    dlnf: whole('dlnf'),
    dresidualOut: whole('dresidual_out'),
    dresidualIn: whole('dresidual_in'),
    blockScratch: buffer.subarray(layout.byName[LAYER_SCRATCH_START].offset, layout.count),
    dresidual2: whole('dresidual2'),
    dfcproj: whole('dfcproj'),
    dfchGelu: whole('dfch_gelu'),
    dfch: whole('dfch'),
    dln2: whole('dln2'),
    dattproj: whole('dattproj'),
    datty: whole('datty'),
    dpreatt: whole('dpreatt'),
    datt: whole('datt'),
    dqkv: whole('dqkv'),
    dln1: whole('dln1'),
  };
}
