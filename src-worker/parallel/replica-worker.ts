// worker_threads entry of one data-parallel replica (bundled to out/engine/replica-worker.js): a
// model that reads the coordinator's parameters from the shared wasm memory and keeps gradients
// and activations of its own; it sleeps on the control block between commands.

import { once } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import { WasmBackend } from '../math/wasm/wasm-backend';
import { WasmHeap } from '../math/wasm/wasm-heap';
import { Gpt } from '../model/gpt';
import { parameterLayout } from '../model/layout';
import { Optimizer } from '../train/optimizer';
import { Arg, Command, Sync } from './control';
import type { ReplicaConnect, ReplicaInit, ReplicaMessage } from './control';

if (parentPort === null) throw new Error('replica-worker runs only as a worker_threads worker.');
const port = parentPort;
const post = (message: ReplicaMessage): void => port.postMessage(message);
const init = workerData as ReplicaInit;

try {
  await serve();
} catch (error) {
  post({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
}

async function serve(): Promise<void> {
  const heap = new WasmHeap(init.memory, init.maximumBytes);
  const backend = new WasmBackend(init.module, init.kernelPath, heap);
  const P = parameterLayout(init.model).count;
  const params = heap.viewF32(init.params, P);
  const model = new Gpt(backend, init.model, init.maxRows, init.seqLen, params);
  const inputs = heap.allocI32(init.maxRows * init.seqLen);
  const targets = heap.allocI32(init.maxRows * init.seqLen);
  const sync = heap.viewI32(init.sync, Sync.words);
  const args = new Float64Array(heap.memory.buffer, init.args, Arg.slots);
  post({
    kind: 'allocated',
    bytes: model.allocatedBytes + inputs.byteLength + targets.byteLength,
    grads: model.grads.byteOffset,
    inputs: inputs.byteOffset,
    targets: targets.byteOffset,
    probs: model.outputs().byteOffset,
  });

  const [connect] = (await once(port, 'message')) as [ReplicaConnect];
  const [from, to] = connect.shard;
  const n = to - from;
  const grads = heap.viewF32(init.grads, P);
  const shard = grads.subarray(from, to);
  const peerShards = connect.peerGrads.map((offset) => heap.viewF32(offset, P).subarray(from, to));
  const state = init.optimizerState.map((offset) => heap.viewF32(offset, P));
  const optimizer = new Optimizer(backend, init.optimizer, params, grads, model.layout.specs, state);
  const updateShard = optimizer.shard(from, to);
  // Read before answering: the first command may be issued the moment the coordinator hears us.
  let seen = Atomics.load(sync, Sync.generation);
  post({ kind: 'ready' });

  for (;;) {
    Atomics.wait(sync, Sync.generation, seen);
    seen = Atomics.load(sync, Sync.generation);
    if (Atomics.load(sync, Sync.quit) !== 0) return;
    try {
      const command = args[Arg.command] as Command;
      switch (command) {
        case Command.forwardBackward: {
          if (args[Arg.zero] !== 0) model.zeroGrad();
          args[Arg.result] = model.forward(inputs, targets, args[Arg.rows], args[Arg.seqLen]);
          model.backward(args[Arg.lossWeight]);
          break;
        }
        case Command.forward: {
          args[Arg.result] = model.forward(inputs, targets, args[Arg.rows], args[Arg.seqLen]);
          break;
        }
        case Command.gather: {
          // Replica order (the coordinator's first), whichever thread sums: the sum is bitwise
          // the same for a given number of replicas.
          for (const peer of peerShards) backend.residualForward(shard, shard, peer, n);
          args[Arg.result] = backend.sumSquares(shard, n);
          break;
        }
        case Command.update: {
          if (args[Arg.factor] !== 1) backend.scale(shard, args[Arg.factor], n);
          updateShard(args[Arg.lr], args[Arg.updateCount]);
          break;
        }
        default: {
          const unknown: never = command;
          throw new Error(`replica: unknown command ${String(unknown)}`);
        }
      }
    } catch (error) {
      init.failures.postMessage({ message: error instanceof Error ? error.message : String(error) });
      Atomics.store(sync, Sync.failed, 1);
    }
    if (Atomics.add(sync, Sync.done, 1) === init.threads - 1) Atomics.notify(sync, Sync.done);
  }
}
