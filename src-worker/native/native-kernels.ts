// The native kernels addon (src/*.c, built by scripts/build-engine.mjs into
// out/engine/crystalline_kernels.node): loaded once per thread if it was built and loads here,
// else the engine runs on the WebAssembly kernels alone. Its kernels take the same arguments as
// the WebAssembly exports of the same name (byte offsets into the engine's memory, then
// dimensions), after the memory's base address, which `bindNativeKernels` fixes.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The instruction sets the addon has kernels for; it offers those the CPU runs, best first. */
export type NativeIsa = 'avx512f' | 'avx2-fma' | 'neon';
export const NATIVE_ISAS: readonly NativeIsa[] = ['avx512f', 'avx2-fma', 'neon'];

/**
 * The kernels the addon implements, by their WebAssembly export name (math/wasm/wasm-kernels.ts
 * declares each one's parameters, for both): every other kernel keeps its WebAssembly version.
 */
export const NATIVE_KERNEL_NAMES = [
  'matmul_forward',
  'matmul_backward',
  'matmul_transposed_forward',
  'matmul_transposed_backward',
  'gelu_forward',
  'gelu_backward',
  'adamw_update',
] as const;
export type NativeKernelName = (typeof NATIVE_KERNEL_NAMES)[number];

type AddonKernel = (base: number, ...args: number[]) => void;

interface Addon {
  /** The instruction sets of `kernels` this CPU runs, best first. */
  isas: string[];
  kernels: Record<string, Record<NativeKernelName, AddonKernel>>;
  /** The address of a typed array's first element (SharedArrayBuffer views included). */
  address(view: Uint8Array): number;
}

/** Whether the addon loaded: the instruction sets it runs here, or why not (not built, failed to load). */
export type NativeStatus = { loaded: true; isas: NativeIsa[] } | { loaded: false; reason: string };

const FILE = 'crystalline_kernels.node';

/** Where the addon is: beside this module once bundled (out/engine), else the repository's build. */
function addonCandidates(): string[] {
  return [new URL(`./${FILE}`, import.meta.url), new URL(`../../out/engine/${FILE}`, import.meta.url)].map(
    (url) => fileURLToPath(url),
  );
}

let loaded: { addon: Addon | null; status: NativeStatus } | undefined;

function load(): { addon: Addon | null; status: NativeStatus } {
  if (loaded === undefined) {
    const candidates = addonCandidates();
    const path = candidates.find((p) => existsSync(p));
    if (path === undefined) {
      loaded = {
        addon: null,
        status: { loaded: false, reason: `not built (looked for ${candidates.join(', ')})` },
      };
    } else {
      try {
        const addon = createRequire(import.meta.url)(path) as Addon;
        const isas = addon.isas.filter((isa): isa is NativeIsa =>
          (NATIVE_ISAS as readonly string[]).includes(isa),
        );
        const missing = NATIVE_KERNEL_NAMES.find((name) =>
          isas.some((isa) => typeof addon.kernels[isa]?.[name] !== 'function'),
        );
        const stale = `${path} is out of date (it lacks ${missing}); run npm run build:engine`;
        loaded =
          missing === undefined
            ? { addon, status: { loaded: true, isas } }
            : { addon: null, status: { loaded: false, reason: stale } };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        loaded = { addon: null, status: { loaded: false, reason: `${path} failed to load: ${reason}` } };
      }
    }
  }
  return loaded;
}

/** Whether the addon loaded, and which instruction sets it runs on this CPU (best first). */
export function nativeStatus(): NativeStatus {
  return load().status;
}

/** The instruction sets native kernels can run on here, best first; empty without the addon. */
export function nativeIsas(): NativeIsa[] {
  const status = load().status;
  return status.loaded ? status.isas : [];
}

/** The addon's kernels for `isa` were asked for where it is missing or the CPU lacks the instruction set. */
export class NativeKernelsUnavailableError extends Error {
  constructor(isa: NativeIsa) {
    const status = load().status;
    super(
      `native kernels for ${isa} are unavailable here: ` +
        (status.loaded ? `this CPU runs only [${status.isas.join(', ')}]` : `the addon is ${status.reason}`),
    );
    this.name = 'NativeKernelsUnavailableError';
  }
}

export type NativeKernels = Record<NativeKernelName, (...args: number[]) => void>;

/**
 * The native kernels for `isa` working in `memory`. A shared memory never moves when it grows
 * (other threads hold its address), so the base address taken here stays valid for its life.
 */
export function bindNativeKernels(
  isa: NativeIsa,
  memory: { readonly buffer: SharedArrayBuffer },
): NativeKernels {
  const addon = load().addon;
  const table = addon?.kernels[isa];
  if (addon === null || table === undefined) throw new NativeKernelsUnavailableError(isa);
  const base = addon.address(new Uint8Array(memory.buffer, 0, 1));
  const bound = {} as NativeKernels;
  for (const name of NATIVE_KERNEL_NAMES) bound[name] = table[name].bind(null, base);
  return bound;
}
