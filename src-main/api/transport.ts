// What every transport shares: the service a binding exposes (`StudioBackend`), an error as plain
// data (`SerializedError`, the same over IPC and HTTP), and the shape of `window.studio`, the one
// object the Electron preload gives the page.

import { z } from 'zod';
import { StudioError } from './errors';
import type { FieldProblem, StudioErrorCode } from './errors';
import type { MethodInput, MethodName, MethodResult } from './contract';
import type { StudioEvent } from './types';

/** What a binding exposes (the Studio service fits): validated calls and the event feed. */
export interface StudioBackend {
  /** Validates `payload` against the method's schema, then runs it; throws StudioError. */
  call(method: string, payload: unknown): Promise<unknown>;
  subscribe(listener: (event: StudioEvent) => void): () => void;
}

export interface SerializedError {
  name: string;
  code: StudioErrorCode;
  message: string;
  problems: FieldProblem[];
}

/** Any thrown value as plain data: a StudioError keeps its code and problems; anything else is `failed`. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof StudioError) return err.toJSON();
  const message = err instanceof Error ? err.message : String(err);
  return { name: err instanceof Error ? err.name : 'Error', code: 'failed', message, problems: [] };
}

/** Every IPC handler answers with this, so the error's code and field problems survive the trip. */
export type IpcReply<T> = { ok: true; result: T } | { ok: false; error: SerializedError };

/** A request for a native file dialog: what it is opened for, and where it starts. */
export const dialogRequestSchema = z.strictObject({
  purpose: z.enum(['import-file', 'import-folder', 'export-folder', 'data-folder']),
  defaultPath: z.string().max(4096).optional(),
});
export type DialogPurpose = z.output<typeof dialogRequestSchema>['purpose'];

/**
 * Every API method by its contract name: `await studio.methods['runs.list']({})`. Each answers with
 * an IpcReply rather than throwing, because an Error crossing the context bridge loses its fields.
 */
export type BridgeMethods = {
  [M in MethodName]: (input: MethodInput<M>) => Promise<IpcReply<MethodResult<M>>>;
};

export interface StudioBridge {
  methods: BridgeMethods;
  /** Receives every studio event; returns the function that unsubscribes. */
  onEvent(listener: (event: StudioEvent) => void): () => void;
  /** A native dialog; resolves to the chosen path, or null when the person cancels. */
  choosePath(purpose: DialogPurpose, defaultPath?: string): Promise<string | null>;
}
