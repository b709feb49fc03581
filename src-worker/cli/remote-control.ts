// Pause, resume and stop of a terminal run from elsewhere (the studio): between steps the training
// loop asks for the commands sent to the run, applies them in order, and while paused waits —
// polling a few times a second — until a resume or a stop (or Ctrl-C) arrives.

import type { RemoteCommand, RunRecorderHooks } from './extensions';

/** How often a paused run asks whether it may go on. */
const PAUSED_POLL_MS = 200;

export interface RemoteControlActions {
  /** The step the run is at (between steps). */
  step(): number;
  /** Writes what a paused run resumes from (a checkpoint); resolves once it is durable. */
  pause(): Promise<void>;
  /** Asks the loop to stop after a final evaluation and checkpoint, as Ctrl-C does. */
  requestStop(): void;
  stopRequested(): boolean;
  /** Tells the person at the terminal. */
  announce(state: 'paused' | 'running', step: number): void;
}

export class RemoteControl {
  private paused = false;

  constructor(
    private readonly hooks: Pick<RunRecorderHooks, 'pendingCommands' | 'onPauseState'>,
    private readonly actions: RemoteControlActions,
  ) {}

  /** The loop's waitIfPaused: applies pending commands and holds the run while it is paused. */
  async betweenSteps(): Promise<void> {
    for (;;) {
      for (const command of this.hooks.pendingCommands()) await this.apply(command);
      if (!this.paused || this.actions.stopRequested()) return;
      await new Promise<void>((resolve) => setTimeout(resolve, PAUSED_POLL_MS));
    }
  }

  private async apply(command: RemoteCommand): Promise<void> {
    const step = this.actions.step();
    switch (command.kind) {
      case 'pause':
        if (!this.paused) {
          await this.actions.pause();
          this.paused = true;
          this.actions.announce('paused', step);
        }
        this.hooks.onPauseState('paused', step, command);
        return;
      case 'resume':
        if (this.paused) {
          this.paused = false;
          this.actions.announce('running', step);
        }
        this.hooks.onPauseState('running', step, command);
        return;
      case 'stop':
        // Done when the run's end is recorded (after its final checkpoint), not before.
        this.actions.requestStop();
        return;
      default: {
        const unknown: never = command.kind;
        throw new Error(`unknown run command ${String(unknown)}`);
      }
    }
  }
}
