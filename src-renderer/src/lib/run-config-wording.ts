// The run config in the New-run form's words: each config path's label, the input a problem is
// shown at, and the service's messages rewritten without internal names (nEmbd, B·T + 1), so what
// a person reads names things the way the form labels them.

import type { FieldProblem } from '../../../src-main/api';

/** The label of each config path, as the form shows it (fields the form has no input for too). */
export const FIELD_LABEL: Readonly<Record<string, string>> = {
  name: 'Name',
  datasetId: 'Dataset',
  'model.nLayer': 'Layers',
  'model.nHead': 'Heads',
  'model.nEmbd': 'Width (embedding)',
  'model.contextLength': 'Context length',
  'train.optimizer.kind': 'Optimizer',
  'train.schedule.lr': 'Learning rate',
  'train.optimizer.weightDecay': 'Weight decay',
  'train.optimizer.beta1': 'β₁',
  'train.optimizer.beta2': 'β₂',
  'train.optimizer.eps': 'AdamW ε',
  'train.optimizer.momentum': 'Momentum',
  'train.schedule.kind': 'Schedule',
  'train.schedule.minLr': 'Minimum LR',
  'train.schedule.warmupSteps': 'Warmup steps',
  'train.schedule.totalSteps': 'Steps',
  'train.schedule.stepSize': 'Step decay interval',
  'train.schedule.gamma': 'Step decay factor',
  'train.clipNorm': 'Gradient clip (norm)',
  'train.batchSize': 'Batch size',
  'train.seqLen': 'Sequence length',
  'train.gradAccumSteps': 'Accumulation steps',
  'train.steps': 'Steps',
  'train.evalEvery': 'Evaluate every (steps)',
  'train.evalBatches': 'Eval batches',
  'train.valFraction': 'Validation fraction',
  'train.seed': 'Seed',
  'train.earlyStopping.patience': 'Early stopping',
  'train.earlyStopping.minDelta': 'Early stopping: least improvement',
  'train.maxBadSteps': 'Bad steps before halting',
  'train.logEvery': 'Log every (steps)',
  'train.histogramEvery': 'Histogram every (steps)',
  'checkpoints.every': 'Checkpoint every (steps)',
  'checkpoints.keepLast': 'Keep last',
  'checkpoints.keepEvery': 'Keep every (steps)',
  'samples.every': 'Sample every (steps)',
  'samples.prompt': 'Sample prompt',
  'samples.maxTokens': 'Sample length (tokens)',
  'samples.temperature': 'Sample temperature',
  'samples.topK': 'Sample top-k',
  'samples.topP': 'Sample top-p',
  'samples.seed': 'Sample seed',
  backend: 'Backend',
  threads: 'Training threads',
  memory: 'Memory',
};

/** Config paths whose problems are shown at another input: the one a person edits to fix them. */
const SHOWN_AT: Readonly<Record<string, string>> = {
  'train.schedule.totalSteps': 'train.steps', // the form keeps it equal to Steps
  'train.optimizer.beta2': 'train.optimizer.beta1', // β₁ and β₂ share one field
  'train.earlyStopping.patience': 'earlyStopping',
  'train.earlyStopping.minDelta': 'earlyStopping',
};

/** The label of a config path; an unknown path keeps its own name rather than vanish. */
export function labelOf(path: string): string {
  return FIELD_LABEL[path] ?? path;
}

/** Internal names (camelCase) that messages may contain, each with its label. */
const NAME_LABEL: readonly [RegExp, string][] = Object.entries(FIELD_LABEL)
  .map(([path, label]) => [path.split('.').at(-1) ?? path, label] as const)
  .filter(([name]) => /[a-z][A-Z]/.test(name))
  .map(([name, label]) => [new RegExp(`\\b${name}\\b`, 'g'), label]);

/**
 * A message in the form's words: the field's own name at its start is dropped (the label is shown
 * beside it), the batch formula is spelt out, and any other internal name becomes its label.
 */
export function plainMessage(message: string): string {
  let text = message
    .replace(/^(nLayer|nHead|nEmbd|contextLength|vocabSize) (?=must)/, '')
    .replace(/so every head gets nEmbd\/nHead channels/, 'so every head gets the same number of channels')
    .replace(/\bB = (\d+) sequences × T = (\d+) tokens/g, '$1 sequences × $2 tokens')
    .replace(/at least B·T \+ 1 = (\d+)/g, 'at least $1 (batch size × sequence length + 1)');
  for (const [name, label] of NAME_LABEL) text = text.replace(name, label);
  return text;
}

export interface FormProblem {
  /** The config path the service named. */
  field: string;
  /** The input it is shown at, or null when the form has no input for it (listed by label). */
  input: string | null;
  label: string;
  message: string;
}

/**
 * The service's problems as the form shows them: each at its input (`inputs` are the ids the form
 * has), in the form's words; an emptied number input says it needs a number.
 */
export function formProblems(
  problems: readonly FieldProblem[],
  inputs: ReadonlySet<string>,
  isEmpty: (field: string) => boolean,
): FormProblem[] {
  return problems.map((p) => {
    const target = SHOWN_AT[p.field] ?? p.field;
    return {
      field: p.field,
      input: inputs.has(target) ? target : null,
      label: labelOf(p.field),
      message: isEmpty(p.field) ? 'needs a number' : plainMessage(p.message),
    };
  });
}
