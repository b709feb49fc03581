// Picks the transport once, at start-up: the preload's bridge inside the desktop app, otherwise
// serve mode's HTTP + WebSocket with the token from the page's address. Nothing else knows which.

import type { StudioBridge } from '../../../src-main/api';
import { electronTransport } from './electron-transport';
import type { Transport } from './transport';
import { webTransport } from './web-transport';
import type { SocketLike } from './web-transport';

export function selectTransport(win: Window & { studio?: StudioBridge }): Transport {
  if (win.studio !== undefined) return electronTransport(win.studio);
  const token = new URLSearchParams(win.location.search).get('token');
  return webTransport({
    origin: win.location.origin,
    token,
    fetch: win.fetch.bind(win),
    openSocket: (url) => {
      // An adapter, so the transport sees only the four members it uses.
      const ws = new WebSocket(url);
      const socket: SocketLike = { onopen: null, onmessage: null, onclose: null, close: () => ws.close() };
      ws.onopen = () => socket.onopen?.();
      ws.onmessage = (m) => socket.onmessage?.({ data: m.data });
      ws.onclose = () => socket.onclose?.();
      return socket;
    },
  });
}
