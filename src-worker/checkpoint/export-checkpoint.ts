// A checkpoint file exported as a Hugging Face GPT-2 folder, with its model card: what the CLI's
// `export` and the studio's export (in a one-shot worker) both run. The caller says what it knows
// beyond the file: the run's name, its dataset, and its metric history as CSV.

import { CheckpointError } from './errors';
import { exportHuggingFaceFolder } from './export';
import type { ExportResult, TrainingSummary } from './export';
import type { TensorData } from './format';
import type { ExportDtype } from './hf-gpt2';
import { readCheckpoint } from './read';
import { storedRunOf } from '../train/checkpointing';

export interface CheckpointExport {
  checkpoint: string;
  outDir: string;
  dtype: ExportDtype;
  overwrite: boolean;
  runName: string;
  /** The dataset as the caller knows it; by default the corpus path the checkpoint records. */
  dataset?: TrainingSummary['dataset'];
  /** The run's metrics up to the checkpoint's step, written as metrics.csv. */
  metricsCsv?: string;
}

export async function exportCheckpoint(o: CheckpointExport): Promise<ExportResult> {
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
  return exportHuggingFaceFolder(o.outDir, {
    modelConfig: h.modelConfig,
    tensors,
    tokenizerJson: h.tokenizer,
    dtype: o.dtype,
    overwrite: o.overwrite,
    ...(o.metricsCsv === undefined ? {} : { metricsCsv: o.metricsCsv }),
    trainingSummary: {
      runName: o.runName,
      appVersion: h.appVersion,
      dataset: o.dataset ?? {
        name: spec.data.kind === 'sample' ? 'built-in sample corpus' : spec.data.path,
        // The training split's size, as the sampler recorded it.
        tokens: (h.sampler as { tokenCount?: number }).tokenCount ?? 0,
        description: 'training split',
      },
      tokenizer: `${spec.tokenizer.kind}, ${h.modelConfig.vocabSize} tokens`,
      steps: h.step,
      epochs: h.epoch,
      tokensSeen: h.tokensSeen,
      finalMetrics,
      finishedAt: h.createdAt,
    },
  });
}
