// The Trainer: one optimizer step at a time (gradient accumulation, non-finite guard, clipping,
// scheduled LR, update) and evaluation on fixed validation batches. It owns every piece of
// numeric state a checkpoint must hold, and reports plain numbers; the loop around it decides
// when to evaluate, log and stop.

import type { Backend } from '../math/backend';
import type { Gpt } from '../model/gpt';
import { BatchSampler, fixedBatches } from '../data/sampler';
import type { Batch, SamplerState } from '../data/sampler';
import { ClassificationAccumulator, mostFrequentTokens } from '../metrics/classification';
import { perplexity } from '../metrics/perplexity';
import { clipFactor } from './clip';
import type { TrainConfig } from './config';
import type { EvalMetrics } from './events';
import { initialEarlyStopping, observeValidation } from './early-stopping';
import type { EarlyStoppingState } from './early-stopping';
import { LocalGradients } from './gradients';
import type { GradientCompute } from './gradients';
import { Optimizer } from './optimizer';
import { learningRate } from './schedules';

export interface StepReport {
  step: number; // 1-based index of the step just taken (= steps completed)
  loss: number; // mean training loss over the step's micro-batches
  lr: number;
  gradNorm: number; // global norm before clipping
  clipped: boolean;
  skipped: boolean; // non-finite loss or gradient: no update was applied
  tokens: number; // tokens consumed by this step
  stepMs: number;
}

export interface EvalReport extends EvalMetrics {
  improved: boolean; // a new best validation loss (beyond minDelta)
  stop: boolean; // early stopping says stop
}

/** Everything besides tensors that a checkpoint needs to continue the run exactly. */
export interface TrainerState {
  step: number;
  tokensSeen: number;
  optimizerSteps: number;
  badStepsInRow: number;
  sampler: SamplerState;
  earlyStopping: EarlyStoppingState;
}

/** How many frequent tokens the confusion matrix shows (plus "other"). */
const CONFUSION_TOKENS = 12;

export class Trainer {
  readonly optimizer: Optimizer;
  /**
   * Computes and applies each step's gradients: this thread by default; prepareRun swaps in
   * data-parallel replicas for a run with several workers.
   */
  gradients: GradientCompute;
  readonly tokensPerStep: number;
  step = 0;
  tokensSeen = 0;
  badStepsInRow = 0;
  earlyStopping: EarlyStoppingState = initialEarlyStopping();

  private readonly sampler: BatchSampler;
  private readonly valBatches: Batch[];
  private readonly inputs: Int32Array; // (B,T)
  private readonly targets: Int32Array; // (B,T)
  private readonly confusionTokens: Int32Array;

  constructor(
    readonly backend: Backend,
    readonly model: Gpt,
    readonly config: TrainConfig,
    readonly trainTokens: Int32Array,
    readonly valTokens: Int32Array,
  ) {
    const { batchSize: B, seqLen: T } = config;
    this.optimizer = new Optimizer(backend, config.optimizer, model.params, model.grads, model.layout.specs);
    this.gradients = new LocalGradients(backend, model, this.optimizer);
    // The run's seed also initialises the model; the samplers take streams of their own.
    this.sampler = new BatchSampler(trainTokens, B, T, (config.seed ^ 0x243f6a88) >>> 0);
    this.valBatches = fixedBatches(valTokens, B, T, config.evalBatches, (config.seed ^ 0x85a308d3) >>> 0);
    this.inputs = new Int32Array(B * T);
    this.targets = new Int32Array(B * T);
    this.tokensPerStep = B * T * config.gradAccumSteps;
    this.confusionTokens = mostFrequentTokens(
      countTokens(valTokens, model.config.vocabSize),
      CONFUSION_TOKENS,
    );
  }

  /** Bytes of every buffer training holds: the model's, the optimizer state, and any replicas'. */
  get engineBytes(): number {
    const state = this.optimizer.stateBuffers.reduce((sum, b) => sum + b.byteLength, 0);
    return this.model.allocatedBytes + state + this.gradients.replicaBytes;
  }

  /** Training batches in one pass over the training split (an "epoch"). */
  get batchesPerEpoch(): number {
    return this.sampler.batchesPerEpoch;
  }

  /** Fractional epochs done, from the tokens seen. */
  get epoch(): number {
    return this.tokensSeen / (this.sampler.batchesPerEpoch * this.config.batchSize * this.config.seqLen);
  }

  /** The LR the next step will use. */
  nextLearningRate(): number {
    return learningRate(this.step, this.config.schedule);
  }

  /**
   * One optimizer step: accumulate gradients over the micro-batches, then clip and update. A
   * non-finite loss or gradient skips the update (the step still counts, so the schedule and the
   * sampler move on exactly as they would in a resumed run) and increments badStepsInRow.
   * `inspectGradients` runs after backward and before clipping: the raw gradients are readable.
   */
  trainStep(inspectGradients?: () => void): StepReport {
    const started = performance.now();
    const { batchSize: B, seqLen: T, gradAccumSteps: K, clipNorm } = this.config;
    const gradients = this.gradients;
    const lr = this.nextLearningRate();
    gradients.zeroGrad();
    let lossSum = 0;
    for (let k = 0; k < K; k++) {
      this.sampler.next(this.inputs, this.targets);
      lossSum += gradients.accumulate(this.inputs, this.targets, B, T, 1 / K);
    }
    const loss = lossSum / K;
    const norm = Math.sqrt(gradients.gather());
    if (inspectGradients) inspectGradients();
    const factor = clipFactor(norm, clipNorm);
    const skipped = !Number.isFinite(loss) || !Number.isFinite(norm);
    if (skipped) {
      this.badStepsInRow += 1;
    } else {
      this.badStepsInRow = 0;
      gradients.update(lr, factor);
    }
    this.step += 1;
    this.tokensSeen += this.tokensPerStep;
    return {
      step: this.step,
      loss,
      lr,
      gradNorm: norm,
      clipped: factor !== 1,
      skipped,
      tokens: this.tokensPerStep,
      stepMs: performance.now() - started,
    };
  }

  /**
   * Loss and classification metrics on the fixed validation batches. A scheduled evaluation
   * (`observe`, the default) also feeds early stopping and the best loss; the extra evaluation of
   * a run's final or stopped weights does not, so stopping and resuming leave that state exactly
   * as an uninterrupted run would have it.
   */
  evaluate(observe = true): EvalReport {
    const { batchSize: B, seqLen: T } = this.config;
    const V = this.model.config.vocabSize;
    const topK = Math.min(5, V);
    const acc = new ClassificationAccumulator({ V, topK: [topK], confusionTokens: this.confusionTokens });
    let lossSum = 0;
    const count = (probs: Float32Array, targets: Int32Array, n: number): void => acc.add(probs, targets, n);
    for (const batch of this.valBatches) {
      lossSum += this.gradients.evaluate(batch.inputs, batch.targets, B, T, count);
    }
    const valLoss = lossSum / this.valBatches.length;
    const prf = acc.precisionRecallF1();
    const seen = observe
      ? observeValidation(this.earlyStopping, valLoss, this.step, this.config.earlyStopping)
      : { state: this.earlyStopping, improved: false, stop: false };
    this.earlyStopping = seen.state;
    return {
      step: this.step,
      valLoss,
      perplexity: perplexity(valLoss).value,
      accuracy: acc.accuracy(),
      top5: acc.topKAccuracy(topK),
      f1Macro: prf.macro.f1,
      f1Micro: prf.micro.f1,
      f1Weighted: prf.weighted.f1,
      precisionMacro: prf.macro.precision,
      recallMacro: prf.macro.recall,
      confusion: acc.confusionMatrix(),
      improved: seen.improved,
      stop: seen.stop,
    };
  }

  getState(): TrainerState {
    return {
      step: this.step,
      tokensSeen: this.tokensSeen,
      optimizerSteps: this.optimizer.stepCount,
      badStepsInRow: this.badStepsInRow,
      sampler: this.sampler.getState(),
      earlyStopping: { ...this.earlyStopping },
    };
  }

  setState(state: TrainerState): void {
    this.step = state.step;
    this.tokensSeen = state.tokensSeen;
    this.optimizer.stepCount = state.optimizerSteps;
    this.badStepsInRow = state.badStepsInRow;
    this.sampler.setState(state.sampler);
    this.earlyStopping = { ...state.earlyStopping };
  }
}

function countTokens(tokens: Int32Array, V: number): Float64Array {
  const counts = new Float64Array(V);
  for (let i = 0; i < tokens.length; i++) counts[tokens[i]] += 1;
  return counts;
}
