// What the RunManager supervises for one run: an engine handle, whichever engine trains it. A
// built-in run's handle is its worker thread (WorkerClient); a PyTorch run's is its ranks
// (TorchHandle). Both take the same commands and report the same WorkerEvents and exit.

import type { WorkerEvent } from '../../src-worker/protocol';
import type { CommandInput, WorkerExit } from './worker-client';

export interface EngineHandle {
  /** When the engine last said anything; supervision marks it hung past the heartbeat time-out. */
  readonly lastMessageAt: number;
  /** False once the engine has exited. */
  readonly alive: boolean;
  /** Resolves once the engine has exited and its owner has seen the exit. */
  readonly exited: Promise<WorkerExit>;
  /** Sends a command; returns its request id (acknowledged in `state` events' acks). */
  send(command: CommandInput): number;
  /** Resolves with the first event that matches; null: no time limit. */
  waitFor(
    match: (event: WorkerEvent) => boolean,
    timeoutMs: number | null,
    what: string,
  ): Promise<WorkerEvent>;
  /** Ends the engine at once. */
  terminate(): Promise<void>;
}
