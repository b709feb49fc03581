// What every studio service shares: the store, the data folder, the run manager, the pool of
// one-shot workers and the event stream.

import type { MethodName, StudioEvent, StudioHandlers } from '../../api';
import type { DataDirLayout } from '../data-dir';
import { requireRun } from '../lookups';
import type { OneShotWorkers } from '../one-shot-workers';
import type { RunManager } from '../run-manager';
import { runSummary } from '../store';
import type { Store } from '../store';

export interface StudioContext {
  readonly store: Store;
  readonly layout: DataDirLayout;
  readonly manager: RunManager;
  readonly workers: OneShotWorkers;
  /** This machine's cores (or the caller's figure), for default thread counts and concurrency. */
  readonly cores: number;
  readonly freeMemory: () => number;
  emit(event: StudioEvent): void;
}

/** The handlers of the methods whose names start with `prefix.`: one service's share of the map. */
export type HandlersOf<Prefix extends string> = Pick<
  StudioHandlers,
  Extract<MethodName, `${Prefix}.${string}`>
>;

/** Tells subscribers a run's row changed. */
export function emitRunChanged(ctx: StudioContext, id: number): void {
  ctx.emit({ type: 'run-changed', run: runSummary(requireRun(ctx.store, id)) });
}
