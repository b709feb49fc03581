// The JSON lines `train --json` prints for a training event and at the end, the same for both engines.

import type { DoneEvent, TrainingEvent } from '../train/events';

/** The last line: how the run ended, its losses and speed, and its newest checkpoint (or null). */
export function doneJson(done: DoneEvent, checkpoint: string | null): Record<string, unknown> {
  return {
    done: true,
    reason: done.reason,
    step: done.step,
    train_loss: done.trainLoss,
    val_loss: done.valLoss,
    best_val_loss: done.bestValLoss,
    tokens_per_s: done.tokensPerSecond,
    seconds: done.seconds,
    checkpoint,
  };
}

/** The JSON line for an event, or null for events the line format leaves out. */
export function eventJson(e: TrainingEvent): Record<string, unknown> | null {
  switch (e.kind) {
    case 'progress':
      return {
        type: 'step',
        step: e.step,
        total_steps: e.totalSteps,
        epoch: e.epoch,
        loss: e.loss,
        lr: e.lr,
        grad_norm: e.gradNorm,
        clipped: e.clipped,
        tokens_per_s: e.tokensPerSecond,
        step_ms: e.stepMs,
        eta_s: e.etaSeconds,
        rss_bytes: e.memory.rss,
      };
    case 'eval':
      return {
        type: 'eval',
        step: e.step,
        val_loss: e.valLoss,
        perplexity: e.perplexity,
        accuracy: e.accuracy,
        top5: e.top5,
        f1_macro: e.f1Macro,
        best: e.best,
      };
    case 'alert':
      return { type: 'alert', step: e.step, level: e.level, code: e.code, message: e.message };
    case 'gradients':
    case 'histogram':
    case 'done':
      return null;
    default: {
      const unknown: never = e;
      throw new Error(`unhandled training event ${JSON.stringify(unknown)}`);
    }
  }
}
