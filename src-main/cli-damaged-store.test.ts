// A terminal run never writes into a damaged database: `crystalline train` and `runs` exit 3 naming
// the file and its copy, and `crystalline repair --rebuild` brings the run records back from the
// run folders (the checkpoints and the metrics.csv each terminal run writes beside them).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { damagePageOf } from './studio/test-support/damage';

const BIN = join(import.meta.dirname, '../bin/crystalline.js');
const MICRO = ['--sample', '--layers', '1', '--embd', '32', '--heads', '2', '--ctx', '16', '--batch', '4'];

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('crystalline with a damaged database', () => {
  it('refuses to record into it (exit 3, both paths named) and repair --rebuild brings the run back', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cli-damaged-'));
    const database = join(dataDir, 'studio.db');
    const args = [...MICRO, '--steps', '40', '--eval-every', '10', '--log-every', '1', '--data-dir', dataDir];
    expect(cli('train', ...args, '--json').status).toBe(0);
    damagePageOf(database, 'metrics');
    const before = sha(database);

    const train = cli('train', ...args);
    expect(train.status).toBe(3);
    expect(train.stderr).toContain(database);
    expect(train.stderr).toMatch(/studio\.damaged-[\dTZ-]+\.db/);
    expect(train.stderr).toContain('crystalline repair');
    expect(cli('runs', '--data-dir', dataDir).status).toBe(3);
    expect(sha(database)).toBe(before);

    expect(cli('repair', '--data-dir', dataDir).status).toBe(2); // neither choice given
    const repair = cli('repair', '--rebuild', '--data-dir', dataDir);
    expect(repair.status).toBe(0);
    expect(repair.stdout).toMatch(/Rebuilt 1 run\(s\) with \d+ checkpoint\(s\) and \d+ metric point\(s\)/);
    const copies = readdirSync(dataDir).filter((f) => /^studio\.damaged-.*\.db$/.test(f));
    expect(copies.map((c) => sha(join(dataDir, c)))).toContain(before);

    const runs = cli('runs', '--data-dir', dataDir, '--json');
    expect(runs.status).toBe(0);
    expect(JSON.parse(runs.stdout.trim())).toMatchObject({ id: 1, step: 40, status: 'stopped' });
    expect(cli('repair', '--fresh', '--data-dir', dataDir).stdout).toContain('is sound; nothing was changed');
  });
});
