// Parity with an independent implementation: a folder this app exports loads into a plain
// PyTorch GPT-2 and gives the same logits as `crystalline logits`; a folder PyTorch writes loads
// into this app and gives PyTorch's logits. Runs where /usr/bin/python3 has torch.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '../..');
const BIN = join(REPO, 'bin/crystalline.js');
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(REPO, 'scripts/reference/gpt2_torch.py');
const haveTorch =
  existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function maxAbsDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

const TOKENS = '3,1,4,1,5,9,2,6,5,3,5';

describe.runIf(haveTorch)('parity with PyTorch (torch found at /usr/bin/python3)', () => {
  it.each(['f32', 'f16', 'bf16'])(
    'an exported %s folder gives our logits in PyTorch (max |Δ| < 1e-4)',
    (dtype) => {
      const dir = mkdtempSync(join(tmpdir(), 'parity-export-'));
      run(
        process.execPath,
        [BIN, 'train', '--sample', '--layers', '2', '--embd', '32', '--heads', '4'].concat([
          '--ctx',
          '16',
          '--batch',
          '4',
          '--steps',
          '5',
          '--out',
          join(dir, 'run'),
        ]),
      );
      const ckpt = join(dir, 'run', 'step-0000005.ckpt');
      run(process.execPath, [
        BIN,
        'export',
        '--checkpoint',
        ckpt,
        '--out',
        join(dir, 'hf'),
        '--dtype',
        dtype,
      ]);
      // Compare the same (possibly rounded) weights on both sides: our logits from the export.
      const ours = JSON.parse(
        run(process.execPath, [BIN, 'logits', '--checkpoint', join(dir, 'hf'), '--tokens', TOKENS]),
      ) as number[];
      const theirs = JSON.parse(
        run(PYTHON, [SCRIPT, 'logits', '--model-dir', join(dir, 'hf'), '--tokens', TOKENS]),
      ) as number[];
      expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-4);
    },
  );

  it.each(['F32', 'F16', 'BF16'])(
    'a %s folder written by PyTorch loads here with its logits (max |Δ| < 1e-4)',
    (dtype) => {
      const dir = mkdtempSync(join(tmpdir(), 'parity-import-'));
      run(
        PYTHON,
        [SCRIPT, 'export-random', '--out', dir, '--vocab', '65', '--ctx', '32', '--layers', '2'].concat([
          '--heads',
          '4',
          '--embd',
          '64',
          '--seed',
          '7',
          '--dtype',
          dtype,
        ]),
      );
      const theirs = JSON.parse(
        run(PYTHON, [SCRIPT, 'logits', '--model-dir', dir, '--tokens', TOKENS]),
      ) as number[];
      const ours = JSON.parse(
        run(process.execPath, [BIN, 'logits', '--checkpoint', dir, '--tokens', TOKENS]),
      ) as number[];
      expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-4);
    },
  );
});

describe.skipIf(haveTorch)('parity with PyTorch', () => {
  it.skip('skipped: /usr/bin/python3 with torch is not installed (apt-get install python3-torch libopenblas0-openmp)', () => {});
});
