// The new-run form's plain inputs (a number or a line of text at a path of the run config), in the
// order they appear, and the ids of every input a problem can be shown at.

import type { RunConfig } from '../../../../src-main/api';
import type { NumberPath, TextPath } from '../../lib/config-path';
import { newRun } from '../../state/new-run.svelte';

/** The form's sections that hold plain inputs (builtin: the built-in engine's): each draws its group. */
export type InputGroup =
  'run' | 'model' | 'optimizer' | 'schedule' | 'batch' | 'evaluation' | 'checkpoints' | 'samples' | 'builtin';

/**
 * A plain input: `path` is its id and the field its problems come under. It is marked
 * (aria-invalid, outlined) while that field has a problem, beside its message.
 */
export type Input = {
  group: InputGroup;
  hint?: string;
  step?: 'any';
  min?: number;
  oninput?: () => void;
} & ({ path: NumberPath; text?: never } | { path: TextPath; text: true });

/** The schedule runs as long as the run: editing the steps moves its end with them. */
function stepsChanged(): void {
  const config = newRun.config;
  if (config !== null && Number.isFinite(config.train.steps))
    config.train.schedule.totalSteps = config.train.steps;
}

export const INPUTS: Input[] = [
  { group: 'run', path: 'name', text: true, oninput: () => (newRun.nameEdited = true) },
  { group: 'model', path: 'model.nLayer' },
  { group: 'model', path: 'model.nHead' },
  { group: 'model', path: 'model.nEmbd' },
  { group: 'model', path: 'model.contextLength' },
  { group: 'optimizer', path: 'train.schedule.lr', step: 'any' },
  { group: 'optimizer', path: 'train.optimizer.weightDecay', step: 'any' },
  { group: 'schedule', path: 'train.schedule.minLr', step: 'any' },
  { group: 'schedule', path: 'train.schedule.warmupSteps' },
  { group: 'schedule', path: 'train.clipNorm', step: 'any' },
  { group: 'batch', path: 'train.batchSize' },
  { group: 'batch', path: 'train.seqLen' },
  { group: 'batch', path: 'train.gradAccumSteps' },
  { group: 'batch', path: 'train.steps', oninput: stepsChanged },
  { group: 'evaluation', path: 'train.evalEvery' },
  { group: 'evaluation', path: 'train.evalBatches' },
  { group: 'evaluation', path: 'train.valFraction', step: 'any' },
  { group: 'evaluation', path: 'train.seed' },
  { group: 'checkpoints', path: 'checkpoints.every', hint: '0: on pause, stop and at the end' },
  { group: 'samples', path: 'samples.every' },
  { group: 'samples', path: 'samples.prompt', text: true },
  { group: 'builtin', path: 'threads', min: 1, hint: 'each takes a slice of every batch (WebAssembly only)' },
];

/** The ids of the form's inputs: a problem is marked at its input, and listed with the others. */
export const INPUT_IDS = new Set<string>([
  ...INPUTS.map((input) => input.path),
  'datasetId',
  'train.schedule.kind',
  'train.optimizer.kind',
  'train.optimizer.beta1',
  'train.optimizer.momentum',
  'earlyStopping',
  'checkpoints.keepLast',
  'backend',
  'engine',
  'device',
  'processes',
]);

/** Whether a number input of the config is empty (it holds null). */
export function emptyAt(config: RunConfig, field: string): boolean {
  let value: unknown = config;
  for (const key of field.split('.')) {
    if (typeof value !== 'object' || value === null) return false;
    value = (value as Record<string, unknown>)[key];
  }
  return value === null;
}
