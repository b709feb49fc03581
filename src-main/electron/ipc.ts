// The one way the main process answers the renderer: `handle` registers an IPC handler that first
// checks the sender (our window's top frame, showing our own page) and then validates the payload
// with its zod schema, and always answers with an IpcReply. `registerStudioIpc` binds the whole API.

import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { z } from 'zod';
import { methods, StudioError } from '../api';
import type { MethodName, StudioHandlers } from '../api';
import { DIALOG_CHANNEL, methodChannel } from './bridge';
import type { DialogPurpose, IpcReply, SerializedError } from './bridge';
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

function serialize(err: unknown): SerializedError {
  if (err instanceof StudioError) return err.toJSON();
  const message = err instanceof Error ? err.message : String(err);
  return { name: err instanceof Error ? err.name : 'Error', code: 'failed', message, problems: [] };
}

/** Registers one validated, sender-checked handler on `channel`. */
export function handle<S extends z.ZodType, R>(
  ipc: IpcRegistry,
  channel: string,
  schema: S,
  trusted: TrustedSender,
  handler: (input: z.output<S>) => Promise<R>,
  onRefused: (channel: string, url: string | null) => void = () => {},
): void {
  ipc.handle(channel, async (event: IpcMainInvokeEvent, payload: unknown): Promise<IpcReply<R>> => {
    const info = event as unknown as SenderInfo;
    if (!isTrustedSender(info, trusted)) {
      onRefused(channel, info.senderFrame?.url ?? null);
      return {
        ok: false,
        error: serialize(
          new IpcSenderError(`${channel} refused: the message did not come from the studio window.`),
        ),
      };
    }
    const parsed = schema.safeParse(payload ?? {});
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => ({
        field: issue.path.map(String).join('.') || '(input)',
        message: issue.message,
      }));
      const text = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
      return {
        ok: false,
        error: new StudioError('invalid-input', `Invalid input for ${channel}: ${text}`, problems).toJSON(),
      };
    }
    try {
      return { ok: true, result: await handler(parsed.data) };
    } catch (err) {
      return { ok: false, error: serialize(err) };
    }
  });
}

export const dialogInputSchema = z.strictObject({
  purpose: z.enum(['import-file', 'import-folder', 'export-folder', 'data-folder']),
  defaultPath: z.string().max(4096).optional(),
});

export interface StudioIpcOptions {
  handlers: StudioHandlers;
  trusted: TrustedSender;
  choosePath: (purpose: DialogPurpose, defaultPath: string | undefined) => Promise<string | null>;
  onRefused?: (channel: string, url: string | null) => void;
}

/** Binds every API method (one channel each) and the file dialog; returns the function that unbinds them. */
export function registerStudioIpc(ipc: IpcRegistry, opts: StudioIpcOptions): () => void {
  const channels: string[] = [];
  const bind = <M extends MethodName>(method: M): void => {
    const handler = opts.handlers[method] as (input: unknown) => Promise<unknown>;
    handle(ipc, methodChannel(method), methods[method].input, opts.trusted, handler, opts.onRefused);
    channels.push(methodChannel(method));
  };
  for (const method of METHOD_LIST) bind(method);
  handle(
    ipc,
    DIALOG_CHANNEL,
    dialogInputSchema,
    opts.trusted,
    (i) => opts.choosePath(i.purpose, i.defaultPath),
    opts.onRefused,
  );
  channels.push(DIALOG_CHANNEL);
  return () => {
    for (const channel of channels) ipc.removeHandler(channel);
  };
}
