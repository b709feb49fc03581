// `crystalline export`: writes a checkpoint as a Hugging Face GPT-2 folder (model.safetensors,
// config.json, tokenizer.json, generation_config.json, a model card, metrics.csv when known).

import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { exportCheckpoint } from '../checkpoint/export-checkpoint';
import type { ExportDtype } from '../checkpoint/hf-gpt2';
import { readCheckpointHeader } from '../checkpoint/read';
import { UsageError } from './errors';

export interface ExportCommandOptions {
  checkpoint: string;
  out: string;
  dtype: ExportDtype;
  overwrite?: boolean;
}

export function addExportOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--checkpoint <file>', 'a checkpoint written by `crystalline train --out`')
    .requiredOption('--out <dir>', 'the folder to create')
    .addOption(
      new Option('--dtype <type>', 'weight precision').choices(['f32', 'f16', 'bf16']).default('f32'),
    )
    .option('--overwrite', 'replace an existing folder at --out');
}

export async function runExportCommand(o: ExportCommandOptions): Promise<void> {
  if (o.overwrite === true) await assertReplaceable(o.out, o.checkpoint);
  const result = await exportCheckpoint({
    checkpoint: o.checkpoint,
    outDir: o.out,
    dtype: o.dtype,
    overwrite: o.overwrite === true,
    runName: dirname(o.checkpoint).split(/[\\/]/).pop() || 'crystalline-run',
    ...(await metricsCsvBeside(o.checkpoint)),
  });
  process.stdout.write(
    `Exported ${result.files.join(', ')} to ${result.dir} (${result.modelBytes} bytes of weights).\n`,
  );
}

/** The run's metrics.csv from the checkpoint's folder, cut at the checkpoint's step. */
async function metricsCsvBeside(checkpoint: string): Promise<{ metricsCsv?: string }> {
  const csv = await readFile(join(dirname(checkpoint), 'metrics.csv'), 'utf8').catch(() => null);
  if (csv === null) return {};
  const { step } = (await readCheckpointHeader(checkpoint)).header;
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
