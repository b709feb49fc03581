// The API's method names as a literal list, for the preload: it cannot import the contract itself
// (that would bundle zod and the schemas into the sandboxed preload). The compiler keeps the list
// equal to the contract: a missing or unknown name is a type error below.

import type { MethodName } from '../api';

export const METHOD_LIST = [
  'datasets.import',
  'datasets.list',
  'datasets.get',
  'datasets.stats',
  'datasets.preview',
  'datasets.delete',
  'runs.defaults',
  'runs.choices',
  'runs.validate',
  'runs.create',
  'runs.list',
  'runs.get',
  'runs.start',
  'runs.pause',
  'runs.resume',
  'runs.stop',
  'runs.delete',
  'runs.duplicate',
  'runs.rename',
  'runs.setTags',
  'runs.setNotes',
  'runs.events',
  'runs.samples',
  'runs.histograms',
  'tags.list',
  'metrics.keys',
  'metrics.series',
  'metrics.export',
  'checkpoints.list',
  'checkpoints.verify',
  'checkpoints.export',
  'checkpoints.resume',
  'checkpoints.delete',
  'checkpoints.pin',
  'generation.start',
  'generation.cancel',
  'settings.get',
  'settings.update',
  'system.info',
  'engines.pytorch',
  'dataFolder.get',
  'dataFolder.choose',
  'store.status',
  'store.recover',
] as const satisfies readonly MethodName[];

type Missing = Exclude<MethodName, (typeof METHOD_LIST)[number]>;
/** Fails to compile, naming the method, when the contract gains one this list lacks. */
export const METHOD_LIST_IS_COMPLETE: [Missing] extends [never] ? true : { missing: Missing } = true;
