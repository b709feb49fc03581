// Test support for the store without a studio: the spec of a 1-layer, 16-wide char model, a run
// recorded with it, and a run's record read back typed (a test reads only runs it recorded).

import { join } from 'node:path';
import type { RunConfig } from '../../api';
import type { RunRecord, Store } from '../store';
import type { NewRun } from '../store/runs';

/** The spec of a run recorded without a config (as the CLI records one). */
export const MICRO_SPEC = {
  data: { kind: 'path' as const, path: '/corpus.txt' },
  tokenizer: { kind: 'char' as const },
  model: { nLayer: 1, nHead: 2, nEmbd: 16, contextLength: 16 },
  train: { batchSize: 4, seqLen: 16, gradAccumSteps: 1, steps: 100 } as unknown as RunConfig['train'],
  backend: 'ts' as const,
} satisfies NewRun['spec'];

/** Records a run of MICRO_SPEC named 'r', its folder `<dataDir>/runs/<id>`; `fields` replace these. */
export function recordRun(store: Store, dataDir: string, fields: Partial<NewRun> = {}): number {
  return store.runs.insert({
    name: 'r',
    origin: 'studio',
    datasetId: null,
    config: null,
    spec: MICRO_SPEC,
    dir: join(dataDir, 'runs', '{id}'),
    totalSteps: 1000,
    parentRunId: null,
    forkedAtStep: null,
    ...fields,
  });
}

/** The record of a run the test recorded (it throws, naming the id, when the store has none). */
export function recordOf(store: Store, id: number): RunRecord {
  const run = store.runs.get(id);
  if (run === null) throw new Error(`The store has no run ${id}.`);
  return run;
}
