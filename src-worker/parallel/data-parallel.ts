// Data-parallel training on worker threads that share the wasm backend's memory: each replica
// takes a slice of every micro-batch's sequences and computes gradients of the shared weights;
// the gradients are summed in replica order, a shard of the parameters per thread, and each thread
// then updates its shard. Nothing is copied but the token ids: the weights, the optimizer state
// and the summed gradient live once, in the coordinator's buffers.
//
// For a given number of replicas (and kernel path) a step is bitwise reproducible: every sum has
// a fixed order. Different replica counts differ by float rounding (the loss is a mean of means).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { WasmBackend } from '../math/wasm/wasm-backend';
import type { Gpt } from '../model/gpt';
import type { GradientCompute, ObserveProbs } from '../train/gradients';
import type { Optimizer } from '../train/optimizer';
import { Arg, Command, Sync } from './control';
import type { ReplicaAllocated, ReplicaConnect, ReplicaInit, ReplicaMessage } from './control';
import { batchSlices, paramShards } from './partition';
import { replicaRows } from './replica-memory';

/** A replica thread could not start or failed a command; the step's results are incomplete. */
export class ReplicaError extends Error {
  constructor(detail: string) {
    super(`data-parallel replica failed: ${detail}`);
    this.name = 'ReplicaError';
  }
}

export interface DataParallelOptions {
  /** The coordinator's backend, model and optimizer: replica 0, whose buffers every thread shares. */
  backend: WasmBackend;
  model: Gpt;
  optimizer: Optimizer;
  /** Threads in all, the caller's included; at most one per sequence of a micro-batch. */
  workers: number;
  batchSize: number;
  seqLen: number;
  /** The bundled replica entry; default: replica-worker.js beside this bundle, or out/engine's. */
  script?: string;
}

/** Where the bundled replica entry is: beside this module once bundled, else the repository's build. */
export function replicaScript(): string {
  const candidates = [
    new URL('./replica-worker.js', import.meta.url),
    new URL('../../out/engine/replica-worker.js', import.meta.url),
  ].map((url) => fileURLToPath(url));
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) {
    throw new ReplicaError(
      `the replica entry is not built (looked for ${candidates.join(', ')}); run npm run build:engine`,
    );
  }
  return found;
}

interface Replica {
  worker: Worker;
  /** Where the replica reports a failed command; read synchronously, as this thread never idles mid-step. */
  failures: MessagePort;
  args: Float64Array;
  inputs: Int32Array;
  targets: Int32Array;
  /** Its model's output after a forward with targets: (rows, T, V) probabilities. */
  probs: Float32Array;
  rows: [number, number]; // its slice of a micro-batch's sequences
}

export class DataParallelGradients implements GradientCompute {
  readonly workers: number;
  private readonly backend: WasmBackend;
  private readonly model: Gpt;
  private readonly optimizer: Optimizer;
  private readonly batchSize: number;
  private readonly seqLen: number;
  private readonly sync: Int32Array;
  private readonly replicas: Replica[] = [];
  private readonly ownRows: number;
  private readonly ownShard: Float32Array;
  private readonly ownPeers: Float32Array[] = [];
  private readonly ownUpdate: (lr: number, t: number) => void;
  private readonly plan: { slices: [number, number][]; shards: [number, number][] };
  /** Byte offsets of the replica threads' gradient buffers, in replica order. */
  private readonly peerGrads: number[] = [];
  private allocatedByReplicas = 0;
  private zeroNext = false;
  private lastError = '';
  private closed = false;

  /** Starts workers − 1 replica threads (one at a time, so their allocations stay in order). */
  static async start(options: DataParallelOptions): Promise<DataParallelGradients> {
    const group = new DataParallelGradients(options);
    try {
      await group.connect(options.script ?? replicaScript());
    } catch (error) {
      await group.close();
      throw error;
    }
    return group;
  }

  private constructor(o: DataParallelOptions) {
    const workers = Math.min(o.workers, o.batchSize);
    if (!(Number.isInteger(workers) && workers >= 2)) {
      throw new RangeError(
        `data parallelism needs at least 2 workers and 2 sequences per batch (workers ${o.workers}, batch ${o.batchSize})`,
      );
    }
    this.workers = workers;
    this.backend = o.backend;
    this.model = o.model;
    this.optimizer = o.optimizer;
    this.batchSize = o.batchSize;
    this.seqLen = o.seqLen;
    const heap = o.backend.heap;
    this.sync = heap.allocI32(Sync.words);
    const slices = batchSlices(o.batchSize, workers);
    this.ownRows = slices[0][1];
    const shards = paramShards(o.model.grads.length, workers);
    const [from, to] = shards[0];
    this.ownShard = o.model.grads.subarray(from, to);
    this.ownUpdate = o.optimizer.shard(from, to);
    this.plan = { slices, shards };
  }

  private async connect(script: string): Promise<void> {
    const heap = this.backend.heap;
    const { slices, shards } = this.plan;
    const maxRows = replicaRows(slices.slice(1));
    for (let r = 1; r < this.workers; r++) {
      const channel = new MessageChannel();
      const args = new Float64Array(heap.memory.buffer, heap.allocF32(2 * Arg.slots).byteOffset, Arg.slots);
      const init: ReplicaInit = {
        module: this.backend.module,
        kernelPath: this.backend.kernelPath,
        memory: heap.memory,
        maximumBytes: heap.maximumBytes,
        model: { ...this.model.config },
        maxRows,
        seqLen: this.seqLen,
        optimizer: this.optimizer.config,
        params: this.model.params.byteOffset,
        grads: this.model.grads.byteOffset,
        optimizerState: this.optimizer.stateBuffers.map((b) => b.byteOffset),
        sync: this.sync.byteOffset,
        args: args.byteOffset,
        threads: this.workers - 1,
        failures: channel.port2,
      };
      const worker = new Worker(script, { workerData: init, transferList: [channel.port2] });
      worker.on('message', (message: ReplicaMessage) => {
        if (message.kind === 'failed') this.lastError = message.message;
      });
      worker.on('error', (error: Error) => {
        this.lastError = error.message;
      });
      const allocated = await this.next<ReplicaAllocated>(worker, 'allocated');
      const size = maxRows * this.seqLen;
      this.replicas.push({
        worker,
        failures: channel.port1,
        args,
        inputs: heap.viewI32(allocated.inputs, size),
        targets: heap.viewI32(allocated.targets, size),
        probs: heap.viewF32(
          allocated.probs,
          (slices[r][1] - slices[r][0]) * this.seqLen * this.model.config.vocabSize,
        ),
        rows: slices[r],
      });
      this.peerGrads.push(allocated.grads);
      this.allocatedByReplicas += allocated.bytes;
    }
    const P = this.model.grads.length;
    const [from, to] = shards[0];
    for (const offset of this.peerGrads) this.ownPeers.push(heap.viewF32(offset, P).subarray(from, to));
    await Promise.all(
      this.replicas.map(async (replica, i) => {
        const connect: ReplicaConnect = { kind: 'connect', peerGrads: this.peerGrads, shard: shards[i + 1] };
        replica.worker.postMessage(connect);
        await this.next(replica.worker, 'ready');
        replica.worker.unref(); // an idle group does not keep the process alive
      }),
    );
  }

  /** The worker's next message of `kind`; rejects if it reports a failure or exits first. */
  private next<M extends ReplicaMessage>(worker: Worker, kind: M['kind']): Promise<M> {
    return new Promise<M>((resolve, reject) => {
      const onMessage = (message: ReplicaMessage): void => {
        if (message.kind === kind) {
          cleanup();
          resolve(message as M);
        } else if (message.kind === 'failed') {
          cleanup();
          reject(new ReplicaError(message.message));
        }
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(
          new ReplicaError(
            `exited with code ${code} while starting${this.lastError ? `: ${this.lastError}` : ''}`,
          ),
        );
      };
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('exit', onExit);
    });
  }

  get replicaBytes(): number {
    return this.allocatedByReplicas;
  }

  zeroGrad(): void {
    this.zeroNext = true;
  }

  accumulate(inputs: Int32Array, targets: Int32Array, B: number, T: number, lossWeight: number): number {
    const zero = this.zeroNext ? 1 : 0;
    this.zeroNext = false;
    this.stage(inputs, targets, B, T, Command.forwardBackward);
    for (const replica of this.replicas) {
      const rows = replica.rows[1] - replica.rows[0];
      replica.args[Arg.lossWeight] = (lossWeight * rows) / B;
      replica.args[Arg.zero] = zero;
    }
    const own = this.ownRows;
    let loss = 0;
    this.begin();
    try {
      if (zero === 1) this.model.zeroGrad();
      // The coordinator's slice is the batch's first rows, so the batch itself is its input.
      loss = (this.model.forward(inputs, targets, own, T) * own) / B;
      this.model.backward((lossWeight * own) / B);
    } finally {
      this.finish();
    }
    return loss + this.replicaLosses(B);
  }

  evaluate(inputs: Int32Array, targets: Int32Array, B: number, T: number, observe: ObserveProbs): number {
    this.stage(inputs, targets, B, T, Command.forward);
    const own = this.ownRows;
    let loss = 0;
    this.begin();
    try {
      loss = (this.model.forward(inputs, targets, own, T) * own) / B;
      observe(this.model.outputs(), targets, own * T);
    } finally {
      this.finish();
    }
    // Evaluation is not a training step: views of each replica's slice may be made here.
    for (const replica of this.replicas) {
      const [first, end] = replica.rows;
      observe(replica.probs, targets.subarray(first * T, end * T), (end - first) * T);
    }
    return loss + this.replicaLosses(B);
  }

  /** Copies each replica's rows of the batch into its staging buffers and sets its command. */
  private stage(inputs: Int32Array, targets: Int32Array, B: number, T: number, command: Command): void {
    if (B !== this.batchSize || T !== this.seqLen) {
      throw new RangeError(
        `data-parallel step of ${B}×${T} tokens; the replicas were planned for ${this.batchSize}×${this.seqLen}`,
      );
    }
    for (const replica of this.replicas) {
      const [first, end] = replica.rows;
      const rows = end - first;
      // A plain copy: no views are made in a step.
      for (let i = 0, j = first * T; i < rows * T; i++, j++) {
        replica.inputs[i] = inputs[j];
        replica.targets[i] = targets[j];
      }
      const a = replica.args;
      a[Arg.command] = command;
      a[Arg.rows] = rows;
      a[Arg.seqLen] = T;
    }
  }

  /** The replicas' share of the batch's mean loss, in replica order. */
  private replicaLosses(B: number): number {
    let loss = 0;
    for (const replica of this.replicas) {
      loss += (replica.args[Arg.result] * (replica.rows[1] - replica.rows[0])) / B;
    }
    return loss;
  }

  gather(): number {
    for (const replica of this.replicas) replica.args[Arg.command] = Command.gather;
    const n = this.ownShard.length;
    let sumSquares = 0;
    this.begin();
    try {
      for (const peer of this.ownPeers) this.backend.residualForward(this.ownShard, this.ownShard, peer, n);
      sumSquares = this.backend.sumSquares(this.ownShard, n);
    } finally {
      this.finish();
    }
    for (const replica of this.replicas) sumSquares += replica.args[Arg.result];
    return sumSquares;
  }

  update(lr: number, factor: number): void {
    this.optimizer.stepCount += 1;
    const t = this.optimizer.stepCount;
    for (const replica of this.replicas) {
      const a = replica.args;
      a[Arg.command] = Command.update;
      a[Arg.lr] = lr;
      a[Arg.updateCount] = t;
      a[Arg.factor] = factor;
    }
    this.begin();
    try {
      if (factor !== 1) this.backend.scale(this.ownShard, factor, this.ownShard.length);
      this.ownUpdate(lr, t);
    } finally {
      this.finish();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Replicas in their command loop leave on `quit`; terminate() also ends those still starting
    // (waiting for their connect message) and returns at once for any that already exited.
    Atomics.store(this.sync, Sync.quit, 1);
    Atomics.add(this.sync, Sync.generation, 1);
    Atomics.notify(this.sync, Sync.generation);
    await Promise.all(this.replicas.map(({ worker }) => worker.terminate()));
    for (const replica of this.replicas) replica.failures.close();
  }

  /** Wakes every replica thread on the command in its argument slots. */
  private begin(): void {
    if (this.closed) throw new ReplicaError('the replicas were stopped; this trainer can take no more steps');
    Atomics.store(this.sync, Sync.done, 0);
    Atomics.store(this.sync, Sync.failed, 0);
    Atomics.add(this.sync, Sync.generation, 1);
    Atomics.notify(this.sync, Sync.generation);
  }

  /** Sleeps until every replica thread is done with the current command. */
  private finish(): void {
    const threads = this.replicas.length;
    for (
      let done = Atomics.load(this.sync, Sync.done);
      done < threads;
      done = Atomics.load(this.sync, Sync.done)
    ) {
      Atomics.wait(this.sync, Sync.done, done);
    }
    if (Atomics.load(this.sync, Sync.failed) === 0) return;
    const reports = this.replicas.flatMap((replica, i) => {
      const received = receiveMessageOnPort(replica.failures) as { message: { message: string } } | undefined;
      return received === undefined ? [] : [`replica ${i + 1}: ${received.message.message}`];
    });
    throw new ReplicaError(reports.join('; ') || 'a replica failed without a message');
  }
}
