// The rune state modules against a fake transport: the runs table follows events and offers the
// right actions, the open run grows its series live and thins them keeping spikes and has its name,
// tags and notes edited, the form keys problems by field, imports go through upload, generations
// stream into their pane, routes parse.

import { describe, expect, it, vi } from 'vitest';
import type { RunDetail, RunSummary, RunUpdate, StudioEvent } from '../../../src-main/api';
import { ApiError } from '../transport/api-error';
import { setTransport } from './api';
import { DatasetsState, jobProgress } from './datasets.svelte';
import { fakeTransport } from './fake-transport';
import { emptyUpdate, runSummary } from './fixtures';
import { NewRunState, problemsByField } from './new-run.svelte';
import { parseChoice, PlaygroundState } from './playground.svelte';
import { parseRoute, routeHash } from './router.svelte';
import { appendPoints, refusal, RunViewState } from './run-view.svelte';
import { actionsFor, matches, RunsState } from './runs.svelte';
import { effectiveTheme, storedTheme } from './settings.svelte';

describe('runs state', () => {
  it('loads, then follows run-changed, run-update and run-deleted events', async () => {
    setTransport(fakeTransport({ 'runs.list': () => [runSummary(1), runSummary(2)] }));
    const runs = new RunsState();
    await runs.load();
    expect(runs.items.map((r) => r.id)).toEqual([1, 2]);

    runs.handle({ type: 'run-changed', run: runSummary(3, { status: 'running' }) });
    runs.handle({ type: 'run-changed', run: runSummary(1, { status: 'running' }) });
    expect(runs.items.map((r) => [r.id, r.status])).toEqual([
      [3, 'running'],
      [1, 'running'],
      [2, 'created'],
    ]);
    const progress = { step: 40, tokensSeen: 5120, loss: 2.5, tokensPerSecond: 900 } as RunUpdate['progress'];
    runs.handle({ type: 'run-update', runId: 1, update: { ...emptyUpdate(), progress } });
    expect(runs.items.find((r) => r.id === 1)).toMatchObject({
      step: 40,
      tokensSeen: 5120,
      lastTrainLoss: 2.5,
      tokensPerSecond: 900,
    });
    // A report without a finite loss or throughput keeps the last ones, as the stored run does.
    const blank = { step: 41, tokensSeen: 5248, loss: null, tokensPerSecond: null } as RunUpdate['progress'];
    runs.handle({ type: 'run-update', runId: 1, update: { ...emptyUpdate(), progress: blank } });
    expect(runs.items.find((r) => r.id === 1)).toMatchObject({
      step: 41,
      lastTrainLoss: 2.5,
      tokensPerSecond: 900,
    });
    // Once it ends, the row shows the throughput stored with the run.
    runs.handle({ type: 'run-changed', run: runSummary(1, { status: 'completed', tokensPerSecond: 870 }) });
    expect(runs.items.find((r) => r.id === 1)?.tokensPerSecond).toBe(870);
    runs.handle({ type: 'run-deleted', runId: 3 });
    expect(runs.items.map((r) => r.id)).toEqual([1, 2]);
  });

  it('keeps the load error for the view and clears it on the next success', async () => {
    let fail = true;
    setTransport(
      fakeTransport({
        'runs.list': () => {
          if (fail) throw new ApiError('unreachable', 'The studio server does not answer.');
          return [runSummary(1)];
        },
      }),
    );
    const runs = new RunsState();
    await runs.load();
    expect(runs).toMatchObject({
      error: 'The studio server does not answer.',
      loaded: false,
      loading: false,
    });
    fail = false;
    await runs.load();
    expect(runs).toMatchObject({ error: null, loaded: true, loading: false });
    // A failed reload keeps the runs already shown beside its message.
    fail = true;
    await runs.load();
    expect(runs.items.map((r) => r.id)).toEqual([1]);
    expect(runs).toMatchObject({ error: 'The studio server does not answer.', loaded: true });
  });

  it('offers only the actions the service allows in each status, and filters by status and search', () => {
    expect(actionsFor('running')).toEqual(['pause', 'stop', 'duplicate']);
    expect(actionsFor('paused')).toContain('resume');
    expect(actionsFor('running')).not.toContain('delete');
    const r = runSummary(1, { name: 'Shakespeare small', status: 'paused', tags: ['baseline'] });
    expect(matches(r, 'shakes', 'all')).toBe(true);
    expect(matches(r, 'base', 'active')).toBe(true);
    expect(matches(r, '', 'completed')).toBe(false);
  });
});

describe('run view', () => {
  it('never moves the step back for a progress report the WebSocket delivered after the pause answer', () => {
    setTransport(fakeTransport({ 'checkpoints.list': () => [] })); // a paused run's list is re-read
    const view = new RunViewState();
    view.id = 7;
    view.detail = {
      ...runSummary(7, { status: 'running', step: 100 }),
      config: null,
      spec: null,
      notes: '',
      errorStack: null,
      checkpoints: [],
      progress: null,
    };
    const report = (step: number): StudioEvent => ({
      type: 'run-update',
      runId: 7,
      update: { ...emptyUpdate(), progress: { step, tokensSeen: step * 128 } as RunUpdate['progress'] },
    });
    view.handle(report(120));
    expect(view.detail.step).toBe(120);
    // The pause's answer came first (over HTTP): paused at 300. Reports the socket still held follow.
    view.handle({ type: 'run-changed', run: runSummary(7, { status: 'paused', step: 300 }) });
    view.handle(report(250));
    expect(view.detail).toMatchObject({ status: 'paused', step: 300 });
    expect(view.progress?.step).toBe(120);
    view.handle(report(300));
    expect(view.progress?.step).toBe(300);
    // The list does the same.
    const runs = new RunsState();
    runs.items = [runSummary(7, { status: 'paused', step: 300 })];
    runs.handle(report(250));
    expect(runs.items[0]?.step).toBe(300);
  });

  it('appends only later steps and thins a long series to the cap keeping its spike', () => {
    const points = Array.from({ length: 100 }, (_, i) => ({ step: i, value: 1 }));
    expect(
      appendPoints(
        points,
        [
          { step: 99, value: 5 },
          { step: 100, value: 2 },
        ],
        1000,
      ).at(-1),
    ).toEqual({ step: 100, value: 2 });
    expect(appendPoints(points, [{ step: 50, value: 9 }], 1000)).toHaveLength(100);
    const long = Array.from({ length: 5000 }, (_, i) => ({ step: i, value: i === 2500 ? 99 : 1 }));
    const thinned = appendPoints(long, [], 400);
    expect(thinned.length).toBeLessThanOrEqual(400);
    expect(thinned).toContainEqual({ step: 2500, value: 99 });
  });
});

describe('run name, tags, notes and metrics export', () => {
  const opened = (): RunViewState => {
    const view = new RunViewState();
    view.id = 4;
    const detail: RunDetail = {
      ...runSummary(4, { name: 'baseline', tags: ['tiny'] }),
      config: null,
      spec: null,
      notes: 'first try',
      errorStack: null,
      checkpoints: [],
      progress: null,
    };
    view.detail = detail;
    return view;
  };
  const refused = (field: string, message: string): ApiError =>
    new ApiError('invalid-input', `Invalid input: ${field}: ${message}`, [{ field, message }]);

  it('renames, and keeps the service’s reason when it refuses a name', async () => {
    let answer: (name: string) => RunSummary = (name) => runSummary(4, { name, tags: ['tiny'] });
    const t = fakeTransport({ 'runs.rename': (input) => answer(input.name) });
    setTransport(t);
    const view = opened();
    expect(await view.rename('depth 2')).toBe(true);
    expect(view.detail?.name).toBe('depth 2');
    expect(view.detail?.notes).toBe('first try'); // a summary does not carry the notes
    expect(t.calls.at(-1)).toEqual({ method: 'runs.rename', input: { id: 4, name: 'depth 2' } });

    answer = () => {
      throw refused('name', 'must not be empty');
    };
    expect(await view.rename('  ')).toBe(false);
    expect(view.renameError).toBe('The name must not be empty');
    expect(view.detail?.name).toBe('depth 2');
    answer = (name) => runSummary(4, { name });
    expect(await view.rename('depth 3')).toBe(true);
    expect(view.renameError).toBeNull();
  });

  it('replaces the tags, names a refused tag, and refreshes the tags offered', async () => {
    let inUse = ['tiny'];
    const t = fakeTransport({
      'runs.setTags': (input) => {
        const long = input.tags.findIndex((tag) => tag.length > 50);
        if (long >= 0) throw refused(`tags.${long}`, 'must be at most 50 characters');
        inUse = [...input.tags];
        return runSummary(4, { tags: [...input.tags].sort() });
      },
      'tags.list': () => inUse.map((name) => ({ name, runs: 1 })),
    });
    setTransport(t);
    const view = opened();
    expect(await view.setTags(['tiny', 'sweep'])).toBe(true);
    expect(view.detail?.tags).toEqual(['sweep', 'tiny']);
    await vi.waitFor(() => expect(view.knownTags).toEqual(['tiny', 'sweep']));

    expect(await view.setTags(['tiny', 'x'.repeat(60)])).toBe(false);
    expect(view.tagsError).toBe(`Tag “${'x'.repeat(24)}…” must be at most 50 characters`);
    expect(view.detail?.tags).toEqual(['sweep', 'tiny']);
  });

  it('saves changed notes only, and keeps the failure until a save succeeds', async () => {
    let fail = false;
    const t = fakeTransport({
      'runs.setNotes': (input) => {
        if (fail) throw new ApiError('unreachable', 'The studio server does not answer.');
        return runSummary(input.id);
      },
    });
    setTransport(t);
    const view = opened();
    await view.saveNotes('first try');
    expect(t.calls).toHaveLength(0);
    expect(view.notesStatus).toBe('idle');

    fail = true;
    const saving = view.saveNotes('lr too high?');
    expect(view.notesStatus).toBe('saving');
    await saving;
    expect(view).toMatchObject({ notesStatus: 'error', notesError: 'The studio server does not answer.' });
    expect(view.detail?.notes).toBe('first try');

    fail = false;
    await view.saveNotes('lr too high?');
    expect(view).toMatchObject({ notesStatus: 'saved', notesError: null });
    expect(view.detail?.notes).toBe('lr too high?');
    expect(t.calls.at(-1)?.input).toEqual({ id: 4, notes: 'lr too high?' });
  });

  it('asks the service for the metrics as CSV text, not as a file on its side', async () => {
    const csv = 'step,train/loss\n0,5.5\n5,4.25\n';
    const t = fakeTransport({ 'metrics.export': () => ({ rows: 2, path: null, content: csv }) });
    setTransport(t);
    expect(await opened().metricsCsv()).toEqual({ rows: 2, csv });
    expect(t.calls).toEqual([{ method: 'metrics.export', input: { runId: 4, format: 'csv' } }]);
    await expect(new RunViewState().metricsCsv()).rejects.toThrow(/No run is open/);
  });

  it('words any other failure by its own message', () => {
    expect(refusal(new Error('socket closed'), 'name', () => 'The name')).toBe('socket closed');
    expect(refusal(refused('id', 'must be ≥ 1'), 'name', () => 'The name')).toBe(
      'Invalid input: id: must be ≥ 1',
    );
  });
});

describe('new run form', () => {
  it('keys problems by field and joins two for one field', () => {
    expect(
      problemsByField([
        { field: 'model.nHead', message: 'must divide nEmbd' },
        { field: 'model.nHead', message: 'must be ≥ 1' },
        { field: 'name', message: 'must not be empty' },
      ]),
    ).toEqual({ 'model.nHead': 'must divide nEmbd; must be ≥ 1', name: 'must not be empty' });
  });

  it('shows the field problems the service returns when create refuses the config', async () => {
    const config = { name: 'x', train: { batchSize: 0 } };
    setTransport(
      fakeTransport({
        'runs.validate': () => ({ ok: true, problems: [], estimate: null }),
        'runs.create': () => {
          throw new ApiError('invalid-config', 'bad', [{ field: 'train.batchSize', message: 'must be ≥ 1' }]);
        },
      }),
    );
    const form = new NewRunState();
    form.config = config as unknown as NewRunState['config'];
    expect(await form.submit()).toBeNull();
    expect(form.problems).toEqual({ 'train.batchSize': 'must be ≥ 1' });
    expect(form.submitError).toMatch(/1 field needs attention/);
  });
});

describe('datasets', () => {
  it('loads the list the service sends', async () => {
    setTransport(fakeTransport({ 'datasets.list': () => [{ id: 1, name: 'Sample corpus' }] as never }));
    const state = new DatasetsState();
    await state.load();
    expect(state.items.map((d) => d.name)).toEqual(['Sample corpus']);
    expect(state).toMatchObject({ loaded: true, error: null });
  });

  it('uploads the files first in serve mode, then imports the returned path', async () => {
    const t = fakeTransport({
      'datasets.import': (input) => ({ id: 9, name: input.name ?? '', tokens: 10 }) as never,
      'datasets.stats': () => ({ topTokens: [] }) as never,
      'datasets.preview': () => ({ text: 'hi' }) as never,
    });
    const progress: number[] = [];
    t.upload = async (_files, onProgress) => {
      onProgress(0.5);
      progress.push(0.5);
      return '/data/uploads/abc/notes.txt';
    };
    setTransport(t);
    const state = new DatasetsState();
    const dataset = await state.importFrom(
      { files: [{ file: new Blob(['hi']), relativePath: 'notes.txt' }] },
      'notes',
      { kind: 'char' },
    );
    expect(dataset?.id).toBe(9);
    const call = t.calls.find((c) => c.method === 'datasets.import');
    expect(call?.input).toMatchObject({
      path: '/data/uploads/abc/notes.txt',
      name: 'notes',
      tokenizer: { kind: 'char' },
    });
    expect(state.items.map((d) => d.id)).toEqual([9]);
    expect(state.jobs[0].phase).toBe('done');
  });

  it('keeps the failure on the job', async () => {
    setTransport(
      fakeTransport({
        'datasets.import': () => {
          throw new ApiError('failed', 'notes.txt is not UTF-8 text');
        },
      }),
    );
    const state = new DatasetsState();
    expect(await state.importFrom({ path: '/x/notes.txt' }, '', { kind: 'byte' })).toBeNull();
    expect(state.jobs[0]).toMatchObject({ phase: 'failed', error: 'notes.txt is not UTF-8 text' });
    expect(jobProgress(state.jobs[0])).toBe(1);
  });
});

describe('playground', () => {
  it('streams generated text into the pane that asked for it', async () => {
    const t = fakeTransport({ 'generation.start': (input) => ({ generationId: input.generationId ?? '' }) });
    setTransport(t);
    const p = new PlaygroundState();
    p.panes[0].choice = 'ckpt:4';
    await p.generate();
    const id = p.panes[0].generationId ?? '';
    expect(t.calls[0].input).toMatchObject({ checkpointId: 4, prompt: 'Chapter 1' });
    // Each message carries the text since the last one and the count so far, as the worker sends.
    const event = (text: string, tokensSoFar: number, done: boolean): StudioEvent => ({
      type: 'generation',
      generationId: id,
      text,
      tokens: tokensSoFar,
      done,
      cancelled: false,
      error: null,
    });
    p.handle(event('Once', 4, false));
    expect(p.panes[0].tokens).toBe(4);
    p.handle(event(' upon', 9, true));
    p.handle({ ...event('ignored', 99, false), generationId: 'someone-else' } as StudioEvent);
    expect(p.panes[0]).toMatchObject({ text: 'Once upon', tokens: 9, running: false, error: null });
  });

  it('parses a model choice and refuses none', async () => {
    expect(parseChoice('live:3')).toEqual({ runId: 3 });
    expect(parseChoice('ckpt:12')).toEqual({ checkpointId: 12 });
    expect(parseChoice('')).toBeNull();
    setTransport(fakeTransport({}));
    const p = new PlaygroundState();
    await p.generate();
    expect(p.panes[0].error).toMatch(/Choose a checkpoint/);
  });
});

describe('router and theme', () => {
  it('round-trips every route through the hash', () => {
    for (const hash of [
      '#/runs',
      '#/runs/12',
      '#/runs/new',
      '#/runs/new?from=3',
      '#/compare?runs=1,2',
      '#/playground',
      '#/datasets',
      '#/settings',
    ]) {
      expect(routeHash(parseRoute(hash))).toBe(hash);
    }
    expect(parseRoute('#/nowhere')).toEqual({ name: 'runs' });
    expect(parseRoute('#/compare?runs=1,x,1,-2')).toEqual({ name: 'compare', ids: [1] });
  });

  it('follows the system theme unless one is chosen', () => {
    expect(storedTheme({ getItem: () => null })).toBe('system');
    expect(storedTheme({ getItem: () => 'light' })).toBe('light');
    expect(effectiveTheme('system', true)).toBe('dark');
    expect(effectiveTheme('light', true)).toBe('light');
  });
});
