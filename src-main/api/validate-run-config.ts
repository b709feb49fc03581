// Checks a run config before anything is written or any worker starts: its shape (zod), then each
// value with the engine's own validators (so the studio and the CLI say the same thing), then what
// depends on the dataset and the machine — both splits hold a batch, the model fits in memory.

import { splitSizes } from '../../src-worker/data/split';
import { validateModelConfig } from '../../src-worker/model/config';
import type { ModelConfig } from '../../src-worker/model/config';
import { engineMemory, parameterCount } from '../../src-worker/model/layout';
import { replicaBytes } from '../../src-worker/parallel/replica-memory';
import { threadsProblems } from '../../src-worker/train/run-rules';
import { validateTrainConfig } from '../../src-worker/train/validate';
import { engineProblems } from './engine-rules';
import { problemsOf } from './errors';
import { estimateStepTime, flopsPerToken } from './step-time';
import type { SpeedReference } from './step-time';
import type { FieldProblem } from './errors';
import { sectionProblems } from './section-checks';
import { runConfigSchema } from './schemas';
import type { RunConfig } from './schemas';
import type { Estimate } from './types';

export interface RunConfigContext {
  /** The config's dataset, or null when there is none with its id. */
  dataset: { tokens: number; vocabSize: number } | null;
  freeMemoryBytes: number;
  /** Runs measured on this machine, for the time per step (none: the time is unknown). */
  speedReferences?: readonly SpeedReference[];
  cores?: number;
}

export interface RunConfigCheck {
  config: RunConfig | null; // the parsed config when it has no problem
  problems: FieldProblem[];
  estimate: Estimate | null;
}

const MiB = 1024 * 1024;

export function validateRunConfig(input: unknown, ctx: RunConfigContext): RunConfigCheck {
  const parsed = runConfigSchema.safeParse(input);
  if (!parsed.success) {
    const shapeProblems = problemsOf(parsed.error, '(config)');
    return {
      config: null,
      problems: [...shapeProblems, ...sectionProblems(input, shapeProblems)],
      estimate: null,
    };
  }
  const config = parsed.data;
  const problems: FieldProblem[] = [];
  const { dataset } = ctx;
  if (dataset === null) {
    problems.push({
      field: 'datasetId',
      message: `there is no dataset with id ${config.datasetId}; import one or choose another`,
    });
  }

  problems.push(...engineProblems(config));

  const modelConfig: ModelConfig = { vocabSize: dataset?.vocabSize ?? 1, ...config.model };
  const modelProblems = validateModelConfig(modelConfig);
  for (const p of modelProblems) {
    problems.push({ field: p.field === 'vocabSize' ? 'datasetId' : `model.${p.field}`, message: p.message });
  }
  const contextOk = !modelProblems.some((p) => p.field === 'contextLength');
  const contextLength = contextOk ? config.model.contextLength : Infinity;
  const trainProblems = validateTrainConfig(config.train, contextLength);
  for (const p of trainProblems) problems.push({ field: `train.${p.field}`, message: p.message });

  const { batchSize: B, seqLen: T, valFraction } = config.train;
  const batchOk = !trainProblems.some((p) => p.field === 'batchSize');
  if (config.engine !== 'pytorch') {
    // Compared with the batch only when the batch is valid: otherwise its own message says it all.
    const threads = { backend: config.backend, threads: config.threads, batchSize: batchOk ? B : null };
    for (const message of threadsProblems(threads, (field) => field))
      problems.push({ field: 'threads', message });
  }
  const shapeOk = batchOk && !trainProblems.some((p) => ['seqLen', 'valFraction'].includes(p.field));
  if (dataset === null || !shapeOk) return { config: null, problems, estimate: null };

  const split = splitSizes(dataset.tokens, valFraction);
  const needed = B * T + 1;
  if (split.train < needed) {
    problems.push({
      field: 'train.batchSize',
      message:
        `the training split holds ${split.train} tokens, but one batch of ${B} sequences × ${T} tokens needs ` +
        `at least B·T + 1 = ${needed}; use a smaller batch or sequence length, a smaller validation ` +
        `fraction, or more text`,
    });
  }
  if (split.val < needed) {
    problems.push({
      field: 'train.valFraction',
      message:
        `the validation split holds ${split.val} tokens, but one batch of ${B} sequences × ${T} tokens needs ` +
        `at least B·T + 1 = ${needed}; use a larger validation fraction, a smaller batch or sequence ` +
        `length, or more text`,
    });
  }
  if (modelProblems.length > 0) return { config: null, problems, estimate: null };

  const memory = engineMemory(modelConfig, B, T, config.train.optimizer.kind);
  const parameters = parameterCount(modelConfig);
  const estimate: Estimate = {
    parameters,
    flopsPerToken: flopsPerToken(parameters, config),
    stepTime: estimateStepTime(config, parameters, ctx.speedReferences ?? [], ctx.cores ?? 1),
    // The data-parallel replicas' buffers, and the corpus as int32 token ids.
    memoryBytes: memory.total + replicaBytes(modelConfig, B, T, config.threads) + 4 * dataset.tokens,
    freeMemoryBytes: ctx.freeMemoryBytes,
    trainTokens: split.train,
    valTokens: split.val,
  };
  if (estimate.memoryBytes > ctx.freeMemoryBytes) {
    problems.push({
      field: 'memory',
      message:
        `this model needs about ${(estimate.memoryBytes / MiB).toFixed(0)} MiB (parameters, gradients, ` +
        `optimizer state, activations of every training thread, and token ids), but only ${(ctx.freeMemoryBytes / MiB).toFixed(0)} MiB ` +
        `of memory is free; choose fewer layers, a smaller width, batch or context, or fewer training threads`,
    });
  }
  return { config: problems.length === 0 ? config : null, problems, estimate };
}
