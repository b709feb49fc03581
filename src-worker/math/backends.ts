// The registry of numeric backends: how to load each one by name. Tests iterate every entry, so
// a new backend is tested as soon as it is listed here.
import type { Backend, BackendName } from './backend';

/** Loaders by name; each backend's module is imported only when that backend is asked for. */
const LOADERS: Partial<Record<BackendName, () => Promise<Backend>>> = {
  ts: async () => (await import('./ts-backend')).tsBackend,
  wasm: async () => (await import('./wasm/wasm-backend')).createWasmBackend(),
};

/** The backends this build can create, in registration order. */
export const BACKEND_NAMES: readonly BackendName[] = Object.keys(LOADERS) as BackendName[];

/** A backend was asked for that this build does not provide. */
export class UnknownBackendError extends Error {
  constructor(name: string) {
    super(`Unknown numeric backend '${name}'; available: ${BACKEND_NAMES.join(', ')}`);
    this.name = 'UnknownBackendError';
  }
}

export async function createBackend(name: BackendName): Promise<Backend> {
  const load = LOADERS[name];
  if (load === undefined) throw new UnknownBackendError(name);
  return load();
}

/** Every backend of BACKEND_NAMES, loaded; tests run each kernel on each of them. */
export async function availableBackends(): Promise<Backend[]> {
  return Promise.all(BACKEND_NAMES.map((name) => createBackend(name)));
}
