// Terminal runs are studio runs: `crystalline train` records its run in the data folder's database
// and `crystalline runs` lists it with status, step and best validation loss.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../bin/crystalline.js');
const MICRO = ['--sample', '--layers', '1', '--embd', '32', '--heads', '2', '--ctx', '16', '--batch', '4'];

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('crystalline train and runs with a data folder', () => {
  it('records a terminal run, its checkpoints and its best validation loss; `runs` lists it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cli-data-'));
    const r = cli('train', ...MICRO, '--steps', '6', '--eval-every', '3', '--data-dir', dataDir, '--json');
    expect(r.status).toBe(0);
    const done = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as {
      checkpoint: string;
      best_val_loss: number;
    };
    expect(done.checkpoint.startsWith(join(dataDir, 'runs'))).toBe(true);
    expect(existsSync(done.checkpoint)).toBe(true);

    const listed = cli('runs', '--data-dir', dataDir, '--json');
    expect(listed.status).toBe(0);
    const runs = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { status: string; step: number; bestValLoss: number; origin: string });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'completed', step: 6 });
    expect(runs[0].bestValLoss).toBeCloseTo(done.best_val_loss, 10);

    const table = cli('runs', '--data-dir', dataDir);
    expect(table.stdout).toMatch(/completed\s+6\/6/);
  });

  it('trains without recording with --no-record, and says so when a folder holds no runs', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cli-data-'));
    expect(cli('train', ...MICRO, '--steps', '2', '--data-dir', dataDir, '--no-record').status).toBe(0);
    expect(cli('runs', '--data-dir', dataDir).stdout).toBe('No runs recorded yet.\n');
  });
});
