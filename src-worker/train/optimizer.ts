// The optimizer: owns its state buffers (AdamW moments or SGD momentum), one flat buffer per
// moment laid out like the parameters, and applies the update kernels tensor group by group so
// weight decay reaches only the 2-D tensors.

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
    params: Float32Array,
    grads: Float32Array,
    ranges: readonly ParamRange[],
  ) {
    const count = config.kind === 'adamw' ? 2 : 1;
    this.stateBuffers = Array.from({ length: count }, () => backend.allocF32(params.length));
    this.groups = mergeRanges(ranges).map((r) => ({
      decay: r.decay,
      params: params.subarray(r.offset, r.offset + r.size),
      grads: grads.subarray(r.offset, r.offset + r.size),
      moments: this.stateBuffers.map((b) => b.subarray(r.offset, r.offset + r.size)),
    }));
  }

  /** Applies one update with learning rate `lr` to every parameter. */
  update(lr: number): void {
    this.stepCount += 1;
    const cfg = this.config;
    for (const g of this.groups) {
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
          this.stepCount,
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
