// The engine's value checks of a run config's model and training sections, for a config that fails
// the schema: an emptied name or an emptied Steps input must not hide a width of 10000 until it is
// fixed, so the New-run form can show every problem at once.

import { validateModelConfig } from '../../src-worker/model/config';
import type { ModelConfig } from '../../src-worker/model/config';
import { validateTrainConfig } from '../../src-worker/train/validate';
import type { TrainConfig } from '../../src-worker/train/config';
import type { FieldProblem } from './errors';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * Whether the engine's train validator can walk `train`: it checks each value's type itself, but
 * needs the optimizer and schedule objects (with a kind) and early stopping as null or an object.
 */
function walkableTrain(train: unknown): train is TrainConfig {
  return (
    isObject(train) &&
    isObject(train.optimizer) &&
    (train.optimizer.kind === 'adamw' || train.optimizer.kind === 'sgd') &&
    isObject(train.schedule) &&
    typeof train.schedule.kind === 'string' &&
    (train.earlyStopping === null || isObject(train.earlyStopping))
  );
}

/**
 * The value problems of the model and training sections of `input`, leaving out fields
 * `shapeProblems` already names (the engine's validators check each value's type themselves).
 * Checks that need the dataset (vocabulary, split sizes, memory) wait for a well-shaped config.
 */
export function sectionProblems(input: unknown, shapeProblems: readonly FieldProblem[]): FieldProblem[] {
  const raw = isObject(input) ? input : {};
  const problems: FieldProblem[] = [];
  let contextLength = Infinity;
  if (isObject(raw.model)) {
    const modelProblems = validateModelConfig({ ...(raw.model as unknown as ModelConfig), vocabSize: 1 });
    for (const p of modelProblems) problems.push({ field: `model.${p.field}`, message: p.message });
    const context = raw.model.contextLength;
    if (!modelProblems.some((p) => p.field === 'contextLength') && typeof context === 'number')
      contextLength = context;
  }
  if (walkableTrain(raw.train)) {
    for (const p of validateTrainConfig(raw.train, contextLength))
      problems.push({ field: `train.${p.field}`, message: p.message });
  }
  const named = new Set(shapeProblems.map((p) => p.field));
  return problems.filter((p) => !named.has(p.field));
}
