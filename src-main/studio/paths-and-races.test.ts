// Paths the API writes to are the person's: a metrics file goes only to a new file, an export only
// into a new folder or one this app exported (with nothing else in it); a refusal is a 4xx that
// names the path and leaves what was there. A pause that races a run's end is a conflict, not a 500.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointInfo, RunDetail } from '../api';
import { StudioError } from '../api';
import { completedRun, microConfig } from './test-support/fixtures';
import { refusal, useStudio } from './test-support/studio-harness';

const harness = useStudio('paths', { scope: 'file', dataDir: 'data', corpus: true });
let runId: number;
let checkpoint: CheckpointInfo;

// One finished run, whose metrics and checkpoint the tests export.
beforeAll(async () => {
  const { studio, dataset } = harness;
  runId = (await completedRun(studio, microConfig(dataset.id, 20))).id;
  checkpoint = ((await studio.call('checkpoints.list', { runId })) as CheckpointInfo[]).at(-1)!;
});

describe('paths the API writes', () => {
  it('metrics.export writes a new file only, and refuses an existing one, a missing folder and /proc', async () => {
    const { studio, dir } = harness;
    const mine = join(dir, 'mine.csv');
    writeFileSync(mine, 'my own numbers\n');
    const exists = await refusal(studio.call('metrics.export', { runId, format: 'csv', path: mine }));
    expect(exists).toMatchObject({ code: 'conflict' });
    expect(exists.message).toContain(mine);
    expect(readFileSync(mine, 'utf8')).toBe('my own numbers\n');
    expect(
      await refusal(studio.call('metrics.export', { runId, format: 'csv', path: join(dir, 'no', 'x.csv') })),
    ).toMatchObject({
      code: 'invalid-input',
    });
    expect(
      await refusal(studio.call('metrics.export', { runId, format: 'csv', path: '/proc/self/x.csv' })),
    ).toMatchObject({
      code: 'invalid-input',
    });
    const fresh = join(dir, 'fresh.csv');
    expect(await studio.call('metrics.export', { runId, format: 'csv', path: fresh })).toMatchObject({
      path: fresh,
    });
    expect(readFileSync(fresh, 'utf8')).toMatch(/^step,/);
  });

  it('checkpoints.export never replaces a folder it did not export, nor deletes a file it did not write', async () => {
    const { studio, dir } = harness;
    const theirs = join(dir, 'theirs');
    mkdirSync(theirs);
    writeFileSync(join(theirs, 'thesis.tex'), 'years of work');
    const plain = await refusal(studio.call('checkpoints.export', { id: checkpoint.id, dir: theirs }));
    expect(plain.code).toBe('conflict');
    const forced = await refusal(
      studio.call('checkpoints.export', { id: checkpoint.id, dir: theirs, overwrite: true }),
    );
    expect(forced.code).toBe('conflict');
    expect(forced.message).toContain(theirs);
    expect(readdirSync(theirs)).toEqual(['thesis.tex']);

    const ours = join(dir, 'ours');
    await studio.call('checkpoints.export', { id: checkpoint.id, dir: ours });
    await studio.call('checkpoints.export', { id: checkpoint.id, dir: ours, overwrite: true });
    writeFileSync(join(ours, 'notes.txt'), 'added later');
    const added = await refusal(
      studio.call('checkpoints.export', { id: checkpoint.id, dir: ours, overwrite: true }),
    );
    expect(added.message).toContain('notes.txt');
    expect(readFileSync(join(ours, 'notes.txt'), 'utf8')).toBe('added later');
  });
});

describe('a pause that races the end of a run', () => {
  it('is answered as done or as a conflict, never as a failure', async () => {
    const { studio, dataset } = harness;
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
