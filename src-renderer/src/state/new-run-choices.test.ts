// The New run form's switches (optimizer, schedule, early stopping, samples): what a switched-on
// setting starts from is the service's answer to runs.choices, never a value the form writes.

import { describe, expect, it } from 'vitest';
import type { RunChoices } from '../../../src-main/api';
import { setTransport } from './api';
import { fakeTransport } from './fake-transport';
import { tinyPreset } from './fixtures';
import { NewRunState } from './new-run.svelte';

/** Choices unlike any default, so a value in the config can only have come from the service. */
const CHOICES: RunChoices = {
  optimizers: {
    adamw: { kind: 'adamw', beta1: 0.8, beta2: 0.85, eps: 1e-7, weightDecay: 0.3 },
    sgd: { kind: 'sgd', momentum: 0.7, weightDecay: 0.3 },
  },
  stepDecay: { stepSize: 33, gamma: 0.25 },
  earlyStopping: { patience: 9, minDelta: 0.01 },
  samples: { every: 77, prompt: 'Once', maxTokens: 50, temperature: 0.5, topK: 3, topP: 0.9, seed: 4 },
};

/** A form on the tiny preset whose service answers runs.choices with `choices`. */
function formWith(
  choices: (input: { datasetId: number; steps: number }) => Promise<RunChoices> | RunChoices,
) {
  const t = fakeTransport({
    'runs.choices': choices,
    'runs.validate': () => ({ ok: true, problems: [], estimate: null }),
  });
  setTransport(t);
  const form = new NewRunState();
  const config = tinyPreset();
  form.config = config;
  return { form, t, config: () => form.config ?? config };
}

describe('the form’s switches take their settings from runs.choices', () => {
  it('another optimizer gets its defaults and keeps the weight decay typed', async () => {
    const { form, config } = formWith(() => CHOICES);
    config().train.optimizer.weightDecay = 0.05;
    await form.chooseOptimizer('sgd');
    expect(config().train.optimizer).toEqual({ kind: 'sgd', momentum: 0.7, weightDecay: 0.05 });
    await form.chooseOptimizer('adamw');
    expect(config().train.optimizer).toEqual({
      kind: 'adamw',
      beta1: 0.8,
      beta2: 0.85,
      eps: 1e-7,
      weightDecay: 0.05,
    });
  });

  it('step decay is asked for the run’s length as typed, and the schedule keeps its range', async () => {
    const { form, t, config } = formWith(() => CHOICES);
    const before = { ...config().train.schedule };
    config().train.schedule.totalSteps = 1002;
    await form.chooseSchedule('step');
    expect(t.calls.find((c) => c.method === 'runs.choices')?.input).toEqual({
      datasetId: config().datasetId,
      steps: 1002,
    });
    expect(config().train.schedule).toEqual({
      kind: 'step',
      lr: before.lr,
      minLr: before.minLr,
      warmupSteps: before.warmupSteps,
      totalSteps: 1002,
      stepSize: 33,
      gamma: 0.25,
    });
    await form.chooseSchedule('linear');
    expect(config().train.schedule).toEqual({ ...before, kind: 'linear', totalSteps: 1002 });
  });

  it('early stopping turns on with the defaults, or with the patience typed before it was off', async () => {
    const { form, config } = formWith(() => CHOICES);
    await form.setEarlyStopping(true, null);
    expect(config().train.earlyStopping).toEqual({ patience: 9, minDelta: 0.01 });
    await form.setEarlyStopping(false, null);
    expect(config().train.earlyStopping).toBeNull();
    await form.setEarlyStopping(true, 3);
    expect(config().train.earlyStopping).toEqual({ patience: 3, minDelta: 0.01 });
  });

  it('samples turn on with the dataset’s default policy, and off without asking', async () => {
    const { form, t, config } = formWith(() => CHOICES);
    await form.setSamples(false);
    expect(config().samples).toBeNull();
    expect(t.calls.map((c) => c.method)).toEqual([]);
    await form.setSamples(true);
    expect(config().samples).toEqual(CHOICES.samples);
    expect(form.status).toBe('checking'); // the switched config is checked like any edit
  });

  it('a switch still waiting for the service gives way to a later one', async () => {
    let answer = (_choices: RunChoices): void => {};
    const { form, config } = formWith(() => new Promise<RunChoices>((resolve) => (answer = resolve)));
    const on = form.setSamples(true);
    await form.setSamples(false); // unchecked again before the service answered
    answer(CHOICES);
    await on;
    expect(config().samples).toBeNull();
  });

  it('a switch of one setting does not drop a switch of another still waiting', async () => {
    const answers: ((choices: RunChoices) => void)[] = [];
    const { form, config } = formWith(() => new Promise<RunChoices>((resolve) => answers.push(resolve)));
    const optimizer = form.chooseOptimizer('sgd');
    const samples = form.setSamples(true);
    for (const answer of answers) answer(CHOICES);
    await Promise.all([optimizer, samples]);
    expect(config().train.optimizer.kind).toBe('sgd');
    expect(config().samples).toEqual(CHOICES.samples);
  });

  it('a refusal is shown, and the config is left as it was', async () => {
    const { form, config } = formWith(() => {
      throw new Error('Dataset 1 was deleted.');
    });
    const optimizer = { ...config().train.optimizer };
    await form.chooseOptimizer('sgd');
    expect(config().train.optimizer).toEqual(optimizer);
    expect(form.submitError).toBe('Dataset 1 was deleted.');
  });
});
