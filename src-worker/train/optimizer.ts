// The optimizer: owns its state buffers (AdamW moments or SGD momentum), one flat buffer per
// moment laid out like the parameters, and applies the update kernels tensor group by group so
// weight decay reaches only the 2-D tensors. A shard applies the same update to one range of the
// parameters, so that data-parallel threads can each update their part of one step.

import type { Backend } from '../math/backend';
import type { OptimizerConfig } from './config';

/** A contiguous range of the flat parameter buffer that shares one weight-decay setting. */
interface DecayGroup {
  decay: boolean;
  params: Float32Array;
  grads: Float32Array;
  moments: Float32Array[]; // same range in each state buffer
}

export interface ParamRange {
  offset: number;
  size: number;
  decay: boolean;
}

export class Optimizer {
  /** AdamW: [m, v]; SGD: [momentum]. Each as long as the parameter buffer. */
  readonly stateBuffers: Float32Array[];
  /** Optimizer updates applied so far (AdamW's bias-correction t is stepCount after the update). */
  stepCount = 0;
  private readonly groups: DecayGroup[];

  constructor(
    private readonly backend: Backend,
    readonly config: OptimizerConfig,
    private readonly params: Float32Array,
    private readonly grads: Float32Array,
    private readonly ranges: readonly ParamRange[],
    /** Existing state buffers to use (another thread's optimizer's, in a data-parallel shard). */
    stateBuffers?: Float32Array[],
  ) {
    const count = config.kind === 'adamw' ? 2 : 1;
    if (stateBuffers !== undefined && stateBuffers.length !== count) {
      throw new RangeError(`${config.kind} keeps ${count} state buffers, got ${stateBuffers.length}`);
    }
    this.stateBuffers = stateBuffers ?? Array.from({ length: count }, () => backend.allocF32(params.length));
    this.groups = this.groupsIn(0, params.length);
  }

  /** Applies one update with learning rate `lr` to every parameter. */
  update(lr: number): void {
    this.stepCount += 1;
    this.apply(this.groups, lr, this.stepCount);
  }

  /**
   * The update of parameters [from, to) alone, as a function of the learning rate and the
   * update's 1-based count t. Shards covering the parameters between them, applied for one step,
   * leave exactly what update() would: every kernel here works element by element.
   */
  shard(from: number, to: number): (lr: number, t: number) => void {
    const groups = this.groupsIn(from, to);
    return (lr, t) => this.apply(groups, lr, t);
  }

  private groupsIn(from: number, to: number): DecayGroup[] {
    return mergeRanges(this.ranges).flatMap((r) => {
      const start = Math.max(from, r.offset);
      const end = Math.min(to, r.offset + r.size);
      if (start >= end) return [];
      return [
        {
          decay: r.decay,
          params: this.params.subarray(start, end),
          grads: this.grads.subarray(start, end),
          moments: this.stateBuffers.map((b) => b.subarray(start, end)),
        },
      ];
    });
  }

  private apply(groups: readonly DecayGroup[], lr: number, t: number): void {
    const cfg = this.config;
    for (const g of groups) {
      const n = g.params.length;
      if (cfg.kind === 'adamw') {
        const wd = g.decay ? cfg.weightDecay : 0;
        this.backend.adamwUpdate(
          g.params,
          g.grads,
          g.moments[0],
          g.moments[1],
          n,
          lr,
          cfg.beta1,
          cfg.beta2,
          cfg.eps,
          wd,
          t,
        );
      } else {
        const wd = g.decay ? cfg.weightDecay : 0;
        this.backend.sgdMomentumUpdate(g.params, g.grads, g.moments[0], n, lr, cfg.momentum, wd);
      }
    }
  }

  /** Names of the state buffers, as stored in checkpoints. */
  stateNames(): string[] {
    return this.config.kind === 'adamw' ? ['adamw.m', 'adamw.v'] : ['sgd.momentum'];
  }
}

/** Joins neighbouring ranges with the same decay flag so an update makes few kernel calls. */
function mergeRanges(ranges: readonly ParamRange[]): ParamRange[] {
  const sorted = [...ranges].sort((a, b) => a.offset - b.offset);
  const merged: ParamRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && last.decay === r.decay && last.offset + last.size === r.offset) last.size += r.size;
    else merged.push({ ...r });
  }
  return merged;
}
