// PyTorch runs through the studio: the RunManager supervises the ranks as it supervises a worker.
// With a fake engine program (test support, speaking the protocol): progress is recorded, pause
// and resume are acknowledged, stop ends the run as stopped, SIGKILL of one rank fails the run
// naming it and no rank is left. With torch's real program, where python3-torch is installed: a
// 2-process run completes with metrics and a checkpoint written in the studio's format.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CheckpointInfo, DatasetInfo, EventInfo, MetricSeries, RunDetail } from '../api';
import type { Studio } from './studio';
import { importCorpus, microConfig, progressReaches, runReaches } from './test-support/fixtures';
import { useStudio } from './test-support/studio-harness';

const PYTHON = '/usr/bin/python3';
const FAKE = fileURLToPath(
  new URL('../../src-worker/torch-launch/test-support/fake_torch.py', import.meta.url),
);
const REAL = fileURLToPath(new URL('../../src-worker/pytorch/cllm_torch.py', import.meta.url));
const hasPython = spawnSync(PYTHON, ['--version']).status === 0;
const torchMissing = !existsSync(REAL)
  ? `the engine program ${REAL} is not in this checkout`
  : spawnSync(PYTHON, ['-c', 'import torch, numpy']).status !== 0
    ? `${PYTHON} cannot import torch and numpy (install python3-torch)`
    : null;

// Each test opens its studio with the engine program it runs.
const harness = useStudio('pytorch-runs', { open: 'in-test' });

/** A studio that starts `program` for PyTorch runs with Debian's python3, and the corpus imported. */
async function open(program: string): Promise<{ studio: Studio; dataset: DatasetInfo }> {
  const studio = await harness.open({ torchProgram: program, shutdownGraceMs: 5_000 });
  await studio.call('settings.update', { pythonPath: PYTHON });
  return { studio, dataset: await importCorpus(studio, harness.dir) };
}

async function startPytorch(dataset: DatasetInfo, steps: number, processes: number): Promise<number> {
  const { threads: _threads, ...config } = microConfig(dataset.id, steps, {
    engine: 'pytorch',
    device: 'cpu',
    processes,
  });
  const run = (await harness.studio.call('runs.create', { config })) as RunDetail;
  await harness.studio.call('runs.start', { id: run.id });
  return run.id;
}

async function lifecycle(runId: number): Promise<EventInfo[]> {
  return (await harness.studio.call('runs.events', { id: runId, kinds: ['lifecycle'] })) as EventInfo[];
}

function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe.skipIf(!hasPython)('PyTorch runs with a fake engine program', () => {
  it('records progress; pause, resume and stop go to the ranks and are acknowledged', async () => {
    const { studio, dataset } = await open(FAKE);
    const runId = await startPytorch(dataset, 100_000, 2);
    await progressReaches(studio, runId, 5);
    expect((await lifecycle(runId)).find((e) => e.code === 'started')?.message).toContain(
      'Starting the PyTorch engine',
    );
    await studio.call('runs.pause', { id: runId });
    await runReaches(studio, runId, (r) => r.status === 'paused', 'paused');
    await studio.call('runs.resume', { id: runId });
    await runReaches(studio, runId, (r) => r.status === 'running', 'running again');
    await studio.call('runs.stop', { id: runId });
    const stopped = await runReaches(studio, runId, (r) => r.status === 'stopped', 'stopped');
    expect(stopped.step).toBeGreaterThanOrEqual(5);
    const [series] = (await studio.call('metrics.series', {
      runIds: [runId],
      keys: ['train/loss'],
      maxPoints: 100_000,
    })) as MetricSeries[];
    expect(series.points.length).toBeGreaterThanOrEqual(5);
    const codes = (await lifecycle(runId)).map((e) => e.code);
    expect(codes).toEqual(expect.arrayContaining(['started', 'ready', 'paused', 'resumed']));
  });

  it('SIGKILL of one rank fails the run with that rank named, and leaves no rank behind', async () => {
    const { studio, dataset } = await open(FAKE);
    const runId = await startPytorch(dataset, 100_000, 2);
    await progressReaches(studio, runId, 2);
    const ranks = spawnSync('pgrep', ['-f', `${FAKE} train`], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .map(Number)
      .filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(harness.dir));
    const rank1 = ranks.find((pid) =>
      readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes('RANK=1'),
    );
    expect(rank1).toBeDefined();
    process.kill(rank1 as number, 'SIGKILL');
    const failed = await runReaches(studio, runId, (r) => r.status === 'failed', 'failed');
    expect(failed.statusMessage).toContain('Rank 1 was killed by SIGKILL');
    const deadline = Date.now() + 10_000;
    while (ranks.some(running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(ranks.filter(running)).toEqual([]);
  });
});

describe('the PyTorch environment through the API', () => {
  it.skipIf(!hasPython)('engines.pytorch reports what the Settings’ interpreter finds', async () => {
    const { studio } = await open(FAKE);
    expect(await studio.call('engines.pytorch', {})).toEqual({
      available: true,
      python: PYTHON,
      summary: 'PyTorch 1.13.1 · CPU · gloo',
      devices: { cuda: [], mps: false },
    });
  });

  it('a Python interpreter that does not exist is refused, naming it', async () => {
    const studio = await harness.open();
    await expect(
      studio.call('settings.update', { pythonPath: '/nonexistent/python3' }),
    ).rejects.toMatchObject({
      code: 'invalid-input',
      problems: [
        {
          field: 'pythonPath',
          message: expect.stringContaining('there is no program "/nonexistent/python3"'),
        },
      ],
    });
    expect(((await studio.call('settings.get', {})) as { pythonPath: string }).pythonPath).not.toBe(
      '/nonexistent/python3',
    );
  });
});

describe('PyTorch runs with the real engine program', () => {
  if (torchMissing !== null) it.skip(`are skipped: ${torchMissing}`, () => undefined);
  else {
    it('a 2-process run completes with metrics and a checkpoint the studio registers', async () => {
      const { studio, dataset } = await open(REAL);
      const runId = await startPytorch(dataset, 20, 2);
      const done = await runReaches(studio, runId, (r) => r.status === 'completed', 'completed', 120_000);
      expect(done.step).toBe(20);
      const checkpoints = (await studio.call('checkpoints.list', { runId })) as CheckpointInfo[];
      expect(checkpoints.map((c) => c.step)).toContain(20);
      const verified = (await studio.call('checkpoints.verify', { id: checkpoints.at(-1)!.id })) as {
        ok: boolean;
      };
      expect(verified.ok).toBe(true);
    });

    it('pause, resume and stop reach both ranks; the stop writes a checkpoint', async () => {
      const { studio, dataset } = await open(REAL);
      const runId = await startPytorch(dataset, 100_000, 2);
      await progressReaches(studio, runId, 5, 120_000);
      await studio.call('runs.pause', { id: runId });
      await runReaches(studio, runId, (r) => r.status === 'paused', 'paused');
      await studio.call('runs.resume', { id: runId });
      await runReaches(studio, runId, (r) => r.status === 'running', 'running again');
      await studio.call('runs.stop', { id: runId });
      const stopped = await runReaches(studio, runId, (r) => r.status === 'stopped', 'stopped', 60_000);
      const checkpoints = (await studio.call('checkpoints.list', { runId })) as CheckpointInfo[];
      expect(checkpoints.map((c) => c.step)).toContain(stopped.step);
    });

    it('a builtin run continues on pytorch from its checkpoint, and its events say so', async () => {
      const { studio, dataset } = await open(REAL);
      const run = (await studio.call('runs.create', { config: microConfig(dataset.id, 20) })) as RunDetail;
      await studio.call('runs.start', { id: run.id });
      await runReaches(studio, run.id, (r) => r.status === 'completed', 'completed on builtin', 60_000);
      await studio.call('runs.resume', { id: run.id, steps: 30, engine: 'pytorch' });
      const done = await runReaches(
        studio,
        run.id,
        (r) => r.status === 'completed' && r.step === 30,
        'completed on pytorch',
        120_000,
      );
      expect(done.step).toBe(30);
      const note = (await lifecycle(run.id)).find((e) => e.code === 'engine-changed');
      expect(note?.message).toMatch(/^Continued from a builtin checkpoint on pytorch/);
      expect(((await studio.call('runs.get', { id: run.id })) as RunDetail).config?.engine).toBe('pytorch');
    });
  }
});
