// The main side of one engine worker: spawns it from the bundled script, sends typed commands with
// request ids, hands every event to its owner, lets callers wait for an event (an acknowledgement,
// the end of a run), and reports how the worker ended — cleanly, with an error, or killed.

import { Worker } from 'node:worker_threads';
import { PROTOCOL_VERSION, serializeError } from '../../src-worker/protocol';
import type { SerializedError, WorkerBootData, WorkerCommand, WorkerEvent } from '../../src-worker/protocol';
import { EngineHandleBase } from './engine-handle';
import type { EngineHandlers } from './engine-handle';

type WithoutRequestId<T> = T extends unknown ? Omit<T, 'requestId'> : never;
export type CommandInput = WithoutRequestId<WorkerCommand>;

export interface WorkerExit {
  code: number;
  /** The uncaught error that ended the worker, if one did. */
  error: SerializedError | null;
}

export interface WorkerClientOptions extends EngineHandlers {
  script: string;
  flushMs: number;
  heartbeatMs: number;
}

export class WorkerClient extends EngineHandleBase {
  /** When the worker last said anything (a heartbeat, events, an acknowledgement). */
  lastMessageAt = Date.now();
  private readonly worker: Worker;
  private nextRequestId = 1;
  private uncaught: SerializedError | null = null;

  constructor(options: WorkerClientOptions) {
    super('The worker', options);
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
    this.worker.on('exit', (code) => {
      const exit: WorkerExit = { code, error: this.uncaught };
      this.ended(exit, describeExit(exit));
    });
  }

  /** Posts a command (messages sent before the worker is up wait in its queue); returns its id. */
  send(command: CommandInput): number {
    const requestId = this.nextRequestId++;
    this.worker.postMessage({ ...command, requestId } as WorkerCommand);
    return requestId;
  }

  /** Ends the worker at once (whatever it is doing). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private receive(event: WorkerEvent): void {
    this.lastMessageAt = Date.now();
    this.deliver(event);
  }
}

export function describeExit(exit: WorkerExit): string {
  if (exit.error !== null) return `The worker failed: ${exit.error.message}`;
  return `The worker exited (exit code ${exit.code}).`;
}
