// Holds each run's monitoring updates and passes them on at most once per interval (default
// 100 ms: ≤ 10 updates a second per run), merged, so a fast run never floods the UI. The first
// update after a quiet spell goes out at once; nothing is dropped, only merged.

import type { RunUpdate } from '../api';
import { mergeUpdates } from './monitoring';

interface Pending {
  update: RunUpdate | null;
  lastSent: number;
  timer: NodeJS.Timeout | null;
}

export class UpdateThrottle {
  private readonly runs = new Map<number, Pending>();

  constructor(
    private readonly send: (runId: number, update: RunUpdate) => void,
    readonly intervalMs = 100,
  ) {}

  add(runId: number, update: RunUpdate): void {
    let p = this.runs.get(runId);
    if (p === undefined) this.runs.set(runId, (p = { update: null, lastSent: -Infinity, timer: null }));
    p.update = p.update === null ? update : mergeUpdates(p.update, update);
    if (p.timer !== null) return;
    const wait = p.lastSent + this.intervalMs - Date.now();
    if (wait <= 0) this.flush(runId);
    else p.timer = setTimeout(() => this.flush(runId), wait);
  }

  /** Sends what is pending for the run now (before a state change, so order is kept). */
  flush(runId: number): void {
    const p = this.runs.get(runId);
    if (p === undefined) return;
    if (p.timer !== null) clearTimeout(p.timer);
    p.timer = null;
    if (p.update === null) return;
    const update = p.update;
    p.update = null;
    p.lastSent = Date.now();
    this.send(runId, update);
  }

  /** Flushes and forgets a run that stopped training. */
  forget(runId: number): void {
    this.flush(runId);
    this.runs.delete(runId);
  }

  dispose(): void {
    for (const runId of [...this.runs.keys()]) this.forget(runId);
  }
}
