// Callers waiting for an engine's event (an acknowledgement, a state): each resolves on the first
// event that matches, or rejects at its time-out or when the engine exits. Both engine handles
// (WorkerClient, TorchHandle) keep their waiters here.

import type { WorkerEvent } from '../../src-worker/protocol';

interface Waiter {
  match: (event: WorkerEvent) => boolean;
  resolve: (event: WorkerEvent) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | null;
}

export class EventWaiters {
  private readonly waiters = new Set<Waiter>();

  /** Resolves with the first matching event; null: no time limit, else `timedOut()` after it. */
  wait(
    match: (event: WorkerEvent) => boolean,
    timeoutMs: number | null,
    timedOut: () => Error,
  ): Promise<WorkerEvent> {
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
                reject(timedOut());
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

  /** The engine is gone: every waiter fails with `err`. */
  rejectAll(err: Error): void {
    for (const w of this.waiters) {
      if (w.timer !== null) clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiters.clear();
  }
}
