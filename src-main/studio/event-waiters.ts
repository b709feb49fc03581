// Callers waiting for an engine's event (an acknowledgement, a state): each resolves on the first
// event that matches, or rejects at its time-out or when the engine exits. Both engine handles
// (WorkerClient, TorchHandle) keep their waiters here, through EngineHandleBase.

import type { WorkerEvent } from '../../src-worker/protocol';

/** The engine ended, or did not answer in time, before the event a caller waited for. */
export class WorkerGoneError extends Error {
  override name = 'WorkerGoneError';
}

interface Waiter {
  match: (event: WorkerEvent) => boolean;
  resolve: (event: WorkerEvent) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | null;
}

export class EventWaiters {
  private readonly waiters = new Set<Waiter>();
  /** Why nothing more will come, once the engine has exited. */
  private gone: WorkerGoneError | null = null;

  /** `engine` names the engine in time-out messages ('The worker', 'The PyTorch engine'). */
  constructor(private readonly engine: string) {}

  /**
   * Resolves with the first matching event; null: no time limit. Rejects when `what` (what the
   * engine was to do, e.g. 'pause') did not happen in time, or once the engine has exited.
   */
  wait(match: (event: WorkerEvent) => boolean, timeoutMs: number | null, what: string): Promise<WorkerEvent> {
    if (this.gone !== null) return Promise.reject(this.gone);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve,
        reject,
        timer:
          timeoutMs === null
            ? null
            : setTimeout(() => {
                this.waiters.delete(waiter);
                reject(
                  new WorkerGoneError(
                    `${this.engine} did not ${what} within ${Math.round(timeoutMs / 1000)} s.`,
                  ),
                );
              }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Hands an event to every waiter it matches. */
  deliver(event: WorkerEvent): void {
    for (const w of this.waiters) {
      if (!w.match(event)) continue;
      if (w.timer !== null) clearTimeout(w.timer);
      this.waiters.delete(w);
      w.resolve(event);
    }
  }

  /** The engine is gone: every waiter, and every later wait, fails with `reason`. */
  rejectAll(reason: string): void {
    this.gone = new WorkerGoneError(reason);
    for (const w of this.waiters) {
      if (w.timer !== null) clearTimeout(w.timer);
      w.reject(this.gone);
    }
    this.waiters.clear();
  }
}
