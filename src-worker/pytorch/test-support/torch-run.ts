// Test support for the PyTorch engine program: writes the token files and job.json the way the
// studio's launcher does (PROTOCOL.md), starts ranks with the launcher's environment variables,
// and collects rank 0's events. Small on purpose: the real launcher lives in the studio.

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { splitTrainVal } from '../../data/split';
import { trainTokenizer } from '../../data/train-tokenizer';
import type { WorkerEvent, CheckpointPolicy } from '../../protocol';
import { loadText } from '../../train/setup';
import type { RunSpec } from '../../train/setup';
import type { TrainConfig } from '../../train/config';
import { APP_VERSION } from '../../version';

export const PYTHON = '/usr/bin/python3';
export const PROGRAM = join(__dirname, '..', 'cllm_torch.py');

/** Why the PyTorch tests cannot run here, or null when /usr/bin/python3 imports torch. */
export function torchMissing(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} cannot be run (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} cannot import torch and numpy (install Debian's python3-torch)`;
  return null;
}

export interface JobOptions {
  spec: RunSpec;
  dir: string; // folder for the token files, job.json and checkpoints
  runId?: string;
  resumeFrom?: string | null;
  checkpoints?: CheckpointPolicy;
  timeoutSeconds?: number;
}

export interface WrittenJob {
  path: string;
  runId: string;
  checkpointDir: string;
  vocabSize: number;
  trainTokens: number;
  valTokens: number;
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
    train: {
      batchSize: 5,
      seqLen: 16,
      gradAccumSteps: 2,
      steps,
      optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 },
      schedule: { kind: 'cosine', lr: 3e-3, minLr: 3e-4, warmupSteps: 2, totalSteps: steps },
      clipNorm: 1,
      evalEvery: 4,
      evalBatches: 2,
      earlyStopping: null,
      maxBadSteps: 3,
      logEvery: 2,
      histogramEvery: 4,
      seed: 42,
      valFraction: 0.1,
      ...train,
    },
  };
}

/** The launcher's work for one run: tokenize and split as the built-in engine, write the files. */
export async function writeJob(o: JobOptions): Promise<WrittenJob> {
  await mkdir(o.dir, { recursive: true });
  const { text, stats } = await loadText(o.spec.data);
  const tokenizer = trainTokenizer(o.spec.tokenizer, text);
  const { batchSize: B, seqLen: T, valFraction } = o.spec.train;
  const split = splitTrainVal(tokenizer.encode(text), B, T, valFraction);
  const wide = tokenizer.vocabSize > 65536;
  const write = async (name: string, ids: Int32Array): Promise<string> => {
    const path = join(o.dir, name);
    const data = wide ? Uint32Array.from(ids) : Uint16Array.from(ids);
    await writeFile(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return path;
  };
  const runId = o.runId ?? randomUUID();
  const checkpointDir = join(o.dir, 'checkpoints');
  const job = {
    protocolVersion: 1,
    runId,
    modelConfig: { vocabSize: tokenizer.vocabSize, ...o.spec.model },
    train: o.spec.train,
    spec: o.spec,
    tokens: {
      train: await write('train.bin', split.train),
      val: await write('val.bin', split.val),
      dtype: wide ? 'uint32' : 'uint16',
    },
    tokenizer: tokenizer.toJSON(),
    corpus: stats,
    device: 'cpu',
    checkpointDir,
    resumeFrom: o.resumeFrom ?? null,
    checkpoints: o.checkpoints ?? {
      every: 0,
      onBest: false,
      retention: { keepLast: 3, keepBest: true, keepEvery: 0 },
    },
    heartbeatMs: 2000,
    flushMs: 250,
    timeoutSeconds: o.timeoutSeconds ?? 60,
    appVersion: APP_VERSION,
  };
  const path = join(o.dir, 'job.json');
  await writeFile(path, JSON.stringify(job, null, 2));
  return {
    path,
    runId,
    checkpointDir,
    vocabSize: tokenizer.vocabSize,
    trainTokens: split.train.length,
    valTokens: split.val.length,
  };
}

/** A free TCP port on 127.0.0.1 for MASTER_PORT. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
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
