// The acceptance check: tiny preset, char-level Tiny Shakespeare, 300 steps at a constant
// 3e-4, seed 1337 — the PyTorch engine's validation loss within 0.05 of the built-in engine's,
// with one process and with two. Minutes on two cores (more on a shared machine), so it is the one
// long test of the PyTorch engine; the others are micro runs.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODEL_PRESETS } from '../model/config';
import type { WorkerEvent } from '../protocol';
import type { DoneEvent } from '../train/events';
import { runTraining } from '../train/loop';
import { defaultSchedule, presetTrainConfig } from '../train/run-defaults';
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
  train: presetTrainConfig('tiny', STEPS, {
    schedule: defaultSchedule('constant', STEPS, { lr: 3e-4, minLr: 3e-4, warmupSteps: 0 }),
    logEvery: 50,
    histogramEvery: 0,
  }),
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
    // The three runs are single-threaded: side by side they take half the wall time on two cores.
    const dir = mkdtempSync(join(tmpdir(), 'torch-parity-'));
    const one = await writeJob({ spec, dir: join(dir, 'one') });
    const two = await writeJob({ spec, dir: join(dir, 'two') });
    const torchRuns = Promise.all([trainToEnd(one.path, 1), trainToEnd(two.path, 2)]);
    const run = await prepareRun(spec);
    const builtin = await runTraining(run.trainer, { onEvent: () => undefined });
    await run.release();
    const [torch1, torch2] = (await torchRuns).map(done);
    console.info(
      `val loss after ${STEPS} steps: built-in ${show(builtin)}, ` +
        `PyTorch 1 process ${show(torch1)}, 2 processes ${show(torch2)}`,
    );
    expect(Math.abs(torch1.valLoss - builtin.valLoss)).toBeLessThan(0.05);
    expect(Math.abs(torch2.valLoss - builtin.valLoss)).toBeLessThan(0.05);
  }, 1_200_000);
});
