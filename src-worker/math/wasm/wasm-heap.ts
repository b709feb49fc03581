// The WebAssembly backend's memory: one shared WebAssembly.Memory, a bump allocator that hands out
// zeroed, 64-byte-aligned views of it, and the check that a view given to a kernel lies inside it.
// The bump pointer lives in the memory itself, so heaps of several threads attached to one memory
// (data-parallel replicas) allocate from it without overlapping.
import { wasm, WASM_PAGE_BYTES, type WasmMemory } from './wasm-api';

/** Cache-line (and f32x4) alignment of every allocation. */
const ALIGN_BYTES = 64;
/**
 * Memory grows by at least this fraction of its size, so growths (each a new SharedArrayBuffer)
 * stay few — logarithmic in the final size — while the unused tail stays under 1/8 of it.
 */
const GROW_FRACTION = 1 / 8;
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

/**
 * Word 0 of the memory holds the next free byte divided by ALIGN_BYTES (4 GiB / 64 fits an i32).
 * The first ALIGN_BYTES are never handed out, so kernels can also take address 0 to mean "no buffer".
 */
const TOP_WORD = 0;

export class WasmHeap {
  readonly memory: WasmMemory;
  readonly maximumBytes: number;
  private readonly top: Int32Array;
  /**
   * Every SharedArrayBuffer object this heap has seen for its memory. Growing a shared memory
   * leaves old views valid (the memory never moves) but gives `memory.buffer` a new object, so a
   * view's buffer is one of these — the current one in the common case, checked first. Views
   * this heap hands out are made on a recorded object; for any other view of the memory (built on
   * `memory.buffer` after another thread grew it) `address` looks at the memory once more.
   */
  private readonly buffers: SharedArrayBuffer[] = [];
  private current: SharedArrayBuffer;

  /** A heap on a fresh memory of `initialBytes` that may grow to `maximumBytes`. */
  constructor(initialBytes: number, maximumBytes: number);
  /** Another thread's heap on an existing memory: allocations of both come from one bump pointer. */
  constructor(memory: WasmMemory, maximumBytes: number);
  constructor(initial: number | WasmMemory, maximumBytes: number) {
    const maximumPages = Math.floor(maximumBytes / WASM_PAGE_BYTES);
    this.maximumBytes = maximumPages * WASM_PAGE_BYTES;
    if (typeof initial === 'number') {
      if (!(initial > 0 && initial <= maximumBytes && maximumBytes <= MAX_MEMORY_BYTES)) {
        throw new RangeError(
          `wasm backend: need 0 < initialBytes (${initial}) ≤ maximumBytes (${maximumBytes}) ≤ ${MAX_MEMORY_BYTES}`,
        );
      }
      this.memory = new wasm.Memory({
        initial: Math.min(maximumPages, Math.ceil(initial / WASM_PAGE_BYTES)),
        maximum: maximumPages,
        shared: true,
      });
    } else {
      this.memory = initial;
    }
    this.current = this.memory.buffer;
    this.buffers.push(this.current);
    this.top = new Int32Array(this.current, TOP_WORD, 1);
    if (typeof initial === 'number') this.top[0] = 1;
  }

  /** Bytes handed out so far (by every heap on this memory), alignment padding included. */
  get usedBytes(): number {
    return Atomics.load(this.top, 0) * ALIGN_BYTES;
  }

  /** A view of n floats at `byteOffset`, allocated by some heap on this memory (another thread's, say). */
  viewF32(byteOffset: number, n: number): Float32Array {
    this.refresh();
    return new Float32Array(this.current, byteOffset, n);
  }

  /** A view of n ints at `byteOffset`, allocated by some heap on this memory. */
  viewI32(byteOffset: number, n: number): Int32Array {
    this.refresh();
    return new Int32Array(this.current, byteOffset, n);
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
      this.refresh();
      if (buffer !== this.current) throw new ForeignBufferError(kernel, arg);
    }
    if (!(view.length >= needed)) throw new BufferTooSmallError(kernel, arg, needed, view.length);
    return view.byteOffset;
  }

  /**
   * Reserves n four-byte elements and returns their byte offset; the memory is fresh, hence zero.
   * The reservation is a compare-and-swap on the shared bump pointer, so heaps of other threads
   * never get the same bytes and a refused reservation takes nothing.
   */
  private reserve(n: number, what: string): number {
    if (!(Number.isSafeInteger(n) && n >= 0)) throw new RangeError(`wasm backend ${what}: bad length ${n}`);
    const units = Math.ceil((4 * n) / ALIGN_BYTES);
    let top = Atomics.load(this.top, 0);
    for (;;) {
      if ((top + units) * ALIGN_BYTES > this.maximumBytes) {
        throw new WasmMemoryExhaustedError(4 * n, top * ALIGN_BYTES, this.maximumBytes);
      }
      const seen = Atomics.compareExchange(this.top, 0, top, top + units);
      if (seen === top) break;
      top = seen; // another thread allocated first: try after its bytes
    }
    const start = top * ALIGN_BYTES;
    const end = start + units * ALIGN_BYTES;
    try {
      // Another thread may be growing too: each grows from the size it finds, until it suffices.
      for (let size = this.memory.buffer.byteLength; size < end; size = this.memory.buffer.byteLength) {
        const target = Math.min(this.maximumBytes, Math.max(end, size + size * GROW_FRACTION));
        this.memory.grow(Math.ceil((target - size) / WASM_PAGE_BYTES));
      }
    } catch {
      // The engine refused the pages. Give the bytes back if nobody reserved after them.
      Atomics.compareExchange(this.top, 0, top + units, top);
      throw new WasmMemoryExhaustedError(4 * n, start, this.memory.buffer.byteLength);
    }
    this.refresh();
    return start;
  }

  /** Takes note of growth (by this heap or another thread's): the memory's buffer is a new object. */
  private refresh(): void {
    const buffer = this.memory.buffer;
    if (buffer !== this.current) {
      this.current = buffer;
      this.buffers.push(buffer);
    }
  }
}
