// A transport for the state modules' tests: answers calls from a table of handlers, records them,
// and lets a test push events.

import type { MethodInput, MethodName, MethodResult, StudioEvent } from '../../../src-main/api';
import type { Transport } from '../transport/transport';

export type FakeHandlers = {
  [M in MethodName]?: (input: MethodInput<M>) => MethodResult<M> | Promise<MethodResult<M>>;
};

export function fakeTransport(handlers: FakeHandlers): Transport & {
  calls: { method: MethodName; input: unknown }[];
  emit: (event: StudioEvent) => void;
} {
  const listeners = new Set<(event: StudioEvent) => void>();
  const calls: { method: MethodName; input: unknown }[] = [];
  return {
    kind: 'web',
    calls,
    emit: (event) => {
      for (const l of listeners) l(event);
    },
    async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodResult<M>> {
      calls.push({ method, input });
      const handler = handlers[method] as ((input: MethodInput<M>) => MethodResult<M>) | undefined;
      if (handler === undefined) throw new Error(`the fake has no ${method}`);
      return handler(input);
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onConnection: () => () => {},
    choosePath: null,
    upload: null,
  };
}
