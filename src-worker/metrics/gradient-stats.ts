// Gradient (and weight) statistics over named views of the flat buffers: per-tensor L2 norms and
// the global norm, fixed-bin histograms, and a detector for exploding, vanishing and non-finite
// gradients that raises typed alerts. Buffers are sized in constructors; per-step calls allocate
// nothing (an alert object is built only when one fires).

import type { Kernels } from '../math/backend';
import { Ema } from './aggregate';
import { ensure } from './errors';

export interface NamedTensor {
  /** Hugging Face GPT-2 tensor name, e.g. "h.0.attn.c_attn.weight". */
  name: string;
  view: Float32Array;
}

/** Σ x² over n values in double precision: the backend kernel's signature. */
export type SumSquares = Kernels['sumSquares'];

function sumSquaresTs(x: Float32Array, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i] * x[i];
  return sum;
}

/** L2 norm of each named tensor, and the global norm √Σ‖tensor‖² that gradient clipping uses. */
export class TensorNorms {
  readonly names: readonly string[];
  /** Each tensor's L2 norm after the last compute(), in the order given. */
  readonly norms: Float64Array; // (tensors)
  private readonly views: readonly Float32Array[];

  /**
   * `sumSquares` defaults to a plain loop; pass the backend's, `(x, n) => backend.sumSquares(x, n)`,
   * to use its fast path (a WebAssembly backend can read only its own memory, which its views are).
   */
  constructor(
    tensors: readonly NamedTensor[],
    private readonly sumSquares: SumSquares = sumSquaresTs,
  ) {
    const seen = new Set<string>();
    for (const t of tensors) {
      ensure(!seen.has(t.name), 'tensor name', t.name, 'each name at most once');
      seen.add(t.name);
    }
    this.names = tensors.map((t) => t.name);
    this.views = tensors.map((t) => t.view);
    this.norms = new Float64Array(tensors.length);
  }

  /** Fills `norms` and returns the global norm; NaN or Infinity anywhere makes it non-finite. */
  compute(): number {
    let total = 0;
    for (let i = 0; i < this.views.length; i++) {
      const view = this.views[i];
      const squares = this.sumSquares(view, view.length);
      this.norms[i] = Math.sqrt(squares);
      total += squares;
    }
    return Math.sqrt(total);
  }
}

/** A copy of a histogram, safe to post to another thread or keep. */
export interface HistogramSnapshot {
  counts: Uint32Array; // (bins)
  edges: Float64Array; // (bins+1)
  /** Smallest and largest finite value; NaN when there was none. */
  min: number;
  max: number;
  nan: number;
  posInf: number;
  negInf: number;
}

/**
 * Histogram with a fixed number of equal-width bins spanning the finite values' [min, max].
 * Linear rather than log-scaled bins: a chart reads them directly, and how the magnitudes spread
 * over decades is what the per-tensor norms already show. Bin i holds [edges[i], edges[i+1]); the
 * last bin also holds max. When every finite value is the same v, the range is v ± max(½, |v|/2)
 * (so an all-zero gradient spans [−½, ½] and lands in bin ⌊bins/2⌋); with no finite value it is
 * [−½, ½] and every count is 0. NaN, +Infinity and −Infinity are counted apart, never binned.
 */
export class Histogram {
  readonly counts: Uint32Array; // (bins)
  readonly edges: Float64Array; // (bins+1)
  min = Number.NaN;
  max = Number.NaN;
  nan = 0;
  posInf = 0;
  negInf = 0;

  constructor(readonly bins: number) {
    ensure(Number.isSafeInteger(bins) && bins >= 1, 'bins', bins, 'an integer ≥ 1');
    this.counts = new Uint32Array(bins);
    this.edges = new Float64Array(bins + 1);
  }

  /** Bins x[0..n), replacing the previous contents. */
  compute(x: Float32Array, n: number = x.length): void {
    ensure(Number.isSafeInteger(n) && n >= 0 && n <= x.length, 'n', n, 'an integer in [0, x.length]');
    let min = Infinity;
    let max = -Infinity;
    let nan = 0;
    let posInf = 0;
    let negInf = 0;
    for (let i = 0; i < n; i++) {
      const v = x[i];
      if (v !== v) nan++;
      else if (v === Infinity) posInf++;
      else if (v === -Infinity) negInf++;
      else {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    const anyFinite = min <= max;
    let lo = anyFinite ? min : 0;
    let hi = anyFinite ? max : 0;
    if (lo === hi) {
      const half = Math.max(0.5, Math.abs(lo) / 2); // ±½ alone would vanish in rounding for |v| ≳ 2⁵²
      lo -= half;
      hi += half;
    }
    const bins = this.bins;
    for (let i = 0; i < bins; i++) this.edges[i] = lo + ((hi - lo) * i) / bins;
    this.edges[bins] = hi;

    const counts = this.counts;
    counts.fill(0);
    const scale = bins / (hi - lo);
    for (let i = 0; i < n; i++) {
      const v = x[i];
      if (v >= lo && v <= hi) {
        const bin = Math.floor((v - lo) * scale);
        counts[bin < bins ? bin : bins - 1]++;
      }
    }
    this.min = anyFinite ? min : Number.NaN;
    this.max = anyFinite ? max : Number.NaN;
    this.nan = nan;
    this.posInf = posInf;
    this.negInf = negInf;
  }

  snapshot(): HistogramSnapshot {
    return {
      counts: this.counts.slice(),
      edges: this.edges.slice(),
      min: this.min,
      max: this.max,
      nan: this.nan,
      posInf: this.posInf,
      negInf: this.negInf,
    };
  }
}

export type GradientAlertKind = 'explosion' | 'vanishing' | 'non-finite';

export interface GradientAlert {
  kind: GradientAlertKind;
  /** The optimizer step whose gradients were checked. */
  step: number;
  /** The tensor concerned; absent for alerts about the global norm. */
  tensor?: string;
  /** The norm that crossed the threshold (NaN or ±Infinity for 'non-finite'). */
  value: number;
  /** The bound crossed; Infinity for 'non-finite', where no finite bound applies. */
  threshold: number;
  message: string;
}

export interface GradientAlertConfig {
  /** Explosion when the global norm exceeds this. > 0; Infinity turns this test off. */
  explosionNorm: number;
  /** Explosion when the global norm exceeds this × its recent EMA. > 1; Infinity turns it off. */
  explosionFactor: number;
  /** β of that EMA (debiased), in [0, 1). */
  emaBeta: number;
  /** Checks the EMA takes in before the relative test starts: early norms swing widely. ≥ 1. */
  emaWarmup: number;
  /** Vanishing when a tensor's norm stays below this. ≥ 0; 0 turns the test off. */
  vanishingNorm: number;
  /** … for this many consecutive checks. ≥ 1. */
  vanishingChecks: number;
}

/** Starting points for a small GPT trained with clipping at 1.0; tune per model if they misfire. */
export const DEFAULT_GRADIENT_ALERT_CONFIG: Readonly<GradientAlertConfig> = {
  explosionNorm: 1e3,
  explosionFactor: 10,
  emaBeta: 0.9,
  emaWarmup: 10,
  vanishingNorm: 1e-7,
  vanishingChecks: 20,
};

/**
 * Watches each check's global and per-tensor norms. Alerts are edge-triggered, so a problem that
 * lasts yields one alert, not one per step:
 * - 'non-finite': some tensor's norm is NaN or ±Infinity (reported: the first such tensor). It fires
 *   again only after a check with every norm finite. Such a check runs no other test.
 * - 'explosion': the global norm exceeds `explosionNorm`, or `explosionFactor` × the debiased EMA of
 *   the previous checks' global norms (once `emaWarmup` checks are in). It fires again only after a
 *   check below both bounds. The EMA takes in every finite global norm after the test, spikes
 *   included, so it follows a run whose gradients legitimately grow.
 * - 'vanishing': a tensor's norm has been below `vanishingNorm` for exactly `vanishingChecks`
 *   consecutive checks; one norm at or above it restarts the count.
 */
export class GradientAlertDetector {
  private readonly config: GradientAlertConfig;
  private readonly ema: Ema;
  private readonly lowStreak: Int32Array; // (tensors) consecutive checks below vanishingNorm
  private readonly fired: GradientAlert[] = [];
  private exploding = false;
  private nonFinite = false;

  constructor(
    readonly names: readonly string[],
    config: Partial<GradientAlertConfig> = {},
  ) {
    const c = { ...DEFAULT_GRADIENT_ALERT_CONFIG, ...config };
    ensure(c.explosionNorm > 0, 'explosionNorm', c.explosionNorm, 'a number > 0 (Infinity: off)');
    ensure(c.explosionFactor > 1, 'explosionFactor', c.explosionFactor, 'a number > 1 (Infinity: off)');
    ensure(Number.isSafeInteger(c.emaWarmup) && c.emaWarmup >= 1, 'emaWarmup', c.emaWarmup, 'an integer ≥ 1');
    ensure(
      Number.isFinite(c.vanishingNorm) && c.vanishingNorm >= 0,
      'vanishingNorm',
      c.vanishingNorm,
      'a finite number ≥ 0 (0: off)',
    );
    ensure(
      Number.isSafeInteger(c.vanishingChecks) && c.vanishingChecks >= 1,
      'vanishingChecks',
      c.vanishingChecks,
      'an integer ≥ 1',
    );
    this.config = c;
    this.ema = new Ema(c.emaBeta);
    this.lowStreak = new Int32Array(names.length);
  }

  /**
   * Checks one step's norms (as TensorNorms computes them) and returns the alerts that begin now.
   * The returned array is reused by the next call: copy what you keep.
   */
  check(step: number, globalNorm: number, norms: Float64Array): readonly GradientAlert[] {
    ensure(norms.length === this.names.length, 'norms.length', norms.length, 'one norm per named tensor');
    this.fired.length = 0;
    const c = this.config;

    let firstBad = -1;
    for (let i = 0; i < norms.length && firstBad < 0; i++) if (!Number.isFinite(norms[i])) firstBad = i;
    if (firstBad >= 0 || !Number.isFinite(globalNorm)) {
      if (!this.nonFinite) {
        const tensor = firstBad >= 0 ? this.names[firstBad] : undefined;
        const value = firstBad >= 0 ? norms[firstBad] : globalNorm;
        this.fired.push({
          kind: 'non-finite',
          step,
          ...(tensor === undefined ? {} : { tensor }),
          value,
          threshold: Infinity,
          message:
            `Gradient norm is ${value} at step ${step}${tensor === undefined ? '' : ` in ${tensor}`}: ` +
            'the loss has probably diverged; lower the learning rate or enable gradient clipping.',
        });
      }
      this.nonFinite = true;
      this.lowStreak.fill(0);
      return this.fired;
    }
    this.nonFinite = false;

    const recent = this.ema.count >= c.emaWarmup ? this.ema.debiased : Number.NaN;
    const relativeBound = c.explosionFactor * recent; // NaN until warm: compares false
    const overAbsolute = globalNorm > c.explosionNorm;
    const overRelative = globalNorm > relativeBound;
    if ((overAbsolute || overRelative) && !this.exploding) {
      const threshold = overAbsolute ? c.explosionNorm : relativeBound;
      const why = overAbsolute
        ? `the limit ${fmt(c.explosionNorm)}`
        : `${fmt(c.explosionFactor)}× its recent average ${fmt(recent)}`;
      this.fired.push({
        kind: 'explosion',
        step,
        value: globalNorm,
        threshold,
        message:
          `Gradient explosion at step ${step}: global norm ${fmt(globalNorm)} exceeds ${why}. ` +
          'Lower the learning rate or clip gradients.',
      });
    }
    this.exploding = overAbsolute || overRelative;
    this.ema.update(globalNorm);

    if (c.vanishingNorm > 0) {
      for (let i = 0; i < norms.length; i++) {
        if (norms[i] >= c.vanishingNorm) {
          this.lowStreak[i] = 0;
          continue;
        }
        this.lowStreak[i]++;
        if (this.lowStreak[i] === c.vanishingChecks) {
          this.fired.push({
            kind: 'vanishing',
            step,
            tensor: this.names[i],
            value: norms[i],
            threshold: c.vanishingNorm,
            message:
              `Vanishing gradient in ${this.names[i]} at step ${step}: norm ${fmt(norms[i])} has stayed below ` +
              `${fmt(c.vanishingNorm)} for ${c.vanishingChecks} checks; this tensor has stopped learning.`,
          });
        }
      }
    }
    return this.fired;
  }

  /** Forgets the EMA, the streaks and the open conditions (e.g. after loading a checkpoint). */
  reset(): void {
    this.ema.reset();
    this.lowStreak.fill(0);
    this.exploding = false;
    this.nonFinite = false;
  }
}

function fmt(x: number): string {
  return Number(x.toPrecision(3)).toString();
}
