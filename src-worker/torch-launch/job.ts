// The job a PyTorch run trains (PROTOCOL.md): the corpus tokenized with the engine's own tokenizer
// and split exactly as the built-in engine splits it, written as raw little-endian token files the
// program memory-maps, and job.json, the one file every rank reads.

import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from '../checkpoint/errors';
import { readCheckpointHeader } from '../checkpoint/read';
import type { CorpusStats } from '../data/corpus';
import { splitTrainVal } from '../data/split';
import type { HfTokenizerJson, Tokenizer } from '../data/tokenizer';
import { tokenizerFromJSON } from '../data/tokenizer-json';
import { trainTokenizer } from '../data/train-tokenizer';
import { assertModelConfig } from '../model/config';
import type { ModelConfig } from '../model/config';
import type { CheckpointPolicy } from '../protocol';
import type { TrainConfig } from '../train/config';
import { loadText } from '../train/setup';
import type { RunSpec } from '../train/setup';
import { assertTrainConfig } from '../train/validate';
import { APP_VERSION } from '../version';

export const TORCH_PROTOCOL_VERSION = 1;

export type TorchDevice = 'cpu' | 'cuda' | 'mps';

export interface TorchJob {
  protocolVersion: number;
  runId: string;
  modelConfig: ModelConfig;
  train: TrainConfig;
  tokens: { train: string; val: string; dtype: 'uint16' | 'uint32' };
  tokenizer: HfTokenizerJson;
  corpus: CorpusStats;
  device: TorchDevice;
  checkpointDir: string;
  resumeFrom: string | null;
  checkpoints: CheckpointPolicy;
  heartbeatMs: number;
  flushMs: number;
  timeoutSeconds: number;
  appVersion: string;
  /** The run spec, stored in checkpoint headers as the built-in engine stores it (trainConfig.spec). */
  spec: RunSpec;
}

export interface TorchJobOptions {
  /** Where job.json and the token files go (created if missing). */
  workDir: string;
  checkpointDir: string;
  device: TorchDevice;
  /** A checkpoint (of either engine) to continue from: its tokenizer and run id are kept. */
  resumeFrom: string | null;
  /** A tokenizer to encode with (an imported dataset's); else one is trained as the spec says. */
  tokenizer?: Tokenizer;
  checkpoints: CheckpointPolicy;
  heartbeatMs: number;
  flushMs: number;
  /** How long a rank waits for the others (process group set-up and each collective). */
  timeoutSeconds: number;
}

export interface PreparedTorchJob {
  path: string;
  job: TorchJob;
  /** The step the run starts at (the checkpoint's, or 0). */
  step: number;
}

/** The run id, tokenizer and step of the checkpoint a run continues from; the text must be unchanged. */
async function continuation(
  path: string,
  corpus: CorpusStats,
): Promise<{ runId: string; tokenizer: Tokenizer; step: number }> {
  const { header } = await readCheckpointHeader(path);
  const stored = header.trainConfig as { corpusSha256?: unknown; runId?: unknown };
  if (typeof stored.corpusSha256 === 'string' && stored.corpusSha256 !== corpus.sha256) {
    throw new CheckpointError(
      'CONFIG_MISMATCH',
      path,
      `The training text has changed since ${path} was written; resuming needs the same text.`,
    );
  }
  return {
    runId: typeof stored.runId === 'string' ? stored.runId : randomUUID(),
    tokenizer: tokenizerFromJSON(header.tokenizer),
    step: header.step,
  };
}

/** Tokenizes and splits the corpus, writes the token files and job.json; validates every config. */
export async function prepareTorchJob(spec: RunSpec, o: TorchJobOptions): Promise<PreparedTorchJob> {
  const { text, stats } = await loadText(spec.data);
  const resumed = o.resumeFrom === null ? null : await continuation(o.resumeFrom, stats);
  const tokenizer = resumed?.tokenizer ?? o.tokenizer ?? trainTokenizer(spec.tokenizer, text);
  const modelConfig: ModelConfig = { vocabSize: tokenizer.vocabSize, ...spec.model };
  assertModelConfig(modelConfig);
  assertTrainConfig(spec.train, modelConfig.contextLength);
  const split = splitTrainVal(
    tokenizer.encode(text),
    spec.train.batchSize,
    spec.train.seqLen,
    spec.train.valFraction,
  );

  await mkdir(o.workDir, { recursive: true });
  const dtype = tokenizer.vocabSize <= 0x10000 ? 'uint16' : 'uint32';
  const files = { train: join(o.workDir, 'train.bin'), val: join(o.workDir, 'val.bin') };
  for (const side of ['train', 'val'] as const) {
    const ids = dtype === 'uint16' ? Uint16Array.from(split[side]) : Uint32Array.from(split[side]);
    // Typed arrays are little-endian on every platform Node runs on, as the contract says.
    await writeFile(files[side], new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength));
  }
  const job: TorchJob = {
    protocolVersion: TORCH_PROTOCOL_VERSION,
    runId: resumed?.runId ?? randomUUID(),
    modelConfig,
    train: spec.train,
    tokens: { ...files, dtype },
    tokenizer: tokenizer.toJSON(),
    corpus: stats,
    device: o.device,
    checkpointDir: o.checkpointDir,
    resumeFrom: o.resumeFrom,
    checkpoints: o.checkpoints,
    heartbeatMs: o.heartbeatMs,
    flushMs: o.flushMs,
    timeoutSeconds: o.timeoutSeconds,
    appVersion: APP_VERSION,
    spec,
  };
  const path = join(o.workDir, 'job.json');
  await writeFile(path, JSON.stringify(job, null, 1));
  return { path, job, step: resumed?.step ?? 0 };
}
