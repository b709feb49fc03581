// Runs training: one engine handle per active run — a worker_threads worker for the builtin
// engine, the ranks of the PyTorch program for pytorch (the main side never takes a step),
// a queue with a concurrency limit, pause / resume / stop between steps with acknowledgements,
// supervision (a worker that throws, exits or stops heartbeating fails its run), recovery of runs
// left active by a process that died, and a checkpoint on stop and on shutdown.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ProgressInfo, StudioEvent } from '../api';
import { StudioError } from '../api';
import { readCheckpointHeader } from '../../src-worker/checkpoint/read';
import { PROTOCOL_VERSION, unreachable } from '../../src-worker/protocol';
import type { CheckpointPolicy, TrainCommand, TrainState, WorkerEvent } from '../../src-worker/protocol';
import type { RunSpec } from '../../src-worker/train/setup';
import { DEFAULT_RETENTION } from '../../src-worker/train/retention';
import { requireRun } from './lookups';
import { checkpointDirOf } from './data-dir';
import { ownerAlive } from './process-identity';
import { releaseOrphans } from './run-liveness';
import { emptyUpdate } from './monitoring';
import { outcomeOf, RunRecorder } from './run-recorder';
import type { Outcome } from './run-recorder';
import { runSummary } from './store';
import type { RunRecord, Store } from './store';
import { isStorageFault } from './store/integrity';
import { UpdateThrottle } from './update-throttle';
import type { EngineHandle } from './engine-handle';
import { TorchHandle } from './torch-handle';
import { WorkerClient } from './worker-client';
import type { WorkerExit } from './worker-client';

export type GenerationEvent = Extract<WorkerEvent, { type: 'generation' }>;
export type RequestErrorEvent = Extract<WorkerEvent, { type: 'error' }>;

export interface RunManagerOptions {
  store: Store;
  workerScript: string;
  flushMs: number;
  heartbeatMs: number;
  updateIntervalMs: number;
  /** Read at each check, so a settings change applies at once. */
  heartbeatTimeoutMs: () => number;
  maxConcurrent: () => number;
  /** How long shutdown waits for each worker's final checkpoint before it terminates the worker. */
  shutdownGraceMs: number;
  emit: (event: StudioEvent) => void;
  /** Live generations streamed by a training worker; returns false for a request it does not know. */
  onGeneration: (client: EngineHandle, event: GenerationEvent | RequestErrorEvent) => boolean;
  /** The PyTorch engine: the interpreter (read at each launch: a Settings change applies to the next run) and the program. */
  python: () => string;
  torchProgram: string;
  /** This machine's cores, shared among a PyTorch run's ranks. */
  cores: number;
  /** Recording hit a fault of the database file itself (see store/integrity.ts isStorageFault). */
  onStorageFault?: (err: unknown) => void;
}

interface ActiveRun {
  runId: number;
  client: EngineHandle;
  recorder: RunRecorder;
  state: TrainState;
  step: number;
  progress: ProgressInfo | null;
  /** Its outcome is recorded (stopped, completed, failed or hung): the exit that follows is expected. */
  ended: boolean;
  /** The app is closing: a stop here means "interrupted", or "paused" for a run that was paused. */
  shutdown: boolean;
  pausedAtShutdown: boolean;
}

/** The checkpoint policy of a run without a studio config (one started from a terminal). */
function policyFor(run: RunRecord): CheckpointPolicy {
  const c = run.config?.checkpoints;
  if (c !== undefined) {
    return {
      every: c.every,
      onBest: c.onBest,
      retention: { keepLast: c.keepLast, keepBest: c.keepBest, keepEvery: c.keepEvery },
    };
  }
  return {
    every: Math.max(1, Math.floor(run.totalSteps / 10)),
    onBest: true,
    retention: { ...DEFAULT_RETENTION },
  };
}

export class RunManager {
  private readonly active = new Map<number, ActiveRun>();
  private readonly throttle: UpdateThrottle;
  private readonly supervisor: NodeJS.Timeout;
  private closing = false;
  /** The store is no longer trusted: nothing more is recorded in it (see detach). */
  private detached = false;

  constructor(private readonly opts: RunManagerOptions) {
    this.throttle = new UpdateThrottle(
      (runId, update) => opts.emit({ type: 'run-update', runId, update }),
      opts.updateIntervalMs,
    );
    this.supervisor = setInterval(() => this.supervise(), Math.max(50, Math.min(1000, opts.heartbeatMs)));
    this.supervisor.unref();
  }

  /**
   * After a start-up: runs that were training in a process that no longer exists become
   * `interrupted` (resumable from their last good checkpoint); paused runs stay paused; each one's
   * checkpoint folder is reconciled with the table, so no checkpoint written before the crash is
   * lost. Then the queue starts.
   */
  async recover(): Promise<void> {
    const { store } = this.opts;
    // This process has just started: a run recorded under its pid belonged to an earlier one.
    const orphans = store.runs
      .withStatus(['running', 'stopping', 'paused', 'queued'])
      .filter((r) => r.owner === null || r.owner.pid === process.pid || !ownerAlive(r.owner));
    for (const id of await releaseOrphans(store, orphans)) this.changed(id);
    this.pump();
  }

  /** Puts a run in the queue (fresh, or from a checkpoint) and starts what the limit allows. */
  enqueue(runId: number, checkpointId: number | null): void {
    this.opts.store.runs.enqueue(runId, checkpointId);
    this.changed(runId);
    this.pump();
  }

  /** Starts queued runs, oldest first, while fewer than the limit are active. */
  pump(): void {
    if (this.closing) return;
    while (this.active.size < this.opts.maxConcurrent()) {
      const next = this.opts.store.runs.nextQueued();
      if (next === null) return;
      this.launch(next);
    }
  }

  /** Whether this manager holds the run (training, or ending and not yet exited). */
  trains(runId: number): boolean {
    return this.active.has(runId);
  }

  isLive(runId: number): boolean {
    const a = this.active.get(runId);
    return a !== undefined && !a.ended;
  }

  progressOf(runId: number): ProgressInfo | null {
    return this.active.get(runId)?.progress ?? null;
  }

  /** The engine of a run training now, for a live generation. */
  liveClient(runId: number): EngineHandle | null {
    const a = this.active.get(runId);
    return a === undefined || a.ended ? null : a.client;
  }

  /** Pauses between steps; resolves once the worker has written its checkpoint and acknowledged. */
  async pause(runId: number): Promise<void> {
    const a = this.requireLive(runId, 'pause');
    if (a.state === 'paused') return;
    const requestId = a.client.send({ type: 'pause' });
    await this.acknowledged(a, requestId, 'pause');
  }

  async resume(runId: number): Promise<void> {
    const a = this.requireLive(runId, 'resume');
    const requestId = a.client.send({ type: 'resume' });
    await this.acknowledged(a, requestId, 'resume');
  }

  /**
   * Waits for the worker to acknowledge a control command. A run that ends before it does (the
   * command raced the last step) is the caller's conflict, said as such, not a failure.
   */
  private async acknowledged(a: ActiveRun, requestId: number, what: 'pause' | 'resume'): Promise<void> {
    try {
      await a.client.waitFor(
        (e) => e.type === 'state' && e.acks.includes(requestId),
        this.opts.heartbeatTimeoutMs() * 2,
        `acknowledge the ${what}`,
      );
    } catch (err) {
      if (!a.ended && a.client.alive) throw err;
      const status = this.opts.store.runs.get(a.runId)?.status ?? 'ended';
      throw new StudioError(
        'conflict',
        `Run ${a.runId} ended at step ${a.step} before the ${what} took effect; it is ${status} now.`,
      );
    }
  }

  /** Stops after the current step: a final evaluation and checkpoint, then the worker exits. */
  async stop(runId: number): Promise<void> {
    const a = this.requireLive(runId, 'stop');
    a.client.send({ type: 'stop' });
    await a.client.exited; // supervision ends a worker that hangs on the way
  }

  /**
   * Shutdown: every active run stops with a checkpoint (a running one is then `interrupted`, a
   * paused one stays `paused`); a worker that does not finish within the grace time is terminated.
   */
  async close(): Promise<void> {
    this.closing = true;
    const runs = [...this.active.values()];
    for (const a of runs) {
      a.shutdown = true;
      a.pausedAtShutdown = a.state === 'paused';
      if (!a.ended) a.client.send({ type: 'stop' });
    }
    await Promise.all(
      runs.map(async (a) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), this.opts.shutdownGraceMs);
        });
        const result = await Promise.race([a.client.exited, late]);
        clearTimeout(timer);
        if (result !== 'late') return;
        if (!a.ended) {
          a.ended = true;
          this.record(a, {
            status: a.pausedAtShutdown ? 'paused' : 'interrupted',
            stopReason: 'shutdown',
            message: `The app was closed at step ${a.step} before the run's final checkpoint was written; it resumes from its last checkpoint.`,
          });
        }
        await a.client.terminate();
      }),
    );
    clearInterval(this.supervisor);
    this.throttle.dispose();
  }

  /**
   * The database was found damaged: every worker stops, writing its final checkpoint into its run
   * folder (where a rebuild finds it), and nothing more is written to the store.
   */
  async detach(): Promise<void> {
    this.detached = true;
    this.closing = true;
    clearInterval(this.supervisor);
    this.throttle.dispose();
    const runs = [...this.active.values()];
    for (const a of runs) if (!a.ended) a.client.send({ type: 'stop' });
    await Promise.all(
      runs.map(async (a) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.opts.shutdownGraceMs);
        });
        await Promise.race([a.client.exited, late]);
        clearTimeout(timer);
        await a.client.terminate();
      }),
    );
  }

  private requireLive(runId: number, what: string): ActiveRun {
    const a = this.active.get(runId);
    if (a === undefined || a.ended) {
      throw new StudioError('conflict', `Cannot ${what} run ${runId}: it is not training now.`);
    }
    return a;
  }

  private launch(runId: number): void {
    const { store } = this.opts;
    const run = requireRun(store, runId);
    const recorder = new RunRecorder(store, runId);
    let command: Omit<TrainCommand, 'requestId'>;
    try {
      command = this.trainCommand(run);
      mkdirSync(command.checkpointDir, { recursive: true });
    } catch (err) {
      recorder.recordFailure(run.step, 'start-failed', (err as Error).message, (err as Error).stack ?? null);
      this.changed(runId);
      return;
    }
    // The callbacks run only once the engine talks, after `active` below is set.
    const handlers = {
      flushMs: this.opts.flushMs,
      heartbeatMs: this.opts.heartbeatMs,
      onEvent: (event: WorkerEvent) => this.receive(active, event),
      onExit: (exit: WorkerExit) => this.exited(active, exit),
    };
    const pytorch = command.spec.engine === 'pytorch';
    const client: EngineHandle = pytorch
      ? new TorchHandle({
          ...handlers,
          python: this.opts.python(),
          program: this.opts.torchProgram,
          cores: this.opts.cores,
          stopGraceMs: this.opts.shutdownGraceMs,
        })
      : new WorkerClient({ ...handlers, script: this.opts.workerScript });
    const active: ActiveRun = {
      runId,
      recorder,
      client,
      state: 'preparing',
      step: run.step,
      progress: null,
      ended: false,
      shutdown: false,
      pausedAtShutdown: false,
    };
    this.active.set(runId, active);
    recorder.recordStart(run.startedAt === null, {
      step: run.step,
      code: command.resumeFrom === null ? 'started' : 'resumed',
      message:
        (command.resumeFrom === null
          ? 'Training started.'
          : `Training resumed from the checkpoint of step ${run.step}.`) +
        (pytorch ? ' Starting the PyTorch engine… (importing torch takes a few seconds)' : ''),
    });
    client.send(command);
    this.changed(runId);
    if (command.resumeFrom !== null) void this.noteEngineChange(active, command.resumeFrom, pytorch);
  }

  /** A run that continues from a checkpoint another engine wrote says so in its events. */
  private async noteEngineChange(a: ActiveRun, checkpoint: string, pytorch: boolean): Promise<void> {
    const written = await readCheckpointHeader(checkpoint).then(
      ({ header }) => (header.backend.name === 'pytorch' ? 'pytorch' : 'builtin'),
      () => null, // the engine reports a damaged file itself
    );
    const now = pytorch ? 'pytorch' : 'builtin';
    if (written === null || written === now || a.ended) return;
    a.recorder.lifecycle({
      step: a.step,
      level: 'info',
      code: 'engine-changed',
      message: `Continued from a ${written} checkpoint on ${now}: the same weights and optimizer moments, computed by another engine from here on.`,
    });
    this.changed(a.runId);
  }

  private trainCommand(run: RunRecord): Omit<TrainCommand, 'requestId'> {
    const { store } = this.opts;
    const checkpoint = run.resumeCheckpointId === null ? null : store.checkpoints.get(run.resumeCheckpointId);
    if (checkpoint === null && run.step > 0) {
      throw new StudioError(
        'failed',
        `Run "${run.name}" is at step ${run.step}, but the checkpoint it was to resume from no longer exists.`,
      );
    }
    const dataset = run.datasetId === null ? null : store.datasets.get(run.datasetId);
    const spec: RunSpec = run.spec;
    return {
      type: 'train',
      spec,
      checkpointDir: checkpointDirOf(run.dir),
      resumeFrom: checkpoint?.path ?? null,
      tokenizerPath: dataset === null ? null : join(dataset.dir, 'tokenizer.json'),
      checkpoints: policyFor(run),
      samples: run.config?.samples ?? null,
    };
  }

  private receive(a: ActiveRun, event: WorkerEvent): void {
    if (this.detached) return;
    try {
      this.handle(a, event);
    } catch (err) {
      if (isStorageFault(err) && this.opts.onStorageFault !== undefined) {
        this.opts.onStorageFault(err); // the run stops through detach(), with a checkpoint
        return;
      }
      // A database or protocol error while recording: the run cannot go on consistently.
      if (a.ended) return;
      a.ended = true;
      a.recorder.recordFailure(
        a.step,
        'internal',
        `Recording the run failed: ${(err as Error).message}`,
        (err as Error).stack ?? null,
      );
      this.changed(a.runId);
      void a.client.terminate();
    }
  }

  private handle(a: ActiveRun, event: WorkerEvent): void {
    const { store } = this.opts;
    const runId = a.runId;
    switch (event.type) {
      case 'ready':
        if (event.protocolVersion !== PROTOCOL_VERSION) {
          throw new Error(
            `the worker speaks protocol ${event.protocolVersion}, this app ${PROTOCOL_VERSION}; rebuild the engine`,
          );
        }
        return;
      case 'state': {
        const before = a.state;
        a.state = event.state;
        a.step = Math.max(a.step, event.step);
        if (before === event.state || event.state === 'preparing' || a.ended) return;
        this.throttle.flush(runId);
        const status =
          event.state === 'paused' ? 'paused' : event.state === 'stopping' ? 'stopping' : 'running';
        // A pause the worker made by itself (a full disk) carries its reason, shown on the run.
        const reason = event.state === 'paused' ? (event.reason ?? null) : null;
        store.transaction(() => {
          store.runs.setStatus(runId, { status, message: reason });
          if (event.state === 'paused') store.runs.setStep(runId, event.step);
          if (event.state === 'paused' || (event.state === 'running' && before === 'paused')) {
            a.recorder.lifecycle({
              step: event.step,
              level: reason === null ? 'info' : 'warning',
              code: reason !== null ? 'paused-disk-full' : event.state === 'paused' ? 'paused' : 'resumed',
              message:
                reason ??
                (event.state === 'paused'
                  ? `Paused at step ${event.step}.`
                  : `Resumed at step ${event.step}.`),
            });
          }
        });
        this.changed(runId);
        return;
      }
      case 'started': {
        const i = event.info;
        a.recorder.lifecycle({
          step: i.step,
          level: 'info',
          code: 'ready',
          message:
            `${i.parameters.toLocaleString('en-US')} parameters; ${i.trainTokens} training and ${i.valTokens} ` +
            `validation tokens (${i.tokenizer.kind} tokenizer, vocabulary ${i.tokenizer.vocabSize}).`,
          data: i,
        });
        return;
      }
      case 'training-events': {
        const update = a.recorder.recordEvents(event.events);
        if (update.progress !== null) {
          a.progress = update.progress;
          a.step = update.progress.step;
        }
        this.throttle.add(runId, update);
        return;
      }
      case 'checkpoint-written': {
        const info = a.recorder.recordCheckpoint(event.checkpoint, event.trigger, event.removed);
        this.throttle.add(runId, { ...emptyUpdate(), checkpoints: [info] });
        return;
      }
      case 'sample': {
        const info = a.recorder.recordSample(event.step, event.prompt, event.text);
        this.throttle.add(runId, { ...emptyUpdate(), samples: [info] });
        return;
      }
      case 'generation':
        this.opts.onGeneration(a.client, event);
        return;
      case 'error':
        if (event.fatal) {
          if (a.ended) return;
          a.ended = true;
          this.throttle.forget(runId);
          a.recorder.recordFailure(a.step, 'error', event.error.message, event.error.stack);
          this.changed(runId);
        } else if (!this.opts.onGeneration(a.client, event)) {
          a.recorder.lifecycle({
            step: a.step,
            level: 'warning',
            code: 'worker-warning',
            message: event.error.message,
          });
        }
        return;
      case 'stopped': {
        if (a.ended) return;
        a.ended = true;
        this.throttle.forget(runId);
        a.step = event.done.step;
        a.recorder.recordDone(event.done, this.outcomeAtShutdown(a, outcomeOf(event.done)));
        this.changed(runId);
        return;
      }
      case 'heartbeat':
        return;
      case 'dataset-progress':
      case 'dataset-imported':
      case 'checkpoint-exported':
        throw new Error(`a training worker sent ${event.type}`);
      default:
        unreachable(event, 'worker event');
    }
  }

  /** A stop that shutdown asked for leaves the run interrupted (or paused), not stopped by the user. */
  private outcomeAtShutdown(a: ActiveRun, outcome: Outcome): Outcome {
    if (!a.shutdown || outcome.stopReason !== 'stopped') return outcome;
    if (a.pausedAtShutdown)
      return { status: 'paused', stopReason: 'shutdown', message: `Paused at step ${a.step}.` };
    return {
      status: 'interrupted',
      stopReason: 'shutdown',
      message: `The app was closed at step ${a.step}; the run resumes from the checkpoint written then.`,
    };
  }

  private exited(a: ActiveRun, exit: WorkerExit): void {
    this.active.delete(a.runId);
    if (this.detached) return;
    this.throttle.forget(a.runId);
    if (!a.ended) {
      a.ended = true;
      const message =
        exit.error !== null
          ? `The training worker failed at step ${a.step}: ${exit.error.message}`
          : `The training worker exited unexpectedly (exit code ${exit.code}) at step ${a.step}.`;
      a.recorder.recordFailure(a.step, 'crashed', message, exit.error?.stack ?? null);
      this.changed(a.runId);
    }
    this.pump();
  }

  /**
   * A worker silent for longer than the heartbeat timeout is hung: its run fails and it is ended.
   * One that reported its end but does not exit is ended too.
   */
  private supervise(): void {
    const timeout = this.opts.heartbeatTimeoutMs();
    const now = Date.now();
    for (const a of this.active.values()) {
      const silent = now - a.client.lastMessageAt;
      if (silent <= timeout) continue;
      if (a.ended) {
        // Its outcome is recorded but the thread lingers (stuck after its last message): end it.
        void a.client.terminate();
        continue;
      }
      a.ended = true;
      this.throttle.forget(a.runId);
      a.recorder.recordFailure(
        a.step,
        'hung',
        `The training worker stopped responding at step ${a.step}: no heartbeat for ${(silent / 1000).toFixed(1)} s ` +
          `(the limit is ${(timeout / 1000).toFixed(1)} s). It was terminated; resume the run from its last checkpoint.`,
        null,
      );
      this.changed(a.runId);
      void a.client.terminate();
    }
  }

  private record(a: ActiveRun, outcome: Outcome): void {
    const { store } = this.opts;
    store.transaction(() => {
      store.runs.setStatus(a.runId, {
        status: outcome.status,
        message: outcome.message,
        stopReason: outcome.stopReason,
        owner: null,
      });
      a.recorder.lifecycle({
        step: a.step,
        level: 'warning',
        code: outcome.stopReason,
        message: outcome.message,
      });
    });
    this.changed(a.runId);
  }

  private changed(runId: number): void {
    const run = this.opts.store.runs.get(runId);
    if (run !== null) this.opts.emit({ type: 'run-changed', run: runSummary(run) });
  }
}
