// The transport inside the desktop app: the preload's `window.studio` bridge. IPC has no
// connection to lose, so the connection is always up.

import type { IpcReply, MethodInput, MethodName, MethodResult, StudioBridge } from '../../../src-main/api';
import { ApiError } from './api-error';
import type { Transport } from './transport';

export function electronTransport(bridge: StudioBridge): Transport {
  return {
    kind: 'electron',
    async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodResult<M>> {
      const invoke = bridge.methods[method] as (input: MethodInput<M>) => Promise<IpcReply<MethodResult<M>>>;
      const reply = await invoke(input);
      if (reply.ok) return reply.result;
      throw new ApiError(reply.error.code, reply.error.message, reply.error.problems);
    },
    subscribe: (listener) => bridge.onEvent(listener),
    onConnection: (listener) => {
      listener(true);
      return () => {};
    },
    choosePath: (purpose, defaultPath) => bridge.choosePath(purpose, defaultPath),
    upload: null,
  };
}
