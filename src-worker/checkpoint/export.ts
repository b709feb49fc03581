// Exports a trained model as a folder other tools load without this app: model.safetensors with
// Hugging Face GPT-2 names, config.json, tokenizer.json, generation_config.json, a README.md model
// card and the run's metrics.csv. Written into a temp folder beside the target, then renamed.

import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ModelConfig } from '../model/config';
import { isDiskFull, nodeFs, syncDir, tempPathFor, writeFileDurable, type DurableFs } from './durable-fs';
import { ModelFileError } from './errors';
import type { TensorData } from './format';
import { f32BitsToBf16, f32BitsToF16 } from './half-float';
import { endOfTextId, gpt2ConfigJson, gpt2TensorSpecs, TORCH_DTYPE, type ExportDtype } from './hf-gpt2';
import type { JsonObject } from './json';
import { writeSafetensors, type SafetensorsDtype } from './safetensors';

export type ModelExportErrorCode =
  | 'MISSING_TENSOR'
  | 'WRONG_SHAPE'
  | 'NON_FINITE' // a tensor holds NaN or ±Inf
  | 'OUT_OF_RANGE' // a value overflows the chosen 16-bit dtype
  | 'OUT_DIR_EXISTS'
  | 'OUT_DIR_NOT_OURS' // overwrite asked for a folder this app did not export, or one holding other files
  | 'DISK_FULL'
  | 'WRITE_FAILED';

export class ModelExportError extends ModelFileError<ModelExportErrorCode> {
  override name = 'ModelExportError';
  constructor(
    code: ModelExportErrorCode,
    /** The export folder concerned. */
    path: string,
    message: string,
    /** The tensor concerned, for tensor errors. */
    readonly tensor: string | null = null,
    options: { cause?: unknown } = {},
  ) {
    super(code, path, message, options);
  }
}

/** What the model card says about the run. */
export interface TrainingSummary {
  /** The run's name; the card's title. */
  runName: string;
  appVersion: string;
  dataset: { name: string; tokens: number; description?: string };
  /** How the text was tokenized, e.g. "byte-level BPE, 4,096 tokens". */
  tokenizer: string;
  steps: number;
  epochs: number;
  tokensSeen: number;
  /** Final values by display name, e.g. { "validation loss": 2.41, "validation perplexity": 11.1 }. */
  finalMetrics: Record<string, number>;
  /** ISO-8601 time training finished. */
  finishedAt?: string;
}

export interface ExportOptions {
  modelConfig: ModelConfig;
  /** Parameters by Hugging Face GPT-2 name; other names (optimizer state, lm_head) are not exported. */
  tensors: ReadonlyMap<string, TensorData>;
  /** Content of tokenizer.json. */
  tokenizerJson: JsonObject;
  dtype: ExportDtype;
  trainingSummary: TrainingSummary;
  /** The run's metric history as CSV; written as metrics.csv when given. */
  metricsCsv?: string;
  /** BOS/EOS ids for config.json; by default GPT-2's "<|endoftext|>" if the tokenizer has one. */
  specialTokens?: { bos: number | null; eos: number | null };
  /** Replace an existing non-empty folder at outDir (the old one is removed only after the new one is in place). */
  overwrite?: boolean;
  /** File-system layer; tests inject failures here. */
  fs?: DurableFs;
}

export interface ExportResult {
  dir: string;
  /** File names written, in writing order. */
  files: string[];
  /** Size of model.safetensors. */
  modelBytes: number;
}

const SAFETENSORS_DTYPE: Readonly<Record<ExportDtype, SafetensorsDtype>> = {
  f32: 'F32',
  f16: 'F16',
  bf16: 'BF16',
};

/**
 * Writes the export folder at `outDir` atomically. Every tensor is checked first (present, right
 * shape, finite, within the dtype's range), so a refused export touches nothing.
 */
export async function exportHuggingFaceFolder(outDir: string, options: ExportOptions): Promise<ExportResult> {
  const fs = options.fs ?? nodeFs;
  const target = resolve(outDir);
  const cfg = options.modelConfig;
  const tensors = gpt2TensorSpecs(cfg).map((spec) => {
    const t = options.tensors.get(spec.name);
    if (t === undefined) {
      throw new ModelExportError(
        'MISSING_TENSOR',
        target,
        `Cannot export to ${target}: tensor ${spec.name} (shape [${spec.shape.join(', ')}]) is missing from the model.`,
        spec.name,
      );
    }
    if (
      t.shape.length !== spec.shape.length ||
      t.shape.some((d, i) => d !== spec.shape[i]) ||
      t.data.length !== count(spec.shape)
    ) {
      throw new ModelExportError(
        'WRONG_SHAPE',
        target,
        `Cannot export to ${target}: tensor ${spec.name} has shape [${t.shape.join(', ')}] (${t.data.length} values), but this model needs [${spec.shape.join(', ')}].`,
        spec.name,
      );
    }
    checkValues(spec.name, t.data, options.dtype, target);
    return { name: spec.name, shape: spec.shape, data: t.data };
  });

  const eot = endOfTextId(options.tokenizerJson);
  const special = options.specialTokens ?? { bos: eot, eos: eot };
  const config = gpt2ConfigJson(cfg, options.dtype, special);
  const generation: JsonObject = { _from_model_config: true, max_length: cfg.contextLength };
  if (special.bos !== null) generation.bos_token_id = special.bos;
  if (special.eos !== null) generation.eos_token_id = special.eos;
  // Without a pad token, generate() warns on every call and pads with EOS anyway.
  if (special.eos !== null) generation.pad_token_id = special.eos;

  const texts: [string, string][] = [
    ['config.json', json(config)],
    ['generation_config.json', json(generation)],
    ['tokenizer.json', json(options.tokenizerJson)],
    ['README.md', modelCard(cfg, options.dtype, options.trainingSummary, options.metricsCsv !== undefined)],
  ];
  if (options.metricsCsv !== undefined) texts.push(['metrics.csv', options.metricsCsv]);
  // The marker says the folder is an export of this app, so a later overwrite may replace it.
  texts.push([EXPORT_MARKER, json({ producer: 'Crystalline Studio', format: 'huggingface-gpt2' })]);

  const existing = await folderState(target);
  if (existing === 'non-empty' && options.overwrite !== true) {
    throw new ModelExportError(
      'OUT_DIR_EXISTS',
      target,
      `Cannot export to ${target}: that folder exists and is not empty. Choose a new folder, or allow overwriting it.`,
    );
  }
  if (existing === 'non-empty') await assertOwnExport(target);

  const temp = tempPathFor(target);
  let placed = false;
  try {
    await fs.mkdir(temp);
    const { bytes: modelBytes } = await writeSafetensors(join(temp, 'model.safetensors'), tensors, {
      dtype: SAFETENSORS_DTYPE[options.dtype],
      // transformers refuses safetensors files whose metadata lacks format "pt".
      metadata: {
        format: 'pt',
        producer: `Crystalline Studio ${options.trainingSummary.appVersion}`,
        n_head: String(cfg.nHead),
      },
      fs,
    });
    for (const [name, text] of texts) await writeFileDurable(fs, join(temp, name), Buffer.from(text, 'utf8'));
    await syncDir(fs, temp);

    if (existing === 'absent') {
      await fs.rename(temp, target);
      placed = true;
    } else {
      // Move the old folder aside under a temp name (removed as stale if we die right here), put
      // the new one in place, then delete the old one. Works on every OS, unlike renaming over
      // an existing folder.
      const old = tempPathFor(target);
      await fs.rename(target, old);
      try {
        await fs.rename(temp, target);
      } catch (err) {
        await fs.rename(old, target).catch(() => undefined);
        throw err;
      }
      placed = true;
      // The export is in place; a leftover old copy is only wasted space, removed as a stale temp.
      await fs.rm(old).catch(() => undefined);
    }
    await syncDir(fs, dirname(target));
    return { dir: target, files: ['model.safetensors', ...texts.map(([name]) => name)], modelBytes };
  } catch (err) {
    if (!placed) await fs.rm(temp).catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    if (isDiskFull(err)) {
      throw new ModelExportError(
        'DISK_FULL',
        target,
        `Could not export to ${target}: the disk is full. Nothing was left behind; free some space and export again.`,
        null,
        { cause: err },
      );
    }
    throw new ModelExportError(
      'WRITE_FAILED',
      target,
      `Could not export to ${target}: ${reason}. Check that its parent folder exists and is writable.`,
      null,
      { cause: err },
    );
  }
}

function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Refuses NaN/Inf, and values the 16-bit dtype would turn into Inf, naming tensor and index. */
function checkValues(name: string, data: Float32Array, dtype: ExportDtype, target: string): void {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < bits.length; i++) {
    if ((bits[i] & 0x7f800000) === 0x7f800000) {
      throw new ModelExportError(
        'NON_FINITE',
        target,
        `Cannot export to ${target}: tensor ${name} holds ${data[i]} at index ${i}. The model diverged; export an earlier checkpoint.`,
        name,
      );
    }
    const overflows =
      (dtype === 'f16' && (f32BitsToF16(bits[i]) & 0x7fff) === 0x7c00) ||
      (dtype === 'bf16' && (f32BitsToBf16(bits[i]) & 0x7fff) === 0x7f80);
    if (overflows) {
      throw new ModelExportError(
        'OUT_OF_RANGE',
        target,
        `Cannot export to ${target} as ${dtype}: tensor ${name} holds ${data[i]} at index ${i}, beyond ${dtype}'s range. Export as ${dtype === 'f16' ? 'bf16 or ' : ''}f32 instead.`,
        name,
      );
    }
  }
}

/** The file every export folder holds; its presence makes the folder one an overwrite may replace. */
export const EXPORT_MARKER = '.crystalline-export';

/** What an export writes (and so what an overwrite may delete): nothing else may be in the folder. */
const EXPORT_FILES = new Set([
  'model.safetensors',
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'README.md',
  'metrics.csv',
  EXPORT_MARKER,
]);

/**
 * Overwrite replaces only a folder this app exported, holding only the files an export writes:
 * a folder of the person's own, or an export they have since added a file to, is refused.
 */
async function assertOwnExport(target: string): Promise<void> {
  const refuse = (why: string): never => {
    throw new ModelExportError(
      'OUT_DIR_NOT_OURS',
      target,
      `Cannot overwrite ${target}: ${why}, so it is left as it is. Choose a new folder.`,
    );
  };
  if (!(await stat(target)).isDirectory()) refuse('it is a file, not an export folder');
  const names = await readdir(target);
  if (!names.includes(EXPORT_MARKER))
    refuse(`it was not written by an export of this app (it has no ${EXPORT_MARKER})`);
  const foreign = names.filter((n) => !EXPORT_FILES.has(n));
  if (foreign.length > 0)
    refuse(`it holds ${foreign.map((n) => `"${n}"`).join(', ')}, which an export did not write`);
}

async function folderState(path: string): Promise<'absent' | 'empty' | 'non-empty'> {
  try {
    const info = await stat(path);
    if (!info.isDirectory()) return 'non-empty';
    return (await readdir(path)).length === 0 ? 'empty' : 'non-empty';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
}

function json(value: JsonObject): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Text placed in a Markdown table cell or heading: no line breaks, no column separators. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
}

function number(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : String(Number(n.toPrecision(6)));
}

function modelCard(cfg: ModelConfig, dtype: ExportDtype, s: TrainingSummary, hasMetrics: boolean): string {
  const params = gpt2TensorSpecs(cfg).reduce((sum, t) => sum + count(t.shape), 0);
  const metrics = Object.entries(s.finalMetrics);
  const lines = [
    '---',
    'library_name: transformers',
    'pipeline_tag: text-generation',
    'tags:',
    '  - gpt2',
    '  - crystalline-studio',
    '---',
    '',
    `# ${cell(s.runName)}`,
    '',
    `A small GPT-2-style language model (${number(params)} parameters) trained from scratch with Crystalline Studio ${cell(s.appVersion)}.`,
    '',
    '## Model',
    '',
    '| setting | value |',
    '| --- | --- |',
    `| architecture | GPT2LMHeadModel (tied input/output embeddings) |`,
    `| layers | ${cfg.nLayer} |`,
    `| heads | ${cfg.nHead} |`,
    `| width (n_embd) | ${cfg.nEmbd} |`,
    `| context length | ${cfg.contextLength} |`,
    `| vocabulary | ${number(cfg.vocabSize)} |`,
    `| weights | ${TORCH_DTYPE[dtype]} |`,
    '',
    '## Training data',
    '',
    `${cell(s.dataset.name)}: ${number(s.dataset.tokens)} tokens. Tokenizer: ${cell(s.tokenizer)}.`,
    ...(s.dataset.description === undefined ? [] : ['', s.dataset.description.trim()]),
    '',
    '## Training',
    '',
    `${number(s.steps)} optimizer steps, ${number(s.epochs)} epochs, ${number(s.tokensSeen)} tokens seen${s.finishedAt === undefined ? '' : `, finished ${cell(s.finishedAt)}`}.`,
    '',
    '## Final metrics',
    '',
    ...(metrics.length === 0
      ? ['No metrics were recorded.']
      : ['| metric | value |', '| --- | --- |', ...metrics.map(([k, v]) => `| ${cell(k)} | ${number(v)} |`)]),
    ...(hasMetrics ? ['', 'The full history is in `metrics.csv`.'] : []),
    '',
    '## Usage',
    '',
    '```python',
    'from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast',
    '',
    'model = AutoModelForCausalLM.from_pretrained("path/to/this/folder")',
    'tokenizer = PreTrainedTokenizerFast(tokenizer_file="path/to/this/folder/tokenizer.json")',
    '```',
    '',
  ];
  return lines.join('\n');
}
