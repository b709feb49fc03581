// The service with a damaged database: found at open, or by a fault while in use, it answers every
// call with 'store-damaged' and what happened, writes nothing more, keeps a copy, and comes back on
// a fresh or rebuilt database when the person chooses one through store.recover.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunConfig, StoreStatus } from '../api';
import { StudioError } from '../api';
import { dataDirLayout, ensureDataDir } from './data-dir';
import { RecoverableStudio } from './recoverable-studio';
import { defaultSettings, Store } from './store';
import { damagePageOf } from './test-support/damage';
import { tempDir, WORKER_SCRIPT } from './test-support/fixtures';

const spec = {
  data: { kind: 'path' as const, path: '/corpus.txt' },
  tokenizer: { kind: 'char' as const },
  model: { nLayer: 1, nHead: 2, nEmbd: 16, contextLength: 16 },
  train: { batchSize: 4, seqLen: 16, gradAccumSteps: 1, steps: 100 } as unknown as RunConfig['train'],
  backend: 'ts' as const,
};

let dir: { path: string; remove: () => void };
let studio: RecoverableStudio | null = null;
beforeEach(() => {
  dir = tempDir('recoverable');
  ensureDataDir(dir.path);
});
afterEach(async () => {
  await studio?.close();
  studio = null;
  dir.remove();
});

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const open = async (): Promise<RecoverableStudio> =>
  (studio = await RecoverableStudio.open({ dataDir: dir.path, workerScript: WORKER_SCRIPT, cores: 2 }));

/** A run with 43 points in each of many series, written to the main file. */
function history(): number {
  const store = Store.open(dataDirLayout(dir.path).database, defaultSettings(2));
  const runId = store.runs.insert({
    name: 'r',
    origin: 'cli',
    datasetId: null,
    config: null,
    spec,
    dir: join(dir.path, 'runs', '{id}'),
    totalSteps: 43,
    parentRunId: null,
    forkedAtStep: null,
  });
  store.transaction(() => {
    for (let k = 0; k < 60; k++)
      for (let step = 0; step < 43; step++)
        store.metrics.insert(runId, [{ key: `k/${k}`, step, value: step }]);
  });
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  return runId;
}

async function refusal(call: Promise<unknown>): Promise<StudioError> {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StudioError);
  return err as StudioError;
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
