// Supervision of training workers: one that throws fails its run with the error and its stack; one
// that exits mid-run fails it with the exit code, keeps the checkpoints written so far, and the run
// resumes from them; one that stops heartbeating is marked hung and terminated.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CheckpointInfo, EventInfo, RunDetail, RunSummary } from '../api';
import { importCorpus, microConfig, runReaches, WORKER_SCRIPT } from './test-support/fixtures';
import { useStudio } from './test-support/studio-harness';

// Each test opens its studios with the worker script it supervises.
const harness = useStudio('supervision', { dataDir: 'data', open: 'in-test' });

/** A worker script that runs the real engine worker, then misbehaves after `afterMs`. */
function faultyWorker(name: string, afterMs: number, fault: string): string {
  const path = join(harness.dir, `${name}.mjs`);
  writeFileSync(
    path,
    `import ${JSON.stringify(pathToFileURL(WORKER_SCRIPT).href)};\nsetTimeout(() => { ${fault} }, ${afterMs});\n`,
  );
  return path;
}

describe('supervision', () => {
  it('fails a run whose worker throws, with the error and its stack', async () => {
    const studio = await harness.open();
    const d = await importCorpus(studio, harness.dir);
    const run = (await studio.call('runs.create', { config: microConfig(d.id, 50) })) as RunDetail;
    // The corpus disappears before the worker reads it: preparing the run throws.
    rmSync(join(studio.store.datasets.get(d.id)?.dir as string, 'corpus.txt'));
    await studio.call('runs.start', { id: run.id });
    const failed = await runReaches(studio, run.id, (r) => r.status === 'failed', 'failed');
    expect(failed.stopReason).toBe('error');
    expect(failed.statusMessage).toMatch(/There is no file or folder at .*corpus\.txt/);
    const detail = (await studio.call('runs.get', { id: run.id })) as RunDetail;
    expect(detail.errorStack).toMatch(/CorpusError/);
  });

  it('fails a run whose worker exits mid-training, keeps its checkpoints, and resumes it from them', async () => {
    const crashing = await harness.open({ workerScript: faultyWorker('crash', 700, 'process.exit(7);') });
    const d = await importCorpus(crashing, harness.dir);
    const config = microConfig(d.id, 100_000, {
      checkpoints: { every: 10, onBest: false, keepLast: 3, keepBest: false, keepEvery: 0 },
    });
    const run = (await crashing.call('runs.create', { config })) as RunDetail;
    await crashing.call('runs.start', { id: run.id });
    const failed = await runReaches(crashing, run.id, (r) => r.status === 'failed', 'failed');
    expect(failed).toMatchObject({ stopReason: 'crashed' });
    expect(failed.statusMessage).toMatch(/exited unexpectedly \(exit code 7\) at step \d+/);
    const kept = (await crashing.call('checkpoints.list', { runId: run.id })) as CheckpointInfo[];
    expect(kept.length).toBeGreaterThan(0);
    await crashing.close();

    // The same data folder with a sound worker: the run continues from its newest checkpoint.
    const studio = await harness.open();
    const newest = kept[kept.length - 1];
    await studio.call('runs.resume', { id: run.id, steps: newest.step + 30 });
    const done = await runReaches(studio, run.id, (r) => r.status === 'completed', 'completed');
    expect(done.step).toBe(newest.step + 30);
    const events = (await studio.call('runs.events', { id: run.id, kinds: ['lifecycle'] })) as EventInfo[];
    expect(events.find((e) => e.code === 'resumed')?.step).toBe(newest.step);
  });

  it('marks a worker that stops heartbeating as hung and terminates it', async () => {
    const studio = await harness.open({
      workerScript: faultyWorker('hang', 500, 'for (;;) {}'),
      heartbeatTimeoutMs: 800,
    });
    const d = await importCorpus(studio, harness.dir);
    const run = (await studio.call('runs.create', { config: microConfig(d.id, 100_000) })) as RunDetail;
    await studio.call('runs.start', { id: run.id });
    const hung = await runReaches(studio, run.id, (r) => r.status === 'failed', 'failed');
    expect(hung.stopReason).toBe('hung');
    expect(hung.statusMessage).toMatch(
      /stopped responding at step \d+: no heartbeat for [\d.]+ s \(the limit is 0\.8 s\)/,
    );
    // Terminated: the slot is free again, so another run starts.
    const next = (await studio.call('runs.create', {
      config: { ...microConfig(d.id, 10), name: 'next' },
    })) as RunSummary;
    await studio.call('settings.update', { maxConcurrentRuns: 1 });
    await studio.call('runs.start', { id: next.id });
    await runReaches(studio, next.id, (r) => r.status === 'running' || r.status === 'failed', 'started');
  });
});
