// The Hugging Face GPT-2 contract the export writes and the import reads: tensor names and shapes
// of GPT2LMHeadModel, and its config.json, mapped to and from our ModelConfig.

import type { ModelConfig } from '../model/config';
import { isJsonObject, type JsonObject } from './json';

export interface TensorSpec {
  name: string;
  shape: number[];
}

/**
 * The parameter tensors of a GPT2LMHeadModel in HF order and Conv1D layout (linear weights are
 * [in, out]). `lm_head.weight` is tied to `transformer.wte.weight` and, as in HF's own files,
 * not stored.
 */
export function gpt2TensorSpecs(cfg: ModelConfig): TensorSpec[] {
  const { vocabSize: V, contextLength: maxT, nLayer: L, nEmbd: C } = cfg;
  const specs: TensorSpec[] = [
    { name: 'transformer.wte.weight', shape: [V, C] },
    { name: 'transformer.wpe.weight', shape: [maxT, C] },
  ];
  for (let l = 0; l < L; l++) {
    const h = `transformer.h.${l}`;
    specs.push(
      { name: `${h}.ln_1.weight`, shape: [C] },
      { name: `${h}.ln_1.bias`, shape: [C] },
      { name: `${h}.attn.c_attn.weight`, shape: [C, 3 * C] },
      { name: `${h}.attn.c_attn.bias`, shape: [3 * C] },
      { name: `${h}.attn.c_proj.weight`, shape: [C, C] },
      { name: `${h}.attn.c_proj.bias`, shape: [C] },
      { name: `${h}.ln_2.weight`, shape: [C] },
      { name: `${h}.ln_2.bias`, shape: [C] },
      { name: `${h}.mlp.c_fc.weight`, shape: [C, 4 * C] },
      { name: `${h}.mlp.c_fc.bias`, shape: [4 * C] },
      { name: `${h}.mlp.c_proj.weight`, shape: [4 * C, C] },
      { name: `${h}.mlp.c_proj.bias`, shape: [C] },
    );
  }
  specs.push({ name: 'transformer.ln_f.weight', shape: [C] }, { name: 'transformer.ln_f.bias', shape: [C] });
  return specs;
}

export type ExportDtype = 'f32' | 'f16' | 'bf16';

export const TORCH_DTYPE: Readonly<Record<ExportDtype, string>> = {
  f32: 'float32',
  f16: 'float16',
  bf16: 'bfloat16',
};

/** The layer-norm epsilon our kernels use; HF's GPT-2 default. */
const LAYER_NORM_EPS = 1e-5;

/** config.json of a GPT2LMHeadModel with our model's shape and inference-time settings. */
export function gpt2ConfigJson(
  cfg: ModelConfig,
  dtype: ExportDtype,
  tokens: { bos: number | null; eos: number | null },
): JsonObject {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: cfg.vocabSize,
    n_positions: cfg.contextLength,
    n_ctx: cfg.contextLength,
    n_embd: cfg.nEmbd,
    n_layer: cfg.nLayer,
    n_head: cfg.nHead,
    n_inner: null, // = 4 · n_embd
    activation_function: 'gelu_new', // GELU, tanh approximation: what our kernels compute
    layer_norm_epsilon: LAYER_NORM_EPS,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    initializer_range: 0.02,
    scale_attn_weights: true,
    tie_word_embeddings: true,
    use_cache: true,
    bos_token_id: tokens.bos,
    eos_token_id: tokens.eos,
    torch_dtype: TORCH_DTYPE[dtype],
  };
}

/** One way a config.json differs from what our model computes. */
export interface ConfigIssue {
  field: string;
  value: unknown;
  allowed: string;
}

/** GPT-2 switches our model has in one position only: the field, that value, and how to say it. */
const FIXED_SWITCHES: readonly [field: string, value: boolean, allowed: string][] = [
  ['tie_word_embeddings', true, 'true (the LM head shares the token embedding)'],
  ['scale_attn_weights', true, 'true'],
  ['scale_attn_by_inverse_layer_idx', false, 'false'],
  ['add_cross_attention', false, 'false'],
];

/**
 * Our ModelConfig from a GPT-2 config.json, or the list of fields that rule it out: a different
 * architecture, or settings (activation, epsilon, untied head, …) our kernels do not compute.
 * Absent optional fields take HF's GPT-2 defaults.
 */
export function modelConfigFromGpt2Json(json: unknown): { config: ModelConfig } | { issues: ConfigIssue[] } {
  if (!isJsonObject(json)) return { issues: [{ field: '(file)', value: json, allowed: 'a JSON object' }] };
  const issues: ConfigIssue[] = [];
  const check = (field: string, ok: (v: unknown) => boolean, allowed: string): void => {
    if (!ok(json[field])) issues.push({ field, value: json[field], allowed });
  };
  const positive = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
  const absentOr = (ok: (v: unknown) => boolean) => (v: unknown) => v === undefined || ok(v);
  check('model_type', (v) => v === 'gpt2', '"gpt2"');
  for (const f of ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head'])
    check(f, positive, 'a whole number ≥ 1');
  check(
    'activation_function',
    absentOr((v) => v === 'gelu_new' || v === 'gelu_pytorch_tanh'),
    '"gelu_new" (tanh GELU, which this app computes)',
  );
  check(
    'layer_norm_epsilon',
    absentOr((v) => typeof v === 'number' && Math.abs(v - LAYER_NORM_EPS) <= 1e-12),
    String(LAYER_NORM_EPS),
  );
  const nEmbd = json.n_embd;
  check(
    'n_inner',
    absentOr((v) => v === null || v === 4 * Number(nEmbd)),
    'null or 4 · n_embd',
  );
  for (const [field, value, allowed] of FIXED_SWITCHES)
    check(
      field,
      absentOr((v) => v === value),
      allowed,
    );
  if (issues.length === 0 && Number(nEmbd) % Number(json.n_head) !== 0) {
    issues.push({ field: 'n_head', value: json.n_head, allowed: `a divisor of n_embd (${String(nEmbd)})` });
  }
  if (issues.length > 0) return { issues };
  return {
    config: {
      vocabSize: json.vocab_size as number,
      contextLength: json.n_positions as number,
      nLayer: json.n_layer as number,
      nHead: json.n_head as number,
      nEmbd: json.n_embd as number,
    },
  };
}

/**
 * The id of GPT-2's "<|endoftext|>" in a tokenizers-format tokenizer.json, which GPT-2 uses as
 * both BOS and EOS; null when the tokenizer has no such token.
 */
export function endOfTextId(tokenizer: JsonObject): number | null {
  const added = tokenizer.added_tokens;
  if (!Array.isArray(added)) return null;
  for (const t of added) {
    if (isJsonObject(t) && t.content === '<|endoftext|>' && typeof t.id === 'number') return t.id;
  }
  return null;
}
