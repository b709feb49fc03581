// Learning-rate schedules: pure functions (step, cfg) => lr with linear warmup and a floor, in the
// nanoGPT style. Every call checks its step and config, so a bad schedule fails at step 0, loudly.
//
// Definitions (W = warmupSteps, T = totalSteps, s = the 0-based step about to be taken):
//   warmup    s < W:       lr · (s+1)/W          step 0 gives lr/W, step W−1 gives exactly lr
//   decay     W ≤ s < T:   progress p = (s−W)/(T−W) ∈ [0, 1); every schedule gives lr at s = W
//     constant             lr
//     linear               lr − (lr−minLr)·p
//     cosine               lr − (lr−minLr)·½(1 − cos πp)   (= minLr + ½(1 + cos πp)(lr−minLr))
//     step                 max(minLr, lr · gamma^⌊(s−W)/stepSize⌋)
//     inverse-sqrt         max(minLr, lr · √(W′ / (s−W+W′))) with W′ = max(W, 1),
//                          i.e. lr·√W/√s after a warmup, lr/√(s+1) without one
//   end       s ≥ T:       minLr for every decaying schedule, lr for constant
// Linear and cosine are written as "lr minus a decrement" so that s = W gives lr exactly.
// Step and inverse-sqrt do not reach minLr by themselves, so they drop to it at T: a run trained
// past its planned end continues at the floor, whatever the shape.

export type ScheduleKind = 'constant' | 'linear' | 'cosine' | 'step' | 'inverse-sqrt';

export const SCHEDULE_KINDS: readonly ScheduleKind[] = [
  'constant',
  'linear',
  'cosine',
  'step',
  'inverse-sqrt',
];

/** The fields every schedule has. */
interface ScheduleBase {
  /** Peak learning rate, reached at the last warmup step. Finite, > 0. */
  lr: number;
  /** Floor of the decay, and the rate from totalSteps on. Finite, 0 ≤ minLr ≤ lr. Constant ignores it. */
  minLr: number;
  /** Steps of linear warmup. Integer, 0 ≤ warmupSteps ≤ totalSteps. */
  warmupSteps: number;
  /** Planned length of the run in optimizer steps. Integer ≥ 1. */
  totalSteps: number;
}

export type ScheduleConfig =
  | (ScheduleBase & { kind: 'constant' })
  | (ScheduleBase & { kind: 'linear' })
  | (ScheduleBase & { kind: 'cosine' })
  | (ScheduleBase & { kind: 'inverse-sqrt' })
  | (ScheduleBase & {
      kind: 'step';
      /** Steps between two decays. Integer ≥ 1. */
      stepSize: number;
      /** Factor applied at each decay. Finite, 0 < gamma ≤ 1. */
      gamma: number;
    });

/** One thing wrong with a config: which field, the value found, and what is allowed. */
export interface ScheduleProblem {
  field: string;
  value: unknown;
  allowed: string;
}

export class ScheduleConfigError extends Error {
  override name = 'ScheduleConfigError';
  constructor(readonly problems: readonly ScheduleProblem[]) {
    super(
      `Invalid learning-rate schedule: ${problems
        .map((p) => `${p.field} = ${String(p.value)} (allowed: ${p.allowed})`)
        .join('; ')}`,
    );
  }
}

export class ScheduleStepError extends Error {
  override name = 'ScheduleStepError';
  constructor(readonly step: number) {
    super(`Learning-rate schedule asked for step ${step}; allowed: an integer ≥ 0`);
  }
}

/** Every range problem of `cfg`; an empty list means the config is valid. */
export function validateScheduleConfig(cfg: ScheduleConfig): ScheduleProblem[] {
  const problems: ScheduleProblem[] = [];
  const check = (ok: boolean, field: string, value: unknown, allowed: string): void => {
    if (!ok) problems.push({ field, value, allowed });
  };
  check(SCHEDULE_KINDS.includes(cfg.kind), 'kind', cfg.kind, SCHEDULE_KINDS.join(' | '));
  const lrOk = Number.isFinite(cfg.lr) && cfg.lr > 0;
  const minLrOk = Number.isFinite(cfg.minLr) && cfg.minLr >= 0;
  check(lrOk, 'lr', cfg.lr, 'a finite number > 0');
  check(minLrOk, 'minLr', cfg.minLr, 'a finite number ≥ 0');
  // Compared only when both are valid on their own: a bad lr's own message says it all.
  if (lrOk && minLrOk) check(cfg.minLr <= cfg.lr, 'minLr', cfg.minLr, `≤ lr (${cfg.lr})`);
  const totalOk = Number.isSafeInteger(cfg.totalSteps) && cfg.totalSteps >= 1;
  check(totalOk, 'totalSteps', cfg.totalSteps, 'an integer ≥ 1');
  check(
    Number.isSafeInteger(cfg.warmupSteps) && cfg.warmupSteps >= 0,
    'warmupSteps',
    cfg.warmupSteps,
    'an integer ≥ 0',
  );
  if (totalOk && Number.isSafeInteger(cfg.warmupSteps)) {
    check(
      cfg.warmupSteps <= cfg.totalSteps,
      'warmupSteps',
      cfg.warmupSteps,
      `≤ totalSteps (${cfg.totalSteps})`,
    );
  }
  if (cfg.kind === 'step') {
    check(
      Number.isSafeInteger(cfg.stepSize) && cfg.stepSize >= 1,
      'stepSize',
      cfg.stepSize,
      'an integer ≥ 1',
    );
    check(
      Number.isFinite(cfg.gamma) && cfg.gamma > 0 && cfg.gamma <= 1,
      'gamma',
      cfg.gamma,
      'a number in (0, 1]',
    );
  }
  return problems;
}

/** Throws ScheduleConfigError listing every problem, or returns normally. */
export function assertScheduleConfig(cfg: ScheduleConfig): void {
  const problems = validateScheduleConfig(cfg);
  if (problems.length > 0) throw new ScheduleConfigError(problems);
}

/** The learning rate for the 0-based step about to be taken (see the definitions at the top). */
export function learningRate(step: number, cfg: ScheduleConfig): number {
  if (!(Number.isSafeInteger(step) && step >= 0)) throw new ScheduleStepError(step);
  assertScheduleConfig(cfg);
  const { lr, minLr, warmupSteps: W, totalSteps: T } = cfg;

  if (step < W) return lr * ((step + 1) / W);
  if (cfg.kind === 'constant') return lr;
  if (step >= T) return minLr;

  const sinceWarmup = step - W;
  switch (cfg.kind) {
    case 'linear':
      return lr - (lr - minLr) * (sinceWarmup / (T - W));
    case 'cosine':
      return lr - (lr - minLr) * 0.5 * (1 - Math.cos(Math.PI * (sinceWarmup / (T - W))));
    case 'step':
      return Math.max(minLr, lr * Math.pow(cfg.gamma, Math.floor(sinceWarmup / cfg.stepSize)));
    case 'inverse-sqrt': {
      const w = Math.max(W, 1);
      return Math.max(minLr, lr * Math.sqrt(w / (sinceWarmup + w)));
    }
    default: {
      const unreachable: never = cfg;
      throw new ScheduleConfigError([
        { field: 'kind', value: unreachable, allowed: SCHEDULE_KINDS.join(' | ') },
      ]);
    }
  }
}
