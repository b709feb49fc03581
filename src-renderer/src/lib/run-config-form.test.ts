// The New-run form's words and warnings: the service's problems named by the form's labels and
// shown at the input a person fixes them in; legal values that are almost surely wrong warned about.

import { describe, expect, it } from 'vitest';
import { tinyPreset } from '../state/fixtures';
import { formatLongDuration, runConfigWarnings } from './run-config-warnings';
import type { WarningFacts } from './run-config-warnings';
import { formProblems, labelOf, plainMessage } from './run-config-wording';

describe('plainMessage', () => {
  it('speaks of the form’s fields, not the engine’s names', () => {
    expect(plainMessage('nEmbd must be at most 8192, got 10000')).toBe('must be at most 8192, got 10000');
    expect(plainMessage('nHead (4) must divide nEmbd (30) so every head gets nEmbd/nHead channels')).toBe(
      'Heads (4) must divide Width (embedding) (30) so every head gets the same number of channels',
    );
    expect(plainMessage('must equal steps (100) so the schedule ends where the run does')).toBe(
      'must equal steps (100) so the schedule ends where the run does',
    );
  });

  it('spells out the batch size a split must hold', () => {
    const message = plainMessage(
      'the training split holds 500 tokens, but one batch of 8 sequences × 64 tokens needs at least B·T + 1 = 513; use a smaller batch',
    );
    expect(message).toBe(
      'the training split holds 500 tokens, but one batch of 8 sequences × 64 tokens needs at least 513 (batch size × sequence length + 1); use a smaller batch',
    );
    expect(message).not.toMatch(/B·T|nEmbd|seqLen|batchSize/);
  });
});

describe('formProblems', () => {
  const inputs = new Set(['train.steps', 'model.nEmbd', 'train.optimizer.beta1']);

  it('shows each problem at the input that fixes it, under the form’s label', () => {
    const shown = formProblems(
      [
        { field: 'train.schedule.totalSteps', message: 'must equal steps (100)' },
        { field: 'model.nEmbd', message: 'nEmbd must be at most 8192, got 10000' },
        { field: 'train.optimizer.beta2', message: 'must be in [0, 1)' },
        { field: 'train.logEvery', message: 'must be a whole number ≥ 1' },
      ],
      inputs,
      () => false,
    );
    expect(shown).toEqual([
      {
        field: 'train.schedule.totalSteps',
        input: 'train.steps',
        label: 'Steps',
        message: 'must equal steps (100)',
      },
      {
        field: 'model.nEmbd',
        input: 'model.nEmbd',
        label: 'Width (embedding)',
        message: 'must be at most 8192, got 10000',
      },
      {
        field: 'train.optimizer.beta2',
        input: 'train.optimizer.beta1',
        label: 'β₂',
        message: 'must be in [0, 1)',
      },
      // No input for it: listed under its label rather than dropped.
      {
        field: 'train.logEvery',
        input: null,
        label: 'Log every (steps)',
        message: 'must be a whole number ≥ 1',
      },
    ]);
  });

  it('asks for a number where an input was emptied', () => {
    const [problem] = formProblems(
      [{ field: 'train.steps', message: 'must be a finite number' }],
      inputs,
      () => true,
    );
    expect(problem.message).toBe('needs a number');
  });

  it('keeps an unknown path’s own name', () => {
    expect(labelOf('train.somethingNew')).toBe('train.somethingNew');
  });
});

describe('runConfigWarnings', () => {
  const facts: WarningFacts = { totalSeconds: 600, valTokens: 100_000, trainTokens: 900_000 };
  const inputs = (config = tinyPreset(), f = facts): string[] =>
    runConfigWarnings(config, f).map((w) => w.input);

  it('says nothing about the defaults', () => {
    expect(runConfigWarnings(tinyPreset(), facts)).toEqual([]);
  });

  it('warns of a learning rate the optimizer diverges at', () => {
    const config = tinyPreset();
    config.train.schedule.lr = 1e9;
    expect(runConfigWarnings(config, facts)).toEqual([
      {
        input: 'train.schedule.lr',
        message:
          '1000000000 is far above what AdamW trains with (about 1e-4 to 1e-2): the loss will almost surely diverge',
      },
    ]);
    config.train.schedule.lr = 0.5;
    config.train.optimizer = { kind: 'sgd', momentum: 0.9, weightDecay: 0 };
    expect(inputs(config)).toEqual([]); // SGD trains at rates AdamW diverges at
  });

  it('warns of a run of days or years, by the estimate or, without one, at 1 ms a step', () => {
    const config = tinyPreset();
    expect(runConfigWarnings(config, { ...facts, totalSeconds: 3 * 86400 })[0].message).toBe(
      'by the estimate this run takes 3 days',
    );
    config.train.steps = 1e12;
    config.train.schedule.totalSteps = 1e12;
    expect(runConfigWarnings(config, { ...facts, totalSeconds: null })[0]).toEqual({
      input: 'train.steps',
      message: '1,000,000,000,000 steps take over 32 years even at 1 ms a step',
    });
  });

  it('warns when the warmup outlasts the run', () => {
    const config = tinyPreset();
    config.train.schedule.warmupSteps = 5000;
    expect(inputs(config)).toEqual(['train.schedule.warmupSteps']);
  });

  it('says so when a tiny dataset holds the batch small, naming the split that limits it', () => {
    const config = tinyPreset();
    config.train = { ...config.train, batchSize: 2, seqLen: 32 };
    const [warning] = runConfigWarnings(config, { totalSeconds: 1, valTokens: 100, trainTokens: 900 });
    expect(warning.input).toBe('train.batchSize');
    expect(warning.message).toContain('its validation split holds 100 tokens');
    expect(warning.message).toContain(
      "2 × 32 tokens here, sequences shorter than the model's context length (64)",
    );
    expect(warning.message).toContain('a larger validation fraction');
    // A batch that does not fit at all is the service's problem, not a warning.
    config.train.batchSize = 4;
    expect(inputs(config, { totalSeconds: 1, valTokens: 100, trainTokens: 900 })).toEqual([]);
  });
});

describe('formatLongDuration', () => {
  it('reads in days, years and millions of years', () => {
    expect(formatLongDuration(3600)).toBe('1 h 0 min');
    expect(formatLongDuration(5 * 86400)).toBe('5 days');
    expect(formatLongDuration(40 * 365.25 * 86400)).toBe('40 years');
    expect(formatLongDuration(3e6 * 365.25 * 86400)).toBe('3 million years');
  });
});
