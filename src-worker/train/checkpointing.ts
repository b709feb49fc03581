// Between a live run and a checkpoint file: which tensors and header fields a Trainer saves, and
// how a run (or a model for inference) is rebuilt from them, bit for bit.

import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { importModel, ModelImportError } from '../checkpoint/import';
import { readCheckpoint } from '../checkpoint/read';
import type { LoadedCheckpoint } from '../checkpoint/read';
import { writeCheckpoint } from '../checkpoint/write';
import type { WriteCheckpointResult } from '../checkpoint/write';
import { CheckpointError } from '../checkpoint/errors';
import type { CheckpointHeader, NamedTensor } from '../checkpoint/format';
import type { JsonObject } from '../checkpoint/json';
import { tokenizerFromJSON } from '../data/tokenizer-json';
import type { Tokenizer } from '../data/tokenizer';
import type { SamplerState } from '../data/sampler';
import type { Backend } from '../math/backend';
import { createBackend } from '../math/backends';
import { Gpt } from '../model/gpt';
import { APP_VERSION } from '../version';
import { initialEarlyStopping } from './early-stopping';
import { loadText, prepareRun } from './setup';
import type { DataSource, PreparedRun, RunSpec } from './setup';
import type { Trainer } from './trainer';

const PARAM_PREFIX = 'param/';

/** Everything a checkpoint holds about the run besides tensors, as the trainer reads it back. */
export interface RunCheckpointMeta {
  spec: RunSpec;
}

/** The tensors of a trainer: parameters and optimizer moments, per tensor, named and shaped. */
export function trainerTensors(trainer: Trainer): NamedTensor[] {
  const out: NamedTensor[] = [];
  const specs = trainer.model.layout.specs;
  for (const { spec, view } of trainer.model.tensors.values()) {
    out.push({ name: PARAM_PREFIX + spec.name, shape: spec.shape, data: view });
  }
  const names = trainer.optimizer.stateNames();
  trainer.optimizer.stateBuffers.forEach((buffer, i) => {
    for (const spec of specs) {
      out.push({
        name: `${names[i]}/${spec.name}`,
        shape: spec.shape,
        data: buffer.subarray(spec.offset, spec.offset + spec.size),
      });
    }
  });
  return out;
}

/** What was measured at the checkpoint's step. */
export interface CheckpointMetrics {
  valLoss: number | null; // validation loss at this step, when an evaluation ran at it
  finite: boolean; // every weight is finite (a checkpoint that is not is never best nor exported)
}

/** The header of a trainer's checkpoint. */
export function trainerHeader(run: PreparedRun, metrics: CheckpointMetrics): CheckpointHeader {
  const { trainer, spec, tokenizer } = run;
  const state = trainer.getState();
  const es = state.earlyStopping;
  return {
    modelConfig: { ...trainer.model.config },
    trainConfig: toJson({ spec, corpusSha256: run.corpus.sha256, runId: run.runId }),
    tokenizer: toJson(tokenizer.toJSON()),
    step: state.step,
    epoch: trainer.epoch,
    tokensSeen: state.tokensSeen,
    optimizer: {
      kind: trainer.optimizer.config.kind,
      t: state.optimizerSteps,
      badStepsInRow: state.badStepsInRow,
    },
    schedule: { kind: spec.train.schedule.kind, nextStep: state.step, nextLr: trainer.nextLearningRate() },
    sampler: toJson(state.sampler),
    rng: { sampler: state.sampler.rng },
    earlyStopping: toJson(es),
    bestMetric: es.bestStep >= 0 ? { name: 'val_loss', value: es.best, step: es.bestStep } : null,
    createdAt: new Date().toISOString(),
    appVersion: APP_VERSION,
    backend: { name: trainer.backend.name, kernelPath: trainer.backend.kernelPath },
    // A diverged evaluation (NaN, Infinity) is recorded as "no loss", never as a best.
    metrics: {
      valLoss: metrics.valLoss !== null && Number.isFinite(metrics.valLoss) ? metrics.valLoss : null,
      finite: metrics.finite,
    },
  };
}

export async function saveTrainerCheckpoint(
  path: string,
  run: PreparedRun,
  metrics: CheckpointMetrics,
): Promise<WriteCheckpointResult> {
  return writeCheckpoint(path, trainerHeader(run, metrics), trainerTensors(run.trainer));
}

/** The run a checkpoint written by saveTrainerCheckpoint belongs to. */
export function storedRunOf(
  ckpt: LoadedCheckpoint,
  path: string,
): { spec: RunSpec; corpusSha256: string; runId: string } {
  const stored = ckpt.header.trainConfig as { spec?: RunSpec; corpusSha256?: string; runId?: string };
  if (
    stored.spec === undefined ||
    typeof stored.spec !== 'object' ||
    typeof stored.corpusSha256 !== 'string'
  ) {
    throw new CheckpointError(
      'CORRUPT_HEADER',
      path,
      `${path} holds no training run (its header has no run spec), so it cannot be resumed; it can still be used for generation.`,
    );
  }
  // Checkpoints written before runs had ids belong to a run named after the file's folder.
  return {
    spec: stored.spec,
    corpusSha256: stored.corpusSha256,
    runId: stored.runId ?? `legacy:${dirname(path)}`,
  };
}

/** Copies the checkpoint's parameters into `model` (whose config must match). */
export function loadModelParams(model: Gpt, ckpt: LoadedCheckpoint, path: string): void {
  for (const { spec, view } of model.tensors.values()) {
    const t = ckpt.tensors.get(PARAM_PREFIX + spec.name);
    if (t === undefined || t.data.length !== spec.size) {
      throw new CheckpointError(
        'CORRUPT_HEADER',
        path,
        `${path} lacks tensor ${spec.name} of shape [${spec.shape.join(', ')}]; it cannot be loaded into this model.`,
      );
    }
    view.set(t.data);
  }
}

/** Restores parameters, optimizer moments and trainer state (for resuming a run). */
export function restoreTrainer(trainer: Trainer, ckpt: LoadedCheckpoint, path: string): void {
  loadModelParams(trainer.model, ckpt, path);
  const names = trainer.optimizer.stateNames();
  trainer.optimizer.stateBuffers.forEach((buffer, i) => {
    for (const spec of trainer.model.layout.specs) {
      const t = ckpt.tensors.get(`${names[i]}/${spec.name}`);
      if (t === undefined || t.data.length !== spec.size) {
        throw new CheckpointError(
          'CORRUPT_HEADER',
          path,
          `${path} lacks optimizer state ${names[i]}/${spec.name}; resume needs a checkpoint written with the same optimizer.`,
        );
      }
      buffer.set(t.data, spec.offset);
    }
  });
  const h = ckpt.header;
  const opt = h.optimizer as { t: number; badStepsInRow?: number };
  // JSON has no Infinity: a best loss not yet set was stored as null.
  const es = h.earlyStopping as { best: number | null; bestStep: number; badEvals: number } | null;
  trainer.setState({
    step: h.step,
    tokensSeen: h.tokensSeen,
    optimizerSteps: opt.t,
    badStepsInRow: opt.badStepsInRow ?? 0,
    sampler: h.sampler as unknown as SamplerState,
    earlyStopping: es === null ? initialEarlyStopping() : { ...es, best: es.best ?? Infinity },
  });
}

export interface InferenceModel {
  model: Gpt;
  /** null for a bare model.safetensors without a tokenizer.json beside it. */
  tokenizer: Tokenizer | null;
  /** Where the weights came from: a checkpoint of this app, or a Hugging Face GPT-2 folder/file. */
  source: 'checkpoint' | 'huggingface';
}

/**
 * A model ready for generation or logits (one sequence of up to the full context), from a
 * checkpoint file, an exported Hugging Face GPT-2 folder, or a bare GPT-2 `model.safetensors`.
 */
export async function loadInferenceModel(path: string, backend?: Backend): Promise<InferenceModel> {
  const engine = backend ?? (await createBackend('wasm'));
  const info = await stat(path).catch(() => null);
  if (info !== null && (info.isDirectory() || path.endsWith('.safetensors'))) {
    const imported = await importModel(path);
    const cfg = imported.modelConfig;
    const model = new Gpt(engine, cfg, 1, cfg.contextLength);
    for (const { spec, view } of model.tensors.values()) {
      const t = imported.tensors.get(spec.name);
      if (t === undefined)
        throw new ModelImportError('MISSING_TENSOR', path, `${path} has no tensor ${spec.name}.`);
      view.set(t.data);
    }
    const tokenizer = imported.tokenizerJson === null ? null : tokenizerFromJSON(imported.tokenizerJson);
    return { model, tokenizer, source: 'huggingface' };
  }
  const checkpoint = await readCheckpoint(path);
  const cfg = checkpoint.header.modelConfig;
  const model = new Gpt(engine, cfg, 1, cfg.contextLength);
  loadModelParams(model, checkpoint, path);
  return { model, tokenizer: tokenizerFromJSON(checkpoint.header.tokenizer), source: 'checkpoint' };
}

/** JSON-safe copy (Infinity → null is fine for the fields stored this way, restored on read). */
function toJson(value: object): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}

/**
 * Rebuilds a run from its checkpoint so it continues exactly: same corpus (checked by hash), the
 * stored tokenizer, parameters, optimizer moments, schedule position and sampler state.
 * `edit` may change what resuming allows to change (e.g. the total steps).
 */
export async function resumeRun(
  path: string,
  edit: (spec: RunSpec) => RunSpec = (s) => s,
): Promise<PreparedRun> {
  const ckpt = await readCheckpoint(path);
  const stored = storedRunOf(ckpt, path);
  const spec = edit(stored.spec);
  const text = await loadText(spec.data);
  if (text.stats.sha256 !== stored.corpusSha256) {
    throw new CheckpointError(
      'CONFIG_MISMATCH',
      path,
      `The training text (${describeSource(spec.data)}) has changed since ${path} was written ` +
        `(SHA-256 ${text.stats.sha256.slice(0, 12)}… now, ${stored.corpusSha256.slice(0, 12)}… then). ` +
        `Resuming needs the same text; start a new run to train on the changed text.`,
    );
  }
  const run = await prepareRun(spec, {
    text,
    tokenizer: tokenizerFromJSON(ckpt.header.tokenizer),
    runId: stored.runId,
  });
  try {
    restoreTrainer(run.trainer, ckpt, path);
  } catch (error) {
    await run.release();
    throw error;
  }
  return run;
}

function describeSource(source: DataSource): string {
  return source.kind === 'sample' ? `built-in sample corpus, seed ${source.seed}` : source.path;
}
