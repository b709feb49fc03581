// Terminal runs are studio runs in every sense, tested with a real `crystalline train` process
// beside an open studio: the run appears and updates live, Pause / Resume / Stop from the studio
// reach it between steps, and a run whose process is killed is never called running again.

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunSummary, StudioEvent } from '../api';
import { nextEvent, runReaches } from './test-support/fixtures';
import { useStudio } from './test-support/studio-harness';

const BIN = resolve('bin/crystalline.js');
const MICRO = ['--sample', '--layers', '1', '--embd', '32', '--heads', '2', '--ctx', '16', '--batch', '4'];

interface TerminalRun {
  child: ChildProcess;
  /** The JSON lines it printed, each with the time it arrived. */
  lines: { at: number; line: Record<string, unknown> }[];
  exited: Promise<number | null>;
  /** Resolves with the first line that matches (one already printed counts). */
  line(match: (line: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
}

// A test opens the studio where it wants one beside its terminal runs.
const harness = useStudio('terminal-runs', { dataDir: 'data', open: 'in-test' });
const children: ChildProcess[] = [];

// Registered after the harness, so it runs first: no process is left training when the studio closes.
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** `crystalline train --data-dir D --json`, as a person would start it in a terminal. */
function terminalRun(dataDir: string, steps: number): TerminalRun {
  const child = spawn(
    process.execPath,
    [BIN, 'train', ...MICRO, '--steps', String(steps), '--threads', '1', '--log-every', '5'].concat([
      '--data-dir',
      dataDir,
      '--json',
    ]),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  const lines: TerminalRun['lines'] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    lines.push({ at: Date.now(), line: JSON.parse(text) as Record<string, unknown> });
    for (const w of waiters.splice(0)) w();
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return {
    child,
    lines,
    exited,
    line(match, what) {
      return new Promise((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`no line ${what}; stderr: ${stderr}`)), 60_000);
        const check = (): void => {
          const found = lines.find((l) => match(l.line));
          if (found !== undefined) {
            clearTimeout(timer);
            done(found.line);
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

function listRuns(dataDir: string): RunSummary[] {
  const r = spawnSync(process.execPath, [BIN, 'runs', '--data-dir', dataDir, '--json'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as RunSummary);
}

const isStep =
  (atLeast = 0) =>
  (l: Record<string, unknown>): boolean =>
    l.type === 'step' && (l.step as number) >= atLeast;

describe('a terminal run beside an open studio', () => {
  it('appears and updates live, and obeys Pause, Resume and Stop from the studio', async () => {
    const { dataDir } = harness;
    const s = await harness.open();
    const updates: { at: number; step: number }[] = [];
    s.subscribe((e) => {
      if (e.type === 'run-update' && e.update.progress !== null)
        updates.push({ at: Date.now(), step: e.update.progress.step });
    });
    const appeared = nextEvent(
      s,
      (e): e is Extract<StudioEvent, { type: 'run-changed' }> =>
        e.type === 'run-changed' && e.run.origin === 'cli',
      60_000,
      'the terminal run in the list',
    );
    const run = terminalRun(dataDir, 1_000_000);
    const runId = (await appeared).run.id;

    // Live: progress events arrive while the terminal trains, for the steps it printed.
    await run.line(isStep(200), 'at step 200');
    await new Promise((r) => setTimeout(r, 2000));
    const live = updates.filter((u) => u.step >= 5);
    expect(live.length).toBeGreaterThan(0);
    const printedAt = new Map(run.lines.filter((l) => isStep()(l.line)).map((l) => [l.line.step, l.at]));
    const delays = live.filter((u) => printedAt.has(u.step)).map((u) => u.at - (printedAt.get(u.step) ?? 0));
    expect(delays.length).toBeGreaterThan(0);
    console.info(
      `terminal step → studio event: median ${delays.sort((a, b) => a - b)[delays.length >> 1]} ms, ` +
        `max ${Math.max(...delays)} ms over ${delays.length} steps`,
    );
    const detail = (await s.call('runs.get', { id: runId })) as { progress: { step: number } | null };
    expect(detail.progress?.step).toBeGreaterThan(0);

    // Pause: the terminal stops between steps with a checkpoint; the run says paused.
    const paused = (await s.call('runs.pause', { id: runId })) as RunSummary;
    expect(paused.status).toBe('paused');
    const pauseLine = await run.line((l) => l.type === 'state' && l.state === 'paused', 'paused');
    const pausedAt = pauseLine.step as number;
    expect(paused.step).toBe(pausedAt);
    await new Promise((r) => setTimeout(r, 800));
    expect(run.lines.some((l) => isStep(pausedAt + 1)(l.line))).toBe(false);
    const checkpoints = (await s.call('checkpoints.list', { runId })) as { step: number }[];
    expect(checkpoints.map((c) => c.step)).toContain(pausedAt);

    // Resume: it trains on from there.
    const resumed = (await s.call('runs.resume', { id: runId })) as RunSummary;
    expect(resumed.status).toBe('running');
    await run.line(isStep(pausedAt + 20), 'after the resume');

    // Stop: a final checkpoint, the process ends, the run is stopped (never left running).
    const listed = runReaches(s, runId, (r) => r.status === 'stopped', 'stopped in the list');
    const stopped = (await s.call('runs.stop', { id: runId })) as RunSummary;
    expect(stopped.status).toBe('stopped');
    expect(await run.exited).toBe(0);
    const done = await run.line((l) => l.done === true, 'the final line');
    expect(done.reason).toBe('stopped');
    expect(stopped.step).toBe(done.step);
    expect((await listed).step).toBe(done.step); // the list hears of the end, too
  });

  it('is interrupted, never running, once its process is killed', async () => {
    const { dataDir } = harness;
    // Without a studio: `crystalline runs` right after kill -9.
    const first = terminalRun(dataDir, 1_000_000);
    await first.line(isStep(50), 'at step 50');
    await runsShow(dataDir, (r) => r.status === 'running' && r.step > 0);
    first.child.kill('SIGKILL');
    await first.exited;
    const [listed] = listRuns(dataDir);
    expect(listed.status).toBe('interrupted');
    expect(listed.statusMessage).toMatch(/ended unexpectedly/);

    // With a studio open: the run it shows live becomes interrupted by itself.
    const studio = await harness.open();
    expect(((await studio.call('runs.get', { id: listed.id })) as RunSummary).status).toBe('interrupted');
    const second = terminalRun(dataDir, 1_000_000);
    await second.line(isStep(50), 'at step 50');
    const secondId = listRuns(dataDir).find((r) => r.id !== listed.id)?.id as number;
    await runReaches(studio, secondId, (r) => r.status === 'running', 'running');
    second.child.kill('SIGKILL');
    await second.exited;
    const after = await runReaches(
      studio,
      secondId,
      (r) => r.status === 'interrupted',
      'interrupted',
      10_000,
    );
    expect(after.stopReason).toBe('crashed');
  });
});

/** Polls `crystalline runs` until its one run satisfies `ok`. */
async function runsShow(dataDir: string, ok: (run: RunSummary) => boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const [run] = listRuns(dataDir);
    if (run !== undefined && ok(run)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the run never showed as expected in `crystalline runs`');
}
