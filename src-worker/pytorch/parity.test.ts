// The acceptance check: tiny preset, char-level Tiny Shakespeare, 300 steps at a constant
// 3e-4, seed 1337 — the PyTorch engine's validation loss within 0.05 of the built-in engine's,
// with one process and with two. About a minute and a half on two cores (the built-in run is most
// of it), so it is the one long test of the PyTorch engine; the others are micro runs.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODEL_PRESETS, PRESET_BATCH } from '../model/config';
import type { WorkerEvent } from '../protocol';
import type { DoneEvent } from '../train/events';
import { runTraining } from '../train/loop';
import { prepareRun } from '../train/setup';
import type { RunSpec } from '../train/setup';
import { torchMissing, trainToEnd, writeJob } from './test-support/torch-run';

const missing = torchMissing();
if (missing !== null) console.warn(`Skipping the PyTorch parity test: ${missing}.`);

const SHAKESPEARE = resolve(__dirname, '../../../shared/data/tinyshakespeare.txt');
const STEPS = 300;

const spec: RunSpec = {
  data: { kind: 'path', path: SHAKESPEARE },
  tokenizer: { kind: 'char' },
  model: MODEL_PRESETS.tiny,
  backend: 'wasm',
  threads: 1,
  train: {
    batchSize: PRESET_BATCH.tiny,
    seqLen: MODEL_PRESETS.tiny.contextLength,
    gradAccumSteps: 1,
    steps: STEPS,
    optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 },
    schedule: { kind: 'constant', lr: 3e-4, minLr: 3e-4, warmupSteps: 0, totalSteps: STEPS },
    clipNorm: 1,
    evalEvery: 100,
    evalBatches: 8,
    earlyStopping: null,
    maxBadSteps: 5,
    logEvery: 50,
    histogramEvery: 0,
    seed: 1337,
    valFraction: 0.1,
  },
};

function done(events: readonly WorkerEvent[]): DoneEvent {
  const last = events.at(-1);
  if (last?.type !== 'stopped')
    throw new Error(`the run did not end with "stopped": ${JSON.stringify(last)}`);
  return last.done;
}

const show = (d: DoneEvent): string => `${d.valLoss.toFixed(4)} (${Math.round(d.tokensPerSecond)} tokens/s)`;

describe.skipIf(missing !== null)('PyTorch engine parity with the built-in engine', () => {
  it('reaches the built-in validation loss within 0.05 on 1 and 2 processes (tiny, 300 steps)', async () => {
    const run = await prepareRun(spec);
    const builtin = await runTraining(run.trainer, { onEvent: () => undefined });
    await run.release();

    const dir = mkdtempSync(join(tmpdir(), 'torch-parity-'));
    const one = await writeJob({ spec, dir: join(dir, 'one') });
    const torch1 = done(await trainToEnd(one.path, 1));
    const two = await writeJob({ spec, dir: join(dir, 'two') });
    const torch2 = done(await trainToEnd(two.path, 2));
    console.info(
      `val loss after ${STEPS} steps: built-in ${show(builtin)}, ` +
        `PyTorch 1 process ${show(torch1)}, 2 processes ${show(torch2)}`,
    );
    expect(Math.abs(torch1.valLoss - builtin.valLoss)).toBeLessThan(0.05);
    expect(Math.abs(torch2.valLoss - builtin.valLoss)).toBeLessThan(0.05);
  }, 600_000);
});
