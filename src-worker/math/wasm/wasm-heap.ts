// The WebAssembly backend's memory: one shared WebAssembly.Memory, a bump allocator that hands out
// zeroed, 64-byte-aligned views of it, and the check that a view given to a kernel lies inside it.
import { wasm, WASM_PAGE_BYTES, type WasmMemory } from './wasm-api';

/** Cache-line (and f32x4) alignment of every allocation. */
const ALIGN_BYTES = 64;
/** Memory grows in steps of at least this much, so that growths (each a new SharedArrayBuffer) stay few. */
const GROW_STEP_BYTES = 16 * 1024 * 1024;
/** wasm32 addresses 4 GiB at most. */
export const MAX_MEMORY_BYTES = 65536 * WASM_PAGE_BYTES;
/** Memory reserved up front unless asked otherwise: the kernels' scratch and a small model. */
export const DEFAULT_INITIAL_BYTES = 16 * 1024 * 1024;

type View = Float32Array | Int32Array;

/** A kernel was given a typed array that does not live in this backend's memory. */
export class ForeignBufferError extends Error {
  constructor(kernel: string, arg: string) {
    super(
      `${kernel}: '${arg}' is not a view of this wasm backend's memory; allocate it with the same ` +
        `backend's allocF32/allocI32 (or take a subarray of such a buffer)`,
    );
    this.name = 'ForeignBufferError';
  }
}

/** A kernel's dimensions ask for more elements than the view holds. */
export class BufferTooSmallError extends Error {
  constructor(kernel: string, arg: string, needed: number, length: number) {
    super(`${kernel}: '${arg}' holds ${length} elements but the dimensions need ${needed}`);
    this.name = 'BufferTooSmallError';
  }
}

/** An allocation would take the memory past its maximum. */
export class WasmMemoryExhaustedError extends Error {
  constructor(requestedBytes: number, usedBytes: number, maximumBytes: number) {
    super(
      `wasm backend: cannot allocate ${requestedBytes} bytes: ${usedBytes} of at most ${maximumBytes} ` +
        `bytes are in use (raise maximumBytes, up to ${MAX_MEMORY_BYTES}, or use a smaller model or batch)`,
    );
    this.name = 'WasmMemoryExhaustedError';
  }
}

export class WasmHeap {
  readonly memory: WasmMemory;
  readonly maximumBytes: number;
  /** Next free byte. Address 0 is never handed out, so kernels can take 0 to mean "no buffer". */
  private top = ALIGN_BYTES;
  /**
   * Every SharedArrayBuffer views have been made on. Growing a shared memory leaves old views
   * valid (the memory never moves) but gives `memory.buffer` a new object, so a view's buffer is
   * one of these — the current one in the common case, checked first. Only this heap grows the
   * memory, so the list is complete; a view someone builds on `memory.buffer` directly is
   * recognised too, as long as no other thread has grown the memory in between.
   */
  private readonly buffers: SharedArrayBuffer[] = [];
  private current: SharedArrayBuffer;

  constructor(initialBytes: number, maximumBytes: number) {
    if (!(initialBytes > 0 && initialBytes <= maximumBytes && maximumBytes <= MAX_MEMORY_BYTES)) {
      throw new RangeError(
        `wasm backend: need 0 < initialBytes (${initialBytes}) ≤ maximumBytes (${maximumBytes}) ≤ ${MAX_MEMORY_BYTES}`,
      );
    }
    const maximumPages = Math.floor(maximumBytes / WASM_PAGE_BYTES);
    this.maximumBytes = maximumPages * WASM_PAGE_BYTES;
    this.memory = new wasm.Memory({
      initial: Math.min(maximumPages, Math.ceil(initialBytes / WASM_PAGE_BYTES)),
      maximum: maximumPages,
      shared: true,
    });
    this.current = this.memory.buffer;
    this.buffers.push(this.current);
  }

  /** Bytes handed out so far, alignment padding included. */
  get usedBytes(): number {
    return this.top;
  }

  allocF32(n: number): Float32Array {
    const start = this.reserve(n, 'allocF32'); // may grow the memory, replacing this.current
    return new Float32Array(this.current, start, n);
  }

  allocI32(n: number): Int32Array {
    const start = this.reserve(n, 'allocI32');
    return new Int32Array(this.current, start, n);
  }

  /**
   * The byte address of `view` for a kernel, after checking that it is a view of this memory and
   * holds at least `needed` elements. Costs two comparisons in the common case; allocates nothing.
   */
  address(view: View, needed: number, kernel: string, arg: string): number {
    const buffer = view.buffer;
    if (buffer !== this.current && !this.buffers.includes(buffer as SharedArrayBuffer)) {
      throw new ForeignBufferError(kernel, arg);
    }
    if (!(view.length >= needed)) throw new BufferTooSmallError(kernel, arg, needed, view.length);
    return view.byteOffset;
  }

  /** Reserves n four-byte elements and returns their byte offset; the memory is fresh, hence zero. */
  private reserve(n: number, what: string): number {
    if (!(Number.isSafeInteger(n) && n >= 0)) throw new RangeError(`wasm backend ${what}: bad length ${n}`);
    const start = this.top;
    const end = start + Math.ceil((4 * n) / ALIGN_BYTES) * ALIGN_BYTES;
    if (end > this.maximumBytes) throw new WasmMemoryExhaustedError(4 * n, start, this.maximumBytes);
    const size = this.current.byteLength;
    if (end > size) {
      const target = Math.min(this.maximumBytes, Math.max(end, size + GROW_STEP_BYTES));
      this.memory.grow(Math.ceil((target - size) / WASM_PAGE_BYTES));
      this.current = this.memory.buffer;
      this.buffers.push(this.current);
    }
    this.top = end;
    return start;
  }
}
