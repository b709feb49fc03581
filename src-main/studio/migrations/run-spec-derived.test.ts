// Migration 5: a run's spec is derived from its config and dataset, and stored only for a run
// without them. A database written before it still loads each run with the spec it trained with,
// and a studio run stored the old way resumes and trains on.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunConfig, RunDetail } from '../../api';
import type { RunSpec } from '../../../src-worker/train/setup';
import { openDatabase, schemaVersion } from '../db';
import { specFor } from '../run-config';
import { Store } from '../store';
import { useTempDir } from '../../../src-worker/test-support/temp-dir';
import { importCorpus, microConfig, openStudio, runReaches } from '../test-support/fixtures';
import { MIGRATIONS } from './index';

const settings = {
  maxConcurrentRuns: 1,
  defaultBackend: 'ts' as const,
  heartbeatTimeoutSeconds: 60,
  pythonPath: 'python3',
};

const dir = useTempDir('crystalline-spec-derived-');

/** The spec column of a run as stored. */
function storedSpecColumn(path: string, runId: number): string | null {
  const db = openDatabase(path);
  try {
    return (db.prepare('SELECT spec FROM runs WHERE id = ?').get(runId) as { spec: string | null }).spec;
  } finally {
    db.close();
  }
}

describe('migration 5: a run spec derived from its config', () => {
  it("loads a schema-4 database's runs with their specs: a studio run's from its config, a terminal run's as stored", () => {
    const path = join(dir.path, 'schema-4.db');
    const old = openDatabase(path, { migrations: MIGRATIONS.slice(0, 4) });
    const datasetDir = join(dir.path, 'datasets', '1');
    const datasetId = Number(
      old
        .prepare(
          `INSERT INTO datasets (name, source_path, dir, files, bytes, characters, lines, sha256, tokenizer,
             vocab_size, tokens, top_tokens, created_at)
           VALUES ('corpus', '/corpus.txt', ?, 1, 40000, 40000, 800, 'c0ffee', '{"kind":"char"}', 60, 40000,
             '[]', 'then')`,
        )
        .run(datasetDir).lastInsertRowid,
    );
    const config = microConfig(datasetId, 20, { threads: 1 }) as RunConfig;
    const dataset = { dir: datasetDir, tokenizer: { kind: 'char' as const } };
    const terminalSpec: RunSpec = {
      ...specFor(config, dataset),
      data: { kind: 'path', path: '/elsewhere.txt' },
    };
    const insertRun = old.prepare(
      `INSERT INTO runs (name, origin, dataset_id, config, spec, dir, status, total_steps, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'created', 20, 'then', 'then')`,
    );
    const studioRun = Number(
      insertRun.run(
        'studio',
        'studio',
        datasetId,
        JSON.stringify(config),
        JSON.stringify(specFor(config, dataset)),
        '/runs/1',
      ).lastInsertRowid,
    );
    const terminalRun = Number(
      insertRun.run('terminal', 'cli', null, null, JSON.stringify(terminalSpec), '/runs/2').lastInsertRowid,
    );
    old.close();

    const store = Store.open(path, settings);
    try {
      expect(schemaVersion(store.db)).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(store.runs.get(studioRun)?.spec).toEqual(specFor(config, dataset));
      expect(store.runs.get(terminalRun)?.spec).toEqual(terminalSpec);
      // A run started in a terminal from now on still stores the spec it has instead of a config.
      const next = store.runs.insert({
        name: 'terminal, later',
        origin: 'cli',
        datasetId: null,
        config: null,
        spec: terminalSpec,
        dir: '/runs/{id}',
        totalSteps: 20,
        parentRunId: null,
        forkedAtStep: null,
      });
      expect(store.runs.get(next)?.spec).toEqual(terminalSpec);
    } finally {
      store.close();
    }
    expect(storedSpecColumn(path, studioRun)).toBeNull();
    expect(storedSpecColumn(path, terminalRun)).not.toBeNull();
  });

  it('resumes a studio run stored with its spec beside its config, and trains it further', async () => {
    let studio = await openStudio(dir.path);
    const dataset = await importCorpus(studio, dir.path);
    const run = (await studio.call('runs.create', { config: microConfig(dataset.id, 20) })) as RunDetail;
    await studio.call('runs.start', { id: run.id });
    expect((await runReaches(studio, run.id, (r) => r.status === 'completed', 'the end')).step).toBe(20);
    await studio.close();

    // The row as schema 4 kept it: the spec stored beside the config.
    const path = join(dir.path, 'studio.db');
    const db = openDatabase(path);
    db.prepare('UPDATE runs SET spec = ? WHERE id = ?').run(JSON.stringify(run.spec), run.id);
    db.prepare('DELETE FROM schema_migrations WHERE version = 5').run();
    db.close();

    studio = await openStudio(dir.path);
    try {
      expect(((await studio.call('runs.get', { id: run.id })) as RunDetail).spec).toEqual(run.spec);
      await studio.call('runs.resume', { id: run.id, steps: 30 });
      const done = await runReaches(
        studio,
        run.id,
        (r) => r.status === 'completed' && r.step === 30,
        'step 30',
      );
      expect(done.totalSteps).toBe(30);
      const resumed = (await studio.call('runs.get', { id: run.id })) as RunDetail;
      expect((resumed.spec as RunSpec).train.steps).toBe(30);
    } finally {
      await studio.close();
    }
    expect(storedSpecColumn(path, run.id)).toBeNull();
  }, 60_000);
});
