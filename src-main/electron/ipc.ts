// The one way the main process answers the renderer: `handle` registers an IPC handler that first
// checks the sender (our window's top frame, showing our own page), then runs the call, and always
// answers with an IpcReply. `registerStudioIpc` binds the whole API to the service's `call` — the
// same validating dispatch (and closed guard) the web binding uses — plus the file dialog.

import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { dialogRequestSchema, parseInput, serializeError } from '../api';
import type { DialogPurpose, IpcReply, StudioBackend } from '../api';
import { DIALOG_CHANNEL, methodChannel } from './bridge';
import { METHOD_LIST } from './method-list';

/** The part of ipcMain this needs (a fake stands in for it in tests). */
export type IpcRegistry = Pick<IpcMain, 'handle' | 'removeHandler'>;

/** The part of an invoke event the sender check reads. */
export interface SenderInfo {
  sender: { id: number };
  senderFrame: { url: string; parent: unknown } | null;
}

export interface TrustedSender {
  /** The webContents id of the studio window, or null when it is closed. */
  webContentsId: () => number | null;
  /** Origins the studio page is served from, as "scheme://host" (e.g. "app://studio"). */
  origins: readonly string[];
}

export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    // URL.origin is "null" for non-special schemes such as app:, so build it from its parts.
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

/**
 * Whether an IPC message comes from the studio: the studio window's webContents, its top frame
 * (not an iframe), showing a page of one of our origins.
 */
export function isTrustedSender(event: SenderInfo, trusted: TrustedSender): boolean {
  const frame = event.senderFrame;
  if (frame === null || frame.parent !== null) return false;
  if (event.sender.id !== trusted.webContentsId()) return false;
  const origin = originOf(frame.url);
  return origin !== null && trusted.origins.includes(origin);
}

export class IpcSenderError extends Error {
  override name = 'IpcSenderError';
}

/** Registers one sender-checked handler on `channel`; `run` validates its own payload. */
export function handle<R>(
  ipc: IpcRegistry,
  channel: string,
  trusted: TrustedSender,
  run: (payload: unknown) => Promise<R>,
  onRefused: (channel: string, url: string | null) => void = () => {},
): void {
  ipc.handle(channel, async (event: IpcMainInvokeEvent, payload: unknown): Promise<IpcReply<R>> => {
    const info = event as unknown as SenderInfo;
    if (!isTrustedSender(info, trusted)) {
      onRefused(channel, info.senderFrame?.url ?? null);
      const refusal = new IpcSenderError(
        `${channel} refused: the message did not come from the studio window.`,
      );
      return { ok: false, error: serializeError(refusal) };
    }
    try {
      return { ok: true, result: await run(payload) };
    } catch (err) {
      return { ok: false, error: serializeError(err) };
    }
  });
}

export interface StudioIpcOptions {
  backend: Pick<StudioBackend, 'call'>;
  trusted: TrustedSender;
  choosePath: (purpose: DialogPurpose, defaultPath: string | undefined) => Promise<string | null>;
  onRefused?: (channel: string, url: string | null) => void;
}

/** Binds every API method (one channel each) and the file dialog; returns the function that unbinds them. */
export function registerStudioIpc(ipc: IpcRegistry, opts: StudioIpcOptions): () => void {
  const channels = [...METHOD_LIST.map(methodChannel), DIALOG_CHANNEL];
  for (const method of METHOD_LIST) {
    handle(
      ipc,
      methodChannel(method),
      opts.trusted,
      (payload) => opts.backend.call(method, payload),
      opts.onRefused,
    );
  }
  handle(
    ipc,
    DIALOG_CHANNEL,
    opts.trusted,
    async (payload) => {
      const i = parseInput(dialogRequestSchema, payload, DIALOG_CHANNEL);
      return opts.choosePath(i.purpose, i.defaultPath);
    },
    opts.onRefused,
  );
  return () => {
    for (const channel of channels) ipc.removeHandler(channel);
  };
}
