// What the RunManager supervises for one run: an engine handle, whichever engine trains it. A
// built-in run's handle is its worker thread (WorkerClient); a PyTorch run's is its ranks
// (TorchHandle). Both take the same commands and report the same WorkerEvents and exit, and share
// the bookkeeping of both (EngineHandleBase).

import type { WorkerEvent } from '../../src-worker/protocol';
import { EventWaiters } from './event-waiters';
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
  /** Resolves with the first event that matches, after the owner has handled it; null: no time limit. */
  waitFor(
    match: (event: WorkerEvent) => boolean,
    timeoutMs: number | null,
    what: string,
  ): Promise<WorkerEvent>;
  /** Ends the engine at once. */
  terminate(): Promise<void>;
}

/** Where a handle's events and its exit go. */
export interface EngineHandlers {
  onEvent: (event: WorkerEvent) => void;
  onExit: (exit: WorkerExit) => void;
}

/**
 * An engine's events and its exit, as both handles report them: each event reaches the owner, then
 * the callers waiting for it; the exit happens once — the owner sees it, then every waiter fails,
 * then `exited` resolves.
 */
export abstract class EngineHandleBase implements EngineHandle {
  abstract readonly lastMessageAt: number;
  readonly exited: Promise<WorkerExit>;
  private readonly waiters: EventWaiters;
  private exitInfo: WorkerExit | null = null;
  private resolveExit!: (exit: WorkerExit) => void;

  /** `engine` names the engine in what a waiter is told ('The worker', 'The PyTorch engine'). */
  protected constructor(
    engine: string,
    private readonly handlers: EngineHandlers,
  ) {
    this.waiters = new EventWaiters(engine);
    this.exited = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  abstract send(command: CommandInput): number;

  waitFor(
    match: (event: WorkerEvent) => boolean,
    timeoutMs: number | null,
    what: string,
  ): Promise<WorkerEvent> {
    return this.waiters.wait(match, timeoutMs, what);
  }

  abstract terminate(): Promise<void>;

  protected deliver(event: WorkerEvent): void {
    this.handlers.onEvent(event);
    this.waiters.deliver(event);
  }

  /** The engine ended; `reason` is what the callers still waiting are told. Later calls do nothing. */
  protected ended(exit: WorkerExit, reason: string): void {
    if (this.exitInfo !== null) return;
    this.exitInfo = exit;
    this.handlers.onExit(exit);
    this.waiters.rejectAll(reason);
    this.resolveExit(exit);
  }
}
