// The sandboxed preload: exposes `window.studio` (the typed API, the event feed and the file
// dialog) and nothing else. Built from two factories; the page never sees ipcRenderer.

import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import type { BridgeMethods, DialogPurpose, IpcReply, MethodName, StudioBridge, StudioEvent } from '../api';
import { DIALOG_CHANNEL, EVENT_CHANNEL, methodChannel } from './bridge';
import { METHOD_LIST } from './method-list';

function invoker(method: MethodName): (input: unknown) => Promise<unknown> {
  const channel = methodChannel(method);
  return (input) => ipcRenderer.invoke(channel, input);
}

function subscribe<T>(channel: string): (listener: (payload: T) => void) => () => void {
  return (listener) => {
    const wrapped = (_event: IpcRendererEvent, payload: T): void => listener(payload);
    ipcRenderer.on(channel, wrapped);
    return () => {
      ipcRenderer.removeListener(channel, wrapped);
    };
  };
}

const api: StudioBridge = {
  methods: Object.fromEntries(METHOD_LIST.map((m) => [m, invoker(m)])) as BridgeMethods,
  onEvent: subscribe<StudioEvent>(EVENT_CHANNEL),
  choosePath: async (purpose: DialogPurpose, defaultPath?: string) => {
    const reply = (await ipcRenderer.invoke(DIALOG_CHANNEL, { purpose, defaultPath })) as IpcReply<
      string | null
    >;
    if (!reply.ok) throw new Error(reply.error.message);
    return reply.result;
  },
};

contextBridge.exposeInMainWorld('studio', api);
