// A damaged database is noticed before anything writes to it, is left byte for byte as it was,
// is copied aside, and is named with its copy; the ways back (a fresh database, or the run records
// rebuilt from the run folders) leave the copy in place. Damage is real: pages are overwritten.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { writeCheckpoint } from '../../../src-worker/checkpoint/write';
import {
  sampleHeader,
  sampleTensors,
  SMALL_SHAPES,
} from '../../../src-worker/checkpoint/test-support/sample';
import { thrownBy } from '../../../src-worker/test-support/caught';
import { useTempDir } from '../../../src-worker/test-support/temp-dir';
import { dataDirLayout, ensureDataDir } from '../data-dir';
import { openDatabase } from '../db';
import { damagePageOf as damage } from '../test-support/damage';
import { MICRO_SPEC, recordRun } from '../test-support/store-runs';
import { defaultSettings, Store } from './index';
import { DamagedDatabaseError, inspectDatabase } from './integrity';
import { recoverDatabase } from './recovery';

const settings = defaultSettings(2);

const dir = useTempDir('crystalline-integrity-');
let dbPath: string;
beforeEach(() => {
  dbPath = ensureDataDir(dir.path).database;
});

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A database with one run and `points` metric points per key, checkpointed into the main file. */
function historyDb(points: number): void {
  const store = Store.open(dbPath, settings);
  const runId = recordRun(store, dir.path, { totalSteps: points });
  store.transaction(() => {
    for (let step = 0; step < points; step++) {
      store.metrics.insert(runId, [
        { key: 'train/loss', step, value: 4 - step / points },
        { key: 'train/lr', step, value: 1e-3 },
      ]);
    }
  });
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
}

const damagePageOf = (table: string): number => damage(dbPath, table);

/** The damage a database open is refused with. */
const damageOf = (open: () => unknown): DamagedDatabaseError => thrownBy(open, DamagedDatabaseError);

describe('a damaged database', () => {
  it('with one damaged metrics page is refused at open, left untouched, copied aside and named', () => {
    historyDb(3000);
    damagePageOf('metrics');
    const before = sha(dbPath);
    const err = damageOf(() => openDatabase(dbPath));
    expect(err.damage.kind).toBe('corrupt');
    expect(sha(dbPath)).toBe(before); // nothing was written, not even a WAL header
    expect(existsSync(`${dbPath}-wal`) ? statSync(`${dbPath}-wal`).size : 0).toBe(0);
    expect(err.damage.copies).toHaveLength(1);
    expect(sha(err.damage.copies[0])).toBe(before);
    expect(err.message).toContain(dbPath);
    expect(err.message).toContain(err.damage.copies[0]);
    expect(err.message).toMatch(/fresh database.*rebuild/);
  });

  it('above the size bound, metric pages are left to the check after an error, other tables still checked', () => {
    historyDb(3000);
    damagePageOf('metrics');
    // Above the bound the metric points are left to the check after an error…
    expect(inspectDatabase(dbPath, { fullCheckMaxBytes: 1 })).toBeNull();
    expect(inspectDatabase(dbPath)?.kind).toBe('corrupt');
    damagePageOf('runs');
    expect(inspectDatabase(dbPath, { fullCheckMaxBytes: 1 })?.kind).toBe('corrupt');
  });

  it('that is empty (0 bytes) is not replaced by a new one', () => {
    writeFileSync(dbPath, '');
    const err = damageOf(() => openDatabase(dbPath));
    expect(err.damage.kind).toBe('empty-file');
    expect(statSync(dbPath).size).toBe(0);
    expect(existsSync(err.damage.copies[0])).toBe(true);
  });

  it('with a stray -wal beside no database is not overwritten by a fresh one', () => {
    const wal = `${dbPath}-wal`;
    writeFileSync(wal, Buffer.alloc(4096, 7));
    const err = damageOf(() => openDatabase(dbPath));
    expect(err.damage.kind).toBe('stray-wal');
    expect(existsSync(dbPath)).toBe(false);
    expect(readFileSync(wal)).toEqual(Buffer.alloc(4096, 7));
    expect(err.damage.copies.some((c) => c.endsWith('-wal'))).toBe(true);
  });

  it('that is not SQLite at all is refused with its path', () => {
    writeFileSync(dbPath, 'this is a text file, not a database\n'.repeat(200));
    const err = damageOf(() => openDatabase(dbPath));
    expect(err.damage.kind).toBe('not-a-database');
    expect(err.message).toContain(dbPath);
  });
});

describe('the ways back', () => {
  it('a fresh database takes the damaged one’s place and its copy stays', async () => {
    historyDb(3000);
    damagePageOf('metrics');
    const err = damageOf(() => openDatabase(dbPath));
    const copy = err.damage.copies[0];
    const kept = sha(copy);
    const { store, report } = await recoverDatabase(dataDirLayout(dir.path), err.damage, 'fresh', settings);
    expect(store.runs.list({})).toEqual([]);
    store.close();
    expect(report.kept).toEqual([copy]);
    expect(sha(copy)).toBe(kept);
    expect(inspectDatabase(dbPath)).toBeNull();
  });

  it('rebuild registers each run folder’s verified checkpoints and metrics.csv under its own id', async () => {
    const runDir = join(dir.path, 'runs', '7');
    const ckptDir = join(runDir, 'checkpoints');
    mkdirSync(ckptDir, { recursive: true });
    for (const step of [10, 20]) {
      const header = {
        ...sampleHeader(step),
        trainConfig: { spec: { ...MICRO_SPEC }, corpusSha256: 'c0ffee', runId: 'run-7' },
        metrics: { valLoss: 3 - step / 100, finite: true },
      };
      await writeCheckpoint(
        join(ckptDir, `step-${String(step).padStart(7, '0')}.ckpt`),
        header,
        sampleTensors(step, SMALL_SHAPES),
      );
    }
    writeFileSync(join(ckptDir, 'step-0000030.ckpt'), 'torn'); // a damaged newest checkpoint
    writeFileSync(
      join(ckptDir, 'metrics.csv'),
      'step,kind,train_loss,val_loss,perplexity,accuracy,lr,grad_norm,tokens_per_s\n' +
        '5,train,3.5,,,,0.001,0.9,1000\n10,eval,,2.9,18.2,0.3,,,\n',
    );
    writeFileSync(dbPath, 'not a database'.repeat(100));
    const err = damageOf(() => openDatabase(dbPath));
    const { store, report } = await recoverDatabase(dataDirLayout(dir.path), err.damage, 'rebuild', settings);
    try {
      expect(report).toMatchObject({ runs: 1, checkpoints: 2, metricPoints: 7 });
      expect(report.skipped.join('\n')).toContain('step-0000030.ckpt');
      const run = store.runs.get(7);
      expect(run).toMatchObject({ dir: runDir, step: 20, status: 'stopped' });
      expect(store.checkpoints.list(7).map((c) => c.step)).toEqual([10, 20]);
      expect(store.metrics.series(7, 'val/loss', 100).points).toEqual([{ step: 10, value: 2.9 }]);
      // The next new run gets a number no folder holds.
      const next = store.runs.insert({
        ...run!,
        name: 'n',
        dir: join(dir.path, 'runs', '{id}'),
        config: null,
        parentRunId: null,
        forkedAtStep: null,
      });
      expect(next).toBe(8);
    } finally {
      store.close();
    }
  });
});
