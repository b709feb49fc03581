// The train/validation split: the first (1 − valFraction) of the tokens train, the rest validate,
// the way the PyTorch reference splits (first 90 % / last 10 %).

/** The corpus is too small for the batch shape, or the fraction is out of range. */
export class SplitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SplitError';
  }
}

export type Split = {
  /** Views into the given tokens (no copy). */
  train: Int32Array;
  val: Int32Array;
};

export const DEFAULT_VAL_FRACTION = 0.1;

/**
 * How many of n tokens train and validate: ⌊n · (1 − valFraction)⌋ train, the rest validate. The
 * fraction is rounded to 12 digits first so that 1 − 0.9 is 0.1 (not 0.09999…) and 10 % of 2,000
 * tokens is 200; for the default 0.1 this is Python's `int(0.9 * n)`.
 */
export function splitSizes(n: number, valFraction: number): { train: number; val: number } {
  const train = Math.floor(n * Number((1 - valFraction).toFixed(12)));
  return { train, val: n - train };
}

/**
 * Splits at ⌊n · (1 − valFraction)⌋ (Python's `int(0.9 * n)` for the default). Each side must
 * hold at least B·T + 1 tokens, one full batch of windows plus the last target; a smaller side
 * is refused here with the sizes and what to change, because downstream it would starve a loader.
 */
export function splitTrainVal(
  tokens: Int32Array,
  B: number,
  T: number,
  valFraction = DEFAULT_VAL_FRACTION,
): Split {
  if (!(valFraction > 0 && valFraction < 1)) {
    throw new SplitError(`The validation fraction must be between 0 and 1 (exclusive); got ${valFraction}.`);
  }
  // 1 − 0.8 is 0.19999999999999996 in binary: rounding to 12 digits gives the decimal fraction a
  // person typed, so 1000 tokens at valFraction 0.2 split 800 / 200 (and 0.9 stays exactly 0.9).
  const trainFraction = Number((1 - valFraction).toFixed(12));
  const cut = Math.floor(tokens.length * trainFraction);
  const split = { train: tokens.subarray(0, cut), val: tokens.subarray(cut) };
  const needed = B * T + 1;
  for (const side of ['train', 'val'] as const) {
    if (split[side].length < needed) {
      throw new SplitError(
        `The ${side === 'train' ? 'training' : 'validation'} split has ${split[side].length} tokens, but one batch ` +
          `of B = ${B} sequences × T = ${T} tokens needs at least B·T + 1 = ${needed}. The corpus has ` +
          `${tokens.length} tokens (train ${split.train.length}, validation ${split.val.length}, valFraction ` +
          `${valFraction}). Use a smaller batch size or sequence length, a ` +
          `${side === 'val' ? 'larger' : 'smaller'} validation fraction, or more text.`,
      );
    }
  }
  return split;
}
