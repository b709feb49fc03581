// Sample checkpoint contents for the checkpoint tests and their child processes: a full header
// and named tensors (parameters plus AdamW moments) filled from the seeded Rng.

import { Rng } from '../../util/rng';
import type { CheckpointHeader, NamedTensor } from '../format';

export function sampleHeader(step: number): CheckpointHeader {
  return {
    modelConfig: { vocabSize: 96, contextLength: 32, nLayer: 2, nHead: 2, nEmbd: 16 },
    trainConfig: { batchSize: 4, seqLen: 32, steps: 100, optimizer: { kind: 'adamw', beta1: 0.9 } },
    tokenizer: { version: '1.0', model: { type: 'BPE', vocab: { a: 0, b: 1, ü: 2 }, merges: ['a b'] } },
    step,
    epoch: 1,
    tokensSeen: step * 128,
    optimizer: { kind: 'adamw', t: step },
    schedule: { kind: 'cosine', lastLr: 0.000123456789 },
    sampler: { cursor: 17, order: [3, 1, 2, 0] },
    rng: { sampler: [1, 2, 3, 0xffffffff] },
    earlyStopping: { best: 2.5, badEvals: 1 },
    bestMetric: { name: 'val_loss', value: 2.481234567890123, step: 10 },
    createdAt: '2025-01-02T03:04:05.678Z',
    appVersion: '0.1.0',
    backend: { name: 'ts', kernelPath: 'reference' },
    metrics: { valLoss: null, finite: true },
  };
}

/** `param/…`, `adam.m/…` and `adam.v/…` tensors of the given shapes, values from the seeded Rng. */
export function sampleTensors(seed: number, shapes: Record<string, readonly number[]>): NamedTensor[] {
  const rng = new Rng(seed);
  const out: NamedTensor[] = [];
  for (const prefix of ['param', 'adam.m', 'adam.v']) {
    for (const [name, shape] of Object.entries(shapes)) {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      for (let i = 0; i < data.length; i++) data[i] = rng.normal();
      out.push({ name: `${prefix}/${name}`, shape, data });
    }
  }
  return out;
}

export const SMALL_SHAPES: Record<string, readonly number[]> = {
  'transformer.wte.weight': [96, 16],
  'transformer.wpe.weight': [32, 16],
  'transformer.ln_f.weight': [16],
  // Odd sizes exercise the padding between 64-aligned tensors.
  'odd.length': [13],
  scalar: [],
  empty: [0],
};
