// Size tables: Hugging Face GPT-2 names, shapes and order; contiguous offsets; GPT-2 124M's known
// parameter count; activation tables and the memory estimate built from them.
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from './config';
import {
  activationGradLayout,
  activationLayout,
  engineMemory,
  engineMemoryBytes,
  LAYER_SCRATCH_START,
  parameterCount,
  parameterLayout,
} from './layout';
import type { BufferLayout } from './layout';

const CFG: ModelConfig = { vocabSize: 11, contextLength: 7, nLayer: 2, nHead: 2, nEmbd: 8 };

function expectContiguous(
  specs: readonly { offset: number; size: number; shape: readonly number[] }[],
): number {
  let offset = 0;
  for (const s of specs) {
    expect(s.offset).toBe(offset);
    expect(s.size).toBe(s.shape.reduce((a, b) => a * b, 1));
    offset += s.size;
  }
  return offset;
}

describe('parameterLayout', () => {
  it('lists the Hugging Face GPT-2 tensors in order with [in, out] linear weights', () => {
    const { specs } = parameterLayout(CFG);
    const C = 8;
    const block = (l: number): [string, number[]][] => [
      [`transformer.h.${l}.ln_1.weight`, [C]],
      [`transformer.h.${l}.ln_1.bias`, [C]],
      [`transformer.h.${l}.attn.c_attn.weight`, [C, 3 * C]],
      [`transformer.h.${l}.attn.c_attn.bias`, [3 * C]],
      [`transformer.h.${l}.attn.c_proj.weight`, [C, C]],
      [`transformer.h.${l}.attn.c_proj.bias`, [C]],
      [`transformer.h.${l}.ln_2.weight`, [C]],
      [`transformer.h.${l}.ln_2.bias`, [C]],
      [`transformer.h.${l}.mlp.c_fc.weight`, [C, 4 * C]],
      [`transformer.h.${l}.mlp.c_fc.bias`, [4 * C]],
      [`transformer.h.${l}.mlp.c_proj.weight`, [4 * C, C]],
      [`transformer.h.${l}.mlp.c_proj.bias`, [C]],
    ];
    expect(specs.map((s) => [s.name, s.shape])).toEqual([
      ['transformer.wte.weight', [11, C]],
      ['transformer.wpe.weight', [7, C]],
      ...block(0),
      ...block(1),
      ['transformer.ln_f.weight', [C]],
      ['transformer.ln_f.bias', [C]],
    ]);
  });

  it('has contiguous offsets whose sizes sum to parameterCount', () => {
    const layout = parameterLayout(CFG);
    expect(expectContiguous(layout.specs)).toBe(layout.count);
    expect(parameterCount(CFG)).toBe(layout.count);
    // wte + wpe + L·(12C² + 13C) + 2C, the closed form of a tied GPT-2.
    expect(layout.count).toBe(11 * 8 + 7 * 8 + 2 * (12 * 64 + 13 * 8) + 2 * 8);
  });

  it('gives GPT-2 124M its published 124,439,808 parameters', () => {
    const gpt2: ModelConfig = { vocabSize: 50257, contextLength: 1024, nLayer: 12, nHead: 12, nEmbd: 768 };
    expect(parameterCount(gpt2)).toBe(124_439_808);
  });

  it('decays exactly the 2-D tensors and tags each block tensor with its layer', () => {
    for (const s of parameterLayout(CFG).specs) {
      expect(s.decay).toBe(s.shape.length === 2);
      const m = /^transformer\.h\.(\d+)\./.exec(s.name);
      expect(s.layer).toBe(m ? Number(m[1]) : null);
    }
  });

  it('scales the init of the residual projections by 1/√(2L) and nothing else', () => {
    for (const s of parameterLayout(CFG).specs) {
      if (s.name.endsWith('.weight') && s.shape.length === 2) {
        const residual = s.name.endsWith('attn.c_proj.weight') || s.name.endsWith('mlp.c_proj.weight');
        expect(s.init).toEqual({ kind: 'normal', std: residual ? 0.02 / Math.sqrt(4) : 0.02 });
      } else {
        expect(s.init.kind).toBe(s.name.includes('.ln_') && s.name.endsWith('.weight') ? 'ones' : 'zeros');
      }
    }
  });
});

describe('activation tables', () => {
  const B = 3;
  const T = 5;
  const { nLayer: L, nHead: NH, nEmbd: C, vocabSize: V } = CFG;

  it('are contiguous and size per-layer tensors L times one block', () => {
    const acts = activationLayout(CFG, B, T);
    const grads = activationGradLayout(CFG, B, T);
    const all: BufferLayout<string>[] = [acts, grads];
    for (const t of all) expect(expectContiguous(t.specs)).toBe(t.count);
    expect(acts.byName.qkv.shape).toEqual([L, B, T, 3 * C]);
    expect(acts.byName.att.shape).toEqual([L, B, NH, T, T]);
    expect(acts.byName.preatt).toMatchObject({ shape: [B, NH, T, T], perLayer: false });
    expect(acts.byName.logits.shape).toEqual([B, T, V]);
    const perLayer = acts.specs.filter((s) => s.perLayer).map((s) => s.name);
    expect(perLayer).toEqual([
      'ln1', 'ln1_mean', 'ln1_rstd', 'qkv', 'atty', 'att', 'residual2',
      'ln2', 'ln2_mean', 'ln2_rstd', 'fch', 'fch_gelu', 'residual3',
    ]); // prettier-ignore
  });

  it('end the gradient table with one block of scratch starting at LAYER_SCRATCH_START', () => {
    const grads = activationGradLayout(CFG, B, T);
    const start = grads.byName[LAYER_SCRATCH_START].offset;
    const scratch = grads.count - start;
    const N = B * T;
    // dresidual2, dfcproj, dln2, dattproj, datty, dln1: 6·N·C; dfch_gelu, dfch: 8·N·C;
    // dqkv: 3·N·C; dpreatt, datt: 2·B·NH·T².
    expect(scratch).toBe(17 * N * C + 2 * B * NH * T * T);
    expect(grads.specs.every((s) => !s.perLayer)).toBe(true);
  });
});

describe('engineMemory', () => {
  it('adds params, grads, optimizer moments, activations, their gradients and tokens', () => {
    const P = parameterCount(CFG);
    const adamw = engineMemory(CFG, 2, 5, 'adamw');
    const sgd = engineMemory(CFG, 2, 5, 'sgd');
    expect(adamw.params).toBe(4 * P);
    expect(adamw.grads).toBe(4 * P);
    expect(adamw.optimizerState).toBe(8 * P);
    expect(sgd.optimizerState).toBe(4 * P);
    expect(adamw.activations).toBe(4 * activationLayout(CFG, 2, 5).count);
    expect(adamw.activationGrads).toBe(4 * activationGradLayout(CFG, 2, 5).count);
    expect(adamw.tokens).toBe(2 * 2 * 5 * 4);
    const { total, ...parts } = adamw;
    expect(total).toBe(Object.values(parts).reduce((a, b) => a + b, 0));
    expect(engineMemoryBytes(CFG, 2, 5, 'sgd')).toBe(sgd.total);
    expect(adamw.total - sgd.total).toBe(4 * P);
  });
});
