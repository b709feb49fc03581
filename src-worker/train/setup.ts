// Turns a run specification (where the text comes from, tokenizer, model shape, training config,
// backend) into a ready Trainer: reads and tokenizes the corpus, splits it, validates every
// config, allocates the model and initialises it from the seed. Shared by the CLI and the worker.

import { randomUUID } from 'node:crypto';
import { importCorpus } from '../data/corpus';
import type { CorpusStats } from '../data/corpus';
import { corpusStats } from '../data/corpus';
import { generateSampleCorpus } from '../data/sample-corpus';
import { splitTrainVal } from '../data/split';
import type { Tokenizer } from '../data/tokenizer';
import { trainTokenizer } from '../data/train-tokenizer';
import type { TokenizerSpec } from '../data/train-tokenizer';
import { createBackend } from '../math/backends';
import type { BackendName } from '../math/backend';
import { WasmBackend } from '../math/wasm/wasm-backend';
import { assertModelConfig } from '../model/config';
import type { ModelConfig, ModelShape } from '../model/config';
import { Gpt } from '../model/gpt';
import { DataParallelGradients } from '../parallel/data-parallel';
import { Rng } from '../util/rng';
import type { TrainConfig } from './config';
import type { DeviceChoice, EngineName } from './run-rules';
import { DEFAULT_TRAINING_THREADS } from './run-defaults';
import { threadsProblems } from './run-rules';
import { Trainer } from './trainer';
import { assertTrainConfig } from './validate';

export type DataSource = { kind: 'sample'; seed: number } | { kind: 'path'; path: string };

export interface RunSpec {
  data: DataSource;
  tokenizer: TokenizerSpec;
  model: ModelShape; // vocabulary size comes from the tokenizer
  train: TrainConfig;
  backend: BackendName;
  /**
   * Threads that train (data-parallel replicas on the wasm backend, each a slice of every batch);
   * 1 or absent: one. For a given count the results are bitwise repeatable; another count gives
   * the same training to float rounding, so a run may resume with a different one.
   */
  threads?: number;
  /** The engine that trains it; absent: builtin (this engine). See train/run-rules.ts. */
  engine?: EngineName;
  /** pytorch: the torch device (auto resolves at launch) and the ranks on this machine. */
  device?: DeviceChoice;
  processes?: number;
}

/** A thread count the run's backend or batch cannot train with (run-rules.ts says why). */
export class ThreadsUnsupportedError extends Error {
  override name = 'ThreadsUnsupportedError';
}

export interface PreparedRun {
  /** Identifies the run across resumes (stored in its checkpoints). */
  runId: string;
  spec: RunSpec;
  corpus: CorpusStats;
  tokenizer: Tokenizer;
  modelConfig: ModelConfig;
  trainTokens: number;
  valTokens: number;
  trainer: Trainer;
  /** Stops the helper threads of a multi-threaded backend (call once training is over). */
  release(): Promise<void>;
}

/** Reads the text a spec names: the built-in sample corpus, or a file or folder. */
export async function loadText(source: DataSource): Promise<{ text: string; stats: CorpusStats }> {
  if (source.kind === 'sample') {
    const text = generateSampleCorpus(source.seed);
    return { text, stats: corpusStats(text, 1) };
  }
  const corpus = await importCorpus(source.path);
  return { text: corpus.text, stats: corpus.stats };
}

export interface PrepareOptions {
  /** The corpus, when the caller has read it already. */
  text?: { text: string; stats: CorpusStats };
  /** A tokenizer to reuse instead of training one (a resumed run must encode exactly as before). */
  tokenizer?: Tokenizer;
  /** The id of the run being resumed; a new run gets a fresh one. */
  runId?: string;
}

export async function prepareRun(spec: RunSpec, options: PrepareOptions = {}): Promise<PreparedRun> {
  const { text: corpusText, stats } = options.text ?? (await loadText(spec.data));
  const tokenizer = options.tokenizer ?? trainTokenizer(spec.tokenizer, corpusText);
  const modelConfig: ModelConfig = { vocabSize: tokenizer.vocabSize, ...spec.model };
  assertModelConfig(modelConfig);
  assertTrainConfig(spec.train, modelConfig.contextLength);

  const tokens = tokenizer.encode(corpusText);
  const { batchSize: B, seqLen: T } = spec.train;
  const split = splitTrainVal(tokens, B, T, spec.train.valFraction);

  const threads = spec.threads ?? DEFAULT_TRAINING_THREADS;
  const [problem] = threadsProblems({ backend: spec.backend, threads, batchSize: B }, (field) => field);
  if (problem !== undefined) throw new ThreadsUnsupportedError(problem);
  const backend = await createBackend(spec.backend);
  const model = new Gpt(backend, modelConfig, B, T);
  model.init(new Rng(spec.train.seed));
  const trainer = new Trainer(backend, model, spec.train, split.train, split.val);
  if (threads > 1 && backend instanceof WasmBackend) {
    trainer.gradients = await DataParallelGradients.start({
      backend,
      model,
      optimizer: trainer.optimizer,
      workers: threads,
      batchSize: B,
      seqLen: T,
    });
  }
  return {
    runId: options.runId ?? randomUUID(),
    spec,
    corpus: stats,
    tokenizer,
    modelConfig,
    trainTokens: split.train.length,
    valTokens: split.val.length,
    trainer,
    release: () => trainer.gradients.close(),
  };
}
