// The engine handle of a PyTorch run: on the `train` command it checks the environment, writes
// the job (the engine's own tokenization and split) into the run's folder, and starts the ranks;
// then it forwards pause / resume / stop to rank 0's stdin and rank 0's events to the RunManager,
// exactly as a worker's. Commands sent while the job is being written wait and follow it.

import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { serializeError } from '../../src-worker/protocol';
import type { TrainCommand } from '../../src-worker/protocol';
import { tokenizerFromJSON } from '../../src-worker/data/tokenizer-json';
import { defaultProcesses, resolveDevice } from '../../src-worker/torch-launch/device';
import { checkTorchEnvironment } from '../../src-worker/torch-launch/environment';
import { prepareTorchJob } from '../../src-worker/torch-launch/job';
import { TorchRanks } from '../../src-worker/torch-launch/ranks';
import type { EngineCommand, TorchRanksOptions } from '../../src-worker/torch-launch/ranks';
import { EngineHandleBase } from './engine-handle';
import type { EngineHandlers } from './engine-handle';
import type { CommandInput, WorkerExit } from './worker-client';

/** The ranks' interpreter and program, as TorchRanks takes them, and what the handle sets itself. */
export interface TorchHandleOptions extends EngineHandlers, Pick<TorchRanksOptions, 'python' | 'program'> {
  flushMs: number;
  heartbeatMs: number;
  /** This machine's cores, shared among the ranks (OMP_NUM_THREADS). */
  cores: number;
  /** After a stop, how long the ranks get for their final checkpoint before SIGTERM. */
  stopGraceMs: number;
}

type Forwarded = Exclude<EngineCommand['type'], 'checkpoint'>;

export class TorchHandle extends EngineHandleBase {
  private ranks: TorchRanks | null = null;
  /** Commands that came while the job was being written, sent once the ranks are up. */
  private pending: { type: Forwarded; requestId: number }[] = [];
  private nextRequestId = 1;
  private aborted = false;
  private workDir: string | null = null;

  constructor(private readonly o: TorchHandleOptions) {
    super('The PyTorch engine', o);
  }

  get lastMessageAt(): number {
    // Writing the job and importing torch take seconds with nothing to say: that is not a hang.
    return this.ranks?.lastMessageAt ?? Date.now();
  }

  send(command: CommandInput): number {
    const requestId = this.nextRequestId++;
    switch (command.type) {
      case 'train':
        void this.start({ ...command, requestId });
        break;
      case 'pause':
      case 'resume':
      case 'stop':
        if (this.ranks === null) this.pending.push({ type: command.type, requestId });
        else this.forward({ type: command.type, requestId });
        break;
      case 'generate':
        // Answered like a failed request, so the caller's generation ends with this message.
        queueMicrotask(() =>
          this.deliver({
            type: 'error',
            requestId,
            fatal: false,
            error: serializeError(
              new Error(
                'Live generation runs on the builtin engine only; generate from one of this run’s checkpoints.',
              ),
            ),
          }),
        );
        break;
      case 'cancel-generation':
        break; // nothing live to cancel
      case 'import-dataset':
        throw new Error('A PyTorch run handle does not import datasets.');
    }
    return requestId;
  }

  async terminate(): Promise<void> {
    this.aborted = true;
    if (this.ranks !== null) await this.ranks.terminate();
    else await this.exited;
  }

  private async start(command: TrainCommand): Promise<void> {
    try {
      const env = await checkTorchEnvironment(this.o.python, this.o.program);
      if (!env.ok) throw new Error(`The PyTorch engine is ${env.summary}`);
      const { spec } = command;
      const device = resolveDevice(spec.device ?? 'auto', env.report);
      const processes = spec.processes ?? defaultProcesses(device, env.report);
      // The job lives beside the run's checkpoints while it trains, and goes with the run's end.
      this.workDir = join(dirname(command.checkpointDir), 'pytorch-job');
      const tokenizer =
        command.tokenizerPath === null || command.resumeFrom !== null
          ? undefined
          : tokenizerFromJSON(await readFile(command.tokenizerPath, 'utf8'));
      const job = await prepareTorchJob(spec, {
        workDir: this.workDir,
        checkpointDir: command.checkpointDir,
        device,
        resumeFrom: command.resumeFrom,
        tokenizer,
        checkpoints: command.checkpoints,
        heartbeatMs: this.o.heartbeatMs,
        flushMs: this.o.flushMs,
        timeoutSeconds: 60,
      });
      if (this.aborted) throw new Error('The run was ended before the PyTorch engine started.');
      this.ranks = await TorchRanks.start({
        python: this.o.python,
        program: this.o.program,
        jobPath: job.path,
        processes,
        nnodes: 1,
        nodeRank: 0,
        master: null,
        threadsPerRank: Math.max(1, Math.floor(this.o.cores / processes)),
        onEvent: (event) => this.deliver(event),
        onExit: () => undefined,
      });
      for (const c of this.pending.splice(0)) this.forward(c);
      const exit = await this.ranks.exited;
      this.finish({
        code: exit.code ?? 1,
        error:
          exit.failure === null
            ? null
            : {
                name: 'EngineFailure',
                message: exit.failure,
                stack: null,
                details: { rank: exit.failedRank },
              },
      });
    } catch (err) {
      // Nothing trains yet: the run fails with why (no torch, a split too small, …).
      this.deliver({ type: 'error', requestId: command.requestId, fatal: true, error: serializeError(err) });
      this.finish({ code: 1, error: null });
    }
  }

  /** A stop escalates to SIGTERM and SIGKILL if the ranks do not end within the grace time. */
  private forward(c: { type: Forwarded; requestId: number }): void {
    const ranks = this.ranks as TorchRanks;
    if (c.type === 'stop') void ranks.shutdown(this.o.stopGraceMs, c.requestId);
    else ranks.send({ type: c.type }, c.requestId);
  }

  private finish(exit: WorkerExit): void {
    if (!this.alive) return;
    if (this.workDir !== null) void rm(this.workDir, { recursive: true, force: true });
    this.ended(exit, 'The PyTorch engine has exited.');
  }
}
