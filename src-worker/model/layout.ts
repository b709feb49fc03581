// Size tables computed from a ModelConfig (llm.c `fill_in_parameter_sizes` /
// `fill_in_activation_sizes`): every tensor's name, shape and offset in its one flat buffer.

import type { ModelConfig } from './config';

// ---------------------------------------------------------------------------------------------
// Parameters

/** How `Gpt.init` fills a tensor (GPT-2's scheme). */
export type ParamInit = { kind: 'normal'; std: number } | { kind: 'zeros' } | { kind: 'ones' };

export interface ParamSpec {
  name: string; // Hugging Face GPT-2 name, e.g. 'transformer.h.0.attn.c_attn.weight'
  shape: readonly number[]; // HF layout: linear weights are [in, out] (Conv1D)
  offset: number; // first element in the flat parameter buffer
  size: number; // product of shape
  decay: boolean; // weight decay applies (2-D tensors: matmul weights and embeddings)
  layer: number | null; // transformer block index; null for embeddings and the final LayerNorm
  init: ParamInit;
}

export interface ParamLayout {
  specs: readonly ParamSpec[]; // in buffer order; offsets are contiguous
  count: number; // total parameters = length of the flat buffer
}

/** GPT-2's initializer range. */
const INIT_STD = 0.02;

/**
 * The parameter table in Hugging Face GPT-2 order. The LM head is tied to `transformer.wte.weight`
 * and not stored.
 */
export function parameterLayout(cfg: ModelConfig): ParamLayout {
  const { vocabSize: V, contextLength: maxT, nLayer: L, nEmbd: C } = cfg;
  // Residual projections write into the residual stream once per block, two per block; scaling
  // their init by 1/√(2L) keeps the stream's variance independent of depth (GPT-2 paper §2.3).
  const residualStd = INIT_STD / Math.sqrt(2 * L);
  const specs: ParamSpec[] = [];
  let offset = 0;
  const add = (name: string, shape: number[], layer: number | null, init: ParamInit): void => {
    const size = shape.reduce((a, b) => a * b, 1);
    specs.push({ name, shape, offset, size, decay: shape.length === 2, layer, init });
    offset += size;
  };
  const normal = (std: number): ParamInit => ({ kind: 'normal', std });
  const zeros: ParamInit = { kind: 'zeros' };
  const ones: ParamInit = { kind: 'ones' };

  add('transformer.wte.weight', [V, C], null, normal(INIT_STD));
  add('transformer.wpe.weight', [maxT, C], null, normal(INIT_STD));
  for (let l = 0; l < L; l++) {
    const h = `transformer.h.${l}`;
    add(`${h}.ln_1.weight`, [C], l, ones);
    add(`${h}.ln_1.bias`, [C], l, zeros);
    add(`${h}.attn.c_attn.weight`, [C, 3 * C], l, normal(INIT_STD));
    add(`${h}.attn.c_attn.bias`, [3 * C], l, zeros);
    add(`${h}.attn.c_proj.weight`, [C, C], l, normal(residualStd));
    add(`${h}.attn.c_proj.bias`, [C], l, zeros);
    add(`${h}.ln_2.weight`, [C], l, ones);
    add(`${h}.ln_2.bias`, [C], l, zeros);
    add(`${h}.mlp.c_fc.weight`, [C, 4 * C], l, normal(INIT_STD));
    add(`${h}.mlp.c_fc.bias`, [4 * C], l, zeros);
    add(`${h}.mlp.c_proj.weight`, [4 * C, C], l, normal(residualStd));
    add(`${h}.mlp.c_proj.bias`, [C], l, zeros);
  }
  add('transformer.ln_f.weight', [C], null, ones);
  add('transformer.ln_f.bias', [C], null, zeros);
  return { specs, count: offset };
}

export function parameterCount(cfg: ModelConfig): number {
  return parameterLayout(cfg).count;
}

// ---------------------------------------------------------------------------------------------
// Activations

/**
 * Forward activations. Per-layer tensors (`perLayer`, shape led by L) are the ones backward reads;
 * outputs that backward never reads (preatt, attproj, fcproj) share one buffer across layers.
 * `logits` is one buffer used three times: logits, then probs (softmax in place), then dlogits.
 */
export type ActivationName =
  | 'encoded'
  | 'ln1'
  | 'ln1_mean'
  | 'ln1_rstd'
  | 'qkv'
  | 'atty'
  | 'preatt'
  | 'att'
  | 'attproj'
  | 'residual2'
  | 'ln2'
  | 'ln2_mean'
  | 'ln2_rstd'
  | 'fch'
  | 'fch_gelu'
  | 'fcproj'
  | 'residual3'
  | 'lnf'
  | 'lnf_mean'
  | 'lnf_rstd'
  | 'logits'
  | 'losses';

/**
 * Gradients of activations. Backward visits one block at a time, so one block's worth of scratch
 * (the `d…` of that block's intermediates, contiguous so one fill zeroes it) serves every block;
 * the gradient of the residual stream ping-pongs between `dresidual_out` (the block's output) and
 * `dresidual_in` (its input). dlogits lives in the activations' `logits` buffer.
 */
export type ActivationGradName =
  | 'dlnf'
  | 'dresidual_out'
  | 'dresidual_in'
  | 'dresidual2'
  | 'dfcproj'
  | 'dfch_gelu'
  | 'dfch'
  | 'dln2'
  | 'dattproj'
  | 'datty'
  | 'dpreatt'
  | 'datt'
  | 'dqkv'
  | 'dln1';

/** The activation-gradient table ends with one block's scratch, starting at this entry. */
export const LAYER_SCRATCH_START: ActivationGradName = 'dresidual2';

export interface BufferSpec<Name extends string> {
  name: Name;
  shape: readonly number[];
  offset: number;
  size: number;
  perLayer: boolean; // shape[0] is L and the tensor holds one slice per block
}

export interface BufferLayout<Name extends string> {
  specs: readonly BufferSpec<Name>[];
  byName: Readonly<Record<Name, BufferSpec<Name>>>;
  count: number; // floats in the flat buffer
}

/** Forward activation table for micro-batches of up to B sequences of up to T tokens. */
export function activationLayout(cfg: ModelConfig, B: number, T: number): BufferLayout<ActivationName> {
  const { vocabSize: V, nLayer: L, nHead: NH, nEmbd: C } = cfg;
  const t = new TableBuilder<ActivationName>();
  t.add('encoded', [B, T, C]);
  t.addPerLayer('ln1', L, [B, T, C]);
  t.addPerLayer('ln1_mean', L, [B, T]);
  t.addPerLayer('ln1_rstd', L, [B, T]);
  t.addPerLayer('qkv', L, [B, T, 3 * C]);
  t.addPerLayer('atty', L, [B, T, C]);
  t.add('preatt', [B, NH, T, T]);
  t.addPerLayer('att', L, [B, NH, T, T]);
  t.add('attproj', [B, T, C]);
  t.addPerLayer('residual2', L, [B, T, C]);
  t.addPerLayer('ln2', L, [B, T, C]);
  t.addPerLayer('ln2_mean', L, [B, T]);
  t.addPerLayer('ln2_rstd', L, [B, T]);
  t.addPerLayer('fch', L, [B, T, 4 * C]);
  t.addPerLayer('fch_gelu', L, [B, T, 4 * C]);
  t.add('fcproj', [B, T, C]);
  t.addPerLayer('residual3', L, [B, T, C]);
  t.add('lnf', [B, T, C]);
  t.add('lnf_mean', [B, T]);
  t.add('lnf_rstd', [B, T]);
  t.add('logits', [B, T, V]);
  t.add('losses', [B, T]);
  return t.build();
}

/** Activation-gradient table for micro-batches of up to B sequences of up to T tokens. */
export function activationGradLayout(
  cfg: ModelConfig,
  B: number,
  T: number,
): BufferLayout<ActivationGradName> {
  const { nHead: NH, nEmbd: C } = cfg;
  const t = new TableBuilder<ActivationGradName>();
  t.add('dlnf', [B, T, C]);
  t.add('dresidual_out', [B, T, C]);
  t.add('dresidual_in', [B, T, C]);
  // One block's scratch, from LAYER_SCRATCH_START to the end of the table.
  t.add('dresidual2', [B, T, C]);
  t.add('dfcproj', [B, T, C]);
  t.add('dfch_gelu', [B, T, 4 * C]);
  t.add('dfch', [B, T, 4 * C]);
  t.add('dln2', [B, T, C]);
  t.add('dattproj', [B, T, C]);
  t.add('datty', [B, T, C]);
  t.add('dpreatt', [B, NH, T, T]);
  t.add('datt', [B, NH, T, T]);
  t.add('dqkv', [B, T, 3 * C]);
  t.add('dln1', [B, T, C]);
  return t.build();
}

class TableBuilder<Name extends string> {
  private readonly specs: BufferSpec<Name>[] = [];
  private offset = 0;

  add(name: Name, shape: number[]): void {
    this.push(name, shape, false);
  }

  addPerLayer(name: Name, L: number, shape: number[]): void {
    this.push(name, [L, ...shape], true);
  }

  build(): BufferLayout<Name> {
    const byName = Object.fromEntries(this.specs.map((s) => [s.name, s])) as Record<Name, BufferSpec<Name>>;
    return { specs: this.specs, byName, count: this.offset };
  }

  private push(name: Name, shape: number[], perLayer: boolean): void {
    const size = shape.reduce((a, b) => a * b, 1);
    this.specs.push({ name, shape, offset: this.offset, size, perLayer });
    this.offset += size;
  }
}

// ---------------------------------------------------------------------------------------------
// Memory

export type OptimizerKind = 'adamw' | 'sgd';

/** Bytes the engine holds for one model, by buffer (what `Gpt` and the optimizer allocate). */
export interface EngineMemory {
  params: number;
  grads: number;
  optimizerState: number; // AdamW: m and v; SGD: the momentum buffer
  activations: number;
  activationGrads: number;
  tokens: number; // int32 inputs and targets
  total: number;
}

export function engineMemory(cfg: ModelConfig, B: number, T: number, optimizer: OptimizerKind): EngineMemory {
  const F32 = 4;
  const I32 = 4;
  const P = parameterCount(cfg);
  const params = P * F32;
  const grads = P * F32;
  const optimizerState = (optimizer === 'adamw' ? 2 : 1) * P * F32;
  const activations = activationLayout(cfg, B, T).count * F32;
  const activationGrads = activationGradLayout(cfg, B, T).count * F32;
  const tokens = 2 * B * T * I32;
  const total = params + grads + optimizerState + activations + activationGrads + tokens;
  return { params, grads, optimizerState, activations, activationGrads, tokens, total };
}

export function engineMemoryBytes(cfg: ModelConfig, B: number, T: number, optimizer: OptimizerKind): number {
  return engineMemory(cfg, B, T, optimizer).total;
}
