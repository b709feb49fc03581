// The launcher with a fake engine program that speaks the protocol (test-support/fake_torch.py):
// events arrive as WorkerEvents (null read as NaN), pause/resume are acknowledged, stop ends every
// rank, one rank that dies or fails ends the others with its stderr in the message, a rank deaf to
// stop and SIGTERM is killed, and a parent killed with SIGKILL leaves no rank behind.

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WorkerEvent } from '../protocol';
import { bundleForNode } from '../test-support/bundle';
import { useTempDir } from '../test-support/temp-dir';
import type { ProgressEvent } from '../train/events';
import { TorchRanks } from './ranks';
import type { RanksExit } from './ranks';

const PYTHON = '/usr/bin/python3';
const FAKE = fileURLToPath(new URL('./test-support/fake_torch.py', import.meta.url));
const hasPython = spawnSync(PYTHON, ['--version']).status === 0;

const dir = useTempDir('torch-ranks-', 'file');
let jobPath: string;
beforeAll(() => {
  jobPath = join(dir.path, 'job.json');
  writeFileSync(
    jobPath,
    JSON.stringify({
      train: { steps: 100_000 },
      modelConfig: { vocabSize: 65 },
      corpus: { characters: 1 },
      resumeFrom: null,
    }),
  );
});

/** Whether a process with this id is alive (a zombie waiting to be reaped counts as gone). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Started {
  ranks: TorchRanks;
  events: WorkerEvent[];
  exit: Promise<RanksExit>;
}

async function start(processes: number, mode = '', job = jobPath): Promise<Started> {
  const events: WorkerEvent[] = [];
  process.env.FAKE_TORCH = mode;
  const ranks = await TorchRanks.start({
    python: PYTHON,
    program: FAKE,
    jobPath: job,
    processes,
    nnodes: 1,
    nodeRank: 0,
    master: null,
    threadsPerRank: 1,
    killGraceMs: 500,
    onEvent: (e) => events.push(e),
    onExit: () => undefined,
  });
  delete process.env.FAKE_TORCH;
  return { ranks, events, exit: ranks.exited };
}

const progressSteps = (events: WorkerEvent[]): ProgressEvent[] =>
  events.flatMap((e) =>
    e.type === 'training-events' ? e.events.filter((x): x is ProgressEvent => x.kind === 'progress') : [],
  );

describe.skipIf(!hasPython)('TorchRanks with a fake engine program', () => {
  it('trains to the end: events as WorkerEvents, null read back as NaN, every rank gone', async () => {
    const short = join(dir.path, 'short.json');
    writeFileSync(
      short,
      JSON.stringify({ train: { steps: 5 }, modelConfig: { vocabSize: 65 }, corpus: {}, resumeFrom: null }),
    );
    const { ranks, events, exit } = await start(2, '', short);
    const pids = ranks.pids;
    expect(pids).toHaveLength(2);
    expect(await exit).toEqual({ code: 0, failedRank: null, failure: null });
    expect(events.map((e) => e.type)).toContain('started');
    const steps = progressSteps(events);
    expect(steps.map((p) => p.step)).toEqual([1, 2, 3, 4, 5]);
    expect(steps[0].etaSeconds).toBeNaN();
    const done = events.find((e) => e.type === 'stopped');
    expect(done?.type === 'stopped' && done.done.valLoss).toBeNaN();
    await until(() => pids.every((p) => !running(p)));
  });

  it('pause and resume are acknowledged; stop ends both ranks with a stopped event', async () => {
    const { ranks, events } = await start(2);
    await until(() => progressSteps(events).length > 2);
    const pause = ranks.send({ type: 'pause' });
    await until(() => events.some((e) => e.type === 'state' && e.acks.includes(pause)));
    const pausedAt = progressSteps(events).length;
    await new Promise((r) => setTimeout(r, 200));
    expect(progressSteps(events).length).toBe(pausedAt); // no step while paused
    const resume = ranks.send({ type: 'resume' });
    await until(() =>
      events.some((e) => e.type === 'state' && e.state === 'running' && e.acks.includes(resume)),
    );
    await until(() => progressSteps(events).length > pausedAt);
    const pids = ranks.pids;
    expect(await ranks.shutdown(5_000)).toEqual({ code: 0, failedRank: null, failure: null });
    const stopped = events.find((e) => e.type === 'stopped');
    expect(stopped?.type === 'stopped' && stopped.done.reason).toBe('stopped');
    await until(() => pids.every((p) => !running(p)));
  });

  it('SIGKILL of one rank fails the run naming that rank and ends the other', async () => {
    const { ranks, events, exit } = await start(3);
    await until(() => progressSteps(events).length > 0);
    const pids = ranks.pids;
    process.kill(pids[1], 'SIGKILL');
    const result = await exit;
    expect(result.failedRank).toBe(1);
    expect(result.failure).toMatch(/^Rank 1 was killed by SIGKILL/);
    await until(() => pids.every((p) => !running(p)));
  });

  it("a rank that fails ends the others, and the failure carries that rank's stderr", async () => {
    const { ranks, exit } = await start(2, 'crash-rank-1');
    const pids = ranks.pids;
    const result = await exit;
    expect(result.failedRank).toBe(1);
    expect(result.failure).toContain('Rank 1 exited with code 1');
    expect(result.failure).toContain('RuntimeError: a fake failure on rank 1');
    await until(() => pids.every((p) => !running(p)));
  });

  it('ranks deaf to stop and SIGTERM are killed after the grace times', async () => {
    const { ranks, events } = await start(2, 'stubborn');
    await until(() => progressSteps(events).length > 0);
    const pids = ranks.pids;
    const t0 = Date.now();
    const result = await ranks.shutdown(300);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300 + 500);
    expect(result.code).toBeNull(); // killed by a signal
    expect(result.failedRank).toBeNull(); // the studio ended it: not a failure
    await until(() => pids.every((p) => !running(p)));
  });

  it('a parent killed with SIGKILL leaves no Python process behind', async () => {
    const parentJs = join(dir.path, 'ranks-parent.mjs');
    await bundleForNode(new URL('./test-support/ranks-parent.ts', import.meta.url), parentJs);
    const parent = spawn(process.execPath, [parentJs, PYTHON, FAKE, jobPath, '2'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: parent.stdout });
    const first = await new Promise<string>((resolve) => lines.once('line', resolve));
    const { pids } = JSON.parse(first) as { pids: number[] };
    expect(pids.every(running)).toBe(true);
    parent.kill('SIGKILL');
    await until(() => pids.filter(running).length === 0);
    expect(pids.filter(running)).toHaveLength(0);
  });
});
