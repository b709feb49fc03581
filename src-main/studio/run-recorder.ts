// Writes what a training run reports into the store — each batch of events in one transaction —
// and returns the update subscribers should see. Used for studio workers and for terminal runs.

import type { CheckpointInfo, RunStatus, RunUpdate, SampleInfo } from '../api';
import { unreachable } from '../../src-worker/protocol';
import type { CheckpointTrigger, StreamedTrainingEvent, WrittenCheckpoint } from '../../src-worker/protocol';
import type { DoneEvent } from '../../src-worker/train/events';
import { evalPoints, gradientPoints, progressPoints } from '../../src-worker/metrics/metric-points';
import {
  alertInfo,
  emptyUpdate,
  evalInfo,
  gradientsInfo,
  groupPoints,
  histogramInfos,
  progressInfo,
} from './monitoring';
import { currentProcess } from './process-identity';
import type { Store } from './store';
import type { NewPoint } from './store/metrics';
import type { NewEvent } from './store/events';

/** How a run that ended is recorded. */
export interface Outcome {
  status: RunStatus;
  stopReason: string;
  message: string;
}

/** The status a run takes when its worker reports `done`. */
export function outcomeOf(done: DoneEvent): Outcome {
  switch (done.reason) {
    case 'completed':
    case 'early-stopped':
      return { status: 'completed', stopReason: done.reason, message: done.message };
    case 'stopped':
      return { status: 'stopped', stopReason: 'stopped', message: done.message };
    case 'halted':
      return { status: 'failed', stopReason: 'halted', message: done.message };
    default:
      return unreachable(done.reason, 'stop reason');
  }
}

export class RunRecorder {
  constructor(
    private readonly store: Store,
    readonly runId: number,
  ) {}

  /** One batch of events, written in one transaction. */
  recordEvents(events: readonly StreamedTrainingEvent[]): RunUpdate {
    const { store, runId } = this;
    const update = emptyUpdate();
    const points: NewPoint[] = [];
    store.transaction(() => {
      // The run's row keeps the last finite loss and throughput of the batch, the same values
      // history.ts reads back from the metrics when it cuts the run's history.
      let loss: number | null = null;
      let tokensPerSecond: number | null = null;
      for (const e of events) {
        switch (e.kind) {
          case 'progress':
            points.push(...progressPoints(e));
            update.progress = progressInfo(e);
            loss = update.progress.loss ?? loss;
            tokensPerSecond = update.progress.tokensPerSecond ?? tokensPerSecond;
            break;
          case 'eval':
            points.push(...evalPoints(e));
            store.runs.setEval(runId, e.valLoss);
            update.evals.push(evalInfo(e));
            store.events.insert(runId, {
              step: e.step,
              kind: 'eval',
              level: 'info',
              code: e.best ? 'best' : 'eval',
              message: `Validation loss ${e.valLoss.toFixed(4)} at step ${e.step}${e.best ? ' (a new best)' : ''}.`,
              data: { confusion: evalInfo(e).confusion },
            });
            break;
          case 'gradients':
            points.push(...gradientPoints(e));
            update.gradients = gradientsInfo(e);
            break;
          case 'histogram':
            store.histograms.insert(runId, e.step, 'gradients', e.gradients);
            store.histograms.insert(runId, e.step, 'weights', e.weights);
            update.histograms.push(...histogramInfos(runId, e));
            break;
          case 'alert':
            store.events.insert(runId, {
              step: e.step,
              kind: 'alert',
              level: e.level,
              code: e.code,
              message: e.message,
              data: { tensor: e.tensor ?? null, value: Number.isFinite(e.value) ? e.value : null },
            });
            update.alerts.push(alertInfo(e));
            break;
          default:
            unreachable(e, 'training event');
        }
      }
      store.metrics.insert(runId, points);
      const p = update.progress;
      if (p !== null)
        store.runs.setProgress(runId, { step: p.step, tokensSeen: p.tokensSeen, loss, tokensPerSecond }, p);
    });
    update.metrics = groupPoints(points);
    return update;
  }

  /** A checkpoint the worker wrote and verified, and the files its retention policy removed. */
  recordCheckpoint(
    c: WrittenCheckpoint,
    trigger: CheckpointTrigger,
    removed: readonly string[],
  ): CheckpointInfo {
    return this.store.transaction(() => {
      for (const path of removed) this.store.checkpoints.deletePath(path, this.runId);
      return this.store.checkpoints.record({ runId: this.runId, ...c, trigger });
    });
  }

  recordSample(step: number, prompt: string, text: string): SampleInfo {
    return this.store.samples.insert(this.runId, step, prompt, text);
  }

  lifecycle(event: Omit<NewEvent, 'kind'>): void {
    this.store.events.insert(this.runId, { ...event, kind: 'lifecycle' });
  }

  /**
   * This process trains the run now: the run is running, owned by this process (`firstStart` sets
   * its start time), and its lifecycle says it started or resumed.
   */
  recordStart(
    firstStart: boolean,
    event: { step: number; code: 'started' | 'resumed'; message: string },
  ): void {
    this.store.transaction(() => {
      this.store.runs.setStatus(this.runId, {
        status: 'running',
        message: null,
        stopReason: null,
        errorStack: null,
        owner: currentProcess(),
        started: firstStart,
      });
      this.lifecycle({ ...event, level: 'info' });
    });
  }

  /**
   * The run paused (its checkpoint written) or went on between steps, as `commandId` (a command
   * from another process, see store/run-commands.ts) asked; that command is done with it.
   */
  recordPauseState(state: 'paused' | 'running', step: number, commandId: number | null): void {
    this.store.transaction(() => {
      this.store.runs.setStatus(this.runId, { status: state });
      this.store.runs.setStep(this.runId, step);
      this.lifecycle({
        step,
        level: 'info',
        code: state === 'paused' ? 'paused' : 'resumed',
        message: state === 'paused' ? `Paused at step ${step}.` : `Resumed at step ${step}.`,
      });
      if (commandId !== null) this.store.runCommands.markDone(commandId);
    });
  }

  /** The run ended by itself or on request: its final status, step and losses. */
  recordDone(done: DoneEvent, outcome: Outcome = outcomeOf(done)): void {
    this.store.transaction(() => {
      this.store.runs.setStep(this.runId, done.step);
      this.store.runs.setStatus(this.runId, {
        status: outcome.status,
        message: outcome.message,
        stopReason: outcome.stopReason,
        owner: null,
        finished: outcome.status !== 'paused',
      });
      this.store.runCommands.markAllDone(this.runId);
      this.lifecycle({
        step: done.step,
        level: outcome.status === 'failed' ? 'error' : 'info',
        code: outcome.stopReason,
        message: outcome.message,
        data: {
          trainLoss: Number.isFinite(done.trainLoss) ? done.trainLoss : null,
          valLoss: Number.isFinite(done.valLoss) ? done.valLoss : null,
          bestValLoss: Number.isFinite(done.bestValLoss) ? done.bestValLoss : null,
          tokensPerSecond: Number.isFinite(done.tokensPerSecond) ? done.tokensPerSecond : null,
          seconds: done.seconds,
        },
      });
    });
  }

  /** The run failed: its worker threw, exited or hung. */
  recordFailure(step: number, stopReason: string, message: string, stack: string | null): void {
    this.store.transaction(() => {
      this.store.runs.setStatus(this.runId, {
        status: 'failed',
        message,
        stopReason,
        errorStack: stack,
        owner: null,
        finished: true,
      });
      this.store.runCommands.markAllDone(this.runId);
      this.lifecycle({ step, level: 'error', code: stopReason, message, data: { stack } });
    });
  }
}
