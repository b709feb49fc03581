// Paths the API writes to are the person's: a metrics file goes only to a new file, an export only
// into a new folder or one this app exported (with nothing else in it); a refusal is a 4xx that
// names the path and leaves what was there. A pause that races a run's end is a conflict, not a 500.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointInfo, DatasetInfo, RunDetail } from '../api';
import { StudioError } from '../api';
import type { Studio } from './studio';
import { microConfig, openStudio, runReaches, tempDir, writeCorpus } from './test-support/fixtures';

let dir: { path: string; remove: () => void };
let studio: Studio;
let dataset: DatasetInfo;
let runId: number;
let checkpoint: CheckpointInfo;

beforeAll(async () => {
  dir = tempDir('paths');
  studio = await openStudio(join(dir.path, 'data'));
  dataset = (await studio.call('datasets.import', {
    path: writeCorpus(dir.path),
    tokenizer: { kind: 'char' },
  })) as DatasetInfo;
  runId = ((await studio.call('runs.create', { config: microConfig(dataset.id, 20) })) as RunDetail).id;
  await studio.call('runs.start', { id: runId });
  await runReaches(studio, runId, (r) => r.status === 'completed', 'completed');
  checkpoint = ((await studio.call('checkpoints.list', { runId })) as CheckpointInfo[]).at(-1)!;
});
afterAll(async () => {
  await studio.close();
  dir.remove();
});

async function refusal(method: string, payload: unknown): Promise<StudioError> {
  const err = await studio.call(method, payload).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StudioError);
  return err as StudioError;
}

describe('paths the API writes', () => {
  it('metrics.export writes a new file only, and refuses an existing one, a missing folder and /proc', async () => {
    const mine = join(dir.path, 'mine.csv');
    writeFileSync(mine, 'my own numbers\n');
    const exists = await refusal('metrics.export', { runId, format: 'csv', path: mine });
    expect(exists).toMatchObject({ code: 'conflict' });
    expect(exists.message).toContain(mine);
    expect(readFileSync(mine, 'utf8')).toBe('my own numbers\n');
    expect(
      await refusal('metrics.export', { runId, format: 'csv', path: join(dir.path, 'no', 'x.csv') }),
    ).toMatchObject({
      code: 'invalid-input',
    });
    expect(await refusal('metrics.export', { runId, format: 'csv', path: '/proc/self/x.csv' })).toMatchObject(
      {
        code: 'invalid-input',
      },
    );
    const fresh = join(dir.path, 'fresh.csv');
    expect(await studio.call('metrics.export', { runId, format: 'csv', path: fresh })).toMatchObject({
      path: fresh,
    });
    expect(readFileSync(fresh, 'utf8')).toMatch(/^step,/);
  });

  it('checkpoints.export never replaces a folder it did not export, nor deletes a file it did not write', async () => {
    const theirs = join(dir.path, 'theirs');
    mkdirSync(theirs);
    writeFileSync(join(theirs, 'thesis.tex'), 'years of work');
    const plain = await refusal('checkpoints.export', { id: checkpoint.id, dir: theirs });
    expect(plain.code).toBe('conflict');
    const forced = await refusal('checkpoints.export', { id: checkpoint.id, dir: theirs, overwrite: true });
    expect(forced.code).toBe('conflict');
    expect(forced.message).toContain(theirs);
    expect(readdirSync(theirs)).toEqual(['thesis.tex']);

    const ours = join(dir.path, 'ours');
    await studio.call('checkpoints.export', { id: checkpoint.id, dir: ours });
    await studio.call('checkpoints.export', { id: checkpoint.id, dir: ours, overwrite: true });
    writeFileSync(join(ours, 'notes.txt'), 'added later');
    const added = await refusal('checkpoints.export', { id: checkpoint.id, dir: ours, overwrite: true });
    expect(added.message).toContain('notes.txt');
    expect(readFileSync(join(ours, 'notes.txt'), 'utf8')).toBe('added later');
  });
});

describe('a pause that races the end of a run', () => {
  it('is answered as done or as a conflict, never as a failure', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const id = ((await studio.call('runs.create', { config: microConfig(dataset.id, 6) })) as RunDetail).id;
      await studio.call('runs.start', { id });
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          new Promise((r) => setTimeout(r, i * 5)).then(() =>
            studio.call('runs.pause', { id }).then(
              () => 'paused',
              (e: unknown) => (e instanceof StudioError ? e.code : String(e)),
            ),
          ),
        ),
      );
      for (const a of answers) expect(['paused', 'conflict']).toContain(a);
      await studio.call('runs.stop', { id });
    }
  });
});
