// The data-parallel coordinator and its replica threads talk through a control block in the shared
// wasm memory: Int32 words for Atomics (who may run, who is done) and per-replica Float64 argument
// slots. This file is the one description of that block both sides read.

import type { MessagePort } from 'node:worker_threads';
import type { KernelPath } from '../math/wasm/kernel-path';
import type { WasmMemory, WasmModule } from '../math/wasm/wasm-api';
import type { ModelConfig } from '../model/config';
import type { OptimizerConfig } from '../train/config';

/** Int32 words of the sync block. */
export const Sync = {
  /** Bumped by the coordinator to start a command on every replica thread. */
  generation: 0,
  /** Replica threads that finished the current command. */
  done: 1,
  /** 1: replica threads exit. */
  quit: 2,
  /** 1: some replica thread failed the current command (its message is on its failures port). */
  failed: 3,
  words: 4,
} as const;

/** Commands, in the command argument slot. */
export const Command = {
  /** Zero the replica's gradients first when zero = 1, then forward + backward on its staged rows. */
  forwardBackward: 1,
  /** Sum every replica's gradients of the thread's shard into the coordinator's, in replica order. */
  gather: 2,
  /** Scale the thread's shard of the summed gradient by factor, then update its parameters. */
  update: 3,
  /** Forward alone on the staged rows (evaluation): the loss, and the probabilities left in place. */
  forward: 4,
} as const;
export type Command = (typeof Command)[keyof typeof Command];

/** Float64 argument slots of one replica thread. */
export const Arg = {
  command: 0,
  rows: 1, // sequences this replica takes (B of its forward)
  seqLen: 2, // T
  lossWeight: 3,
  zero: 4,
  lr: 5,
  updateCount: 6, // the optimizer update's 1-based count t
  factor: 7,
  /** Out: the replica's mean loss (forwardBackward, forward) or its shard's sum of squares (gather). */
  result: 8,
  slots: 9,
} as const;

/** What a replica thread is started with (structured-cloned; the memory and module are shared). */
export interface ReplicaInit {
  module: WasmModule;
  kernelPath: KernelPath;
  memory: WasmMemory;
  maximumBytes: number;
  model: ModelConfig;
  /** Sequences of the largest micro-batch slice this replica takes, and their length. */
  maxRows: number;
  seqLen: number;
  optimizer: OptimizerConfig;
  /** Byte offsets of the coordinator's buffers: parameters, gradients, optimizer state. */
  params: number;
  grads: number;
  optimizerState: number[];
  /** Byte offsets of the sync words (Int32) and of this replica's argument slots (Float64). */
  sync: number;
  args: number;
  /** Replica threads in all (the coordinator not counted). */
  threads: number;
  /** Where a failed command's message goes (the coordinator reads it synchronously). */
  failures: MessagePort;
}

/** The replica's answer once its buffers exist: where the coordinator stages its rows. */
export interface ReplicaAllocated {
  kind: 'allocated';
  /** Bytes the replica allocated: its model's buffers and the staged token ids. */
  bytes: number;
  grads: number;
  inputs: number;
  targets: number;
  /** Where its model leaves the probabilities of a forward with targets. */
  probs: number;
}

/** The coordinator's second message: every replica's gradients and this thread's parameter shard. */
export interface ReplicaConnect {
  kind: 'connect';
  /** Gradient buffers of every replica but the coordinator's, in replica order. */
  peerGrads: number[];
  shard: [number, number];
}

export type ReplicaMessage = ReplicaAllocated | { kind: 'ready' } | { kind: 'failed'; message: string };
