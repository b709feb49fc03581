// `crystalline train --engine pytorch`: checks the Python environment, writes the run's job (the
// engine's own tokenization and split), starts this machine's ranks, prints and records what rank
// 0 reports, and ends them cleanly on Ctrl-C. With --nnodes, each machine runs the same command
// with its --node-rank; the machine with node rank 0 records the run and writes its checkpoints.

import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { readCheckpointHeader } from '../checkpoint/read';
import type { WorkerEvent } from '../protocol';
import type { RunSpec } from '../train/setup';
import type { TrainingEvent } from '../train/events';
import { checkTorchEnvironment } from '../torch-launch/environment';
import { prepareTorchJob } from '../torch-launch/job';
import { DEFAULT_PYTHON, torchProgramPath } from '../torch-launch/program';
import { defaultProcesses, resolveDevice } from '../torch-launch/device';
import { TorchRanks } from '../torch-launch/ranks';
import type { Rendezvous } from '../torch-launch/ranks';
import { UsageError } from './errors';
import type { CliExtensions } from './extensions';
import { finalLine, formatDuration, jsonLine } from './format';
import { doneJson, eventJson } from './train-json';
import type { TrainOptions } from './train-options';
import { runSpecFromOptions } from './train-options';

/** The interpreter the CLI runs the engine with: --python, $CRYSTALLINE_PYTHON, or python3. */
export function pythonOf(opts: TrainOptions): string {
  return opts.python ?? process.env.CRYSTALLINE_PYTHON ?? DEFAULT_PYTHON;
}

function rendezvousOf(master: string | undefined): Rendezvous | null {
  if (master === undefined) return null;
  const cut = master.lastIndexOf(':');
  return { host: master.slice(0, cut).replace(/^\[(.*)\]$/, '$1'), port: Number(master.slice(cut + 1)) };
}

/** The spec a resumed run continues with: the checkpoint's, moved to this engine, with the new total. */
async function resumedSpec(path: string, opts: TrainOptions, cmd: Command): Promise<RunSpec> {
  const { header } = await readCheckpointHeader(path);
  const stored = (header.trainConfig as { spec?: RunSpec }).spec;
  if (stored === undefined) {
    throw new UsageError(
      `${path} holds no training run (its header has no run spec), so it cannot be resumed.`,
    );
  }
  const steps = cmd.getOptionValueSource('steps') === 'cli' ? opts.steps : stored.train.steps;
  if (steps <= header.step) {
    throw new UsageError(
      `--steps is the run's total, and ${path} is at step ${header.step} already: pass --steps larger than ${header.step}.`,
    );
  }
  const { threads: _threads, ...rest } = stored;
  return {
    ...rest,
    engine: 'pytorch',
    device: opts.device ?? stored.device ?? 'auto',
    processes: opts.processes ?? stored.processes,
    train: { ...stored.train, steps, schedule: { ...stored.train.schedule, totalSteps: steps } },
  };
}

export async function runTorchTrainCommand(
  opts: TrainOptions,
  cmd: Command,
  extensions: CliExtensions,
): Promise<void> {
  const json = opts.json === true;
  const say = (text: string): void => {
    if (!json) process.stderr.write(text + '\n');
  };
  const python = pythonOf(opts);
  const program = torchProgramPath();
  const env = await checkTorchEnvironment(python, program);
  if (!env.ok) throw new UsageError(`PyTorch engine ${env.summary}`);

  const resumeFrom = opts.resume === undefined ? null : resolve(opts.resume);
  if (resumeFrom === null && !opts.sample && opts.data === undefined) {
    throw new UsageError('train needs a corpus: pass --sample for the built-in one, or --data PATH.');
  }
  const spec = resumeFrom === null ? runSpecFromOptions(opts) : await resumedSpec(resumeFrom, opts, cmd);
  const device = resolveDevice(spec.device ?? 'auto', env.report, '--device');
  const processes = spec.processes ?? defaultProcesses(device, env.report);
  const nnodes = opts.nnodes ?? 1;
  const nodeRank = opts.nodeRank ?? 0;
  // Only rank 0's machine records the run; the others train their share of each batch.
  const recorder =
    nodeRank === 0
      ? (extensions.recordRun?.(opts as unknown as Record<string, unknown>, spec, resumeFrom) ?? null)
      : null;

  const workDir = await mkdtemp(join(tmpdir(), 'crystalline-torch-'));
  try {
    const checkpointDir = resolve(opts.out ?? recorder?.checkpointDir ?? join(workDir, 'checkpoints'));
    const job = await prepareTorchJob(spec, {
      workDir,
      checkpointDir,
      device,
      resumeFrom,
      checkpoints: {
        every: opts.checkpointEvery,
        onBest: true,
        retention: { keepLast: opts.keepLast, keepBest: true, keepEvery: opts.keepEvery },
      },
      heartbeatMs: 2000,
      flushMs: 250,
      timeoutSeconds: 60,
    });
    say(
      `${env.summary} (${python}): ${nnodes > 1 ? `machine ${nodeRank} of ${nnodes}, ` : ''}${processes} process${processes === 1 ? '' : 'es'} on ${device}; starting engine…`,
    );
    await train(opts, { python, program, jobPath: job.path, processes, nnodes, nodeRank }, recorder, say);
  } catch (err) {
    recorder?.fail(err);
    throw err;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

interface Launch {
  python: string;
  program: string;
  jobPath: string;
  processes: number;
  nnodes: number;
  nodeRank: number;
}

async function train(
  opts: TrainOptions,
  launch: Launch,
  recorder: ReturnType<NonNullable<CliExtensions['recordRun']>>,
  say: (text: string) => void,
): Promise<void> {
  const json = opts.json === true;
  let failure: string | null = null;
  let finished = false;
  let latestCheckpoint: string | null = null;
  const onTrainingEvent = (e: TrainingEvent): void => {
    recorder?.onEvent(e);
    if (json) {
      const line = eventJson(e);
      if (line !== null) process.stdout.write(jsonLine(line));
    } else if (e.kind === 'progress') {
      say(
        `step ${e.step}/${e.totalSteps}  loss ${e.loss.toFixed(4)}  lr ${e.lr.toExponential(2)}  ` +
          `grad ${e.gradNorm.toFixed(3)}  ${Math.round(e.tokensPerSecond)} tok/s  ETA ${formatDuration(e.etaSeconds)}`,
      );
    } else if (e.kind === 'eval') {
      say(
        `eval ${e.step}: val loss ${e.valLoss.toFixed(4)}  perplexity ${e.perplexity.toFixed(2)}  ` +
          `accuracy ${(100 * e.accuracy).toFixed(1)}%`,
      );
    } else if (e.kind === 'alert') {
      say(`${e.level}: ${e.message}`);
    }
  };
  const onEvent = (event: WorkerEvent): void => {
    switch (event.type) {
      case 'started': {
        const i = event.info;
        say(
          `Model: ${i.modelConfig.nLayer} layers, ${i.modelConfig.nHead} heads, width ${i.modelConfig.nEmbd} — ` +
            `${i.parameters.toLocaleString('en-US')} parameters; ${i.trainTokens} train / ${i.valTokens} validation tokens; ` +
            `steps ${i.step} → ${i.totalSteps}.`,
        );
        return;
      }
      case 'training-events':
        for (const e of event.events) onTrainingEvent(e);
        return;
      case 'checkpoint-written': {
        const c = event.checkpoint;
        latestCheckpoint = c.path;
        recorder?.onCheckpoint({ ...c, id: c.path, pinned: false }, event.removed);
        if (json)
          process.stdout.write(jsonLine({ type: 'checkpoint', step: c.step, path: c.path, bytes: c.bytes }));
        return;
      }
      case 'stopped': {
        const done = event.done;
        finished = true;
        recorder?.finish(done);
        if (json) {
          process.stdout.write(jsonLine(doneJson(done, latestCheckpoint)));
        } else {
          say(done.message);
          say(finalLine(done));
        }
        return;
      }
      case 'error':
        if (event.fatal) failure ??= event.error.message;
        else say(`warning: ${event.error.message}`);
        return;
      case 'state':
        if (event.state === 'paused' || event.state === 'stopping')
          say(`${event.state} at step ${event.step}`);
        return;
      case 'ready':
      case 'heartbeat':
      case 'sample':
      case 'generation':
      case 'dataset-progress':
      case 'dataset-imported':
        return;
    }
  };

  const ranks = await TorchRanks.start({
    ...launch,
    master: rendezvousOf(opts.master),
    threadsPerRank: Math.max(1, Math.floor(availableParallelism() / launch.processes)),
    onEvent,
    onExit: () => undefined,
    // The program's own log (stderr) stays visible in a terminal, as torch's warnings do.
    onLog: json ? undefined : (rank, line) => process.stderr.write(`[rank ${rank}] ${line}\n`),
  });
  let stopping = false;
  const onSignal = (): void => {
    if (stopping) {
      void ranks.terminate();
      return;
    }
    stopping = true;
    say('\nStopping: the engine saves a final checkpoint (Ctrl-C again to end it at once)…');
    void ranks.shutdown(60_000);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const exit = await ranks.exited;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const why =
    failure ??
    exit.failure ??
    (finished || launch.nodeRank > 0 || exit.code === 0
      ? null
      : `the engine exited with code ${String(exit.code)} before the run ended`);
  if (why !== null) throw new Error(`The PyTorch engine failed: ${why}`);
}
