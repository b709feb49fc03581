// Checks a TrainConfig field by field before anything is allocated, so a bad value is reported
// with its name and what is allowed instead of surfacing as a NaN or a hang many steps later.

import { validateScheduleConfig } from './schedules';
import type { TrainConfig } from './config';

export interface TrainConfigProblem {
  field: string; // dotted path, e.g. "optimizer.beta1"
  value: unknown;
  message: string;
}

export class TrainConfigError extends Error {
  override name = 'TrainConfigError';
  constructor(readonly problems: readonly TrainConfigProblem[]) {
    super(`Invalid training config: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
  }
}

const isInt = (v: unknown, min: number): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Every problem of `cfg` for a model with context length `contextLength`; empty when valid. */
export function validateTrainConfig(cfg: TrainConfig, contextLength: number): TrainConfigProblem[] {
  const problems: TrainConfigProblem[] = [];
  const need = (ok: boolean, field: string, value: unknown, message: string): void => {
    if (!ok) problems.push({ field, value, message });
  };
  need(isInt(cfg.batchSize, 1), 'batchSize', cfg.batchSize, 'must be a whole number ≥ 1');
  need(
    isInt(cfg.seqLen, 1) && cfg.seqLen <= contextLength,
    'seqLen',
    cfg.seqLen,
    `must be a whole number from 1 to the model's context length (${contextLength})`,
  );
  need(isInt(cfg.gradAccumSteps, 1), 'gradAccumSteps', cfg.gradAccumSteps, 'must be a whole number ≥ 1');
  need(isInt(cfg.steps, 1), 'steps', cfg.steps, 'must be a whole number ≥ 1');
  need(
    isNum(cfg.clipNorm) && cfg.clipNorm >= 0,
    'clipNorm',
    cfg.clipNorm,
    'must be ≥ 0 (0 turns clipping off)',
  );
  need(
    isInt(cfg.evalEvery, 0),
    'evalEvery',
    cfg.evalEvery,
    'must be a whole number ≥ 0 (0: only at the end)',
  );
  need(isInt(cfg.evalBatches, 1), 'evalBatches', cfg.evalBatches, 'must be a whole number ≥ 1');
  need(isInt(cfg.maxBadSteps, 1), 'maxBadSteps', cfg.maxBadSteps, 'must be a whole number ≥ 1');
  need(isInt(cfg.logEvery, 1), 'logEvery', cfg.logEvery, 'must be a whole number ≥ 1');
  need(
    isInt(cfg.histogramEvery, 0),
    'histogramEvery',
    cfg.histogramEvery,
    'must be a whole number ≥ 0 (0: never)',
  );
  need(
    isInt(cfg.seed, 0) && cfg.seed <= 0xffffffff,
    'seed',
    cfg.seed,
    'must be a whole number from 0 to 4294967295',
  );
  need(
    isNum(cfg.valFraction) && cfg.valFraction > 0 && cfg.valFraction < 1,
    'valFraction',
    cfg.valFraction,
    'must be strictly between 0 and 1',
  );
  if (cfg.earlyStopping !== null) {
    const es = cfg.earlyStopping;
    need(isInt(es.patience, 1), 'earlyStopping.patience', es.patience, 'must be a whole number ≥ 1');
    need(isNum(es.minDelta) && es.minDelta >= 0, 'earlyStopping.minDelta', es.minDelta, 'must be ≥ 0');
  }
  const opt = cfg.optimizer;
  if (opt.kind === 'adamw') {
    need(
      isNum(opt.beta1) && opt.beta1 >= 0 && opt.beta1 < 1,
      'optimizer.beta1',
      opt.beta1,
      'must be in [0, 1)',
    );
    need(
      isNum(opt.beta2) && opt.beta2 >= 0 && opt.beta2 < 1,
      'optimizer.beta2',
      opt.beta2,
      'must be in [0, 1)',
    );
    need(isNum(opt.eps) && opt.eps > 0, 'optimizer.eps', opt.eps, 'must be > 0');
    need(
      isNum(opt.weightDecay) && opt.weightDecay >= 0,
      'optimizer.weightDecay',
      opt.weightDecay,
      'must be ≥ 0',
    );
  } else if (opt.kind === 'sgd') {
    need(
      isNum(opt.momentum) && opt.momentum >= 0 && opt.momentum < 1,
      'optimizer.momentum',
      opt.momentum,
      'must be in [0, 1)',
    );
    need(
      isNum(opt.weightDecay) && opt.weightDecay >= 0,
      'optimizer.weightDecay',
      opt.weightDecay,
      'must be ≥ 0',
    );
  } else {
    const unknown: never = opt;
    need(false, 'optimizer.kind', (unknown as { kind: unknown }).kind, 'must be adamw or sgd');
  }
  for (const p of validateScheduleConfig(cfg.schedule)) {
    problems.push({ field: `schedule.${p.field}`, value: p.value, message: `must be ${p.allowed}` });
  }
  if (isInt(cfg.steps, 1) && cfg.schedule.totalSteps !== cfg.steps) {
    problems.push({
      field: 'schedule.totalSteps',
      value: cfg.schedule.totalSteps,
      message: `must equal steps (${cfg.steps}) so the schedule ends where the run does`,
    });
  }
  return problems;
}

export function assertTrainConfig(cfg: TrainConfig, contextLength: number): void {
  const problems = validateTrainConfig(cfg, contextLength);
  if (problems.length > 0) throw new TrainConfigError(problems);
}
