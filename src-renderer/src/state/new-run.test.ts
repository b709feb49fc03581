// The New run form: durations read plainly, and a status that never says "Checking…" beside a
// refusal's count. (The time-per-step estimate itself is the service's: src-main/api/step-time.ts.)

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Estimate, RunConfig } from '../../../src-main/api';
import { setTransport } from './api';
import { fakeTransport } from './fake-transport';
import { runSummary, tinyPreset } from './fixtures';
import { formatSeconds, NewRunState } from './new-run.svelte';

const TINY_PARAMETERS = 809_472;

afterEach(() => {
  vi.useRealTimers();
});

describe('formatSeconds keeps two significant digits below a minute, so nothing positive reads as zero', () => {
  it.each([
    [0.00042, '0.42 ms'],
    [0.0047, '4.7 ms'],
    [0.0123, '12 ms'],
    [0.9996, '1 s'],
    [1.44, '1.4 s'],
    [45.2, '45 s'],
    [5400, '1 h 30 min'],
    [Number.NaN, '—'],
  ])('%s s reads "%s"', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });
});

const estimateFor = (parameters: number): Estimate => ({
  parameters,
  flopsPerToken: 6 * parameters,
  stepTime: { known: false, reason: 'Known once a run here has taken its first steps.' },
  memoryBytes: 1,
  freeMemoryBytes: 2,
  trainTokens: 3,
  valTokens: 4,
});

describe('the form’s status', () => {
  it('never says “Checking…” beside a refusal, and recounts after the next edit', async () => {
    vi.useFakeTimers();
    let problems = [
      { field: 'train.schedule.lr', message: 'must be a finite number > 0' },
      { field: 'train.batchSize', message: 'must be a whole number ≥ 1' },
      { field: 'model.nHead', message: 'must divide nEmbd' },
      { field: 'model.nHead', message: 'must be ≥ 1' },
    ];
    const t = fakeTransport({
      'runs.validate': () => ({ ok: problems.length === 0, problems, estimate: null }),
    });
    setTransport(t);
    const form = new NewRunState();
    form.config = tinyPreset();
    form.estimate = estimateFor(TINY_PARAMETERS); // of the config before the edits below

    form.changed(); // an edit, then Create before the check a moment later
    expect(form.status).toBe('checking');
    expect(await form.submit()).toBeNull();
    expect(form.status).toBe('problems');
    expect(form.problemCount).toBe(3);
    expect(form.submitError).toBe(
      'The run was not created: 3 fields need attention, each marked in the form.',
    );
    expect(form.estimate).toBeNull(); // the estimate describes the config refused, too
    vi.advanceTimersByTime(1000);
    expect(t.calls.map((c) => c.method)).toEqual(['runs.validate']); // once, and nothing created

    problems = [{ field: 'train.batchSize', message: 'must be a whole number ≥ 1' }];
    form.changed();
    expect(form.submitError).toBeNull();
    expect(form.status).toBe('checking');
    await vi.waitFor(() => expect(form.status).toBe('problems'));
    expect(form.problemCount).toBe(1);
  });
});

describe('the default name', () => {
  const named = (datasetId: number): RunConfig =>
    tinyPreset({ datasetId, name: `${datasetId === 1 ? 'Sample corpus' : 'Poems'} · tiny` });
  const transportFor = () =>
    fakeTransport({
      'runs.defaults': (input) => named(input.datasetId),
      'runs.validate': () => ({ ok: true, problems: [], estimate: null }),
      'system.info': () => {
        throw new Error('not needed');
      },
    });

  it('follows the dataset until the person edits it', async () => {
    setTransport(transportFor());
    const form = new NewRunState();
    await form.begin(1, null);
    await form.chooseDataset(2);
    expect(form.config?.name).toBe('Poems · tiny');
    form.preset = 'custom';
    await form.chooseDataset(1);
    expect(form.config?.name).toBe('Sample corpus · custom');
    expect(form.config?.datasetId).toBe(1);

    form.nameEdited = true; // the name input's oninput
    if (form.config !== null) form.config.name = 'my run';
    await form.chooseDataset(2);
    expect(form.config?.name).toBe('my run');
    form.preset = 'tiny';
    await form.applyDefaults(2, 'small');
    expect(form.config?.name).toBe('my run');
  });

  it('a duplicate keeps its “(copy)” name and the run’s settings', async () => {
    const original = tinyPreset({ name: 'lr sweep', threads: 1 });
    original.train.schedule.lr = 3e-4;
    const t = fakeTransport({
      'runs.get': () => ({ ...runSummary(7), config: original }) as never,
      'runs.validate': () => ({ ok: true, problems: [], estimate: null }),
    });
    setTransport(t);
    const form = new NewRunState();
    await form.begin(null, 7);
    expect(form.config).toEqual({ ...original, name: 'lr sweep (copy)' });
    expect(form.preset).toBe('custom');
    expect(form.nameEdited).toBe(true);
    // Nothing is created until the form is submitted.
    expect(t.calls.map((c) => c.method).filter((m) => m.startsWith('runs.') && m !== 'runs.list')).toEqual([
      'runs.get',
      'runs.validate',
    ]);
  });
});

describe('the engine on the Compute card', () => {
  it('keeps only the chosen engine’s settings and shows the environment check', async () => {
    const t = fakeTransport({
      'runs.validate': () => ({ ok: true, problems: [], estimate: null }),
      'engines.pytorch': () => ({
        available: false,
        python: 'python3',
        summary: 'not found: there is no Python interpreter "python3"; install python3 and PyTorch …',
        devices: { cuda: [], mps: false },
      }),
    });
    setTransport(t);
    const form = new NewRunState();
    form.config = { ...tinyPreset(), threads: 2 };

    form.chooseEngine('pytorch');
    expect(form.config).toMatchObject({ engine: 'pytorch', device: 'auto' });
    expect(form.config.threads).toBe(1); // the default, which a pytorch run leaves alone
    await vi.waitFor(() => expect(form.torch?.summary).toMatch(/^not found: .*install python3 and PyTorch/));
    expect(form.stepTime).toBeNull(); // no estimate yet; with one, the PyTorch engine measures it

    form.chooseEngine('builtin');
    expect(form.config.engine).toBeUndefined();
    expect(form.config.device).toBeUndefined();
    expect(form.config.threads).toBe(2);
  });
});
