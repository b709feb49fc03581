// Engine workers for one job each (a dataset import, a generation from a checkpoint): each exits by
// itself when its job is done; the pool remembers the ones still running so closing ends them all.

import type { WorkerEvent } from '../../src-worker/protocol';
import { StudioError } from '../api';
import { WorkerClient } from './worker-client';
import type { CommandInput } from './worker-client';

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

  /**
   * Sends one command to a fresh worker and resolves with its answer, the event of type `answer`;
   * the worker's error for it becomes a `failed` StudioError. `onEvent` sees every event on the way.
   */
  async request<T extends WorkerEvent['type']>(
    command: CommandInput,
    answer: T,
    what: string,
    onEvent: (event: WorkerEvent) => void = () => undefined,
  ): Promise<Extract<WorkerEvent, { type: T }>> {
    const client = this.start(onEvent);
    const requestId = client.send(command);
    const reply = await client.waitFor(
      (e) => (e.type === answer || e.type === 'error') && 'requestId' in e && e.requestId === requestId,
      null,
      what,
    );
    if (reply.type === 'error') throw new StudioError('failed', reply.error.message);
    return reply as Extract<WorkerEvent, { type: T }>;
  }

  async terminateAll(): Promise<void> {
    await Promise.all([...this.running].map((w) => w.terminate()));
  }
}
