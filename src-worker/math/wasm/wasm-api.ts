// The part of the JavaScript WebAssembly API this backend uses, typed here because the project's
// TypeScript libraries (ES2023 + @types/node 20) do not declare the WebAssembly namespace.

export interface WasmMemory {
  /** For a shared memory: a SharedArrayBuffer, a new object after every growth. */
  readonly buffer: SharedArrayBuffer;
  /** Grows by `pages` of 64 KiB; returns the old size in pages; throws RangeError past the maximum. */
  grow(pages: number): number;
}

/** Compiled code, shareable between instances and transferable to workers. */
export type WasmModule = object;

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmGlobal {
  readonly value: number;
}

interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => WasmMemory;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
}

export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export const WASM_PAGE_BYTES = 65536;
