// The two transports: the web one calls POST /api/<method> with the token, turns error bodies into
// ApiErrors with their field problems, reconnects its event socket and uploads file by file; the
// Electron one unwraps the preload's replies.

import { describe, expect, it, vi } from 'vitest';
import type { IpcReply, StudioBridge, StudioEvent } from '../../../src-main/api';
import { ApiError } from './api-error';
import { electronTransport } from './electron-transport';
import { webTransport } from './web-transport';
import type { SocketLike } from './web-transport';

function fakeSockets() {
  const sockets: (SocketLike & { url: string; closed: boolean })[] = [];
  return {
    sockets,
    openSocket: (url: string) => {
      const s = {
        url,
        closed: false,
        onopen: null,
        onmessage: null,
        onclose: null,
        close: () => (s.closed = true),
      } as SocketLike & { url: string; closed: boolean };
      sockets.push(s);
      return s;
    },
  };
}

describe('web transport', () => {
  it('posts the input to /api/<method> with the token and returns the result', async () => {
    const fetch = vi.fn(
      async () => new Response(JSON.stringify({ result: [{ name: 'a', runs: 1 }] }), { status: 200 }),
    );
    const t = webTransport({ origin: 'http://127.0.0.1:9', token: 'abc', fetch, ...fakeSockets() });
    expect(await t.call('tags.list', {})).toEqual([{ name: 'a', runs: 1 }]);
    expect(fetch).toHaveBeenCalledWith(
      'http://127.0.0.1:9/api/tags.list',
      expect.objectContaining({ method: 'POST', body: '{}' }),
    );
    const init = (fetch.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer abc');
  });

  it('turns an error body into an ApiError with its code and field problems', async () => {
    const body = {
      error: {
        name: 'StudioError',
        code: 'invalid-config',
        message: 'bad',
        problems: [{ field: 'name', message: 'must not be empty' }],
      },
    };
    const t = webTransport({
      origin: 'http://h',
      token: null,
      fetch: async () => new Response(JSON.stringify(body), { status: 400 }),
      ...fakeSockets(),
    });
    const err = await t.call('runs.create', { config: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      code: 'invalid-config',
      problems: [{ field: 'name', message: 'must not be empty' }],
    });
    const down = webTransport({
      origin: 'http://h',
      token: null,
      fetch: async () => Promise.reject(new TypeError('fetch failed')),
      ...fakeSockets(),
    });
    await expect(down.call('tags.list', {})).rejects.toMatchObject({ code: 'unreachable' });
  });

  it('delivers events, reports the connection and reconnects after the socket closes', async () => {
    vi.useFakeTimers();
    const { sockets, openSocket } = fakeSockets();
    const t = webTransport({
      origin: 'http://h:1',
      token: 't k',
      fetch: vi.fn(),
      openSocket,
      retryDelays: [100],
    });
    const events: StudioEvent[] = [];
    const states: boolean[] = [];
    t.subscribe((e) => events.push(e));
    t.onConnection((up) => states.push(up));
    expect(sockets).toHaveLength(1);
    expect(sockets[0].url).toBe('ws://h:1/events?token=t%20k');
    sockets[0].onopen?.();
    sockets[0].onmessage?.({ data: JSON.stringify({ type: 'run-deleted', runId: 5 }) });
    expect(events).toEqual([{ type: 'run-deleted', runId: 5 }]);
    sockets[0].onclose?.();
    expect(states).toEqual([false, true, false]);
    vi.advanceTimersByTime(100);
    expect(sockets).toHaveLength(2);
    sockets[1].onopen?.();
    expect(states.at(-1)).toBe(true);
    vi.useRealTimers();
  });

  it('uploads each file of a folder into one upload and returns the folder to import', async () => {
    const sent: string[] = [];
    const t = webTransport({
      origin: 'http://h',
      token: 'k',
      fetch: vi.fn(),
      ...fakeSockets(),
      sendFile: async (url, _headers, body, onProgress) => {
        sent.push(url);
        onProgress(body.size);
        return JSON.stringify({
          result: {
            dir: '/data/uploads/u',
            path: `/data/uploads/u/${new URL(url).searchParams.get('path')}`,
          },
        });
      },
    });
    const progress: number[] = [];
    const path = await t.upload?.(
      [
        { file: new Blob(['aaaa']), relativePath: 'notes/a.txt' },
        { file: new Blob(['bbbb']), relativePath: 'notes/b.txt' },
      ],
      (f) => progress.push(f),
    );
    expect(path).toBe('/data/uploads/u/notes');
    expect(new Set(sent.map((u) => new URL(u).searchParams.get('id'))).size).toBe(1);
    expect(progress.at(-1)).toBe(1);
  });
});

describe('electron transport', () => {
  it('unwraps a reply and rethrows an error reply as an ApiError', async () => {
    const replies: Record<string, IpcReply<unknown>> = {
      'tags.list': { ok: true, result: [] },
      'runs.get': {
        ok: false,
        error: {
          name: 'StudioError',
          code: 'not-found',
          message: 'There is no run with id 4.',
          problems: [],
        },
      },
    };
    const bridge = {
      methods: new Proxy({}, { get: (_t, method: string) => async () => replies[method] }),
      onEvent: () => () => {},
      choosePath: async () => null,
    } as unknown as StudioBridge;
    const t = electronTransport(bridge);
    expect(await t.call('tags.list', {})).toEqual([]);
    await expect(t.call('runs.get', { id: 4 })).rejects.toMatchObject({
      code: 'not-found',
      message: 'There is no run with id 4.',
    });
    expect(t.upload).toBeNull();
    expect(t.choosePath).not.toBeNull();
  });
});
