// Serve mode over real sockets with a fake service: the token guard on every route, API calls and
// their error statuses, uploads kept inside their folder, static files, and events reaching a
// WebSocket client (Node's own client, run in a child process).

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch, StudioError } from '../api';
import type { StudioEvent, StudioHandlers } from '../api';
import { safeRelativePath, startWebServer } from './server';
import type { WebServer } from './server';

const listeners = new Set<(event: StudioEvent) => void>();
const received: unknown[] = [];

const handlers = {
  'tags.list': async () => [{ name: 'baseline', runs: 2 }],
  'runs.get': async ({ id }: { id: number }) => {
    received.push(id);
    throw new StudioError('not-found', `There is no run with id ${id}.`);
  },
  'runs.pause': async () => {
    throw new StudioError('conflict', 'That run is not training.');
  },
} as unknown as StudioHandlers;

let dir: string;
let server: WebServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crystalline-web-'));
  mkdirSync(join(dir, 'renderer', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>studio</title>');
  writeFileSync(join(dir, 'renderer', 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'outside the renderer');
  server = await startWebServer({
    backend: {
      call: (method, payload) => dispatch(handlers, method, payload),
      subscribe: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    rendererDir: join(dir, 'renderer'),
    uploadDir: join(dir, 'uploads'),
  });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = (method: string, body: unknown, token: string | null = server.token): Promise<Response> =>
  fetch(`${server.origin}/api/${method}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });

describe('serve mode', () => {
  it('binds to 127.0.0.1 on a free port and prints a URL that carries a 64-hex-digit token', () => {
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).toBe(`${server.origin}/?token=${server.token}`);
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses every route without the token or with a wrong one (401)', async () => {
    expect((await call('tags.list', {}, null)).status).toBe(401);
    expect((await call('tags.list', {}, 'f'.repeat(64))).status).toBe(401);
    expect((await fetch(`${server.origin}/`)).status).toBe(401);
    expect((await fetch(`${server.origin}/assets/app.js`)).status).toBe(401);
    const upload = await fetch(`${server.origin}/upload?id=a&path=x.txt`, { method: 'POST', body: 'x' });
    expect(upload.status).toBe(401);
  });

  it('calls a method and returns its result', async () => {
    const res = await call('tags.list', {});
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: [{ name: 'baseline', runs: 2 }] });
  });

  it('validates the payload with the contract before the handler runs (400 with each field)', async () => {
    const res = await call('runs.get', { id: -3 });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; problems: { field: string }[] } };
    expect(error.code).toBe('invalid-input');
    expect(error.problems.map((p) => p.field)).toEqual(['id']);
    expect(received).toEqual([]);
  });

  it('maps the service errors to HTTP statuses with their message', async () => {
    const missing = await call('runs.get', { id: 7 });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toBe(
      'There is no run with id 7.',
    );
    expect((await call('runs.pause', { id: 1 })).status).toBe(409);
    expect((await call('runs.nonsense', {})).status).toBe(404);
  });

  it('refuses a request from another origin even with the token', async () => {
    const res = await fetch(`${server.origin}/api/tags.list`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.token}`, Origin: 'http://evil.example' },
      body: '{}',
    });
    expect(res.status).toBe(403);
  });

  it('serves the renderer with a strict CSP, sets the token cookie, and keeps paths inside it', async () => {
    const index = await fetch(server.url);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    const cookie = index.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly; SameSite=Strict/);
    const asset = await fetch(`${server.origin}/assets/app.js`, {
      headers: { Cookie: cookie.split(';')[0] },
    });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    const escape = await fetch(`${server.origin}/%2e%2e/secret.txt?token=${server.token}`);
    expect(escape.status).toBe(404);
  });

  it('writes an upload inside its own folder and refuses paths that climb out', async () => {
    const ok = await fetch(`${server.origin}/upload?id=u1&path=notes/a.txt&token=${server.token}`, {
      method: 'POST',
      body: 'some text',
    });
    const { result } = (await ok.json()) as { result: { dir: string; path: string; bytes: number } };
    expect(result.dir).toBe(join(dir, 'uploads', 'u1'));
    expect(readFileSync(result.path, 'utf8')).toBe('some text');
    expect(result.bytes).toBe(9);
    const bad = await fetch(`${server.origin}/upload?id=u1&path=../../x.txt&token=${server.token}`, {
      method: 'POST',
      body: 'x',
    });
    expect(bad.status).toBe(400);
    expect(() => safeRelativePath('/etc/passwd')).toThrow(/not a relative file path/);
    expect(() => safeRelativePath('a\\..\\b')).toThrow(/not a relative file path/);
  });

  it('pushes service events to a WebSocket client and refuses one without the token', async () => {
    const wsUrl = `ws://127.0.0.1:${server.port}/events`;
    // Node 20's WebSocket client sits behind a flag, so a child process runs it.
    const script = `
      const bad = new WebSocket(${JSON.stringify(wsUrl)});
      bad.onerror = () => {
        const ws = new WebSocket(${JSON.stringify(`${wsUrl}?token=${server.token}`)});
        ws.onopen = () => console.log('open');
        ws.onmessage = (m) => { console.log(m.data); ws.close(1000); };
        ws.onclose = (e) => console.log('closed ' + e.code);
      };
      bad.onopen = () => console.log('unexpected open');
    `;
    const child = spawn(process.execPath, ['--experimental-websocket', '--no-warnings', '-e', script]);
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('open\n') && !output.includes('run-deleted')) {
        for (const listener of listeners) listener({ type: 'run-deleted', runId: 42 });
      }
    });
    await new Promise((resolveExit) => child.on('exit', resolveExit));
    expect(output.trim().split('\n')).toEqual(['open', '{"type":"run-deleted","runId":42}', 'closed 1000']);
    expect(listeners.size).toBe(0);
  });
});
