// Where a training step's gradients are computed and applied: on this thread alone, or by
// data-parallel replicas (src-worker/parallel). The Trainer drives either through this contract.

import type { Backend } from '../math/backend';
import type { Gpt } from '../model/gpt';
import type { Optimizer } from './optimizer';

/** Sees n positions' probabilities (n,V) with their targets (n): one part of an evaluated batch. */
export type ObserveProbs = (probs: Float32Array, targets: Int32Array, n: number) => void;

export interface GradientCompute {
  /** Threads that take part in a step (1: this one alone). */
  readonly workers: number;
  /** Bytes the other threads hold for the step (their gradients, activations and token ids). */
  readonly replicaBytes: number;
  /** Starts a step: the next accumulate begins from zero gradients. */
  zeroGrad(): void;
  /**
   * Adds the gradient of `lossWeight × (mean loss over the B×T batch)` and returns that mean loss.
   * Called once per micro-batch of gradient accumulation.
   */
  accumulate(inputs: Int32Array, targets: Int32Array, B: number, T: number, lossWeight: number): number;
  /**
   * A forward pass without gradients (evaluation): returns the batch's mean loss and shows
   * `observe` each part's probabilities with its targets.
   */
  evaluate(inputs: Int32Array, targets: Int32Array, B: number, T: number, observe: ObserveProbs): number;
  /** Makes `model.grads` hold the whole step's gradient; returns its squared L2 norm. */
  gather(): number;
  /** Multiplies the gradient by `factor` (the clip; 1 leaves it) and applies one optimizer update. */
  update(lr: number, factor: number): void;
  /** Stops any threads; the trainer cannot take another step afterwards. */
  close(): Promise<void>;
}

/** Everything on the calling thread: the model's own forward/backward and the whole optimizer. */
export class LocalGradients implements GradientCompute {
  readonly workers = 1;
  readonly replicaBytes = 0;

  constructor(
    private readonly backend: Backend,
    private readonly model: Gpt,
    private readonly optimizer: Optimizer,
  ) {}

  zeroGrad(): void {
    this.model.zeroGrad();
  }

  accumulate(inputs: Int32Array, targets: Int32Array, B: number, T: number, lossWeight: number): number {
    const loss = this.model.forward(inputs, targets, B, T);
    this.model.backward(lossWeight);
    return loss;
  }

  evaluate(inputs: Int32Array, targets: Int32Array, B: number, T: number, observe: ObserveProbs): number {
    const loss = this.model.forward(inputs, targets, B, T);
    observe(this.model.outputs(), targets, B * T);
    return loss;
  }

  gather(): number {
    const grads = this.model.grads;
    return this.backend.sumSquares(grads, grads.length);
  }

  update(lr: number, factor: number): void {
    const grads = this.model.grads;
    if (factor !== 1) this.backend.scale(grads, factor, grads.length);
    this.optimizer.update(lr);
  }

  async close(): Promise<void> {}
}
