// Learning, end to end through prepareRun and the loop: the tiny preset learns the built-in sample
// corpus, and char-level tiny Shakespeare reaches the validation loss of an independent PyTorch
// implementation trained with the same model, budget and hyper-parameters.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unigramEntropy } from '../data/entropy';
import { generateSampleCorpus } from '../data/sample-corpus';
import { CharTokenizer } from '../data/char-tokenizer';
import { MODEL_PRESETS } from '../model/config';
import type { TrainConfig } from './config';
import { runTraining } from './loop';
import { defaultSchedule, presetTrainConfig } from './run-defaults';
import { prepareRun } from './setup';
import type { DataSource } from './setup';

const REPO = join(import.meta.dirname, '../..');
const SHAKESPEARE = join(REPO, '..', 'shared', 'data', 'tinyshakespeare.txt');
const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = join(REPO, 'scripts', 'reference', 'gpt2_torch.py');

function tinyConfig(steps: number, lr: number, warmup: number): TrainConfig {
  return presetTrainConfig('tiny', steps, {
    schedule: defaultSchedule('cosine', steps, { lr, warmupSteps: warmup }),
    evalEvery: steps,
    evalBatches: 20,
    logEvery: 50,
    histogramEvery: 0,
  });
}

async function trainTiny(data: DataSource, train: TrainConfig): Promise<number> {
  const run = await prepareRun({
    data,
    tokenizer: { kind: 'char' },
    model: MODEL_PRESETS.tiny,
    train,
    backend: 'wasm',
  });
  const done = await runTraining(run.trainer, { onEvent: () => undefined });
  return done.valLoss;
}

/** Runs the PyTorch reference; resolves to its final validation loss. */
function torchValLoss(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [TORCH_SCRIPT, 'train', ...args, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`PyTorch reference failed (${code}): ${err.trim()}`));
      const last = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { val_loss?: number };
      if (typeof last.val_loss !== 'number') return reject(new Error(`no val_loss in: ${out}`));
      resolve(last.val_loss);
    });
  });
}

function torchAvailable(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

describe('learning', () => {
  it('the tiny preset on the sample corpus drops validation loss far below the unigram entropy', async () => {
    const text = generateSampleCorpus(1);
    const entropy = unigramEntropy(CharTokenizer.fromText(text).encode(text)); // 3.10 nats/char
    const valLoss = await trainTiny({ kind: 'sample', seed: 1 }, tinyConfig(100, 2e-3, 10));
    // Measured: 2.06 after 100 steps (a model that knew only character frequencies would sit at 3.10).
    expect(valLoss).toBeLessThan(entropy - 0.8);
  });

  const haveData = existsSync(SHAKESPEARE);
  const haveTorch = haveData && torchAvailable() && existsSync(TORCH_SCRIPT);
  const reason = !haveData ? `${SHAKESPEARE} not found` : 'no /usr/bin/python3 with torch';
  // PyTorch's figure with these settings, measured on this project's machine: 2.425 (our run: 2.404).
  const PINNED_TORCH = 2.425;

  it.runIf(haveData)(
    `char-level tiny Shakespeare reaches PyTorch's validation loss (${haveTorch ? 'PyTorch run live' : `PyTorch skipped: ${reason}; compared with its pinned figure ${PINNED_TORCH}`})`,
    async () => {
      const steps = 200;
      const train = tinyConfig(steps, 2e-3, 20);
      const reference = haveTorch
        ? torchValLoss([
            ...[
              '--data',
              SHAKESPEARE,
              '--tokenizer',
              'char',
              '--layers',
              '4',
              '--heads',
              '4',
              '--embd',
              '128',
            ],
            ...['--ctx', '64', '--batch', '16', '--steps', String(steps), '--lr', '2e-3', '--warmup', '20'],
            ...['--schedule', 'cosine', '--min-lr', '2e-4', '--clip', '1.0', '--weight-decay', '0.1'],
            ...['--beta1', '0.9', '--beta2', '0.95', '--eval-every', String(steps), '--eval-batches', '20'],
            ...['--seed', '1337', '--threads', '1'],
          ])
        : Promise.resolve(PINNED_TORCH);
      // Both train at once: one core each.
      const [ours, theirs] = await Promise.all([
        trainTiny({ kind: 'path', path: SHAKESPEARE }, train),
        reference,
      ]);
      console.info(`tiny Shakespeare, ${steps} steps: ours ${ours.toFixed(4)}, PyTorch ${theirs.toFixed(4)}`);
      // Different random streams (init, batches, validation windows) make the runs differ by a few
      // hundredths of a nat; a wrong gradient or schedule costs tenths.
      expect(Math.abs(ours - theirs)).toBeLessThan(0.08);
      expect(ours).toBeLessThan(2.6);
    },
  );
});
