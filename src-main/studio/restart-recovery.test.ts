// Restart recovery: a child process running the service is SIGKILLed mid-training. A new service
// on the same data folder finds the database sound, marks the run interrupted, has every
// checkpoint file on disk in its table (none lost, none phantom), and resumes the run from them.

import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { CheckpointInfo, EventInfo, RunSummary } from '../api';
import { checkpointDirOf } from './data-dir';
import type { Studio } from './studio';
import type { ChildPlan } from './test-support/studio-child';
import {
  importCorpus,
  microConfig,
  progressReaches,
  runReaches,
  STUDIO_CHILD,
  WORKER_SCRIPT,
} from './test-support/fixtures';
import { useStudio } from './test-support/studio-harness';

// Each test opens studios on the same data folder in turn, as the app does across restarts.
const harness = useStudio('restart', { dataDir: 'data', open: 'in-test' });

/** Runs the service in a child process until it has written `checkpoints` checkpoints, then kills it. */
async function trainInChildAndKill(
  plan: ChildPlan,
  checkpoints: number,
): Promise<{ runId: number; seen: string[] }> {
  const child = spawn(process.execPath, [STUDIO_CHILD, JSON.stringify(plan)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  let runId = -1;
  const seen: string[] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    const message = JSON.parse(line) as { runId?: number; checkpoint?: string };
    if (message.runId !== undefined) runId = message.runId;
    if (message.checkpoint !== undefined) seen.push(message.checkpoint);
    if (seen.length >= checkpoints) break;
  }
  expect(seen.length, `the child wrote too few checkpoints; its stderr: ${stderr}`).toBeGreaterThanOrEqual(
    checkpoints,
  );
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return { runId, seen };
}

/** Opens a studio, imports the corpus and starts a run too long to finish; resolves once it is at `step`. */
async function startLongRun(step: number): Promise<{ studio: Studio; run: RunSummary }> {
  const studio = await harness.open();
  const dataset = await importCorpus(studio, harness.dir);
  const run = (await studio.call('runs.create', {
    config: microConfig(dataset.id, 1_000_000),
  })) as RunSummary;
  await studio.call('runs.start', { id: run.id });
  await progressReaches(studio, run.id, step);
  return { studio, run };
}

describe('restart recovery', () => {
  it('survives a SIGKILL mid-training: sound database, run interrupted, no checkpoint lost, resumable', async () => {
    const { dataDir } = harness;
    const setup = await harness.open();
    const dataset = await importCorpus(setup, harness.dir);
    await setup.close();

    const config = microConfig(dataset.id, 1_000_000, {
      checkpoints: { every: 10, onBest: false, keepLast: 3, keepBest: false, keepEvery: 0 },
    });
    const { runId, seen } = await trainInChildAndKill(
      { dataDir, workerScript: WORKER_SCRIPT, datasetId: dataset.id, config },
      4,
    );

    // The database file, as the killed process left it.
    const raw = new Database(join(dataDir, 'studio.db'));
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(raw.pragma('foreign_key_check')).toEqual([]);
    raw.close();

    const studio = await harness.open();
    const run = (await studio.call('runs.get', { id: runId })) as RunSummary;
    expect(run).toMatchObject({ status: 'interrupted', stopReason: 'crashed' });
    expect(run.statusMessage).toMatch(/Interrupted at step \d+.*last checkpoint, at step \d+/);

    // Every checkpoint file on disk is in the table, and every row has its file.
    const folder = checkpointDirOf(join(studio.layout.runs, String(runId)));
    const onDisk = readdirSync(folder)
      .filter((n) => /^step-\d+\.ckpt$/.test(n))
      .map((n) => join(folder, n))
      .sort();
    const rows = (await studio.call('checkpoints.list', { runId })) as CheckpointInfo[];
    expect(rows.map((c) => c.path).sort()).toEqual(onDisk);
    expect(onDisk.length).toBeGreaterThanOrEqual(3);
    // Nothing the child reported as written is newer than what survived (retention went on pruning).
    const reported = seen.map((p) => Number(/step-(\d+)/.exec(p)?.[1]));
    expect(Math.max(...rows.map((c) => c.step))).toBeGreaterThanOrEqual(Math.max(...reported));

    const newest = rows[rows.length - 1];
    await studio.call('runs.resume', { id: runId, steps: newest.step + 20 });
    const done = await runReaches(studio, runId, (r) => r.status === 'completed', 'completed');
    expect(done.step).toBe(newest.step + 20);
    const events = (await studio.call('runs.events', { id: runId, kinds: ['lifecycle'] })) as EventInfo[];
    // Steps logged after the newest checkpoint (and the interruption notice with them) were cut.
    const codes = events.map((e) => e.code);
    expect(codes).toEqual(expect.arrayContaining(['resumed', 'completed']));
    expect(codes).toContain(run.step > newest.step ? 'history-cut' : 'interrupted');
  });

  it('brings a paused run back paused after the app closes, and resumes it where it paused', async () => {
    const { studio: first, run } = await startLongRun(20);
    const paused = (await first.call('runs.pause', { id: run.id })) as RunSummary;
    await first.close();

    const studio = await harness.open();
    const back = (await studio.call('runs.get', { id: run.id })) as RunSummary;
    expect(back).toMatchObject({ status: 'paused', step: paused.step });
    await studio.call('runs.resume', { id: run.id, steps: paused.step + 15 });
    const done = await runReaches(studio, run.id, (r) => r.status === 'completed', 'completed');
    expect(done.step).toBe(paused.step + 15);
    const events = (await studio.call('runs.events', { id: run.id, kinds: ['lifecycle'] })) as EventInfo[];
    expect(events.some((e) => e.code === 'history-cut')).toBe(false); // nothing was recorded past the pause
    expect(events.find((e) => e.code === 'resumed' && e.step === paused.step)).toBeDefined();
  });

  it('stops a training run with a checkpoint when the app closes, and brings it back interrupted', async () => {
    const { studio: first, run } = await startLongRun(10);
    await first.close();

    const studio = await harness.open();
    const back = (await studio.call('runs.get', { id: run.id })) as RunSummary;
    expect(back).toMatchObject({ status: 'interrupted', stopReason: 'shutdown' });
    const rows = (await studio.call('checkpoints.list', { runId: run.id })) as CheckpointInfo[];
    expect(rows[rows.length - 1].step).toBe(back.step); // the checkpoint written on the way out
  });
});
