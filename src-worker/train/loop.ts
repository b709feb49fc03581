// The training loop around a Trainer: steps until the planned end, evaluates on schedule, applies
// early stopping and the non-finite halt, measures throughput, ETA, memory and gradient health,
// and reports everything as TrainingEvents. Between steps it yields to the event loop, so a
// worker can receive pause and stop commands while training.

import { Ema } from '../metrics/aggregate';
import { EtaEstimator } from '../metrics/eta';
import { GradientAlertDetector, Histogram, TensorNorms } from '../metrics/gradient-stats';
import { memorySnapshot } from '../metrics/memory';
import type { AlertEvent, DoneEvent, EvalEvent, StopReason, TrainingEvent } from './events';
import type { StepReport, Trainer } from './trainer';

export interface LoopHooks {
  onEvent(event: TrainingEvent): void;
  /** Asked between steps; true ends the run with reason 'stopped' (after a final evaluation). */
  shouldStop?(): boolean;
  /** Awaited between steps; resolves when a paused run may continue. */
  waitIfPaused?(): Promise<void>;
  /** Called after every step (and its evaluation, if one ran), e.g. to write periodic checkpoints. */
  afterStep?(report: StepReport, evaluation: EvalEvent | null): Promise<void> | void;
  /** Called once at the end, after the final evaluation and before the done event. */
  beforeDone?(reason: StopReason, finalEvaluation: EvalEvent | null): Promise<void> | void;
}

const HISTOGRAM_BINS = 64;

export async function runTraining(trainer: Trainer, hooks: LoopHooks): Promise<DoneEvent> {
  const cfg = trainer.config;
  const model = trainer.model;
  const started = performance.now();
  const startTokens = trainer.tokensSeen;
  const eta = new EtaEstimator(0.9);
  const lossEma = new Ema(0.9);
  const tensors = [...model.tensors.values()];
  const sumSquares = (x: Float32Array, n: number): number => trainer.backend.sumSquares(x, n);
  const gradNorms = new TensorNorms(
    tensors.map((t) => ({ name: t.spec.name, view: t.gradView })),
    sumSquares,
  );
  const detector = new GradientAlertDetector(gradNorms.names);
  const gradHistogram = new Histogram(HISTOGRAM_BINS);
  const weightHistogram = new Histogram(HISTOGRAM_BINS);
  const layerOf = tensors.map((t) => t.spec.layer);
  const layerSquares = new Float64Array(model.config.nLayer);
  const engineBytes = trainer.engineBytes;

  let lastEval: EvalEvent | null = null;
  // The lowest validation loss of the run: early stopping's best counts only scheduled evaluations
  // that beat it by more than minDelta, so the final evaluation of a stopped run may be lower.
  let lowestValLoss = trainer.earlyStopping.best;
  let windowLoss = 0;
  let windowSteps = 0;
  let lastWindowLoss = NaN;
  let reason = 'completed' as StopReason; // evaluate() may change it (early stopping)
  let message = `Trained ${cfg.steps} steps.`;

  const alert = (a: Omit<AlertEvent, 'kind'>): void => hooks.onEvent({ kind: 'alert', ...a });
  const evaluate = (scheduled: boolean): EvalEvent => {
    const { improved, stop, ...metrics } = trainer.evaluate(scheduled);
    const event: EvalEvent = { kind: 'eval', ...metrics, best: improved };
    hooks.onEvent(event);
    lastEval = event;
    if (metrics.valLoss < lowestValLoss) lowestValLoss = metrics.valLoss;
    if (stop) {
      reason = 'early-stopped';
      message =
        `Stopped early at step ${metrics.step}: validation loss did not improve by more than ` +
        `${cfg.earlyStopping?.minDelta} for ${cfg.earlyStopping?.patience} evaluations ` +
        `(best ${trainer.earlyStopping.best.toFixed(4)} at step ${trainer.earlyStopping.bestStep}).`;
    }
    return event;
  };

  while (trainer.step < cfg.steps) {
    if (hooks.waitIfPaused) await hooks.waitIfPaused();
    if (hooks.shouldStop?.()) {
      reason = 'stopped';
      message = `Stopped by request at step ${trainer.step}.`;
      break;
    }
    const logNow = (trainer.step + 1) % cfg.logEvery === 0 || trainer.step + 1 === cfg.steps;
    const histogramNow = cfg.histogramEvery > 0 && (trainer.step + 1) % cfg.histogramEvery === 0;
    let globalNorm = NaN;
    // Statistics of the raw gradients, before clipping scales them, on the steps that report them.
    const r = trainer.trainStep(
      logNow || histogramNow
        ? () => {
            if (logNow) globalNorm = gradNorms.compute();
            if (histogramNow) gradHistogram.compute(model.grads);
          }
        : undefined,
    );
    eta.observe(r.stepMs / 1000, r.tokens);
    if (Number.isFinite(r.loss)) {
      lossEma.update(r.loss);
      windowLoss += r.loss;
      windowSteps += 1;
    }

    if (r.skipped) {
      alert({
        step: r.step,
        level: 'warning',
        code: 'skipped-step',
        message:
          `Step ${r.step} skipped: the ${Number.isFinite(r.loss) ? 'gradient norm' : 'loss'} is not finite ` +
          `(${trainer.badStepsInRow} in a row; the run halts at ${cfg.maxBadSteps}).`,
        value: Number.isFinite(r.loss) ? r.gradNorm : r.loss,
      });
      if (trainer.badStepsInRow >= cfg.maxBadSteps) {
        reason = 'halted';
        message =
          `Halted at step ${r.step}: ${trainer.badStepsInRow} steps in a row had a non-finite loss or gradient. ` +
          `Lower the learning rate, enable gradient clipping, or check the data.`;
        alert({ step: r.step, level: 'error', code: 'halted', message });
        break;
      }
    }

    if (logNow) {
      layerSquares.fill(0);
      for (let i = 0; i < layerOf.length; i++) {
        const layer = layerOf[i];
        if (layer !== null) layerSquares[layer] += gradNorms.norms[i] * gradNorms.norms[i];
      }
      hooks.onEvent({
        kind: 'gradients',
        step: r.step,
        globalNorm,
        tensors: gradNorms.names.map((name, i) => ({ name, norm: gradNorms.norms[i] })),
        layers: Array.from(layerSquares, Math.sqrt),
      });
      for (const a of detector.check(r.step, r.gradNorm, gradNorms.norms)) {
        alert({
          step: a.step,
          level: a.kind === 'vanishing' ? 'warning' : 'error',
          code: a.kind,
          message: a.message,
          ...(a.tensor === undefined ? {} : { tensor: a.tensor }),
          value: a.value,
        });
      }
      hooks.onEvent({
        kind: 'progress',
        step: r.step,
        totalSteps: cfg.steps,
        epoch: trainer.epoch,
        percent: (100 * r.step) / cfg.steps,
        etaSeconds: eta.etaSeconds(r.step, cfg.steps),
        tokensSeen: trainer.tokensSeen,
        tokensPerSecond: eta.tokensPerSecond(),
        stepMs: r.stepMs,
        lr: r.lr,
        loss: r.loss,
        lossEma: lossEma.debiased,
        gradNorm: r.gradNorm,
        clipped: r.clipped,
        memory: memorySnapshot(engineBytes),
      });
      lastWindowLoss = windowSteps > 0 ? windowLoss / windowSteps : NaN;
      windowLoss = 0;
      windowSteps = 0;
    }
    if (histogramNow) {
      weightHistogram.compute(model.params);
      hooks.onEvent({
        kind: 'histogram',
        step: r.step,
        gradients: gradHistogram.snapshot(),
        weights: weightHistogram.snapshot(),
      });
    }
    // Scheduled evaluations and the one at the planned last step feed early stopping and the best
    // loss; the evaluation of weights a run stopped at early (below) does not.
    const evalDue = (cfg.evalEvery > 0 && r.step % cfg.evalEvery === 0) || r.step === cfg.steps;
    const evalNow = evalDue ? evaluate(true) : null;
    if (hooks.afterStep) await hooks.afterStep(r, evalNow);
    if (reason === 'early-stopped') break;
    // Let queued messages (pause, stop) in before the next step.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  // Every run ends with a validation of its final weights, unless one just ran at this step.
  if (reason !== 'halted' && (lastEval === null || (lastEval as EvalEvent).step !== trainer.step))
    evaluate(false);
  const finalEval = lastEval as EvalEvent | null;
  if (hooks.beforeDone) await hooks.beforeDone(reason, finalEval);

  const seconds = (performance.now() - started) / 1000;
  const done: DoneEvent = {
    kind: 'done',
    reason,
    message,
    step: trainer.step,
    trainLoss: windowSteps > 0 ? windowLoss / windowSteps : lastWindowLoss,
    valLoss: finalEval ? finalEval.valLoss : NaN,
    bestValLoss: lowestValLoss,
    tokensPerSecond: (trainer.tokensSeen - startTokens) / seconds,
    seconds,
  };
  hooks.onEvent(done);
  return done;
}
