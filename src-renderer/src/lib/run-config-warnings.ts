// Values a run config may legally hold but almost surely should not: a learning rate the optimizer
// diverges at, a run that would take days or years, a warmup longer than the run, a batch held
// small by a tiny dataset. The form shows each beside its field; none of them blocks a run.

import type { RunConfig } from '../../../src-main/api';
import { formatCount, formatDuration } from './format';

export interface ConfigWarning {
  /** The form input it is shown at. */
  input: string;
  message: string;
}

/** Learning rates above these diverge for a GPT of any size the studio trains. */
export const DIVERGENT_LR = { adamw: 0.1, sgd: 1 } as const;
/** A run longer than this by the estimate is worth a second look. */
export const LONG_RUN_SECONDS = 24 * 3600;
/** When no time per step is known yet, a step is assumed to take at least this long. */
const FASTEST_STEP_SECONDS = 0.001;

const YEAR = 365.25 * 24 * 3600;

/** A long duration in the unit that reads best: "3.5 days", "12 years", "4.1 million years". */
export function formatLongDuration(seconds: number): string {
  if (seconds < 2 * 24 * 3600) return formatDuration(seconds);
  if (seconds < 2 * YEAR) return `${Number((seconds / 86400).toPrecision(2))} days`;
  const years = seconds / YEAR;
  if (years < 1e6) return `${formatCount(Math.round(years))} years`;
  return `${Number((years / 1e6).toPrecision(2)).toLocaleString('en-US')} million years`;
}

export interface WarningFacts {
  /** The estimated duration of the whole run, or null while no time per step is known. */
  totalSeconds: number | null;
  /** Tokens in the dataset's validation and training splits, or null while unknown. */
  valTokens: number | null;
  trainTokens: number | null;
}

export function runConfigWarnings(config: RunConfig, facts: WarningFacts): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const { lr, warmupSteps } = config.train.schedule;
  const optimizer = config.train.optimizer.kind;
  if (Number.isFinite(lr) && lr > DIVERGENT_LR[optimizer]) {
    warnings.push({
      input: 'train.schedule.lr',
      message:
        optimizer === 'adamw'
          ? `${lr} is far above what AdamW trains with (about 1e-4 to 1e-2): the loss will almost surely diverge`
          : `${lr} is far above what SGD trains with (about 1e-3 to 0.5): the loss will almost surely diverge`,
    });
  }

  const steps = config.train.steps;
  if (Number.isSafeInteger(steps) && steps > 0) {
    if (facts.totalSeconds !== null && facts.totalSeconds > LONG_RUN_SECONDS) {
      warnings.push({
        input: 'train.steps',
        message: `by the estimate this run takes ${formatLongDuration(facts.totalSeconds)}`,
      });
    } else if (facts.totalSeconds === null && steps * FASTEST_STEP_SECONDS > LONG_RUN_SECONDS) {
      warnings.push({
        input: 'train.steps',
        message: `${steps.toLocaleString('en-US')} steps take over ${formatLongDuration(steps * FASTEST_STEP_SECONDS)} even at 1 ms a step`,
      });
    }
    if (Number.isSafeInteger(warmupSteps) && warmupSteps >= steps) {
      warnings.push({
        input: 'train.schedule.warmupSteps',
        message: `the run ends (at ${formatCount(steps)} steps) before the warmup does: the learning rate never reaches its peak`,
      });
    }
  }

  const { batchSize: B, seqLen: T } = config.train;
  if (facts.valTokens !== null && facts.trainTokens !== null && B >= 1 && T >= 1) {
    const smaller = Math.min(facts.valTokens, facts.trainTokens);
    const fits = B * T + 1 <= smaller;
    // A batch that fits but could not double is held to its size by the data, not chosen freely.
    if (fits && 2 * B * T + 1 > smaller) {
      const split = facts.valTokens <= facts.trainTokens ? 'validation' : 'training';
      const context = config.model.contextLength;
      warnings.push({
        input: 'train.batchSize',
        message:
          `this dataset is small: its ${split} split holds ${formatCount(smaller)} tokens, so a batch can be at most ` +
          `that: ${B} × ${T} tokens here` +
          (T < context ? `, sequences shorter than the model's context length (${context})` : '') +
          `. More text, or a ${split === 'validation' ? 'larger' : 'smaller'} validation fraction, allows larger batches`,
      });
    }
  }
  return warnings;
}
