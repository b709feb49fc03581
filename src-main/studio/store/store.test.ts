// The store's repositories: metric batches, downsampling that keeps every bucket's extremes (so
// spikes survive), cutting and forking history, checkpoints' best flag, a run's last throughput
// (and the migration that added it to older databases), tags and settings.

import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../../src-worker/train/events';
import { openDatabase, schemaVersion } from '../db';
import { exportMetrics } from '../export-metrics';
import { cutHistory, forkRun } from '../history';
import { MIGRATIONS } from '../migrations';
import { RunRecorder } from '../run-recorder';
import { useTempDir } from '../../../src-worker/test-support/temp-dir';
import { recordOf, recordRun } from '../test-support/store-runs';
import { runSummary, Store } from './index';
import type { RunRecord } from './index';

const dir = useTempDir('crystalline-store-');
let store: Store;

const settings = {
  maxConcurrentRuns: 1,
  defaultBackend: 'ts' as const,
  heartbeatTimeoutSeconds: 60,
  pythonPath: 'python3',
};

function newRun(name = 'r'): RunRecord {
  return recordOf(store, recordRun(store, dir.path, { name }));
}

beforeEach(() => {
  store = Store.open(join(dir.path, 'studio.db'), settings);
});
afterEach(() => {
  store.close();
});

describe('metrics', () => {
  it('returns every point when they fit, and non-finite values are kept out of charts', () => {
    const run = newRun();
    store.transaction(() =>
      store.metrics.insert(run.id, [
        { key: 'train/loss', step: 1, value: 3 },
        { key: 'train/loss', step: 2, value: NaN },
        { key: 'train/loss', step: 3, value: 2 },
      ]),
    );
    const s = store.metrics.series(run.id, 'train/loss', 100);
    expect(s).toMatchObject({ total: 2, downsampled: false });
    expect(s.points).toEqual([
      { step: 1, value: 3 },
      { step: 3, value: 2 },
    ]);
    expect(store.metrics.keys(run.id)).toEqual([{ key: 'train/loss', points: 3, firstStep: 1, lastStep: 3 }]);
  });

  it('downsamples a long series to at most the points asked for and keeps single-step spikes', () => {
    const run = newRun();
    const n = 200_000;
    const spikeUp = 123_457;
    const spikeDown = 77_777;
    const points = Array.from({ length: n }, (_, i) => {
      const step = i + 1;
      const value = step === spikeUp ? 50 : step === spikeDown ? -50 : Math.sin(step / 5000);
      return { key: 'train/loss', step, value };
    });
    const started = performance.now();
    store.transaction(() => store.metrics.insert(run.id, points));
    const inserted = performance.now();
    const s = store.metrics.series(run.id, 'train/loss', 300);
    const queried = performance.now();
    console.log(
      `metrics: ${n} points inserted in ${(inserted - started).toFixed(0)} ms, ` +
        `downsampled to ${s.points.length} in ${(queried - inserted).toFixed(0)} ms`,
    );
    expect(s.downsampled).toBe(true);
    expect(s.total).toBe(n);
    expect(s.points.length).toBeLessThanOrEqual(300);
    expect(s.points.length).toBeGreaterThan(250);
    expect(s.points).toContainEqual({ step: spikeUp, value: 50 });
    expect(s.points).toContainEqual({ step: spikeDown, value: -50 });
    expect(s.points[0].step).toBe(1);
    const steps = s.points.map((p) => p.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    // A step range narrows the query; the range is the one asked for.
    const part = store.metrics.series(run.id, 'train/loss', 1000, 1000, 1999);
    expect(part).toMatchObject({ total: 1000, downsampled: false });
    expect(part.points[0].step).toBe(1000);
    expect(part.points[999].step).toBe(1999);
  });

  it('exports a run as CSV and JSON lines, one row per step', async () => {
    const run = newRun();
    store.metrics.insert(run.id, [
      { key: 'train/loss', step: 1, value: 3.5 },
      { key: 'train/lr', step: 1, value: 0.001 },
      { key: 'train/loss', step: 2, value: Infinity },
      { key: 'val/loss', step: 2, value: 3.25 },
    ]);
    const csv = await exportMetrics(store.metrics, run.id, 'csv', null);
    expect(csv.content).toBe('step,train/loss,train/lr,val/loss\n1,3.5,0.001,\n2,,,3.25\n');
    expect(csv.rows).toBe(2);
    const jsonl = await exportMetrics(store.metrics, run.id, 'jsonl', join(dir.path, 'm.jsonl'));
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(join(dir.path, 'm.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(jsonl.rows).toBe(2);
    expect(lines).toEqual([
      { step: 1, 'train/loss': 3.5, 'train/lr': 0.001 },
      { step: 2, 'train/loss': null, 'val/loss': 3.25 },
    ]);
  });
});

describe('history', () => {
  function record(run: RunRecord, upTo: number): void {
    store.transaction(() => {
      for (let step = 1; step <= upTo; step++) {
        store.metrics.insert(run.id, [
          { key: 'train/loss', step, value: 10 - step / 100 },
          { key: 'val/loss', step, value: 11 - step / 100 },
          { key: 'perf/tokens_per_second', step, value: 1000 + step },
        ]);
        if (step % 10 === 0) {
          store.events.insert(run.id, {
            step,
            kind: 'alert',
            level: 'warning',
            code: 'explosion',
            message: `at ${step}`,
          });
          store.samples.insert(run.id, step, 'p', `text ${step}`);
          store.checkpoints.record({
            runId: run.id,
            path: join(dir.path, `ckpt-${run.id}-${step}`),
            step,
            sha256: 'x',
            bytes: 1,
            valLoss: 11 - step / 100,
            finite: true,
            trigger: 'periodic',
          });
        }
      }
      store.runs.setProgress(run.id, {
        step: upTo,
        tokensSeen: upTo * 64,
        loss: 10 - upTo / 100,
        tokensPerSecond: 1000 + upTo,
      });
    });
  }

  it('cuts everything after a step in one transaction and resets the headline numbers', () => {
    const run = newRun();
    record(run, 100);
    const stale = cutHistory(store, recordOf(store, run.id), 40, () => store.runs.enqueue(run.id, null));
    expect(stale).toHaveLength(6); // the checkpoints of steps 50 … 100
    expect(store.metrics.keys(run.id).every((k) => k.lastStep === 40)).toBe(true);
    expect(store.events.list(run.id, ['alert'], 100).map((e) => e.step)).toEqual([10, 20, 30, 40]);
    expect(store.samples.list(run.id, 100).map((s) => s.step)).toEqual([10, 20, 30, 40]);
    expect(store.checkpoints.list(run.id).map((c) => c.step)).toEqual([10, 20, 30, 40]);
    expect(store.checkpoints.list(run.id).find((c) => c.best)?.step).toBe(40);
    const after = recordOf(store, run.id);
    expect(after).toMatchObject({
      step: 40,
      tokensSeen: 40 * 64,
      status: 'queued',
      lastTrainLoss: 9.6,
      tokensPerSecond: 1040,
    });
    expect(after.bestValLoss).toBeCloseTo(10.6);
  });

  it('rolls the cut back when what follows it fails', () => {
    const run = newRun();
    record(run, 50);
    expect(() =>
      cutHistory(store, recordOf(store, run.id), 20, () => {
        throw new Error('queueing failed');
      }),
    ).toThrow('queueing failed');
    expect(store.metrics.keys(run.id).every((k) => k.lastStep === 50)).toBe(true);
    expect(store.checkpoints.list(run.id)).toHaveLength(5);
  });

  it('forks a run: the new run shares the history up to the step, the source is unchanged', () => {
    const run = newRun('source');
    record(run, 60);
    store.tags.set(run.id, ['baseline']);
    const forkId = forkRun(store, recordOf(store, run.id), 30, join(dir.path, 'runs'), () => undefined);
    const fork = recordOf(store, forkId);
    expect(fork).toMatchObject({
      name: 'source (fork at step 30)',
      parentRunId: run.id,
      forkedAtStep: 30,
      step: 30,
      tokensPerSecond: 1030,
    });
    expect(store.runs.get(run.id)?.tokensPerSecond).toBe(1060);
    expect(fork.tags).toEqual(['baseline']);
    expect(fork.dir).toBe(join(dir.path, 'runs', String(forkId)));
    expect(store.metrics.series(forkId, 'train/loss', 1000).points).toHaveLength(30);
    expect(store.metrics.series(run.id, 'train/loss', 1000).points).toHaveLength(60);
    expect(store.samples.list(forkId, 100).map((s) => s.step)).toEqual([10, 20, 30]);
  });
});

describe('runs, tags and settings', () => {
  it('filters runs by status, tag, name and origin', () => {
    const a = newRun('alpha 100%');
    const b = newRun('beta');
    store.runs.setStatus(b.id, { status: 'failed', message: 'boom' });
    store.tags.set(a.id, ['Keep', 'sweep']);
    expect(store.runs.list({ status: ['failed'] }).map((r) => r.id)).toEqual([b.id]);
    expect(store.runs.list({ tag: 'keep' }).map((r) => r.id)).toEqual([a.id]);
    expect(store.runs.list({ search: '100%' }).map((r) => r.id)).toEqual([a.id]);
    expect(store.runs.list({ search: '%' }).map((r) => r.id)).toEqual([a.id]);
    expect(store.runs.list({ origin: 'cli' })).toEqual([]);
    expect(store.runs.get(a.id)?.tags).toEqual(['Keep', 'sweep']);
    store.tags.set(a.id, ['sweep']);
    expect(store.tags.list()).toEqual([{ name: 'sweep', runs: 1 }]);
  });

  it("keeps a run's last finite throughput: a report without one leaves it as it was", () => {
    const run = newRun();
    expect(runSummary(run).tokensPerSecond).toBeNull();
    store.runs.setProgress(run.id, { step: 10, tokensSeen: 640, loss: 3, tokensPerSecond: 900 });
    store.runs.setProgress(run.id, { step: 20, tokensSeen: 1280, loss: 2.9, tokensPerSecond: null });
    expect(runSummary(recordOf(store, run.id))).toMatchObject({ step: 20, tokensPerSecond: 900 });
    store.runs.setProgress(run.id, { step: 30, tokensSeen: 1920, loss: 2.8, tokensPerSecond: Infinity });
    expect(store.runs.get(run.id)?.tokensPerSecond).toBe(900);
    store.runs.setProgress(run.id, { step: 40, tokensSeen: 2560, loss: 2.7, tokensPerSecond: 950.5 });
    expect(store.runs.get(run.id)?.tokensPerSecond).toBe(950.5);
  });

  it('stores the last finite throughput and loss of a batch of reports, which a cut reads back alike', () => {
    const run = newRun();
    const progress = (step: number, loss: number, tokensPerSecond: number): ProgressEvent => ({
      kind: 'progress',
      step,
      totalSteps: 1000,
      epoch: 0,
      percent: step / 10,
      etaSeconds: 1,
      tokensSeen: step * 64,
      tokensPerSecond,
      stepMs: 1,
      lr: 1e-3,
      loss,
      lossEma: loss,
      gradNorm: 1,
      clipped: false,
      memory: { rss: 1, heapUsed: 1, heapTotal: 1, external: 1, arrayBuffers: 1, engineBuffers: 1 },
    });
    const recorder = new RunRecorder(store, run.id);
    recorder.recordEvents([progress(10, 3, 800), progress(20, 2.9, 850), progress(30, NaN, NaN)]);
    expect(store.runs.get(run.id)).toMatchObject({ step: 30, lastTrainLoss: 2.9, tokensPerSecond: 850 });
    recorder.recordEvents([progress(40, 2.8, 900)]);
    cutHistory(store, recordOf(store, run.id), 30, () => undefined);
    expect(store.runs.get(run.id)).toMatchObject({ step: 30, lastTrainLoss: 2.9, tokensPerSecond: 850 });
  });

  it('queues runs in the order they were queued', () => {
    const a = newRun();
    const b = newRun();
    store.runs.enqueue(b.id, null);
    store.runs.enqueue(a.id, null);
    expect(store.runs.nextQueued()).toBe(b.id);
    store.runs.setStatus(b.id, { status: 'running' });
    expect(store.runs.nextQueued()).toBe(a.id);
  });

  it('keeps settings not stored at their defaults', () => {
    expect(store.settings.get()).toEqual({
      maxConcurrentRuns: 1,
      defaultBackend: 'ts',
      heartbeatTimeoutSeconds: 60,
      pythonPath: 'python3',
    });
    expect(store.settings.update({ maxConcurrentRuns: 3 })).toEqual({
      maxConcurrentRuns: 3,
      defaultBackend: 'ts',
      heartbeatTimeoutSeconds: 60,
      pythonPath: 'python3',
    });
  });
});

describe('migration 2: a run keeps its last throughput', () => {
  it('applies to a database written at schema 1: its runs are kept and take their last logged throughput', () => {
    const path = join(dir.path, 'schema-1.db');
    const old = openDatabase(path, { migrations: MIGRATIONS.slice(0, 1) });
    const insertRun = old.prepare(
      `INSERT INTO runs (name, origin, spec, dir, status, step, total_steps, tokens_seen, last_train_loss,
         created_at, updated_at)
       VALUES (?, 'cli', '{}', ?, 'completed', 30, 30, 1920, 2.5, 'then', 'then')`,
    );
    const logged = Number(insertRun.run('before the upgrade', '/runs/1').lastInsertRowid);
    const silent = Number(insertRun.run('never logged throughput', '/runs/2').lastInsertRowid);
    const series = Number(
      old.prepare(`INSERT INTO metric_series (run_id, key) VALUES (?, 'perf/tokens_per_second')`).run(logged)
        .lastInsertRowid,
    );
    const point = old.prepare('INSERT INTO metrics (series_id, step, value) VALUES (?, ?, ?)');
    point.run(series, 10, 900);
    point.run(series, 20, 1100);
    point.run(series, 30, null); // not finite: the one before it counts
    old.close();

    const upgraded = Store.open(path, settings);
    try {
      expect(schemaVersion(upgraded.db)).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
      expect(upgraded.db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(upgraded.runs.get(logged)).toMatchObject({
        name: 'before the upgrade',
        status: 'completed',
        step: 30,
        tokensSeen: 1920,
        lastTrainLoss: 2.5,
        tokensPerSecond: 1100,
      });
      expect(upgraded.runs.get(silent)?.tokensPerSecond).toBeNull();
      upgraded.runs.setProgress(silent, { step: 30, tokensSeen: 1920, loss: 2.5, tokensPerSecond: 1200 });
      expect(upgraded.runs.get(silent)?.tokensPerSecond).toBe(1200);
    } finally {
      upgraded.close();
    }
  });
});
