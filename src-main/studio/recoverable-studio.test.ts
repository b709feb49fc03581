// The service with a damaged database: found at open, or by a fault while in use, it answers every
// call with 'store-damaged' and what happened, writes nothing more, keeps a copy, and comes back on
// a fresh or rebuilt database when the person chooses one through store.recover.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useTempDir } from '../../src-worker/test-support/temp-dir';
import type { StoreStatus } from '../api';
import { dataDirLayout, ensureDataDir } from './data-dir';
import { RecoverableStudio } from './recoverable-studio';
import { defaultSettings, Store } from './store';
import { damagePageOf } from './test-support/damage';
import { WORKER_SCRIPT } from './test-support/fixtures';
import { recordRun } from './test-support/store-runs';
import { refusal } from './test-support/studio-harness';

const dir = useTempDir('crystalline-recoverable-');
let studio: RecoverableStudio | null = null;
beforeEach(() => {
  ensureDataDir(dir.path);
});
afterEach(async () => {
  await studio?.close();
  studio = null;
});

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const open = async (): Promise<RecoverableStudio> =>
  (studio = await RecoverableStudio.open({ dataDir: dir.path, workerScript: WORKER_SCRIPT, cores: 2 }));

/** A run with 43 points in each of many series, written to the main file. */
function history(): number {
  const store = Store.open(dataDirLayout(dir.path).database, defaultSettings(2));
  const runId = recordRun(store, dir.path, { origin: 'cli', totalSteps: 43 });
  store.transaction(() => {
    for (let k = 0; k < 60; k++)
      for (let step = 0; step < 43; step++)
        store.metrics.insert(runId, [{ key: `k/${k}`, step, value: step }]);
  });
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  return runId;
}

describe('RecoverableStudio', () => {
  it('opens on a damaged database in the damaged state and comes back on a fresh one by choice', async () => {
    history();
    const database = dataDirLayout(dir.path).database;
    damagePageOf(database, 'metrics');
    const before = sha(database);
    const s = await open();
    const err = await refusal(s.call('runs.list', {}));
    expect(err.code).toBe('store-damaged');
    expect(err.message).toContain(database);
    const status = (await s.call('store.status', {})) as StoreStatus;
    expect(status.damage).toMatchObject({ kind: 'corrupt', path: database });
    expect(sha(database)).toBe(before);
    expect(sha(status.damage!.copies[0])).toBe(before);
    expect((await refusal(s.call('store.recover', { action: 'mend' }))).code).toBe('invalid-input');
    const report = await s.call('store.recover', { action: 'fresh' });
    expect(report).toMatchObject({ action: 'fresh', kept: status.damage!.copies });
    expect(await s.call('runs.list', {})).toEqual([]);
    expect(await s.call('store.status', {})).toEqual({ damage: null });
    expect(existsSync(status.damage!.copies[0])).toBe(true);
  });

  it('notices a page damaged while it runs: the call that read it fails, then nothing more is written', async () => {
    const runId = history();
    const database = dataDirLayout(dir.path).database;
    const s = await open();
    expect(s.damaged).toBeNull();
    damagePageOf(database, 'metrics'); // under the open studio, a page it has not read yet
    expect((await refusal(s.call('metrics.keys', { runId }))).code).toBe('store-damaged');
    expect(readFileSync(join(dir.path, 'logs', 'studio.log'), 'utf8')).toMatch(
      /metrics\.keys\nSqliteError: database disk image is malformed\n\s+at /,
    );
    expect(s.damaged).toMatchObject({ kind: 'corrupt', path: database });
    const copy = s.damaged!.copies[0];
    expect(existsSync(copy)).toBe(true);
    const err = await refusal(s.call('runs.rename', { id: runId, name: 'renamed' }));
    expect(err.code).toBe('store-damaged');
    expect(err.message).toContain(copy);
  });
});
