// The time a training step will take, estimated on the server for `runs.validate`: a run measured
// on this machine (its FLOP rate) scaled to the config by FLOPs per token and by threads.

import type { RunConfig } from './schemas';
import { DEFAULT_TRAINING_THREADS } from '../../src-worker/train/run-defaults';

/** A past run's training speed on this machine, and the compute per token it was measured at. */
export interface SpeedReference {
  runName: string;
  backend: RunConfig['backend'];
  threads: number;
  parameters: number;
  flopsPerToken: number;
  tokensPerSecond: number; // median of its later logged steps
}

/** What the form says about the time a step will take. */
export type StepTimeEstimate =
  | { known: false; reason: string }
  | {
      known: true;
      secondsPerStep: number;
      totalSeconds: number | null; // null while the number of steps is not valid
      reference: SpeedReference;
      /** The reference trained on another number of threads and its speed was scaled to this one's. */
      threadsScaled: boolean;
    };

/**
 * Forward + backward floating-point operations per token: 6 per parameter (a multiply-add forward,
 * two backward) plus attention's scores and weighted sums, 12 · layers · width · sequence length
 * (nanoGPT's estimate_mfu, after PaLM's appendix B).
 */
export function flopsPerToken(parameters: number, config: RunConfig): number {
  return 6 * parameters + 12 * config.model.nLayer * config.model.nEmbd * config.train.seqLen;
}

/** Threads that train at once: a ts run has one, and more threads than cores do not run together. */
export function effectiveThreads(
  backend: RunConfig['backend'],
  threads: number | undefined,
  cores: number,
): number {
  return backend === 'wasm' ? Math.max(1, Math.min(threads ?? DEFAULT_TRAINING_THREADS, cores)) : 1;
}

/**
 * Seconds per step of `config` (a model of `parameters`), scaled from the measured speed of a run
 * on the same backend: its FLOP rate (tokens/s × FLOPs per token) times the ratio of threads, which
 * assumes the data-parallel speed-up is proportional up to the number of cores. Among references,
 * one with the same threads wins, then the one closest in FLOPs per token, since a small model's
 * rate is held down by per-operation overhead and says least about a large one.
 */
export function estimateStepTime(
  config: RunConfig,
  parameters: number,
  references: readonly SpeedReference[],
  cores: number,
): StepTimeEstimate {
  if (config.engine === 'pytorch') {
    return { known: false, reason: 'Measured by the PyTorch engine once the run has taken its first steps.' };
  }
  const candidates = references.filter((r) => r.backend === config.backend);
  if (candidates.length === 0) {
    return {
      known: false,
      reason:
        references.length === 0
          ? 'Known once a run here has taken its first steps.'
          : `Known once a run on the ${config.backend === 'wasm' ? 'WebAssembly' : 'TypeScript'} backend has taken its first steps here.`,
    };
  }
  const { batchSize: B, seqLen: T, gradAccumSteps, steps } = config.train;
  const tokensPerStep = B * T * gradAccumSteps;
  const perToken = flopsPerToken(parameters, config);
  if (!(tokensPerStep > 0 && perToken > 0 && Number.isFinite(tokensPerStep * perToken)))
    return { known: false, reason: 'Known once the model and batch are valid.' };
  const threads = effectiveThreads(config.backend, config.threads, cores);
  const otherThreads = (r: SpeedReference): number =>
    effectiveThreads(r.backend, r.threads, cores) === threads ? 0 : 1;
  const sizeGap = (r: SpeedReference): number => Math.abs(Math.log(r.flopsPerToken / perToken));
  const closer = (a: SpeedReference, b: SpeedReference): boolean =>
    otherThreads(a) !== otherThreads(b) ? otherThreads(a) < otherThreads(b) : sizeGap(a) < sizeGap(b);
  const reference = candidates.reduce((best, r) => (closer(r, best) ? r : best));
  const referenceThreads = effectiveThreads(reference.backend, reference.threads, cores);
  const flopsPerSecond = reference.tokensPerSecond * reference.flopsPerToken * (threads / referenceThreads);
  const secondsPerStep = (tokensPerStep * perToken) / flopsPerSecond;
  return {
    known: true,
    secondsPerStep,
    totalSeconds: Number.isSafeInteger(steps) && steps > 0 ? secondsPerStep * steps : null,
    reference,
    threadsScaled: referenceThreads !== threads,
  };
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
