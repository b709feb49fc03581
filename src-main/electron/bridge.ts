// The shape of `window.studio`, the one object the preload exposes to the page, and of the IPC
// replies behind it. Types only: the renderer imports it without importing Electron.

import type {
  FieldProblem,
  MethodInput,
  MethodName,
  MethodResult,
  StudioErrorCode,
  StudioEvent,
} from '../api';

/** What a native file dialog is opened for. */
export type DialogPurpose = 'import-file' | 'import-folder' | 'export-folder' | 'data-folder';

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

export interface SerializedError {
  name: string;
  code: StudioErrorCode;
  message: string;
  problems: FieldProblem[];
}

/** Every IPC handler answers with this, so the error's code and field problems survive the trip. */
export type IpcReply<T> = { ok: true; result: T } | { ok: false; error: SerializedError };

/** The IPC channel of each API method, and the two others. */
export const methodChannel = (method: MethodName): string => `studio:${method}`;
export const EVENT_CHANNEL = 'studio:event';
export const DIALOG_CHANNEL = 'studio:dialog';
