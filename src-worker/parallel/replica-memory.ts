// What data-parallel training adds to a run's memory: each replica beyond the coordinator holds
// gradients, activations and token ids (its model's and the staged copy) for its slice of a batch.

import type { ModelConfig } from '../model/config';
import { engineMemory } from '../model/layout';
import { batchSlices } from './partition';

/**
 * Bytes the replica threads of a run with `workers` threads allocate (0 for one thread). Every
 * replica is sized for the largest replica slice, so that one plan serves them all.
 */
export function replicaBytes(cfg: ModelConfig, B: number, T: number, workers: number): number {
  const threads = Math.min(workers, B);
  if (threads <= 1) return 0;
  const slices = batchSlices(B, threads).slice(1);
  const m = engineMemory(cfg, replicaRows(slices), T, 'adamw');
  return slices.length * (m.grads + m.activations + m.activationGrads + 2 * m.tokens);
}

/** The sequences each replica is sized for: the largest of their slices. */
export function replicaRows(slices: readonly [number, number][]): number {
  return Math.max(...slices.map(([first, end]) => end - first));
}
