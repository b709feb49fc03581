// Big matmuls split by rows across worker threads that share the wasm backend's memory. Every
// worker instantiates the same compiled kernels on the same shared WebAssembly.Memory, so no
// tensor is copied or posted: a control block in that memory carries each job's addresses, and
// Atomics.wait/notify put workers to sleep between jobs and wake the caller when all are done.
//
// Each worker computes whole rows of the output with the same kernel and the same K blocking as
// one thread would, so the results are bitwise identical for every thread count.
import { Worker } from 'node:worker_threads';
import { compileKernels, defaultKernelPath } from './kernel-path';
import type { WasmModule } from './wasm-api';
import {
  allocScratch,
  instantiateKernels,
  WasmBackend,
  type KernelExports,
  type MatmulRunner,
  type WasmBackendOptions,
} from './wasm-backend';
import { DEFAULT_INITIAL_BYTES, MAX_MEMORY_BYTES, WasmHeap } from './wasm-heap';

/** A worker reported a failure (a trap in its kernels); the job's outputs are incomplete. */
export class ParallelWorkerError extends Error {
  constructor(detail: string) {
    super(`wasm matmul worker failed: ${detail}`);
    this.name = 'ParallelWorkerError';
  }
}

// Layout of the control block (Int32 words). Each helper has a slot: a flag (1: work to do), a
// function id and its 10 i32 arguments (addresses above 2³¹ wrap to negative and wrap back when
// they reach the i32 parameters).
const GENERATION = 0; // bumped by the caller to start a job
const DONE = 1; // helpers that finished the current job
const QUIT = 2; // 1: helpers exit
const FAILED = 3; // 1: some helper caught an error in this job
const SLOTS = 8;
const ARGS = 10;
const SLOT_WORDS = 2 + ARGS;
const FN_GEMM = 0;
const FN_MATMUL_FORWARD = 1;
const FN_MATMUL_TRANSPOSED_FORWARD = 2;

// The helper's whole program; run with `eval`, so that bundling the engine needs no extra file.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, control, slot, scratch, helpers } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
k.set_scratch(scratch[0], scratch[1], scratch[2], scratch[3]);
const ctrl = new Int32Array(memory.buffer, control, ${SLOTS} + helpers * ${SLOT_WORDS});
const fns = [k.gemm, k.matmul_forward, k.matmul_transposed_forward];
let seen = 0;
parentPort.postMessage('ready');
for (;;) {
  Atomics.wait(ctrl, ${GENERATION}, seen);
  seen = Atomics.load(ctrl, ${GENERATION});
  if (Atomics.load(ctrl, ${QUIT}) !== 0) break;
  try {
    const p = ${SLOTS} + slot * ${SLOT_WORDS};
    if (ctrl[p] !== 0) {
      fns[ctrl[p + 1]](ctrl[p + 2], ctrl[p + 3], ctrl[p + 4], ctrl[p + 5], ctrl[p + 6],
                       ctrl[p + 7], ctrl[p + 8], ctrl[p + 9], ctrl[p + 10], ctrl[p + 11]);
    }
  } catch (error) {
    Atomics.store(ctrl, ${FAILED}, 1);
    parentPort.postMessage(String(error));
  }
  if (Atomics.add(ctrl, ${DONE}, 1) === helpers - 1) Atomics.notify(ctrl, ${DONE});
}
`;

/** First row of part `part` of `rows` split `parts` ways, on a multiple of the 4-row micro-tile. */
function partStart(rows: number, parts: number, part: number): number {
  return part >= parts ? rows : Math.min(rows, Math.round((rows * part) / parts / 4) * 4);
}

/**
 * Runs the matmul kernels on `threads` threads: the caller's and threads − 1 helpers. Train with
 * `backend` (a WasmBackend whose matmuls run here); `close()` stops the helpers.
 *
 * While a helper crashes outright (rather than trapping, which is caught and reported) the caller
 * would wait for it forever; nothing in the kernels is known to do that short of running out of
 * memory, which ends the process anyway.
 */
export class MatmulPool implements MatmulRunner {
  readonly threads: number;
  readonly backend: WasmBackend;
  private readonly own: KernelExports;
  private readonly ctrl: Int32Array;
  private readonly workers: Worker[] = [];
  /** The current job's arguments, reused for every job (numbers: addresses may exceed 2³¹). */
  private readonly args = new Float64Array(ARGS);
  private lastError = '';
  private closed = false;

  /** A pool on a fresh memory with `threads` ≥ 1 threads in all, the caller's included. */
  static async start(threads: number, options: WasmBackendOptions = {}): Promise<MatmulPool> {
    if (!(Number.isInteger(threads) && threads >= 1)) {
      throw new RangeError(`MatmulPool: threads must be an integer ≥ 1, got ${threads}`);
    }
    const kernelPath = options.kernelPath ?? defaultKernelPath();
    const module = await compileKernels(kernelPath);
    const heap = new WasmHeap(
      options.initialBytes ?? DEFAULT_INITIAL_BYTES,
      options.maximumBytes ?? MAX_MEMORY_BYTES,
    );
    const pool = new MatmulPool(
      module,
      heap,
      threads,
      (runner) => new WasmBackend(module, kernelPath, heap, runner),
    );
    await pool.ready();
    return pool;
  }

  private constructor(
    module: WasmModule,
    heap: WasmHeap,
    threads: number,
    makeBackend: (runner: MatmulRunner) => WasmBackend,
  ) {
    this.threads = threads;
    this.own = instantiateKernels(module, heap);
    const helpers = threads - 1;
    this.ctrl = heap.allocI32(SLOTS + helpers * SLOT_WORDS);
    for (let slot = 0; slot < helpers; slot++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          module,
          memory: heap.memory,
          control: this.ctrl.byteOffset,
          slot,
          scratch: allocScratch(this.own, heap),
          helpers,
        },
      });
      worker.on('message', (message: string) => {
        if (message !== 'ready') this.lastError = message;
      });
      worker.on('error', (error: Error) => {
        this.lastError = String(error);
      });
      this.workers.push(worker);
    }
    this.backend = makeBackend(this);
  }

  /** Resolves when every helper has instantiated its kernels; from then on an idle pool does not keep the process alive. */
  private async ready(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const onMessage = (message: string): void => {
              if (message !== 'ready') return;
              worker.off('message', onMessage);
              worker.off('exit', onExit);
              resolve();
            };
            const onExit = (code: number): void =>
              reject(new ParallelWorkerError(`exited with code ${code} while starting: ${this.lastError}`));
            worker.on('message', onMessage);
            worker.on('exit', onExit);
          }),
      ),
    );
    for (const worker of this.workers) worker.unref();
  }

  /** Stops the helpers; the pool's backend refuses matmuls afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const exits = this.workers.map((worker) => {
      worker.ref(); // so that awaiting the exits keeps the process alive
      return new Promise((resolve) => worker.once('exit', resolve));
    });
    Atomics.store(this.ctrl, QUIT, 1);
    Atomics.add(this.ctrl, GENERATION, 1);
    Atomics.notify(this.ctrl, GENERATION);
    await Promise.all(exits);
  }

  matmul_forward(
    out: number,
    inp: number,
    weight: number,
    bias: number,
    N: number,
    C: number,
    OC: number,
  ): void {
    this.setArgs(out, inp, weight, bias, N, C, OC, 0, 0, 0);
    this.run(FN_MATMUL_FORWARD, N, 4 * OC, 4 * C, 4);
  }

  matmul_transposed_forward(
    out: number,
    inp: number,
    weight: number,
    N: number,
    C: number,
    OC: number,
  ): void {
    this.setArgs(out, inp, weight, N, C, OC, 0, 0, 0, 0);
    this.run(FN_MATMUL_TRANSPOSED_FORWARD, N, 4 * OC, 4 * C, 3);
  }

  matmul_backward(
    dinp: number,
    dweight: number,
    dbias: number,
    dout: number,
    inp: number,
    weight: number,
    N: number,
    C: number,
    OC: number,
  ): void {
    // The kernel's two products, each split over the rows of its output: dinp = dout·weightᵀ
    // over N, dweight = inpᵀ·dout over C. The bias column sums are cheap and stay here.
    this.setArgs(dinp, dout, OC, 1, weight, 1, OC, N, C, OC);
    this.run(FN_GEMM, N, 4 * C, 4 * OC, 7);
    this.setArgs(dweight, inp, 1, C, dout, OC, 1, C, OC, N);
    this.run(FN_GEMM, C, 4 * OC, 4, 7);
    if (dbias !== 0) this.own.column_sums(dbias, dout, N, OC);
  }

  matmul_transposed_backward(
    dinp: number,
    dweight: number,
    dout: number,
    inp: number,
    weight: number,
    N: number,
    C: number,
    OC: number,
  ): void {
    this.setArgs(dinp, dout, OC, 1, weight, C, 1, N, C, OC);
    this.run(FN_GEMM, N, 4 * C, 4 * OC, 7);
    this.setArgs(dweight, dout, 1, OC, inp, C, 1, OC, C, N);
    this.run(FN_GEMM, OC, 4 * C, 4, 7);
  }

  // prettier-ignore
  private setArgs(a0: number, a1: number, a2: number, a3: number, a4: number,
                  a5: number, a6: number, a7: number, a8: number, a9: number): void {
    const a = this.args;
    a[0] = a0; a[1] = a1; a[2] = a2; a[3] = a3; a[4] = a4;
    a[5] = a5; a[6] = a6; a[7] = a7; a[8] = a8; a[9] = a9;
  }

  /**
   * Runs `fn` on this.args split over `rows` rows of its output: every kernel here takes the
   * output address first and the row-major input second, so part [first, first + count) adds
   * first·outRowBytes and first·inRowBytes to them and passes count as argument `rowsAt`.
   * Helpers take parts 1…; this thread takes part 0, then sleeps until the helpers are done.
   */
  private run(fn: number, rows: number, outRowBytes: number, inRowBytes: number, rowsAt: number): void {
    if (this.closed)
      throw new ParallelWorkerError('the pool is closed; its backend can no longer run matmuls');
    const ctrl = this.ctrl;
    const a = this.args;
    const k = this.own;
    // Below 8 rows per thread the wake-up costs more than the split saves.
    const parts = rows >= 8 * this.threads ? this.threads : 1;
    if (parts > 1) {
      for (let slot = 0; slot < this.workers.length; slot++) {
        const p = SLOTS + slot * SLOT_WORDS;
        const first = partStart(rows, parts, slot + 1);
        const count = partStart(rows, parts, slot + 2) - first;
        ctrl[p] = count > 0 ? 1 : 0;
        ctrl[p + 1] = fn;
        for (let i = 0; i < ARGS; i++) ctrl[p + 2 + i] = a[i];
        ctrl[p + 2] = a[0] + first * outRowBytes;
        ctrl[p + 3] = a[1] + first * inRowBytes;
        ctrl[p + 2 + rowsAt] = count;
      }
      Atomics.store(ctrl, DONE, 0);
      Atomics.store(ctrl, FAILED, 0);
      Atomics.add(ctrl, GENERATION, 1);
      Atomics.notify(ctrl, GENERATION);
    }
    const own = partStart(rows, parts, 1);
    if (own > 0) {
      if (fn === FN_GEMM) k.gemm(a[0], a[1], a[2], a[3], a[4], a[5], a[6], own, a[8], a[9]);
      else if (fn === FN_MATMUL_FORWARD) k.matmul_forward(a[0], a[1], a[2], a[3], own, a[5], a[6]);
      else k.matmul_transposed_forward(a[0], a[1], a[2], own, a[4], a[5]);
    }
    if (parts === 1) return;
    const helpers = this.workers.length;
    for (let done = Atomics.load(ctrl, DONE); done < helpers; done = Atomics.load(ctrl, DONE)) {
      Atomics.wait(ctrl, DONE, done);
    }
    if (Atomics.load(ctrl, FAILED) !== 0) throw new ParallelWorkerError(this.lastError);
  }
}
