// Sample data for the renderer's tests: the studio's tiny preset as a run config and a run update
// that carries nothing (JSON answers of the API; the renderer imports no values from the main side),
// and a run summary with plain defaults that each test overrides where it matters.

import type { RunConfig, RunSummary, RunUpdate } from '../../../src-main/api';
import EMPTY_UPDATE from './empty-update.json';
import TINY_PRESET from './tiny-preset.json';

/**
 * The studio's tiny preset on the sample corpus, as the API proposes it (src-main's step-time test
 * checks the file against presetRunConfig): 809,472 parameters, a batch of 16 × 64 tokens.
 */
export function tinyPreset(over: Partial<RunConfig> = {}): RunConfig {
  return { ...(structuredClone(TINY_PRESET) as RunConfig), ...over };
}

/** A run update with nothing in it, as the service starts one (src-main's renderer-fixtures test checks the file). */
export function emptyUpdate(): RunUpdate {
  return structuredClone(EMPTY_UPDATE) as RunUpdate;
}

/** A run that was created and never started, named after its id. */
export const runSummary = (id: number, over: Partial<RunSummary> = {}): RunSummary => ({
  id,
  name: `run ${id}`,
  status: 'created',
  statusMessage: null,
  stopReason: null,
  origin: 'studio',
  datasetId: 1,
  datasetName: 'sample',
  step: 0,
  totalSteps: 100,
  bestValLoss: null,
  lastValLoss: null,
  lastTrainLoss: null,
  tokensSeen: 0,
  tokensPerSecond: null,
  tags: [],
  parentRunId: null,
  forkedAtStep: null,
  createdAt: '2026-01-01T00:00:00Z',
  startedAt: null,
  finishedAt: null,
  updatedAt: '2026-01-01T00:00:00Z',
  ...over,
});
