// The main side of one engine worker: spawns it from the bundled script, sends typed commands with
// request ids, hands every event to its owner, lets callers wait for an event (an acknowledgement,
// the end of a run), and reports how the worker ended — cleanly, with an error, or killed.

import { Worker } from 'node:worker_threads';
import { PROTOCOL_VERSION, serializeError } from '../../src-worker/protocol';
import type { SerializedError, WorkerBootData, WorkerCommand, WorkerEvent } from '../../src-worker/protocol';
import { EventWaiters } from './event-waiters';

type WithoutRequestId<T> = T extends unknown ? Omit<T, 'requestId'> : never;
export type CommandInput = WithoutRequestId<WorkerCommand>;

export interface WorkerExit {
  code: number;
  /** The uncaught error that ended the worker, if one did. */
  error: SerializedError | null;
}

export interface WorkerClientOptions {
  script: string;
  flushMs: number;
  heartbeatMs: number;
  onEvent: (event: WorkerEvent) => void;
  onExit: (exit: WorkerExit) => void;
}

/** The worker ended before the event a caller waited for. */
export class WorkerGoneError extends Error {
  override name = 'WorkerGoneError';
}

export class WorkerClient {
  /** When the worker last said anything (a heartbeat, events, an acknowledgement). */
  lastMessageAt = Date.now();
  /** Resolves once the worker has exited and its owner has seen the exit. */
  readonly exited: Promise<WorkerExit>;
  private readonly worker: Worker;
  private nextRequestId = 1;
  private readonly waiters = new EventWaiters();
  private uncaught: SerializedError | null = null;
  private exitInfo: WorkerExit | null = null;

  constructor(private readonly options: WorkerClientOptions) {
    const boot: WorkerBootData = {
      protocolVersion: PROTOCOL_VERSION,
      flushMs: options.flushMs,
      heartbeatMs: options.heartbeatMs,
    };
    this.worker = new Worker(options.script, { workerData: boot });
    this.worker.on('message', (event: WorkerEvent) => this.receive(event));
    this.worker.on('error', (err) => {
      this.uncaught = serializeError(err);
    });
    this.worker.on('messageerror', (err) => {
      this.uncaught = serializeError(err);
    });
    this.exited = new Promise((resolve) => {
      this.worker.on('exit', (code) => {
        const exit: WorkerExit = { code, error: this.uncaught };
        this.exitInfo = exit;
        this.options.onExit(exit);
        this.waiters.rejectAll(new WorkerGoneError(describeExit(exit)));
        resolve(exit);
      });
    });
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  /** Posts a command (messages sent before the worker is up wait in its queue); returns its id. */
  send(command: CommandInput): number {
    const requestId = this.nextRequestId++;
    this.worker.postMessage({ ...command, requestId } as WorkerCommand);
    return requestId;
  }

  /** Resolves with the first event that matches, after the owner has handled it; null: no time limit. */
  waitFor(
    match: (event: WorkerEvent) => boolean,
    timeoutMs: number | null,
    what: string,
  ): Promise<WorkerEvent> {
    if (this.exitInfo !== null) return Promise.reject(new WorkerGoneError(describeExit(this.exitInfo)));
    return this.waiters.wait(
      match,
      timeoutMs,
      () =>
        new WorkerGoneError(`The worker did not ${what} within ${Math.round((timeoutMs ?? 0) / 1000)} s.`),
    );
  }

  /** Ends the worker at once (whatever it is doing). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private receive(event: WorkerEvent): void {
    this.lastMessageAt = Date.now();
    this.options.onEvent(event);
    this.waiters.deliver(event);
  }
}

export function describeExit(exit: WorkerExit): string {
  if (exit.error !== null) return `The worker failed: ${exit.error.message}`;
  return `The worker exited (exit code ${exit.code}).`;
}
