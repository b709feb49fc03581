// The IPC binding's two guards, without the Electron binary (a fake ipcMain records handlers):
// the sender check (window, top frame, origin) and payload validation with the contract's schemas,
// both before any handler runs; errors keep their code and field problems across the bridge.

import { describe, expect, it, vi } from 'vitest';
import { dispatch, METHOD_NAMES, StudioError } from '../api';
import type { IpcReply, StudioHandlers } from '../api';
import { DIALOG_CHANNEL, methodChannel } from './bridge';
import { isTrustedSender, registerStudioIpc } from './ipc';
import type { IpcRegistry, SenderInfo } from './ipc';
import { METHOD_LIST } from './method-list';

type Listener = (event: unknown, payload: unknown) => Promise<IpcReply<unknown>>;

function fakeIpc(): IpcRegistry & {
  handlers: Map<string, Listener>;
  invoke: (channel: string, event: SenderInfo, payload: unknown) => Promise<IpcReply<unknown>>;
} {
  const handlers = new Map<string, Listener>();
  return {
    handlers,
    handle: (channel: string, listener: unknown) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, listener as Listener);
    },
    removeHandler: (channel: string) => {
      handlers.delete(channel);
    },
    invoke: (channel, event, payload) => {
      const listener = handlers.get(channel);
      if (listener === undefined) throw new Error(`no handler for ${channel}`);
      return listener(event, payload);
    },
  };
}

const WINDOW_ID = 7;
const trusted = { webContentsId: () => WINDOW_ID, origins: ['app://studio'] };
const fromStudio: SenderInfo = {
  sender: { id: WINDOW_ID },
  senderFrame: { url: 'app://studio/index.html#/runs', parent: null },
};

function setup() {
  const ipc = fakeIpc();
  const getRun = vi.fn(async ({ id }: { id: number }) => {
    if (id === 404) throw new StudioError('not-found', 'There is no run with id 404.');
    if (id === 500) throw new Error('disk on fire');
    return { id, name: 'run' };
  });
  const choosePath = vi.fn(async () => '/home/me/notes.txt');
  const handlers = new Proxy({ 'runs.get': getRun } as unknown as StudioHandlers, {
    get: (target, key) => (target as unknown as Record<string | symbol, unknown>)[key] ?? (async () => null),
  });
  const refused = vi.fn();
  const unregister = registerStudioIpc(ipc, {
    backend: { call: (method, payload) => dispatch(handlers, method, payload) },
    trusted,
    choosePath,
    onRefused: refused,
  });
  return { ipc, getRun, choosePath, refused, unregister };
}

describe('studio IPC', () => {
  it('registers one channel for each method of the contract, plus the file dialog', () => {
    const { ipc } = setup();
    expect([...METHOD_LIST].sort()).toEqual([...METHOD_NAMES].sort());
    expect([...ipc.handlers.keys()].sort()).toEqual(
      [...METHOD_NAMES.map(methodChannel), DIALOG_CHANNEL].sort(),
    );
  });

  it('answers a valid call from the studio window with the handler result', async () => {
    const { ipc, getRun } = setup();
    expect(await ipc.invoke(methodChannel('runs.get'), fromStudio, { id: 3 })).toEqual({
      ok: true,
      result: { id: 3, name: 'run' },
    });
    expect(getRun).toHaveBeenCalledWith({ id: 3 });
  });

  it.each([
    ['another window', { ...fromStudio, sender: { id: 8 } }],
    ['an iframe', { ...fromStudio, senderFrame: { url: 'app://studio/index.html', parent: {} } }],
    [
      'a page of another origin',
      { ...fromStudio, senderFrame: { url: 'https://evil.example/', parent: null } },
    ],
    ['a frame that is gone', { ...fromStudio, senderFrame: null }],
  ])('refuses a call from %s before validating or running anything', async (_what, event) => {
    const { ipc, getRun, refused } = setup();
    const reply = await ipc.invoke(methodChannel('runs.get'), event as SenderInfo, { id: 3 });
    expect(reply).toMatchObject({ ok: false, error: { name: 'IpcSenderError', code: 'failed' } });
    expect(getRun).not.toHaveBeenCalled();
    expect(refused).toHaveBeenCalledWith('studio:runs.get', event.senderFrame?.url ?? null);
  });

  it('refuses a payload that breaks the method schema, naming each field, before the handler runs', async () => {
    const { ipc, getRun } = setup();
    const reply = await ipc.invoke(methodChannel('runs.get'), fromStudio, { id: 'three', extra: true });
    expect(reply.ok).toBe(false);
    if (reply.ok) return;
    expect(reply.error.code).toBe('invalid-input');
    expect(reply.error.problems.map((p) => p.field).sort()).toEqual(['(input)', 'id']);
    expect(getRun).not.toHaveBeenCalled();
  });

  it('keeps a service error code and message, and reports any other error as failed', async () => {
    const { ipc } = setup();
    expect(await ipc.invoke(methodChannel('runs.get'), fromStudio, { id: 404 })).toEqual({
      ok: false,
      error: {
        name: 'StudioError',
        code: 'not-found',
        message: 'There is no run with id 404.',
        problems: [],
      },
    });
    expect(await ipc.invoke(methodChannel('runs.get'), fromStudio, { id: 500 })).toMatchObject({
      ok: false,
      error: { code: 'failed', message: 'disk on fire' },
    });
  });

  it('validates the dialog request too', async () => {
    const { ipc, choosePath } = setup();
    expect(await ipc.invoke(DIALOG_CHANNEL, fromStudio, { purpose: 'import-file' })).toEqual({
      ok: true,
      result: '/home/me/notes.txt',
    });
    expect(await ipc.invoke(DIALOG_CHANNEL, fromStudio, { purpose: 'delete-home' })).toMatchObject({
      ok: false,
      error: { code: 'invalid-input' },
    });
    expect(choosePath).toHaveBeenCalledTimes(1);
  });

  it('removes every handler it registered', () => {
    const { ipc, unregister } = setup();
    unregister();
    expect(ipc.handlers.size).toBe(0);
  });
});

describe('isTrustedSender', () => {
  it('accepts the dev server origin only when it is listed', () => {
    const dev = { ...fromStudio, senderFrame: { url: 'http://localhost:5173/', parent: null } };
    expect(isTrustedSender(dev, trusted)).toBe(false);
    expect(isTrustedSender(dev, { ...trusted, origins: ['app://studio', 'http://localhost:5173'] })).toBe(
      true,
    );
  });

  it('refuses everything once the window is closed', () => {
    expect(isTrustedSender(fromStudio, { ...trusted, webContentsId: () => null })).toBe(false);
  });
});
