// The transport in serve mode: API calls as `POST /api/<method>` with the access token, events from
// a WebSocket at `/events` that reconnects by itself, and dataset files uploaded to `/upload`.

import type {
  MethodInput,
  MethodName,
  MethodResult,
  SerializedError,
  StudioEvent,
} from '../../../src-main/api';
import { ApiError } from './api-error';
import type { Transport, UploadFile } from './transport';

/** The slice of the browser's WebSocket this uses (a fake stands in for it in tests). */
export interface SocketLike {
  onopen: (() => void) | null;
  onmessage: ((message: { data: unknown }) => void) | null;
  onclose: (() => void) | null;
  close(): void;
}

export interface WebTransportOptions {
  origin: string; // http://127.0.0.1:PORT
  token: string | null; // null: the page's cookie carries it
  fetch: typeof fetch;
  openSocket: (url: string) => SocketLike;
  /** Sends one file with upload progress; the default uses XMLHttpRequest. */
  sendFile?: (
    url: string,
    headers: Record<string, string>,
    body: Blob,
    onProgress: (bytes: number) => void,
  ) => Promise<string>;
  /** Reconnection delays in ms, the last one repeated. */
  retryDelays?: readonly number[];
}

function xhrSend(
  url: string,
  headers: Record<string, string>,
  body: Blob,
  onProgress: (bytes: number) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () =>
      xhr.status === 200 ? resolve(xhr.responseText) : reject(errorFromBody(xhr.status, xhr.responseText));
    xhr.onerror = () =>
      reject(new ApiError('unreachable', 'The upload failed: the studio server did not answer.'));
    xhr.send(body);
  });
}

function errorFromBody(status: number, text: string): ApiError {
  try {
    const { error } = JSON.parse(text) as { error: SerializedError };
    return new ApiError(error.code, error.message, error.problems);
  } catch {
    return new ApiError('failed', `The studio server answered ${status}.`);
  }
}

export function webTransport(opts: WebTransportOptions): Transport {
  const listeners = new Set<(event: StudioEvent) => void>();
  const connectionListeners = new Set<(connected: boolean) => void>();
  const delays = opts.retryDelays ?? [250, 500, 1000, 2000, 5000];
  const headers: Record<string, string> =
    opts.token === null ? {} : { Authorization: `Bearer ${opts.token}` };
  const sendFile = opts.sendFile ?? xhrSend;
  let connected = false;
  let socket: SocketLike | null = null;
  let attempt = 0;

  const setConnected = (value: boolean): void => {
    if (value === connected) return;
    connected = value;
    for (const l of connectionListeners) l(value);
  };

  const connect = (): void => {
    const wsOrigin = opts.origin.replace(/^http/, 'ws');
    const query = opts.token === null ? '' : `?token=${encodeURIComponent(opts.token)}`;
    const s = opts.openSocket(`${wsOrigin}/events${query}`);
    socket = s;
    s.onopen = () => {
      attempt = 0;
      setConnected(true);
    };
    s.onmessage = (message) => {
      if (typeof message.data !== 'string') return;
      const event = JSON.parse(message.data) as StudioEvent;
      for (const l of listeners) l(event);
    };
    s.onclose = () => {
      if (socket !== s) return;
      socket = null;
      setConnected(false);
      if (listeners.size + connectionListeners.size === 0) return;
      const delay = delays[Math.min(attempt, delays.length - 1)];
      attempt += 1;
      setTimeout(() => {
        if (socket === null && listeners.size + connectionListeners.size > 0) connect();
      }, delay);
    };
  };

  const ensureSocket = (): void => {
    if (socket === null) connect();
  };
  const maybeClose = (): void => {
    if (listeners.size + connectionListeners.size > 0 || socket === null) return;
    const s = socket;
    socket = null;
    s.close();
    setConnected(false);
  };

  return {
    kind: 'web',
    async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodResult<M>> {
      let res: Response;
      try {
        res = await opts.fetch(`${opts.origin}/api/${method}`, {
          method: 'POST',
          headers: { ...headers, 'Content-Type': 'application/json' },
          body: JSON.stringify(input),
        });
      } catch {
        throw new ApiError(
          'unreachable',
          'The studio server does not answer. Is `crystalline serve` still running?',
        );
      }
      const text = await res.text();
      if (!res.ok) throw errorFromBody(res.status, text);
      return (JSON.parse(text) as { result: MethodResult<M> }).result;
    },
    subscribe(listener) {
      listeners.add(listener);
      ensureSocket();
      return () => {
        listeners.delete(listener);
        maybeClose();
      };
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      listener(connected);
      ensureSocket();
      return () => {
        connectionListeners.delete(listener);
        maybeClose();
      };
    },
    choosePath: null,
    async upload(files: UploadFile[], onProgress: (fraction: number) => void): Promise<string> {
      if (files.length === 0) throw new ApiError('invalid-input', 'Choose at least one file to upload.');
      const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
      const total = files.reduce((sum, f) => sum + f.file.size, 0) || 1;
      let done = 0;
      let result: { dir: string; path: string } | null = null;
      for (const f of files) {
        const query = new URLSearchParams({ id, path: f.relativePath });
        const text = await sendFile(`${opts.origin}/upload?${query}`, headers, f.file, (bytes) =>
          onProgress(Math.min(1, (done + bytes) / total)),
        );
        done += f.file.size;
        onProgress(done / total);
        result = (JSON.parse(text) as { result: { dir: string; path: string } }).result;
      }
      // One file imports as that file; several (a folder) import as the folder they were put in.
      const single = files.length === 1 && !files[0].relativePath.includes('/');
      if (result === null) throw new ApiError('failed', 'The upload returned nothing.');
      return single ? result.path : `${result.dir}/${files[0].relativePath.split('/')[0]}`;
    },
  };
}
