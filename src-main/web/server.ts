// Serve mode's HTTP server: the API contract as `POST /api/<method>`, its events over a WebSocket at
// `/events`, dataset uploads at `/upload`, and the built renderer — all behind one access token.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { serializeError, StudioError } from '../api';
import type { StudioBackend, StudioErrorCode } from '../api';
import { acceptWebSocket, CLOSE_CODE } from './websocket';
import type { WebSocketConnection } from './websocket';

export interface WebServerOptions {
  backend: StudioBackend;
  /** The built renderer (index.html and assets/); null serves the API alone. */
  rendererDir: string | null;
  /** Where uploaded dataset files are written, one folder per upload. */
  uploadDir: string;
  host?: string; // default 127.0.0.1
  port?: number; // default 0: a free port
  token?: string; // default: 32 random bytes, hex
  maxUploadBytes?: number; // per file; default 2 GiB
}

export interface WebServer {
  url: string; // the address to open, token included
  origin: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_WS_MESSAGE_BYTES = 64 * 1024;
/** A client this far behind on events is dropped; it reconnects and reloads its state. */
const MAX_WS_BACKLOG_BYTES = 32 * 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
};

/** The same policy the Electron window enforces; styles inline because Svelte sets style attributes. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer', // the token is in the page's URL
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export const HTTP_STATUS_OF: Record<StudioErrorCode, number> = {
  'invalid-input': 400,
  'invalid-config': 400,
  'unknown-method': 404,
  'not-found': 404,
  conflict: 409,
  failed: 500,
};

class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const UPLOAD_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A relative path from an upload ("notes/2024/a.txt") as safe path segments, or an error: no empty,
 * `.` or `..` segment, no absolute path, no backslash or NUL, so a file lands inside its folder.
 */
export function safeRelativePath(path: string): string[] {
  const parts = path.split('/');
  if (
    path.length === 0 ||
    path.length > 1000 ||
    path.includes('\\') ||
    path.includes('\0') ||
    parts.some((p) => p === '' || p === '.' || p === '..')
  ) {
    throw new HttpError(400, `"${path}" is not a relative file path inside the upload`);
  }
  return parts;
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw new HttpError(413, `request body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown): void {
  const status =
    err instanceof StudioError ? HTTP_STATUS_OF[err.code] : err instanceof HttpError ? err.status : 500;
  sendJson(res, status, { error: serializeError(err) });
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? randomBytes(32).toString('hex');
  const maxUploadBytes = opts.maxUploadBytes ?? 2 * 1024 * 1024 * 1024;
  const sockets = new Set<WebSocketConnection>();
  let port = 0;
  const cookieName = (): string => `crystalline-token-${port}`;

  /** Loopback binds accept only loopback Host headers, which defeats DNS rebinding. */
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  function hostAllowed(req: IncomingMessage): boolean {
    if (!loopback) return true;
    const allowed = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    return allowed.includes(req.headers.host ?? '');
  }
  /** A browser page of another site must not drive the API, even with the cookie. */
  function originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return origin === undefined || origin === `http://${req.headers.host}`;
  }
  function authorized(req: IncomingMessage, url: URL): boolean {
    const auth = req.headers.authorization;
    const bearer = auth?.startsWith('Bearer ') ? auth.slice(7) : null;
    const given = bearer ?? url.searchParams.get('token') ?? cookieValue(req.headers.cookie, cookieName());
    return given !== null && sameToken(given, token);
  }

  async function serveApi(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (req.method !== 'POST') throw new HttpError(405, 'API methods are called with POST');
    const body = await readBody(req, MAX_BODY_BYTES);
    let payload: unknown;
    try {
      payload = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      throw new StudioError('invalid-input', `The body of ${method} is not JSON.`);
    }
    const result = await opts.backend.call(method, payload);
    sendJson(res, 200, { result });
  }

  async function serveUpload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'POST') throw new HttpError(405, 'uploads are sent with POST');
    const id = url.searchParams.get('id') ?? '';
    if (!UPLOAD_ID.test(id)) throw new HttpError(400, 'the upload id must be 1–64 letters, digits, - or _');
    const parts = safeRelativePath(url.searchParams.get('path') ?? '');
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxUploadBytes) throw new HttpError(413, `files over ${maxUploadBytes} bytes are refused`);
    const dir = join(resolve(opts.uploadDir), id);
    const file = join(dir, ...parts);
    await mkdir(join(file, '..'), { recursive: true });
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxUploadBytes)
        req.destroy(new HttpError(413, `files over ${maxUploadBytes} bytes are refused`));
    });
    await pipeline(req, createWriteStream(file));
    sendJson(res, 200, { result: { dir, path: file, bytes: received } });
  }

  async function serveStatic(res: ServerResponse, url: URL, setCookie: boolean): Promise<void> {
    if (opts.rendererDir === null) throw new HttpError(404, 'this server has no renderer to serve');
    const root = resolve(opts.rendererDir);
    const relative = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = resolve(root, relative);
    if (!file.startsWith(root + sep)) throw new HttpError(404, 'not found');
    const info = await stat(file).catch(() => null);
    if (info === null || !info.isFile()) throw new HttpError(404, `${url.pathname} not found`);
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': relative.startsWith('assets/') ? 'private, max-age=31536000, immutable' : 'no-store',
    };
    if (setCookie) {
      headers['Set-Cookie'] = `${cookieName()}=${token}; Path=/; HttpOnly; SameSite=Strict`;
    }
    res.writeHead(200, headers);
    res.end(await readFile(file));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!hostAllowed(req)) throw new HttpError(403, 'unexpected Host header');
    if (!originAllowed(req)) throw new HttpError(403, 'requests from another origin are refused');
    if (!authorized(req, url)) {
      throw new HttpError(
        401,
        'missing or wrong access token: open the URL that `crystalline serve` printed',
      );
    }
    if (url.pathname.startsWith('/api/')) return serveApi(req, res, url.pathname.slice(5));
    if (url.pathname === '/upload') return serveUpload(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method not allowed');
    return serveStatic(res, url, url.searchParams.has('token'));
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, err);
      else res.destroy();
    });
  });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!hostAllowed(req) || !originAllowed(req)) return refuse('403 Forbidden');
    if (!authorized(req, url)) return refuse('401 Unauthorized');
    if (url.pathname !== '/events') return refuse('404 Not Found');
    let unsubscribe: () => void = () => {};
    const connection = acceptWebSocket(req, socket, head, {
      maxMessageBytes: MAX_WS_MESSAGE_BYTES,
      onMessage: () => {}, // the client only listens; calls go over HTTP
      onClose: () => {
        unsubscribe();
        sockets.delete(connection as WebSocketConnection);
      },
    });
    if (connection === null) return;
    sockets.add(connection);
    unsubscribe = opts.backend.subscribe((event) => {
      if (socket.writableLength > MAX_WS_BACKLOG_BYTES) {
        connection.close(CLOSE_CODE.goingAway, 'too far behind');
        return;
      }
      connection.send(JSON.stringify(event));
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const origin = `http://${urlHost}:${port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const s of sockets) s.close(CLOSE_CODE.goingAway, 'server closing');
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}
