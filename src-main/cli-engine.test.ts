// `crystalline train --engine …`: a setting the chosen engine lacks, an impossible machine layout
// and a missing Python are each refused in one line naming what is wrong, with exit code 2; and,
// where Debian's python3-torch is installed, a 2-process PyTorch run records metrics and a
// checkpoint in the data folder.

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { freePort } from '../src-worker/torch-launch/ranks';

const BIN = join(import.meta.dirname, '../bin/crystalline.js');
const PYTHON = '/usr/bin/python3';
const PROGRAM = join(import.meta.dirname, '../src-worker/pytorch/cllm_torch.py');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The arguments of `crystalline train` on the PyTorch engine with Debian's python3, then `flags`. */
function trainOnTorch(...flags: string[]): string[] {
  return ['train', '--engine', 'pytorch', '--python', PYTHON, ...flags];
}

/** A CLI process in the background, and its exit code once it ends. */
function background(args: string[]): {
  child: ChildProcess;
  exit: Promise<{ code: number | null; stderr: string }>;
} {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stderr })),
  );
  return { child, exit };
}

function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Why the PyTorch end-to-end test cannot run here, or null when it can. */
function torchMissing(): string | null {
  if (!existsSync(PROGRAM)) return `the engine program ${PROGRAM} is not in this checkout`;
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${PYTHON} cannot import torch and numpy (install python3-torch)`;
}

describe('crystalline train: engine flags', () => {
  const refused: [string[], RegExp][] = [
    [['--engine', 'pytorch', '--threads', '2'], /^crystalline: --threads is a setting of the builtin engine/],
    [
      ['--engine', 'pytorch', '--backend', 'ts'],
      /^crystalline: --backend is a setting of the builtin engine/,
    ],
    [['--device', 'cpu'], /^crystalline: --device is a setting of the pytorch engine/],
    [['--processes', '2'], /^crystalline: --processes is a setting of the pytorch engine/],
    [['--engine', 'pytorch', '--nnodes', '2'], /^crystalline: --nnodes 2 needs --master HOST:PORT/],
    [
      ['--engine', 'pytorch', '--nnodes', '2', '--node-rank', '2', '--master', '10.0.0.1:29500'],
      /^crystalline: --node-rank 2 is outside the run: with --nnodes 2 the machines are numbered 0 to 1/,
    ],
    [['--engine', 'pytorch', '--master', 'nope'], /--master <host:port>' argument 'nope' is invalid/],
    [
      ['--engine', 'pytorch', '--python', '/nonexistent/python3'],
      /^crystalline: PyTorch engine not found: [^\n]*\n$/,
    ],
  ];
  for (const [flags, message] of refused) {
    it(`refuses ${flags.join(' ')} with exit code 2`, () => {
      const r = cli('train', '--sample', '--steps', '2', '--no-record', ...flags);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(
        r.stderr
          .trimEnd()
          .split('\n')
          .filter((l) => !l.startsWith('(run with')),
      ).toHaveLength(1);
      expect(r.stdout).toBe('');
    });
  }
});

const missing = torchMissing();
describe('crystalline train --engine pytorch', () => {
  if (missing !== null) it.skip(`is skipped: ${missing}`, () => undefined);
  else
    it('trains 2 processes, recording metrics and a checkpoint in the data folder', () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'cli-torch-'));
      const r = cli(
        ...trainOnTorch(
          '--processes',
          '2',
          '--sample',
          '--steps',
          '20',
          '--eval-every',
          '10',
          '--log-every',
          '5',
          '--data-dir',
          dataDir,
          '--json',
        ),
      );
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.filter((l) => l.type === 'step').map((l) => l.step)).toEqual([5, 10, 15, 20]);
      expect(lines.some((l) => l.type === 'checkpoint')).toBe(true);
      expect(lines.at(-1)).toMatchObject({ done: true, reason: 'completed', step: 20 });

      const listed = cli('runs', '--data-dir', dataDir, '--json');
      const runs = listed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ status: 'completed', step: 20, origin: 'cli' });
      expect(typeof runs[0].bestValLoss).toBe('number');
    });
});

describe('crystalline train --engine pytorch across machines and after a kill', () => {
  if (missing !== null) it.skip(`is skipped: ${missing}`, () => undefined);
  else {
    it('two "machines" on 127.0.0.1 train one run together; the one with node rank 0 records it', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'cli-torch-nodes-'));
      const master = `127.0.0.1:${await freePort()}`;
      const node = (rank: number): ReturnType<typeof background> =>
        background(
          trainOnTorch(
            '--sample',
            '--steps',
            '6',
            '--log-every',
            '3',
            '--eval-every',
            '6',
            '--nnodes',
            '2',
            '--node-rank',
            String(rank),
            '--master',
            master,
            '--processes',
            '1',
            '--data-dir',
            dataDir,
            '--json',
          ),
        );
      const [zero, one] = [node(0), node(1)];
      const lines: Record<string, unknown>[] = [];
      createInterface({ input: zero.child.stdout! }).on('line', (l) => lines.push(JSON.parse(l)));
      const [a, b] = await Promise.all([zero.exit, one.exit]);
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      expect(lines.at(-1)).toMatchObject({ done: true, reason: 'completed', step: 6 });
      const runs = cli('runs', '--data-dir', dataDir, '--json').stdout.trim().split('\n');
      expect(runs).toHaveLength(1); // recorded once, by node rank 0
    });

    it('a checkpoint resumes across the engines both ways, and the CLI says so', () => {
      const out = mkdtempSync(join(tmpdir(), 'cli-torch-cross-'));
      const micro = ['--layers', '1', '--embd', '32', '--heads', '2', '--ctx', '16', '--batch', '4'];
      // Each leg resumes, into `out`, from the checkpoint the leg before wrote there.
      const resumeOn = (engine: string[], checkpoint: string, steps: string): ReturnType<typeof cli> =>
        cli(...engine, '--resume', join(out, checkpoint), '--steps', steps, '--out', out, '--no-record');
      const first = cli(...trainOnTorch('--sample', ...micro, '--steps', '10', '--out', out, '--no-record'));
      expect(first.status, first.stderr).toBe(0);
      const onBuiltin = resumeOn(['train', '--engine', 'builtin'], 'step-0000010.ckpt', '20');
      expect(onBuiltin.status, onBuiltin.stderr).toBe(0);
      expect(onBuiltin.stderr).toContain('Continued from a pytorch checkpoint on builtin.');
      const back = resumeOn(trainOnTorch(), 'step-0000020.ckpt', '30');
      expect(back.status, back.stderr).toBe(0);
      expect(back.stderr).toContain('Continued from a builtin checkpoint on pytorch.');
      expect(existsSync(join(out, 'step-0000030.ckpt'))).toBe(true);
    });

    it('a CLI killed with SIGKILL leaves no Python process behind', async () => {
      const run = background(
        trainOnTorch(
          '--processes',
          '2',
          '--sample',
          '--steps',
          '100000',
          '--log-every',
          '1',
          '--no-record',
          '--json',
        ),
      );
      const lines = createInterface({ input: run.child.stdout! });
      await new Promise<void>((resolve) => lines.once('line', () => resolve())); // training
      const ranks = spawnSync('pgrep', ['-P', String(run.child.pid)], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')
        .map(Number);
      expect(ranks).toHaveLength(2);
      run.child.kill('SIGKILL');
      const deadline = Date.now() + 60_000;
      while (ranks.some(running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(ranks.filter(running)).toEqual([]);
    });
  }
});
