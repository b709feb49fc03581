// Imports a GPT-2 model from a Hugging Face-style folder (config.json + model.safetensors +
// tokenizer.json, as the export writes and HF publishes) or from a bare model.safetensors, for
// generation and fine-tuning. Anything our model cannot compute exactly is refused, by name.

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelConfig } from '../model/config';
import { ModelFileError } from './errors';
import type { TensorData } from './format';
import { gpt2TensorSpecs, modelConfigFromGpt2Json } from './hf-gpt2';
import { isJsonObject, type JsonObject } from './json';
import { readSafetensors, type SafetensorsContents } from './safetensors';

export type ModelImportErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_CONFIG' // config.json missing, not JSON, or describing something other than our GPT-2
  | 'NHEAD_REQUIRED' // a bare safetensors file does not say how many heads the model has
  | 'UNEXPECTED_TENSOR' // a tensor GPT2LMHeadModel does not have: another architecture
  | 'MISSING_TENSOR'
  | 'WRONG_SHAPE'
  | 'UNTIED_LM_HEAD' // lm_head.weight differs from the token embedding
  | 'INVALID_TOKENIZER'; // tokenizer.json present but not a JSON object

/** `path` is the folder or file concerned. */
export class ModelImportError extends ModelFileError<ModelImportErrorCode> {
  override name = 'ModelImportError';
}

export interface ImportedModel {
  modelConfig: ModelConfig;
  /** Parameters by HF GPT-2 name (with the "transformer." prefix), in layout order, as float32. */
  tensors: Map<string, TensorData>;
  /** tokenizer.json, when the folder has one. */
  tokenizerJson: JsonObject | null;
  /** The safetensors file's metadata. */
  metadata: Record<string, string> | null;
}

/** A folder (with config.json) or a bare .safetensors file (nHead from options or its metadata). */
export async function importModel(path: string, options: { nHead?: number } = {}): Promise<ImportedModel> {
  const info = await stat(path).catch(() => null);
  if (info === null)
    throw new ModelImportError('NOT_FOUND', path, `There is no model at ${path}. Check the path.`);
  return info.isDirectory() ? importHuggingFaceFolder(path) : importSafetensorsModel(path, options);
}

/** Reads an export folder: the shape comes from config.json and is checked against every tensor. */
export async function importHuggingFaceFolder(dir: string): Promise<ImportedModel> {
  if (!(await stat(dir).catch(() => null))?.isDirectory()) {
    throw new ModelImportError('NOT_FOUND', dir, `There is no folder at ${dir}. Check the path.`);
  }
  const configPath = join(dir, 'config.json');
  let configText: string;
  try {
    configText = await readFile(configPath, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ModelImportError(
      'INVALID_CONFIG',
      dir,
      missing
        ? `${dir} has no config.json, so it is not a Hugging Face model folder. Choose an exported folder, or its model.safetensors file with the number of heads.`
        : `Cannot read ${configPath}: ${(err as Error).message}.`,
      { cause: err },
    );
  }
  let configJson: unknown;
  try {
    configJson = JSON.parse(configText);
  } catch (err) {
    throw new ModelImportError(
      'INVALID_CONFIG',
      dir,
      `${configPath} is not valid JSON (${(err as Error).message}). Re-export the model.`,
    );
  }
  const parsed = modelConfigFromGpt2Json(configJson);
  if ('issues' in parsed) {
    const list = parsed.issues.map(
      (i) => `${i.field} is ${JSON.stringify(i.value) ?? 'missing'} (allowed: ${i.allowed})`,
    );
    throw new ModelImportError(
      'INVALID_CONFIG',
      dir,
      `${configPath} does not describe a GPT-2 model this app can run: ${list.join('; ')}.`,
    );
  }

  const modelPath = join(dir, 'model.safetensors');
  const contents = await readSafetensors(modelPath);
  const tensors = gpt2Tensors(canonicalNames(contents, modelPath), parsed.config, modelPath);

  const tokenizerPath = join(dir, 'tokenizer.json');
  let tokenizerJson: JsonObject | null = null;
  const tokenizerText = await readFile(tokenizerPath, 'utf8').catch(() => null);
  if (tokenizerText !== null) {
    let tok: unknown;
    try {
      tok = JSON.parse(tokenizerText);
    } catch {
      tok = null;
    }
    if (!isJsonObject(tok)) {
      throw new ModelImportError(
        'INVALID_TOKENIZER',
        dir,
        `${tokenizerPath} is not a JSON object. Re-export the model.`,
      );
    }
    tokenizerJson = tok;
  }
  return { modelConfig: parsed.config, tensors, tokenizerJson, metadata: contents.metadata };
}

/**
 * Reads a bare GPT-2 model.safetensors, inferring vocabulary, width, context and depth from the
 * tensor shapes. The head count cannot be inferred (any divisor of the width fits the same
 * tensors), so it comes from `nHead`, else from the file's "n_head" metadata (our exports write
 * it), else the import fails with NHEAD_REQUIRED.
 */
export async function importSafetensorsModel(
  path: string,
  options: { nHead?: number } = {},
): Promise<ImportedModel> {
  const contents = await readSafetensors(path);
  const byName = canonicalNames(contents, path);
  const wte = byName.get('transformer.wte.weight');
  const wpe = byName.get('transformer.wpe.weight');
  if (wte === undefined || wpe === undefined || wte.shape.length !== 2 || wpe.shape.length !== 2) {
    const missing = wte === undefined ? 'transformer.wte.weight (V, C)' : 'transformer.wpe.weight (maxT, C)';
    throw new ModelImportError(
      'MISSING_TENSOR',
      path,
      `${path} is not a GPT-2 model: it lacks a 2-D ${missing}.`,
    );
  }
  let nLayer = 0;
  while (byName.has(`transformer.h.${nLayer}.ln_1.weight`)) nLayer++;

  const fromMetadata = contents.metadata?.n_head;
  const nHead = options.nHead ?? (fromMetadata === undefined ? undefined : Number(fromMetadata));
  if (nHead === undefined) {
    throw new ModelImportError(
      'NHEAD_REQUIRED',
      path,
      `${path} does not say how many attention heads the model has. Give the number of heads, or import the whole folder with its config.json.`,
    );
  }
  const nEmbd = wte.shape[1];
  if (!Number.isSafeInteger(nHead) || nHead < 1 || nEmbd % nHead !== 0) {
    throw new ModelImportError(
      'INVALID_CONFIG',
      path,
      `${path}: ${nHead} heads do not divide the model width ${nEmbd}. Give a number of heads that divides it.`,
    );
  }
  const modelConfig: ModelConfig = {
    vocabSize: wte.shape[0],
    contextLength: wpe.shape[0],
    nLayer,
    nHead,
    nEmbd,
  };
  const tensors = gpt2Tensors(byName, modelConfig, path);
  return { modelConfig, tensors, tokenizerJson: null, metadata: contents.metadata };
}

/**
 * HF files name tensors with or without the "transformer." prefix and may carry non-parameter
 * buffers (attention masks) and a tied lm_head copy: map to our names, drop the buffers, and
 * refuse an untied head or tensors of another architecture.
 */
function canonicalNames(contents: SafetensorsContents, path: string): Map<string, TensorData> {
  const out = new Map<string, TensorData>();
  let lmHead: TensorData | null = null;
  for (const [raw, t] of contents.tensors) {
    const name = raw.startsWith('transformer.') ? raw : `transformer.${raw}`;
    if (raw === 'lm_head.weight') lmHead = t;
    else if (/^transformer\.h\.\d+\.attn\.(masked_)?bias$/.test(name))
      continue; // causal-mask buffers
    else if (/^transformer\.(wte|wpe|ln_f|h\.\d+)\./.test(name)) out.set(name, t);
    else {
      throw new ModelImportError(
        'UNEXPECTED_TENSOR',
        path,
        `${path} holds tensor "${raw}", which a GPT2LMHeadModel does not have; it is a different kind of model.`,
      );
    }
  }
  const wte = out.get('transformer.wte.weight');
  if (lmHead !== null && wte !== undefined && !sameBits(lmHead.data, wte.data)) {
    throw new ModelImportError(
      'UNTIED_LM_HEAD',
      path,
      `${path} has an lm_head.weight that differs from transformer.wte.weight; this app only runs GPT-2 models with tied embeddings.`,
    );
  }
  return out;
}

/** Every tensor of `cfg` present with its shape, nothing else; in layout order. Consumes `byName`. */
function gpt2Tensors(
  byName: Map<string, TensorData>,
  cfg: ModelConfig,
  path: string,
): Map<string, TensorData> {
  const out = new Map<string, TensorData>();
  for (const spec of gpt2TensorSpecs(cfg)) {
    const t = byName.get(spec.name);
    if (t === undefined) {
      throw new ModelImportError(
        'MISSING_TENSOR',
        path,
        `${path} lacks tensor ${spec.name} (expected shape [${spec.shape.join(', ')}]), so it is not a complete GPT-2 model of this size.`,
      );
    }
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      throw new ModelImportError(
        'WRONG_SHAPE',
        path,
        `${path}: tensor ${spec.name} has shape [${t.shape.join(', ')}], but the model's config needs [${spec.shape.join(', ')}].`,
      );
    }
    out.set(spec.name, { shape: spec.shape, data: t.data });
    byName.delete(spec.name);
  }
  const extra = byName.keys().next();
  if (extra.done !== true) {
    throw new ModelImportError(
      'UNEXPECTED_TENSOR',
      path,
      `${path} holds tensor ${extra.value}, which a ${cfg.nLayer}-layer GPT-2 does not have; its config and weights disagree.`,
    );
  }
  return out;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
