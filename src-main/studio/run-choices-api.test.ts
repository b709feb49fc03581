// runs.choices: what the new-run form switches a setting to is the run defaults (run-defaults.ts)
// for the dataset and the run's length, and every config so switched is one the studio accepts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetInfo, RunChoices, RunConfig, ValidationReport } from '../api';
import { StudioError } from '../api';
import { rejectionOf } from '../../src-worker/test-support/caught';
import { useTempDir } from '../../src-worker/test-support/temp-dir';
import {
  DEFAULT_ADAMW,
  DEFAULT_EARLY_STOPPING,
  DEFAULT_SGD,
  defaultSchedule,
} from '../../src-worker/train/run-defaults';
import type { Studio } from './studio';
import { importCorpus, openStudio } from './test-support/fixtures';

const tmp = useTempDir('crystalline-run-choices-', 'file');
let studio: Studio;
let dataset: DatasetInfo;
let defaults: RunConfig;

beforeAll(async () => {
  studio = await openStudio(tmp.path);
  dataset = await importCorpus(studio, tmp.path);
  defaults = (await studio.call('runs.defaults', { datasetId: dataset.id })) as RunConfig;
});
afterAll(() => studio.close()); // before the folder is removed (after-hooks run last-registered first)

const choicesFor = async (steps: number): Promise<RunChoices> =>
  (await studio.call('runs.choices', { datasetId: dataset.id, steps })) as RunChoices;

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
    const report = (await studio.call('runs.validate', { config: switched })) as ValidationReport;
    expect(report.problems).toEqual([]);
  });

  it('refuses an unknown dataset and a length that is not a number', async () => {
    const missing = await rejectionOf(
      studio.call('runs.choices', { datasetId: 999, steps: 10 }),
      StudioError,
    );
    expect(missing.code).toBe('not-found');
    const bad = await rejectionOf(studio.call('runs.choices', { datasetId: dataset.id }), StudioError);
    expect(bad.code).toBe('invalid-input');
    expect(bad.problems.map((p) => p.field)).toEqual(['steps']);
  });
});
