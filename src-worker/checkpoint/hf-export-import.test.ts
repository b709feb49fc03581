// The export folder holds exactly the files HF tools expect with the right contents; it is written
// atomically and refused for bad tensors; and the import reads it (or a bare safetensors file, or
// HF-style names) back exactly, refusing anything that is not our GPT-2 by name.

import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../model/config';
import { parameterLayout } from '../model/layout';
import { rejectionOf } from '../test-support/caught';
import { useTempDir } from '../test-support/temp-dir';
import { Rng } from '../util/rng';
import { EXPORT_MARKER, exportHuggingFaceFolder, ModelExportError, type ExportOptions } from './export';
import type { TensorData } from './format';
import { f16BitsToF32, f32BitsToF16, float32Bits, float32FromBits } from './half-float';
import { gpt2TensorSpecs } from './hf-gpt2';
import { importHuggingFaceFolder, importModel, importSafetensorsModel, ModelImportError } from './import';
import { readSafetensors, writeSafetensors } from './safetensors';
import { diskWithRoomFor } from './test-support/faulty-fs';
import { EXPORTED_FILES } from './test-support/hf-export';

const cfg: ModelConfig = { vocabSize: 11, contextLength: 8, nLayer: 2, nHead: 2, nEmbd: 4 };
const tokenizerJson = {
  version: '1.0',
  added_tokens: [{ id: 10, content: '<|endoftext|>', special: true }],
  model: { type: 'BPE', vocab: { a: 0 }, merges: [] },
};

function modelTensors(seed: number): Map<string, TensorData> {
  const rng = new Rng(seed);
  const out = new Map<string, TensorData>();
  for (const spec of gpt2TensorSpecs(cfg)) {
    const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1)).map(() => rng.normal() * 0.1);
    out.set(spec.name, { shape: spec.shape, data });
  }
  return out;
}

const dir = useTempDir('hf-');

function options(overrides: Partial<ExportOptions> = {}): ExportOptions {
  return {
    modelConfig: cfg,
    tensors: modelTensors(1),
    tokenizerJson,
    dtype: 'f32',
    trainingSummary: {
      runName: 'Shakespeare | tiny',
      appVersion: '0.1.0',
      dataset: { name: 'tiny-shakespeare.txt', tokens: 1_003_854 },
      tokenizer: 'byte-level BPE, 11 tokens',
      steps: 2000,
      epochs: 3.5,
      tokensSeen: 4_096_000,
      finalMetrics: { 'validation loss': 1.4761234, 'validation perplexity': 4.37 },
    },
    metricsCsv: 'step,loss\n1,2.5\n2,2.25\n',
    ...overrides,
  };
}

function exportError(promise: Promise<unknown>): Promise<ModelExportError> {
  return rejectionOf(promise, ModelExportError);
}

function importError(promise: Promise<unknown>): Promise<ModelImportError> {
  return rejectionOf(promise, ModelImportError);
}

describe('export folder', () => {
  it('holds model.safetensors, config.json, tokenizer.json, generation_config.json, README.md, metrics.csv', async () => {
    const out = join(dir.path, 'export');
    const opts = options();
    const withExtras = new Map(opts.tensors);
    withExtras.set('lm_head.weight', opts.tensors.get('transformer.wte.weight')!);
    withExtras.set('adam.m/transformer.wte.weight', opts.tensors.get('transformer.wte.weight')!);

    const result = await exportHuggingFaceFolder(out, { ...opts, tensors: withExtras });

    expect((await readdir(out)).sort()).toEqual(EXPORTED_FILES);
    expect(result.files.sort()).toEqual((await readdir(out)).sort());
    expect(await readdir(dir.path)).toEqual(['export']); // no temp folder left beside it

    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toEqual({
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      vocab_size: 11,
      n_positions: 8,
      n_ctx: 8,
      n_embd: 4,
      n_layer: 2,
      n_head: 2,
      n_inner: null,
      activation_function: 'gelu_new',
      layer_norm_epsilon: 1e-5,
      resid_pdrop: 0,
      embd_pdrop: 0,
      attn_pdrop: 0,
      initializer_range: 0.02,
      scale_attn_weights: true,
      tie_word_embeddings: true,
      use_cache: true,
      bos_token_id: 10,
      eos_token_id: 10,
      torch_dtype: 'float32',
    });
    expect(JSON.parse(await readFile(join(out, 'generation_config.json'), 'utf8'))).toEqual({
      _from_model_config: true,
      max_length: 8,
      bos_token_id: 10,
      eos_token_id: 10,
      pad_token_id: 10,
    });
    expect(JSON.parse(await readFile(join(out, 'tokenizer.json'), 'utf8'))).toEqual(tokenizerJson);
    expect(await readFile(join(out, 'metrics.csv'), 'utf8')).toBe('step,loss\n1,2.5\n2,2.25\n');

    const card = await readFile(join(out, 'README.md'), 'utf8');
    expect(card).toContain('# Shakespeare \\| tiny');
    expect(card).toContain('tiny-shakespeare.txt: 1,003,854 tokens');
    expect(card).toContain('2,000 optimizer steps, 3.5 epochs, 4,096,000 tokens seen');
    expect(card).toContain('| validation loss | 1.47612 |');
    expect(card).toContain('metrics.csv');

    // Only the GPT-2 parameters, in HF order; lm_head is tied and omitted.
    const st = await readSafetensors(join(out, 'model.safetensors'));
    expect([...st.tensors.keys()]).toEqual(gpt2TensorSpecs(cfg).map((s) => s.name));
    expect(st.metadata).toEqual({ format: 'pt', producer: 'Crystalline Studio 0.1.0', n_head: '2' });
    expect(result.modelBytes).toBe((await readFile(join(out, 'model.safetensors'))).length);
  });

  it('names exactly the tensors of the model’s own parameter layout, with the same shapes', () => {
    const layout = parameterLayout(cfg).specs.map((s) => ({ name: s.name, shape: [...s.shape] }));
    expect(gpt2TensorSpecs(cfg)).toEqual(layout);
  });

  it('writes F16 and BF16 weights with the matching torch_dtype', async () => {
    for (const dtype of ['f16', 'bf16'] as const) {
      const out = join(dir.path, dtype);
      await exportHuggingFaceFolder(out, options({ dtype }));
      const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8')) as { torch_dtype: string };
      expect(config.torch_dtype).toBe(dtype === 'f16' ? 'float16' : 'bfloat16');
      const st = await readSafetensors(join(out, 'model.safetensors'));
      expect(st.tensors.get('transformer.wte.weight')!.dtype).toBe(dtype === 'f16' ? 'F16' : 'BF16');
    }
  });

  it('refuses a tensor holding NaN or Inf, naming it, and writes nothing', async () => {
    const tensors = modelTensors(1);
    tensors.get('transformer.h.1.mlp.c_fc.bias')!.data[5] = Number.NaN;
    const e = await exportError(exportHuggingFaceFolder(join(dir.path, 'x'), options({ tensors })));
    expect(e.code).toBe('NON_FINITE');
    expect(e.tensor).toBe('transformer.h.1.mlp.c_fc.bias');
    expect(e.message).toContain('transformer.h.1.mlp.c_fc.bias holds NaN at index 5');
    expect(await readdir(dir.path)).toEqual([]);

    tensors.get('transformer.h.1.mlp.c_fc.bias')!.data[5] = -Infinity;
    expect((await exportError(exportHuggingFaceFolder(join(dir.path, 'x'), options({ tensors })))).code).toBe(
      'NON_FINITE',
    );
  });

  it('refuses values beyond F16’s range, suggesting another dtype; BF16 takes them', async () => {
    const tensors = modelTensors(1);
    tensors.get('transformer.wpe.weight')!.data[0] = 70000;
    const e = await exportError(
      exportHuggingFaceFolder(join(dir.path, 'x'), options({ tensors, dtype: 'f16' })),
    );
    expect(e.code).toBe('OUT_OF_RANGE');
    expect(e.message).toContain('transformer.wpe.weight holds 70000 at index 0');
    expect(e.message).toContain('bf16 or f32');
    await expect(
      exportHuggingFaceFolder(join(dir.path, 'y'), options({ tensors, dtype: 'bf16' })),
    ).resolves.toBeDefined();
  });

  it('refuses a missing tensor or a wrong shape, naming the tensor and the expected shape', async () => {
    const missing = modelTensors(1);
    missing.delete('transformer.h.0.attn.c_proj.weight');
    const e1 = await exportError(exportHuggingFaceFolder(join(dir.path, 'x'), options({ tensors: missing })));
    expect(e1.code).toBe('MISSING_TENSOR');
    expect(e1.message).toContain('transformer.h.0.attn.c_proj.weight (shape [4, 4])');

    const wrong = modelTensors(1);
    wrong.set('transformer.wte.weight', { shape: [4, 11], data: new Float32Array(44) });
    const e2 = await exportError(exportHuggingFaceFolder(join(dir.path, 'x'), options({ tensors: wrong })));
    expect(e2.code).toBe('WRONG_SHAPE');
    expect(e2.message).toContain('has shape [4, 11] (44 values), but this model needs [11, 4]');
  });

  it('overwrites only a folder it exported itself, and never deletes a file it did not write', async () => {
    const out = join(dir.path, 'export');
    await mkdir(out);
    await writeFile(join(out, 'keep.txt'), 'mine');
    expect((await exportError(exportHuggingFaceFolder(out, options()))).code).toBe('OUT_DIR_EXISTS');
    const foreign = await exportError(exportHuggingFaceFolder(out, options({ overwrite: true })));
    expect(foreign.code).toBe('OUT_DIR_NOT_OURS');
    expect(foreign.message).toContain(EXPORT_MARKER);
    expect(await readdir(out)).toEqual(['keep.txt']);

    const earlier = join(dir.path, 'earlier');
    await exportHuggingFaceFolder(earlier, options());
    expect(await readdir(earlier)).toContain(EXPORT_MARKER);
    await exportHuggingFaceFolder(earlier, options({ overwrite: true }));
    await writeFile(join(earlier, 'notes.txt'), 'added by hand');
    const added = await exportError(exportHuggingFaceFolder(earlier, options({ overwrite: true })));
    expect(added.code).toBe('OUT_DIR_NOT_OURS');
    expect(added.message).toContain('"notes.txt"');
    expect(await readFile(join(earlier, 'notes.txt'), 'utf8')).toBe('added by hand');
    expect((await readdir(dir.path)).sort()).toEqual(['earlier', 'export']);
  });

  it('exports into an existing empty folder', async () => {
    const out = join(dir.path, 'empty');
    await mkdir(out);
    await exportHuggingFaceFolder(out, options());
    expect(await readdir(out)).toContain('model.safetensors');
  });

  it('on a full disk reports it and leaves nothing behind', async () => {
    const full = diskWithRoomFor(300);
    const e = await exportError(exportHuggingFaceFolder(join(dir.path, 'export'), options({ fs: full })));
    expect(e.code).toBe('DISK_FULL');
    expect(e.message).toContain('the disk is full');
    expect(await readdir(dir.path)).toEqual([]);
  });
});

describe('import', () => {
  function bits(a: Float32Array): Uint32Array {
    return new Uint32Array(a.buffer, a.byteOffset, a.length);
  }

  it('reads an exported folder back bitwise, with its config and tokenizer', async () => {
    const out = join(dir.path, 'export');
    const opts = options();
    await exportHuggingFaceFolder(out, opts);

    const model = await importModel(out);

    expect(model.modelConfig).toEqual(cfg);
    expect(model.tokenizerJson).toEqual(tokenizerJson);
    expect([...model.tensors.keys()]).toEqual(gpt2TensorSpecs(cfg).map((s) => s.name));
    for (const [name, t] of opts.tensors) expect(bits(model.tensors.get(name)!.data)).toEqual(bits(t.data));
  });

  it('reads F16 exports as their rounded values', async () => {
    const out = join(dir.path, 'export');
    const opts = options({ dtype: 'f16' });
    await exportHuggingFaceFolder(out, opts);
    const model = await importHuggingFaceFolder(out);
    const original = opts.tensors.get('transformer.ln_f.weight')!.data;
    const rounded = [...original].map((x) => float32FromBits(f16BitsToF32(f32BitsToF16(float32Bits(x)))));
    expect([...model.tensors.get('transformer.ln_f.weight')!.data]).toEqual(rounded);
  });

  it('infers the config of a bare safetensors file; the head count comes from metadata or the caller', async () => {
    const out = join(dir.path, 'export');
    await exportHuggingFaceFolder(out, options());
    const fromMetadata = await importModel(join(out, 'model.safetensors'));
    expect(fromMetadata.modelConfig).toEqual(cfg);
    expect(fromMetadata.tokenizerJson).toBeNull();

    const bare = join(dir.path, 'bare.safetensors');
    const tensors = [...modelTensors(2)].map(([name, t]) => ({ name, ...t }));
    await writeSafetensors(bare, tensors, { dtype: 'F32' });
    const e = await importError(importSafetensorsModel(bare));
    expect(e.code).toBe('NHEAD_REQUIRED');
    expect(e.message).toContain(bare);
    expect((await importSafetensorsModel(bare, { nHead: 2 })).modelConfig).toEqual(cfg);
    expect((await importError(importSafetensorsModel(bare, { nHead: 3 }))).code).toBe('INVALID_CONFIG');
  });

  it('accepts HF hub naming: no "transformer." prefix, attention-mask buffers, a tied lm_head', async () => {
    const path = join(dir.path, 'hub.safetensors');
    const model = modelTensors(3);
    const tensors = [...model].map(([name, t]) => ({ name: name.replace(/^transformer\./, ''), ...t }));
    tensors.push({ name: 'h.0.attn.bias', shape: [1, 1, 8, 8], data: new Float32Array(64).fill(1) });
    tensors.push({ name: 'lm_head.weight', ...model.get('transformer.wte.weight')! });
    await writeSafetensors(path, tensors, { dtype: 'F32' });

    const imported = await importSafetensorsModel(path, { nHead: 2 });
    expect([...imported.tensors.keys()]).toEqual(gpt2TensorSpecs(cfg).map((s) => s.name));
    expect(bits(imported.tensors.get('transformer.h.1.ln_2.bias')!.data)).toEqual(
      bits(model.get('transformer.h.1.ln_2.bias')!.data),
    );
  });

  it('refuses an untied lm_head and tensors of another architecture', async () => {
    const model = modelTensors(4);
    const tensors = [...model].map(([name, t]) => ({ name, ...t }));
    const untied = join(dir.path, 'untied.safetensors');
    await writeSafetensors(
      untied,
      [...tensors, { name: 'lm_head.weight', shape: [11, 4], data: new Float32Array(44) }],
      {
        dtype: 'F32',
      },
    );
    expect((await importError(importSafetensorsModel(untied, { nHead: 2 }))).code).toBe('UNTIED_LM_HEAD');

    const other = join(dir.path, 'other.safetensors');
    await writeSafetensors(
      other,
      [...tensors, { name: 'score.weight', shape: [2, 4], data: new Float32Array(8) }],
      {
        dtype: 'F32',
      },
    );
    const e = await importError(importSafetensorsModel(other, { nHead: 2 }));
    expect(e.code).toBe('UNEXPECTED_TENSOR');
    expect(e.message).toContain('score.weight');
  });

  it('names a missing tensor or a wrong shape with the expected shape', async () => {
    const out = join(dir.path, 'export');
    await exportHuggingFaceFolder(out, options());
    const st = await readSafetensors(join(out, 'model.safetensors'));
    const rewrite = async (edit: (list: { name: string; shape: number[]; data: Float32Array }[]) => void) => {
      const list = [...st.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
      edit(list);
      await rm(join(out, 'model.safetensors'));
      await writeSafetensors(join(out, 'model.safetensors'), list, {
        dtype: 'F32',
        metadata: { format: 'pt' },
      });
    };

    await rewrite((list) =>
      list.splice(
        list.findIndex((t) => t.name === 'transformer.h.1.mlp.c_fc.weight'),
        1,
      ),
    );
    const e1 = await importError(importHuggingFaceFolder(out));
    expect(e1.code).toBe('MISSING_TENSOR');
    expect(e1.message).toContain('transformer.h.1.mlp.c_fc.weight (expected shape [4, 16])');

    await rewrite((list) => {
      list.find((t) => t.name === 'transformer.h.1.mlp.c_fc.weight')!.shape = [16, 4];
    });
    const e2 = await importError(importHuggingFaceFolder(out));
    expect(e2.code).toBe('WRONG_SHAPE');
    expect(e2.message).toContain("has shape [16, 4], but the model's config needs [4, 16]");
  });

  it('refuses a config.json our kernels cannot compute, listing each field', async () => {
    const out = join(dir.path, 'export');
    await exportHuggingFaceFolder(out, options());
    const configPath = join(out, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(
      configPath,
      JSON.stringify({ ...config, activation_function: 'gelu', tie_word_embeddings: false }),
    );
    const e = await importError(importHuggingFaceFolder(out));
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.message).toContain('activation_function is "gelu"');
    expect(e.message).toContain('tie_word_embeddings is false');

    await writeFile(configPath, '{ not json');
    expect((await importError(importHuggingFaceFolder(out))).code).toBe('INVALID_CONFIG');
    await rm(configPath);
    expect((await importError(importHuggingFaceFolder(out))).message).toContain('has no config.json');
    expect((await importError(importModel(join(dir.path, 'nothing-here')))).code).toBe('NOT_FOUND');
  });
});
