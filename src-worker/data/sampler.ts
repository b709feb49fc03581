// Seeded random training batches (windows of T+1 tokens: inputs and the targets shifted by one)
// whose position can be saved and restored, and the fixed validation batches of a run.

import { Rng, type RngState } from '../util/rng';

/** One batch: B rows of T token ids each, targets[i] being the token after inputs[i]. */
export type Batch = {
  inputs: Int32Array; // (B,T)
  targets: Int32Array; // (B,T)
};

/** Everything needed to continue a sampler with its very next batch (plain JSON). */
export type SamplerState = {
  /** The four state words of the sampler's Rng. */
  rng: [number, number, number, number];
  /** Batches drawn since the start of the run. */
  batchesDrawn: number;
  /** What the state was made for; restoring it onto other data or shapes is refused. */
  tokenCount: number;
  batchSize: number;
  seqLen: number;
};

/** The sampler was built or restored with sizes that cannot work together. */
export class SamplerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SamplerError';
  }
}

/** Batches in one "epoch": as many as it takes to draw as many tokens as the split holds. */
export function batchesPerEpoch(tokenCount: number, B: number, T: number): number {
  return Math.ceil(tokenCount / (B * T));
}

/**
 * Draws batches of B windows at uniformly random starts in [0, tokens.length − T − 1], so every
 * window and its one-token-shifted target fit inside the tokens. Windows are independent draws
 * (with replacement), as in nanoGPT's get_batch.
 */
export class BatchSampler {
  /** ⌈tokens / (B·T)⌉: the batches of one epoch. */
  readonly batchesPerEpoch: number;
  private readonly rng: Rng;
  private drawn = 0;

  constructor(
    private readonly tokens: Int32Array,
    readonly B: number,
    readonly T: number,
    seed: number,
  ) {
    checkShape(tokens.length, B, T);
    this.rng = new Rng(seed);
    this.batchesPerEpoch = batchesPerEpoch(tokens.length, B, T);
  }

  /** Batches drawn so far (restored with the state). */
  get batchesDrawn(): number {
    return this.drawn;
  }

  /** Completed epochs: ⌊batchesDrawn / batchesPerEpoch⌋. */
  get epoch(): number {
    return Math.floor(this.drawn / this.batchesPerEpoch);
  }

  /** Fills `inputs` and `targets` (B·T each, row-major (B,T)) with the next batch. */
  next(
    inputs: Int32Array, // (B,T)
    targets: Int32Array, // (B,T)
  ): void {
    const { B, T, tokens } = this;
    if (inputs.length !== B * T || targets.length !== B * T) {
      throw new SamplerError(
        `Batch buffers must hold B·T = ${B * T} ids each; got inputs ${inputs.length}, targets ${targets.length}.`,
      );
    }
    const starts = tokens.length - T; // a start s needs tokens s … s+T
    for (let b = 0; b < B; b++) {
      const start = this.rng.int(starts);
      inputs.set(tokens.subarray(start, start + T), b * T);
      targets.set(tokens.subarray(start + 1, start + T + 1), b * T);
    }
    this.drawn++;
  }

  getState(): SamplerState {
    const [s0, s1, s2, s3] = this.rng.getState();
    return {
      rng: [s0, s1, s2, s3],
      batchesDrawn: this.drawn,
      tokenCount: this.tokens.length,
      batchSize: this.B,
      seqLen: this.T,
    };
  }

  /** Continues from a saved state; refuses a state saved for other tokens, B or T. */
  setState(state: SamplerState): void {
    const mine = { tokenCount: this.tokens.length, batchSize: this.B, seqLen: this.T };
    for (const key of ['tokenCount', 'batchSize', 'seqLen'] as const) {
      if (state[key] !== mine[key]) {
        throw new SamplerError(
          `The saved sampler state is for ${key} = ${state[key]}, but this run has ${key} = ${mine[key]}. ` +
            `Resume with the dataset and batch shape the run was started with.`,
        );
      }
    }
    if (!(Number.isInteger(state.batchesDrawn) && state.batchesDrawn >= 0)) {
      throw new SamplerError(
        `The saved sampler state has batchesDrawn = ${state.batchesDrawn}; expected a count ≥ 0.`,
      );
    }
    this.rng.setState(state.rng as RngState);
    this.drawn = state.batchesDrawn;
  }
}

/**
 * `count` random batches drawn once with their own seed: evaluating on the same batches every
 * time makes validation losses of one run comparable with each other.
 */
export function fixedBatches(tokens: Int32Array, B: number, T: number, count: number, seed: number): Batch[] {
  if (!(Number.isInteger(count) && count >= 1)) {
    throw new SamplerError(`The number of validation batches must be an integer ≥ 1; got ${count}.`);
  }
  const sampler = new BatchSampler(tokens, B, T, seed);
  return Array.from({ length: count }, () => {
    const batch = { inputs: new Int32Array(B * T), targets: new Int32Array(B * T) };
    sampler.next(batch.inputs, batch.targets);
    return batch;
  });
}

function checkShape(tokenCount: number, B: number, T: number): void {
  for (const [name, value] of [
    ['B', B],
    ['T', T],
  ] as const) {
    if (!(Number.isInteger(value) && value >= 1)) {
      throw new SamplerError(`Batch ${name} must be an integer ≥ 1; got ${value}.`);
    }
  }
  if (tokenCount < T + 1) {
    throw new SamplerError(
      `A window of T = ${T} tokens plus its next-token target needs at least ${T + 1} tokens; ` +
        `the split has ${tokenCount}. Use a shorter sequence length or more text.`,
    );
  }
}
