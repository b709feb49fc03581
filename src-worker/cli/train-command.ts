// `crystalline train`: prepares (or resumes) a run, trains it with a progress bar (or JSON lines
// with --json), writes checkpoints with --out, and ends with a summary and a short sample.

import { appendFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import { readCheckpointHeader } from '../checkpoint/read';
import type { EngineName } from '../train/run-rules';
import { evalPoints, progressPoints, TRAINING_METRIC_KEYS } from '../metrics/metric-points';
import { tableHeader, tableRow } from '../metrics/metrics-table';
import { generate } from '../model/generate';
import { loadInferenceModel, resumeRun } from '../train/checkpointing';
import { runTraining } from '../train/loop';
import type { EvalEvent, TrainingEvent } from '../train/events';
import { RunCheckpoints } from '../train/run-checkpoints';
import { DEFAULT_SAMPLING } from '../train/run-defaults';
import { prepareRun } from '../train/setup';
import type { PreparedRun, RunSpec } from '../train/setup';
import { UsageError } from './errors';
import type { CliExtensions, RunRecorderHooks } from './extensions';
import { finalLine, formatDuration, jsonLine } from './format';
import { RemoteControl } from './remote-control';
import { doneJson, eventJson } from './train-json';
import { runTorchTrainCommand } from './train-torch';
import type { TrainOptions } from './train-options';
import {
  addTrainOptions,
  checkEngineFlags,
  flagOf,
  RESUME_OPTIONS,
  runSpecFromOptions,
  threadsFor,
} from './train-options';

export async function runTrainCommand(
  opts: TrainOptions,
  cmd: Command,
  extensions: CliExtensions = {},
): Promise<void> {
  const { engine, writtenBy } = await engineOf(opts, cmd);
  checkEngineFlags({ ...opts, engine }, cmd);
  const json = opts.json === true;
  const say = (text: string): void => {
    if (!json) process.stderr.write(text + '\n');
  };
  if (writtenBy !== null && writtenBy !== engine)
    say(`Continued from a ${writtenBy} checkpoint on ${engine}.`);
  if (engine === 'pytorch') return runTorchTrainCommand({ ...opts, engine }, cmd, extensions);
  const run = await openRun(opts, cmd);
  try {
    const recorder =
      extensions.recordRun?.(
        opts as unknown as Record<string, unknown>,
        run.spec,
        opts.resume === undefined ? null : resolve(opts.resume),
      ) ?? null;
    try {
      await train(run, opts, say, recorder);
    } catch (err) {
      recorder?.fail(err);
      throw err;
    }
  } finally {
    await run.release(); // the data-parallel replicas' threads end with the command
  }
}

async function train(
  run: PreparedRun,
  opts: TrainOptions,
  say: (text: string) => void,
  recorder: RunRecorderHooks | null,
): Promise<void> {
  const json = opts.json === true;
  const { trainer, modelConfig, tokenizer, spec } = run;
  const outDir = opts.out ?? recorder?.checkpointDir;
  const checkpoints = outDir === undefined ? null : await openCheckpoints(outDir, opts, run);
  const metricsLog =
    outDir === undefined ? null : await openMetricsLog(join(outDir, 'metrics.csv'), trainer.step);

  say(
    `Corpus: ${spec.data.kind === 'sample' ? 'built-in sample' : spec.data.path} — ${run.corpus.characters} characters; ` +
      `${tokenizer.kind} tokenizer, vocabulary ${tokenizer.vocabSize}; ${run.trainTokens} train / ${run.valTokens} validation tokens.`,
  );
  say(
    `Model: ${modelConfig.nLayer} layers, ${modelConfig.nHead} heads, width ${modelConfig.nEmbd}, context ` +
      `${modelConfig.contextLength} — ${trainer.model.parameterCount.toLocaleString('en-US')} parameters; ` +
      `batch ${spec.train.batchSize}×${spec.train.seqLen}×${spec.train.gradAccumSteps}, ` +
      `${opts.resume ? `steps ${trainer.step} → ${spec.train.steps}` : `${spec.train.steps} steps`}, backend ${spec.backend} (kernel path ${trainer.backend.kernelPath}).`,
  );

  if (opts.resume !== undefined) {
    say(
      `Resuming at step ${trainer.step}: next learning rate ${trainer.nextLearningRate().toExponential(3)} ` +
        `(${spec.train.schedule.kind} schedule over ${spec.train.steps} steps).`,
    );
  }
  const bar =
    !json && process.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            format: 'train |{bar}| {value}/{total} steps | loss {loss} | val {val} | {tps} tok/s | ETA {eta}',
            hideCursor: true,
            etaBuffer: 20,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
  // The ETA is the engine's estimate in our own format (cli-progress's own prints "4m60s").
  bar?.start(spec.train.steps, trainer.step, { loss: '–', val: '–', tps: '–', eta: '–' });
  let lastVal = '–';

  const onEvent = (e: TrainingEvent): void => {
    metricsLog?.(e);
    recorder?.onEvent(e);
    if (json) {
      const line = eventJson(e);
      if (line !== null) process.stdout.write(jsonLine(line));
      return;
    }
    switch (e.kind) {
      case 'progress':
        if (bar)
          bar.update(e.step, {
            loss: e.lossEma.toFixed(3),
            val: lastVal,
            tps: Math.round(e.tokensPerSecond),
            eta: formatDuration(e.etaSeconds),
          });
        else
          say(
            `step ${e.step}/${e.totalSteps}  loss ${e.loss.toFixed(4)}  lr ${e.lr.toExponential(2)}  ` +
              `grad ${e.gradNorm.toFixed(3)}  ${Math.round(e.tokensPerSecond)} tok/s  ETA ${formatDuration(e.etaSeconds)}`,
          );
        break;
      case 'eval':
        lastVal = e.valLoss.toFixed(3);
        if (!bar)
          say(
            `eval ${e.step}: val loss ${e.valLoss.toFixed(4)}  perplexity ${e.perplexity.toFixed(2)}  ` +
              `accuracy ${(100 * e.accuracy).toFixed(1)}%  top-5 ${(100 * e.top5).toFixed(1)}%`,
          );
        break;
      case 'alert':
        bar?.stop();
        say(`${e.level}: ${e.message}`);
        bar?.start(spec.train.steps, e.step, { loss: '–', val: lastVal, tps: '–', eta: '–' });
        break;
      case 'gradients':
      case 'histogram':
      case 'done':
        break;
      default: {
        const unknown: never = e;
        throw new Error(`unhandled training event ${JSON.stringify(unknown)}`);
      }
    }
  };

  let savedStep = -1;
  const save = async (evaluation: EvalEvent | null): Promise<void> => {
    if (checkpoints === null) return;
    const valLoss = evaluation !== null && evaluation.step === trainer.step ? evaluation.valLoss : null;
    const { saved, removed } = await checkpoints.save(run, valLoss);
    recorder?.onCheckpoint(saved, removed);
    savedStep = trainer.step;
    if (json)
      process.stdout.write(
        jsonLine({ type: 'checkpoint', step: saved.step, path: saved.path, bytes: saved.bytes }),
      );
  };

  const stop = { requested: false };
  const onSignal = (): void => {
    if (stop.requested) {
      bar?.stop();
      process.stderr.write('Stopped without a final checkpoint.\n');
      process.exit(130);
    }
    stop.requested = true;
    if (!json)
      process.stderr.write('\nStopping: evaluating and saving a final checkpoint (Ctrl-C again to abort)…\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The studio's Pause, Resume and Stop reach a recorded run between steps.
  const remote =
    recorder === null
      ? null
      : new RemoteControl(recorder, {
          step: () => trainer.step,
          pause: async () => {
            if (savedStep !== trainer.step) await save(null);
          },
          requestStop: () => {
            stop.requested = true;
          },
          stopRequested: () => stop.requested,
          announce: (state, step) => {
            if (json) process.stdout.write(jsonLine({ type: 'state', state, step }));
            else if (state === 'paused') {
              bar?.stop();
              say(`Paused from the studio at step ${step}; Resume or Stop it there (Ctrl-C stops it here).`);
            } else {
              say(`Resumed from the studio at step ${step}.`);
              bar?.start(spec.train.steps, step, { loss: '–', val: lastVal, tps: '–', eta: '–' });
            }
          },
        });
  const done = await runTraining(trainer, {
    onEvent,
    shouldStop: () => stop.requested,
    ...(remote === null ? {} : { waitIfPaused: () => remote.betweenSteps() }),
    afterStep: async (r, evaluation) => {
      const periodic = r.step % opts.checkpointEvery === 0;
      const best = evaluation !== null && evaluation.best;
      if (periodic || best) await save(evaluation);
    },
    beforeDone: async (_reason, finalEvaluation) => {
      if (savedStep !== trainer.step) await save(finalEvaluation);
    },
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  bar?.stop();
  recorder?.finish(done);

  if (json) {
    process.stdout.write(jsonLine(doneJson(done, checkpoints?.latest()?.path ?? null)));
    return;
  }
  say(done.message);
  say(finalLine(done));
  const latest = checkpoints?.latest();
  if (latest) say(`Checkpoint: ${latest.path}`);
  // A diverged model has nothing to show (and its logits are not finite).
  const finite = Number.isFinite(
    trainer.backend.sumSquares(trainer.model.params, trainer.model.params.length),
  );
  if (done.reason === 'halted' || !finite) return;
  const prompt = tokenizer.encode('\n');
  const decoder = tokenizer.streamDecoder();
  let text = '';
  generate(
    trainer.model,
    prompt,
    { maxTokens: 200, seed: spec.train.seed, temperature: DEFAULT_SAMPLING.temperature },
    (id) => {
      text += decoder.push(id);
    },
  );
  text += decoder.flush();
  say(`Sample:\n${text}`);
}

/**
 * The engine a run trains on (--engine, or for a resumed run without it the checkpoint's own
 * engine) and, for a resumed run, the engine that wrote the checkpoint.
 */
async function engineOf(
  opts: TrainOptions,
  cmd: Command,
): Promise<{ engine: EngineName; writtenBy: EngineName | null }> {
  if (opts.resume === undefined) return { engine: opts.engine, writtenBy: null };
  const { header } = await readCheckpointHeader(resolve(opts.resume));
  const writtenBy: EngineName = header.backend.name === 'pytorch' ? 'pytorch' : 'builtin';
  const stored = (header.trainConfig as { spec?: RunSpec }).spec?.engine ?? 'builtin';
  return { engine: cmd.getOptionValueSource('engine') === 'cli' ? opts.engine : stored, writtenBy };
}

async function openRun(opts: TrainOptions, cmd: Command): Promise<PreparedRun> {
  if (opts.resume === undefined) {
    if (!opts.sample && opts.data === undefined) {
      throw new UsageError('train needs a corpus: pass --sample for the built-in one, or --data PATH.');
    }
    return opts.initFrom === undefined
      ? prepareRun(runSpecFromOptions(opts))
      : fineTuneRun(runSpecFromOptions(opts), opts.initFrom, cmd);
  }
  // A resumed run keeps its data, model and training config; only these may change.
  // Options other layers add (e.g. where the run is recorded) are not the run's settings.
  const engineOptions = new Set(addTrainOptions(new Command()).options.map((o) => o.attributeName()));
  const fixed = Object.keys(opts).filter(
    (k) =>
      engineOptions.has(k) &&
      cmd.getOptionValueSource(k) === 'cli' &&
      !RESUME_OPTIONS.includes(k as keyof TrainOptions),
  );
  if (fixed.length > 0) {
    const flags = fixed.map(flagOf);
    throw new UsageError(
      `${flags.join(', ')} cannot be changed when resuming: the run continues with its checkpoint's settings ` +
        `(only --steps, --out, --checkpoint-every, --keep-last, --keep-every, --log-every, --backend, --threads and --json may be given).`,
    );
  }
  const stepsGiven = cmd.getOptionValueSource('steps') === 'cli';
  const backendGiven = cmd.getOptionValueSource('backend') === 'cli';
  const run = await resumeRun(resolve(opts.resume), (written: RunSpec): RunSpec => {
    // A checkpoint of the pytorch engine continues here without the pytorch engine's settings.
    const { engine: _engine, device: _device, processes: _processes, ...stored } = written;
    const steps = stepsGiven ? opts.steps : stored.train.steps;
    return {
      ...stored,
      backend: backendGiven ? opts.backend : stored.backend,
      // A run moved to the ts backend trains on one thread unless told otherwise.
      threads:
        cmd.getOptionValueSource('threads') === 'cli'
          ? threadsFor(backendGiven ? opts.backend : stored.backend, opts.threads, stored.train.batchSize)
          : backendGiven && opts.backend === 'ts'
            ? 1
            : stored.threads,
      train: {
        ...stored.train,
        steps,
        logEvery: cmd.getOptionValueSource('logEvery') === 'cli' ? opts.logEvery : stored.train.logEvery,
        schedule: { ...stored.train.schedule, totalSteps: steps },
      },
    };
  });
  const at = run.trainer.step;
  if (run.spec.train.steps <= at) {
    throw new UsageError(
      `--steps is the run's total, and ${opts.resume} is at step ${at} already: pass --steps larger than ${at}.`,
    );
  }
  return run;
}

/**
 * Appends each logged step's metrics to the run folder's metrics.csv (the export's history), in
 * the table format the studio exports (one column per metric key).
 */
async function openMetricsLog(path: string, fromStep: number): Promise<(e: TrainingEvent) => void> {
  // Rows after the step training continues from belong to an abandoned continuation: cut them.
  const old = await readFile(path, 'utf8').catch(() => null);
  const header = tableHeader(TRAINING_METRIC_KEYS, 'csv');
  // A table with other columns (written by an older version) is kept beside, never dropped.
  if (old !== null && !old.startsWith(header)) await rename(path, `${path}.${Date.now()}.old`);
  const rows = old === null || !old.startsWith(header) ? [] : old.slice(header.length).split('\n');
  const kept = rows.filter((r) => r !== '' && Number(r.split(',')[0]) <= fromStep);
  await writeFile(path, header + kept.map((r) => r + '\n').join(''));
  return (e) => {
    const points = e.kind === 'progress' ? progressPoints(e) : e.kind === 'eval' ? evalPoints(e) : null;
    if (points === null) return;
    const values = TRAINING_METRIC_KEYS.map((key) => points.find((p) => p.key === key)?.value ?? null);
    // Synchronous append keeps rows in order; it runs once per logged step.
    appendFileSync(path, tableRow(e.step, TRAINING_METRIC_KEYS, values, 'csv'));
  };
}

/**
 * A new run that starts from trained weights: the model's shape and tokenizer are the source's
 * (a different shape could not hold its weights), everything about training comes from the flags.
 */
async function fineTuneRun(spec: RunSpec, source: string, cmd: Command): Promise<PreparedRun> {
  const shapeFlags = ['layers', 'heads', 'embd', 'ctx', 'tokenizer', 'preset'].filter(
    (k) => cmd.getOptionValueSource(k) === 'cli',
  );
  if (shapeFlags.length > 0) {
    throw new UsageError(
      `${shapeFlags.map((k) => '--' + k).join(', ')} cannot be combined with --init-from: ` +
        `the model's shape and tokenizer come from ${source}.`,
    );
  }
  const init = await loadInferenceModel(source);
  if (init.tokenizer === null) {
    throw new UsageError(
      `${source} has no tokenizer.json beside its weights, so new text cannot be encoded for it.`,
    );
  }
  const { vocabSize: _v, ...shape } = init.model.config;
  const tokenizerSpec: RunSpec['tokenizer'] =
    init.tokenizer.kind === 'bpe'
      ? { kind: 'bpe', vocabSize: init.tokenizer.vocabSize }
      : { kind: init.tokenizer.kind };
  const tuned: RunSpec = {
    ...spec,
    tokenizer: tokenizerSpec,
    model: shape,
    train: { ...spec.train, seqLen: Math.min(spec.train.seqLen, shape.contextLength) },
  };
  const run = await prepareRun(tuned, { tokenizer: init.tokenizer });
  run.trainer.model.params.set(init.model.params);
  return run;
}

async function openCheckpoints(dir: string, opts: TrainOptions, run: PreparedRun): Promise<RunCheckpoints> {
  await mkdir(dir, { recursive: true });
  const { checkpoints, abandoned } = await RunCheckpoints.open(
    dir,
    { keepLast: opts.keepLast, keepBest: true, keepEvery: opts.keepEvery },
    { runId: run.runId, step: run.trainer.step },
  );
  if (abandoned.length > 0 && opts.json !== true) {
    process.stderr.write(
      `Resuming at step ${run.trainer.step}: removed ${abandoned.length} later checkpoint(s) of this run's abandoned continuation.\n`,
    );
  }
  return checkpoints;
}
