// Test support for the PyTorch engine program: the studio launcher's job file (torch-launch/job.ts)
// with the tests' defaults, and ranks started one by one with the launcher's environment variables
// (the tests kill single ranks and start "nodes" apart, which the launcher's supervisor hides).

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import type { WorkerEvent, CheckpointPolicy } from '../../protocol';
import { prepareTorchJob } from '../../torch-launch/job';
import { freePort } from '../../torch-launch/ranks';
import type { TrainConfig } from '../../train/config';
import { DEFAULT_RETENTION } from '../../train/retention';
import type { RunSpec } from '../../train/setup';
import { microTrainConfig } from '../../train/test-run';

export const PYTHON = '/usr/bin/python3';
export const PROGRAM = join(__dirname, '..', 'cllm_torch.py');
export { freePort };

/** Why the PyTorch tests cannot run here, or null when /usr/bin/python3 imports torch. */
export function torchMissing(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} cannot be run (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} cannot import torch and numpy (install Debian's python3-torch)`;
  return null;
}

/** A micro run on the built-in sample corpus: seconds on two cores. */
export function microSpec(train: Partial<TrainConfig> = {}): RunSpec {
  const steps = train.steps ?? 8;
  return {
    data: { kind: 'sample', seed: 3 },
    tokenizer: { kind: 'char' },
    model: { nLayer: 2, nHead: 2, nEmbd: 32, contextLength: 16 },
    backend: 'wasm',
    threads: 1,
    train: microTrainConfig({
      batchSize: 5,
      gradAccumSteps: 2,
      steps,
      evalEvery: 4,
      logEvery: 2,
      histogramEvery: 4,
      ...train,
    }),
  };
}

export interface JobOptions {
  spec: RunSpec;
  dir: string; // folder for the token files, job.json and checkpoints
  /** A checkpoint to continue from; the run keeps its id. */
  resumeFrom?: string | null;
  checkpoints?: CheckpointPolicy;
  timeoutSeconds?: number;
}

export interface WrittenJob {
  path: string;
  runId: string;
  checkpointDir: string;
  vocabSize: number;
}

/** The studio launcher's own job writer (torch-launch/job.ts), with the tests' defaults. */
export async function writeJob(o: JobOptions): Promise<WrittenJob> {
  const checkpointDir = join(o.dir, 'checkpoints');
  const { path, job } = await prepareTorchJob(o.spec, {
    workDir: o.dir,
    checkpointDir,
    device: 'cpu',
    resumeFrom: o.resumeFrom ?? null,
    checkpoints: o.checkpoints ?? {
      every: 0,
      onBest: false,
      retention: DEFAULT_RETENTION,
    },
    heartbeatMs: 2000,
    flushMs: 250,
    timeoutSeconds: o.timeoutSeconds ?? 60,
  });
  return { path, runId: job.runId, checkpointDir, vocabSize: job.modelConfig.vocabSize };
}

export interface Rank {
  child: ChildProcessWithoutNullStreams;
  /** Rank 0's events as they arrive (the other ranks write none). */
  events: WorkerEvent[];
  stderr: string;
  exited: Promise<number | null>;
}

/** Starts one rank as the launcher does: the environment variables, never torchrun. */
export function startRank(jobPath: string, rank: number, world: number, port: number, local = rank): Rank {
  const child = spawn(PYTHON, ['-u', PROGRAM, 'train', '--job', jobPath], {
    env: {
      ...process.env,
      RANK: String(rank),
      WORLD_SIZE: String(world),
      LOCAL_RANK: String(local),
      LOCAL_WORLD_SIZE: String(world),
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: String(port),
      OMP_NUM_THREADS: '1',
    },
  });
  const r: Rank = { child, events: [], stderr: '', exited: Promise.resolve(null) };
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      r.events.push(JSON.parse(pending.slice(0, newline)) as WorkerEvent);
      pending = pending.slice(newline + 1);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (r.stderr += chunk));
  r.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return r;
}

/** Starts `world` ranks of one job on this machine. */
export async function startRun(jobPath: string, world: number): Promise<Rank[]> {
  const port = await freePort();
  return Array.from({ length: world }, (_, rank) => startRank(jobPath, rank, world, port));
}

/** Trains to the end (stdin kept open) and returns rank 0's events; fails with the ranks' stderr. */
export async function trainToEnd(jobPath: string, world: number): Promise<WorkerEvent[]> {
  const ranks = await startRun(jobPath, world);
  const codes = await Promise.all(ranks.map((r) => r.exited));
  if (codes.some((c) => c !== 0)) {
    throw new Error(`ranks exited ${codes.join(', ')}:\n${ranks.map((r) => r.stderr).join('\n---\n')}`);
  }
  return ranks[0].events;
}

/** Resolves once rank 0 has written an event that `match` accepts. */
export async function waitForEvent(rank: Rank, match: (e: WorkerEvent) => boolean): Promise<WorkerEvent> {
  for (;;) {
    const found = rank.events.find(match);
    if (found !== undefined) return found;
    const code = await Promise.race([
      rank.exited,
      new Promise<'wait'>((resolve) => setTimeout(() => resolve('wait'), 50)),
    ]);
    if (code !== 'wait') {
      const late = rank.events.find(match);
      if (late !== undefined) return late;
      throw new Error(`rank exited (${code}) before the awaited event:\n${rank.stderr}`);
    }
  }
}

/** Every training event rank 0 wrote, in order. */
export function trainingEvents(events: readonly WorkerEvent[]) {
  return events.flatMap((e) => (e.type === 'training-events' ? e.events : []));
}
