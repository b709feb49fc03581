// Engine workers for one job each (a dataset import, a generation from a checkpoint): each exits by
// itself when its job is done; the pool remembers the ones still running so closing ends them all.

import type { WorkerEvent } from '../../src-worker/protocol';
import { WorkerClient } from './worker-client';

export interface OneShotOptions {
  /** The bundled engine worker, out/engine/worker.js. */
  script: string;
  flushMs: number;
  heartbeatMs: number;
}

export class OneShotWorkers {
  private readonly running = new Set<WorkerClient>();

  constructor(private readonly options: OneShotOptions) {}

  /** Starts a worker whose events go to `onEvent`; `onExit` runs once it has ended. */
  start(onEvent: (event: WorkerEvent) => void, onExit: () => void = () => undefined): WorkerClient {
    const client: WorkerClient = new WorkerClient({
      ...this.options,
      onEvent,
      onExit: () => {
        this.running.delete(client);
        onExit();
      },
    });
    this.running.add(client);
    return client;
  }

  async terminateAll(): Promise<void> {
    await Promise.all([...this.running].map((w) => w.terminate()));
  }
}
