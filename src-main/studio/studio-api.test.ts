// The service's API guard: every call is validated against the contract before its handler runs;
// an invalid run config is refused with one problem per field before anything is written.

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunConfig, RunConfigInput, RunDetail, RunSummary, ValidationReport } from '../api';
import { METHOD_NAMES } from '../api';
import { methodChannel } from '../electron/bridge';
import { registerStudioIpc } from '../electron/ipc';
import { microConfig, openStudio } from './test-support/fixtures';
import { refusal, useStudio } from './test-support/studio-harness';

// 64 MiB free, for the memory check.
const harness = useStudio('api', {
  scope: 'file',
  dataDir: 'data',
  options: { freeMemory: () => 64 * 1024 ** 2 },
  corpus: true,
});

describe('the API guard', () => {
  it('implements every method of the contract', () => {
    const { studio } = harness;
    expect(Object.keys(studio.handlers).sort()).toEqual([...METHOD_NAMES].sort());
  });

  it('refuses an unknown method and a payload that does not fit the schema', async () => {
    const { studio } = harness;
    expect(await refusal(studio.call('runs.explode', {}))).toMatchObject({ code: 'unknown-method' });
    const bad = await refusal(studio.call('runs.get', { id: 'one', extra: true }));
    expect(bad.code).toBe('invalid-input');
    expect(bad.problems.map((p) => p.field)).toEqual(expect.arrayContaining(['id', '(input)']));
    expect(await refusal(studio.call('runs.get', { id: 999 }))).toMatchObject({ code: 'not-found' });
    expect(
      await refusal(studio.call('metrics.series', { runIds: [], keys: ['x'], maxPoints: 2 })),
    ).toMatchObject({
      code: 'invalid-input',
      problems: expect.arrayContaining([
        expect.objectContaining({ field: 'runIds' }),
        expect.objectContaining({ field: 'maxPoints' }),
      ]),
    });
  });

  it('refuses an invalid run config with a problem per field, writing nothing', async () => {
    const { studio, dataset } = harness;
    const config: RunConfigInput = microConfig(dataset.id, 100);
    config.model.nHead = 3;
    config.train.schedule.lr = 0;
    config.train.batchSize = 0;
    const err = await refusal(studio.call('runs.create', { config }));
    expect(err.code).toBe('invalid-config');
    expect(err.problems).toEqual(
      expect.arrayContaining([
        { field: 'model.nHead', message: expect.stringMatching(/must divide nEmbd \(16\)/) },
        { field: 'train.schedule.lr', message: 'must be a finite number > 0' },
        { field: 'train.batchSize', message: 'must be a whole number ≥ 1' },
      ]),
    );
    expect(await studio.call('runs.list', {})).toEqual([]);
    expect(readdirSync(studio.layout.runs)).toEqual([]);
  });

  it('checks the memory estimate against the free memory', async () => {
    const { studio, dataset } = harness;
    const big = microConfig(dataset.id, 100, {
      model: { nLayer: 8, nHead: 8, nEmbd: 512, contextLength: 16 },
    });
    const report = (await studio.call('runs.validate', { config: big })) as ValidationReport;
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      { field: 'memory', message: expect.stringMatching(/only 64 MiB of memory is free/) },
    ]);
    expect(report.estimate?.memoryBytes).toBeGreaterThan(64 * 1024 ** 2);
  });

  it('offers a default config for a dataset that validates', async () => {
    const { studio, dataset } = harness;
    const config = (await studio.call('runs.defaults', {
      datasetId: dataset.id,
      preset: 'tiny',
    })) as RunConfig;
    const report = (await studio.call('runs.validate', {
      config: { ...config, model: { ...config.model, nLayer: 1 } },
    })) as ValidationReport;
    expect(report.problems).toEqual([]);
    expect(config.samples?.prompt).toHaveLength(1);
  });

  it('duplicates a run with edits, renames, tags, annotates and deletes it', async () => {
    const { studio, dataset } = harness;
    const source = (await studio.call('runs.create', { config: microConfig(dataset.id, 100) })) as RunDetail;
    const copy = (await studio.call('runs.duplicate', {
      id: source.id,
      edits: { train: { steps: 50 }, model: { nLayer: 2 } },
    })) as RunDetail;
    expect(copy).toMatchObject({
      name: 'micro (copy)',
      parentRunId: source.id,
      totalSteps: 50,
      status: 'created',
    });
    expect(copy.config?.train.schedule.totalSteps).toBe(50); // the schedule follows the new length
    expect(copy.config?.model.nLayer).toBe(2);
    await studio.call('runs.rename', { id: copy.id, name: 'deeper' });
    await studio.call('runs.setTags', { id: copy.id, tags: ['sweep', 'sweep', 'depth'] });
    await studio.call('runs.setNotes', { id: copy.id, notes: 'two layers' });
    const edited = (await studio.call('runs.get', { id: copy.id })) as RunDetail;
    expect(edited).toMatchObject({ name: 'deeper', tags: ['depth', 'sweep'], notes: 'two layers' });
    // What the run view shows beside its editors when a name or a tag is refused.
    expect((await refusal(studio.call('runs.rename', { id: copy.id, name: '   ' }))).problems).toEqual([
      { field: 'name', message: 'must not be empty' },
    ]);
    expect(
      (await refusal(studio.call('runs.rename', { id: copy.id, name: 'n'.repeat(201) }))).problems,
    ).toEqual([{ field: 'name', message: 'must be at most 200 characters' }]);
    expect(
      (await refusal(studio.call('runs.setTags', { id: copy.id, tags: ['ok', 't'.repeat(51), ' '] })))
        .problems,
    ).toEqual([
      { field: 'tags.1', message: 'must be at most 50 characters' },
      { field: 'tags.2', message: 'must not be empty' },
    ]);
    expect(await studio.call('tags.list', {})).toEqual([
      { name: 'depth', runs: 1 },
      { name: 'sweep', runs: 1 },
    ]);
    expect(((await studio.call('runs.list', { tag: 'sweep' })) as RunSummary[]).map((r) => r.id)).toEqual([
      copy.id,
    ]);
    const refused = await refusal(
      studio.call('runs.duplicate', { id: source.id, edits: { train: { batchSize: 0 } } }),
    );
    expect(refused.problems).toEqual([{ field: 'train.batchSize', message: 'must be a whole number ≥ 1' }]);
    await studio.call('runs.delete', { id: copy.id });
    await studio.call('runs.delete', { id: source.id });
    expect(await studio.call('runs.list', {})).toEqual([]);
    expect(await studio.call('tags.list', {})).toEqual([]);
  });
});

describe('a closed studio', () => {
  it('refuses every call, whichever binding carries it, instead of touching a closed database', async () => {
    const closed = await openStudio(`${harness.dir}/closed`);
    await closed.close();
    const ipc = new Map<string, (event: unknown, payload: unknown) => Promise<unknown>>();
    registerStudioIpc(
      {
        handle: (channel, listener) =>
          ipc.set(channel, listener as (event: unknown, payload: unknown) => Promise<unknown>),
        removeHandler: () => undefined,
      },
      {
        backend: closed,
        trusted: { webContentsId: () => 1, origins: ['app://studio'] },
        choosePath: async () => null,
      },
    );
    const fromStudio = { sender: { id: 1 }, senderFrame: { url: 'app://studio/index.html', parent: null } };
    for (const method of ['runs.list', 'settings.get'] as const) {
      await expect(closed.call(method, {})).rejects.toMatchObject({ code: 'conflict' });
      expect(await ipc.get(methodChannel(method))?.(fromStudio, {})).toMatchObject({
        ok: false,
        error: { code: 'conflict', message: 'The studio is closed.' },
      });
    }
  });
});
