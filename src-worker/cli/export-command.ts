// `crystalline export`: writes a checkpoint as a Hugging Face GPT-2 folder (model.safetensors,
// config.json, tokenizer.json, generation_config.json, a model card, metrics.csv when known).

import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { exportHuggingFaceFolder } from '../checkpoint/export';
import type { ExportDtype } from '../checkpoint/hf-gpt2';
import type { TensorData } from '../checkpoint/format';
import { readCheckpoint } from '../checkpoint/read';
import { storedRunOf } from '../train/checkpointing';
import { CheckpointError } from '../checkpoint/errors';
import { UsageError } from './errors';
import { outFolder } from './parse';

export interface ExportCommandOptions {
  checkpoint: string;
  out: string;
  dtype: ExportDtype;
  overwrite?: boolean;
}

export function addExportOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--checkpoint <file>', 'a checkpoint written by `crystalline train --out`')
    .requiredOption('--out <dir>', 'the folder to create', outFolder)
    .addOption(
      new Option('--dtype <type>', 'weight precision').choices(['f32', 'f16', 'bf16']).default('f32'),
    )
    .option('--overwrite', 'replace an existing folder at --out');
}

export async function runExportCommand(o: ExportCommandOptions): Promise<void> {
  if (o.overwrite === true) await assertReplaceable(o.out, o.checkpoint);
  const ckpt = await readCheckpoint(o.checkpoint);
  const h = ckpt.header;
  if (h.metrics !== undefined && !h.metrics.finite) {
    throw new CheckpointError(
      'INVALID_INPUT',
      o.checkpoint,
      `${o.checkpoint} holds NaN or infinite weights (the run diverged); export an earlier checkpoint.`,
    );
  }
  const { spec } = storedRunOf(ckpt, o.checkpoint);
  const tensors = new Map<string, TensorData>();
  for (const [name, t] of ckpt.tensors)
    if (name.startsWith('param/')) tensors.set(name.slice('param/'.length), t);
  const finalMetrics: Record<string, number> = {};
  if (h.metrics?.valLoss != null) {
    finalMetrics['validation loss'] = h.metrics.valLoss;
    finalMetrics['validation perplexity'] = Math.exp(h.metrics.valLoss);
  }
  if (h.bestMetric !== null) finalMetrics['best validation loss'] = h.bestMetric.value;
  const result = await exportHuggingFaceFolder(o.out, {
    modelConfig: h.modelConfig,
    tensors,
    tokenizerJson: h.tokenizer,
    dtype: o.dtype,
    overwrite: o.overwrite === true,
    trainingSummary: {
      runName: dirname(o.checkpoint).split(/[\\/]/).pop() || 'crystalline-run',
      appVersion: h.appVersion,
      dataset: {
        name: spec.data.kind === 'sample' ? 'built-in sample corpus' : spec.data.path,
        // The training split's size, as the sampler recorded it.
        tokens: (h.sampler as { tokenCount?: number }).tokenCount ?? 0,
        description: 'training split',
      },
      tokenizer: `${spec.tokenizer.kind}${spec.tokenizer.kind === 'bpe' ? `, ${h.modelConfig.vocabSize} tokens` : ''}`,
      steps: h.step,
      epochs: h.epoch,
      tokensSeen: h.tokensSeen,
      finalMetrics,
      finishedAt: h.createdAt,
    },
    ...(await metricsCsvBeside(o.checkpoint, h.step)),
  });
  process.stdout.write(
    `Exported ${result.files.join(', ')} to ${result.dir} (${result.modelBytes} bytes of weights).\n`,
  );
}

/** The run's metrics.csv from the checkpoint's folder, cut at the checkpoint's step. */
async function metricsCsvBeside(checkpoint: string, step: number): Promise<{ metricsCsv?: string }> {
  const csv = await readFile(join(dirname(checkpoint), 'metrics.csv'), 'utf8').catch(() => null);
  if (csv === null) return {};
  const [head, ...rows] = csv.trimEnd().split('\n');
  const kept = rows.filter((r) => Number(r.split(',')[0]) <= step);
  return { metricsCsv: [head, ...kept].join('\n') + '\n' };
}

/** --overwrite replaces an earlier export only: never a file, a folder of something else, or the run's own folder. */
async function assertReplaceable(out: string, checkpoint: string): Promise<void> {
  const info = await stat(out).catch(() => null);
  if (info === null) return;
  const looksLikeExport =
    info.isDirectory() &&
    (await stat(join(out, 'config.json')).catch(() => null)) !== null &&
    (await stat(join(out, 'model.safetensors')).catch(() => null)) !== null;
  if (!looksLikeExport || resolve(out) === resolve(dirname(checkpoint))) {
    throw new UsageError(
      `--overwrite replaces only an earlier export (a folder with config.json and model.safetensors), and ${out} is not one. Choose another --out.`,
    );
  }
}
