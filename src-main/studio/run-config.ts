// Run configs on the studio side: a sensible default for a dataset (a preset, shrunk until one
// batch fits both splits), the engine's RunSpec a config becomes, and a config with edits applied.

import { presetRunConfig } from '../api';
import type { RunChoices, RunConfig, RunConfigEdits, Settings } from '../api';
import { splitSizes } from '../../src-worker/data/split';
import type { ModelPresetName } from '../../src-worker/model/config';
import type { RunSpec } from '../../src-worker/train/setup';
import {
  DEFAULT_ADAMW,
  DEFAULT_EARLY_STOPPING,
  DEFAULT_SGD,
  DEFAULT_TRAINING_THREADS,
  defaultSamples,
  defaultStepDecay,
} from '../../src-worker/train/run-defaults';
import { defaultThreads } from '../../src-worker/train/run-rules';
import { join } from 'node:path';
import type { DatasetRecord } from './store';

/** Where an imported dataset is and how it is tokenized: all a run's spec needs of it. */
export type DatasetPlace = Pick<DatasetRecord, 'dir' | 'tokenizer'>;

/** The text and tokenizer files of an imported dataset. */
export function datasetFiles(dataset: Pick<DatasetRecord, 'dir'>): { corpus: string; tokenizer: string } {
  return { corpus: join(dataset.dir, 'corpus.txt'), tokenizer: join(dataset.dir, 'tokenizer.json') };
}

/**
 * The engine's view of a run on an imported dataset. Never stored: a run with a config and a
 * dataset gets it as it is read (store/runs.ts), so it always says what the config says.
 */
export function specFor(config: RunConfig, dataset: DatasetPlace): RunSpec {
  return {
    data: { kind: 'path', path: datasetFiles(dataset).corpus },
    tokenizer: dataset.tokenizer,
    model: { ...config.model },
    train: config.train,
    backend: config.backend,
    ...(config.engine === 'pytorch'
      ? { engine: 'pytorch', device: config.device ?? 'auto', processes: config.processes }
      : { threads: config.threads }),
  };
}

/**
 * A config that trains the preset on the dataset. Batch and then context shrink (halving) until one
 * batch fits each split, so a small corpus still gets a config that validates.
 */
export function defaultRunConfig(
  dataset: DatasetRecord,
  preset: ModelPresetName,
  settings: Settings,
  samplePrompt: string,
  cores: number,
): RunConfig {
  const preferred = presetRunConfig(preset, {
    name: `${dataset.name} · ${preset}`,
    datasetId: dataset.id,
    backend: settings.defaultBackend,
    threads: DEFAULT_TRAINING_THREADS,
    samples: defaultSamples(samplePrompt),
  });
  const split = splitSizes(dataset.tokens, preferred.train.valFraction);
  const room = Math.min(split.train, split.val) - 1;
  let { batchSize: B, seqLen: T } = preferred.train;
  while (B * T > room && B > 1) B = Math.max(1, Math.floor(B / 2));
  while (B * T > room && T > 8) T = Math.max(8, Math.floor(T / 2));
  return {
    ...preferred,
    train: { ...preferred.train, batchSize: B, seqLen: T },
    // The cores are shared among the runs that may train at once.
    threads: defaultThreads(settings.defaultBackend, Math.floor(cores / settings.maxConcurrentRuns), B),
  };
}

/** What a run of `steps` switches to (runs.choices); samples continue `samplePrompt`, as by default. */
export function runChoices(steps: number, samplePrompt: string): RunChoices {
  return {
    optimizers: { adamw: { ...DEFAULT_ADAMW }, sgd: { ...DEFAULT_SGD } },
    stepDecay: defaultStepDecay(steps),
    earlyStopping: { ...DEFAULT_EARLY_STOPPING },
    samples: defaultSamples(samplePrompt),
  };
}

/** `config` with `edits` applied: each field given replaces that field, the rest is kept. */
export function applyEdits(config: RunConfig, edits: RunConfigEdits): RunConfig {
  const samples =
    edits.samples === undefined
      ? config.samples
      : edits.samples === null
        ? null
        : { ...(config.samples ?? defaultSamples('\n', 0)), ...edits.samples };
  const edited: RunConfig = {
    name: edits.name ?? config.name,
    datasetId: edits.datasetId ?? config.datasetId,
    model: { ...config.model, ...edits.model },
    train: { ...config.train, ...edits.train },
    backend: edits.backend ?? config.backend,
    threads: edits.threads ?? config.threads,
    engine: edits.engine ?? config.engine,
    device: edits.device ?? config.device,
    processes: edits.processes ?? config.processes,
    checkpoints: { ...config.checkpoints, ...edits.checkpoints },
    samples,
  };
  // A new length without a new schedule: the schedule follows, so it still ends where the run does.
  const steps = edits.train?.steps;
  return steps !== undefined && edits.train?.schedule === undefined ? withSteps(edited, steps) : edited;
}

/**
 * The config on another engine: each engine keeps only its own settings (threads for builtin,
 * device and processes for pytorch; a device chosen before is kept).
 */
export function onEngine(config: RunConfig, engine: 'builtin' | 'pytorch'): RunConfig {
  const { threads: _threads, engine: _engine, device, processes, ...rest } = config;
  return engine === 'pytorch'
    ? {
        ...rest,
        threads: DEFAULT_TRAINING_THREADS,
        engine,
        device: device ?? 'auto',
        ...(processes === undefined ? {} : { processes }),
      }
    : { ...rest, threads: DEFAULT_TRAINING_THREADS };
}

/** The config with a new planned length (the schedule ends where the run does). */
export function withSteps(config: RunConfig, steps: number): RunConfig {
  return {
    ...config,
    train: { ...config.train, steps, schedule: { ...config.train.schedule, totalSteps: steps } },
  };
}
