// Id → record lookups for the service: a record, or a not-found error naming the id (never a cast).

import type { CheckpointInfo } from '../api';
import { StudioError } from '../api';
import type { DatasetRecord, RunRecord, Store } from './store';

export function requireDataset(store: Store, id: number): DatasetRecord {
  const d = store.datasets.get(id);
  if (d === null) throw new StudioError('not-found', `There is no dataset with id ${id}.`);
  return d;
}

export function requireRun(store: Store, id: number): RunRecord {
  const r = store.runs.get(id);
  if (r === null) throw new StudioError('not-found', `There is no run with id ${id}.`);
  return r;
}

export function requireCheckpoint(store: Store, id: number): CheckpointInfo {
  const c = store.checkpoints.get(id);
  if (c === null) throw new StudioError('not-found', `There is no checkpoint with id ${id}.`);
  return c;
}
