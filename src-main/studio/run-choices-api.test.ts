// runs.choices: what the new-run form switches a setting to is the run defaults (run-defaults.ts)
// for the dataset and the run's length, and every config so switched is one the studio accepts.

import { beforeAll, describe, expect, it } from 'vitest';
import type { RunChoices, RunConfig, ValidationReport } from '../api';
import {
  DEFAULT_ADAMW,
  DEFAULT_EARLY_STOPPING,
  DEFAULT_SGD,
  defaultSchedule,
} from '../../src-worker/train/run-defaults';
import { refusal, useStudio } from './test-support/studio-harness';

const harness = useStudio('run-choices', { scope: 'file', corpus: true });
let defaults: RunConfig;

beforeAll(async () => {
  const { studio, dataset } = harness;
  defaults = (await studio.call('runs.defaults', { datasetId: dataset.id })) as RunConfig;
});

const choicesFor = async (steps: number): Promise<RunChoices> =>
  (await harness.studio.call('runs.choices', { datasetId: harness.dataset.id, steps })) as RunChoices;

describe('runs.choices', () => {
  it('answers the run defaults, with the samples runs.defaults proposes for the dataset', async () => {
    const choices = await choicesFor(defaults.train.steps);
    expect(choices.optimizers).toEqual({ adamw: DEFAULT_ADAMW, sgd: DEFAULT_SGD });
    expect(choices.earlyStopping).toEqual(DEFAULT_EARLY_STOPPING);
    expect(choices.samples).toEqual(defaults.samples);
  });

  it('gives the step decay of defaultSchedule for the run’s length (a quarter, rounded down)', async () => {
    const { stepDecay } = await choicesFor(1002);
    expect(defaultSchedule('step', 1002)).toMatchObject(stepDecay);
    expect(stepDecay.stepSize).toBe(250);
    expect((await choicesFor(2)).stepDecay.stepSize).toBe(1);
  });

  it('switches the defaults to configs the studio accepts', async () => {
    const choices = await choicesFor(defaults.train.steps);
    const { schedule } = defaults.train;
    const switched: RunConfig = {
      ...defaults,
      train: {
        ...defaults.train,
        optimizer: choices.optimizers.sgd,
        schedule: { ...schedule, kind: 'step', ...choices.stepDecay },
        earlyStopping: choices.earlyStopping,
      },
      samples: choices.samples,
    };
    const report = (await harness.studio.call('runs.validate', { config: switched })) as ValidationReport;
    expect(report.problems).toEqual([]);
  });

  it('refuses an unknown dataset and a length that is not a number', async () => {
    const { studio, dataset } = harness;
    const missing = await refusal(studio.call('runs.choices', { datasetId: 999, steps: 10 }));
    expect(missing.code).toBe('not-found');
    const bad = await refusal(studio.call('runs.choices', { datasetId: dataset.id }));
    expect(bad.code).toBe('invalid-input');
    expect(bad.problems.map((p) => p.field)).toEqual(['steps']);
  });
});
