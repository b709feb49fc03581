// A submitted run config checked against its dataset and this machine's free memory.

import { describeProblems, StudioError, validateRunConfig } from '../../api';
import type { RunConfig } from '../../api';
import type { StudioContext } from './context';

export function checkConfig(ctx: StudioContext, config: unknown): ReturnType<typeof validateRunConfig> {
  const datasetId = (config as { datasetId?: unknown } | null)?.datasetId;
  const dataset = typeof datasetId === 'number' ? ctx.store.datasets.get(datasetId) : null;
  return validateRunConfig(config, { dataset, freeMemoryBytes: ctx.freeMemory() });
}

/** The config if it is valid; else a StudioError listing every problem by field. */
export function validConfig(ctx: StudioContext, config: unknown): RunConfig {
  const check = checkConfig(ctx, config);
  if (check.config === null || check.problems.length > 0) {
    throw new StudioError(
      'invalid-config',
      `The run config is not valid: ${describeProblems(check.problems)}`,
      check.problems,
    );
  }
  return check.config;
}
