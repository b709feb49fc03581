// How the product's entry extends the engine's command line without the engine knowing the
// studio: extra options and commands, and a recorder that sees a training run as it happens.

import type { Command } from 'commander';
import type { DoneEvent, TrainingEvent } from '../train/events';
import type { SavedCheckpoint } from '../train/run-checkpoints';
import type { RunSpec } from '../train/setup';

/** A command another process (the studio's Pause, Resume or Stop) sent to this run. */
export interface RemoteCommand {
  id: number;
  kind: 'pause' | 'resume' | 'stop';
}

/**
 * Receives one training run's events and checkpoints (e.g. to keep them in a database), and hands
 * over what others asked of the run.
 */
export interface RunRecorderHooks {
  /** Where checkpoints go when --out is not given. */
  readonly checkpointDir: string;
  onEvent(event: TrainingEvent): void;
  onCheckpoint(saved: SavedCheckpoint, removed: readonly string[]): void;
  finish(done: DoneEvent): void;
  fail(error: unknown): void;
  /** Commands sent to this run and not done yet, oldest first; asked between steps. */
  pendingCommands(): RemoteCommand[];
  /** The run paused (its checkpoint written) or went on at `step`, as `command` asked: it is done. */
  onPauseState(state: 'paused' | 'running', step: number, command: RemoteCommand): void;
}

export interface CliExtensions {
  /** Adds options to `train` (read back by recordRun from the parsed options). */
  trainOptions?(train: Command): void;
  /** A recorder for the run about to train, or null to record nothing. */
  recordRun?(
    options: Readonly<Record<string, unknown>>,
    spec: RunSpec,
    resumedFrom: string | null,
  ): RunRecorderHooks | null;
  /** Adds whole commands. */
  commands?(program: Command): void;
  /** Errors of the extensions that are the user's input (exit code 2). */
  isInputError?(err: unknown): boolean;
  /** An exit code of its own for an extension's error (e.g. 3: the studio's database is damaged). */
  exitCodeOf?(err: unknown): number | null;
}
