// Serve mode's answers when something goes wrong: a person's mistake is a 4xx in words (a
// malformed %-escape included); an error nobody foresaw is a 500 with a short message and a
// reference, and its stack trace is in the data folder's log under that reference.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../api';
import type { StudioHandlers } from '../api';
import { answeredBy, ErrorLog } from '../studio/error-log';
import { startWebServer } from './server';
import type { WebServer } from './server';

let dir: string;
let server: WebServer;
let log: ErrorLog;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crystalline-web-errors-'));
  log = ErrorLog.of(dir);
  const handlers = answeredBy(
    {
      'tags.list': async () => {
        const missing = undefined as unknown as { name: string };
        return [missing.name]; // a bug: a TypeError nobody foresaw
      },
    } as unknown as StudioHandlers,
    log,
    () => undefined,
  );
  server = await startWebServer({
    backend: { call: (method, payload) => dispatch(handlers, method, payload), subscribe: () => () => {} },
    rendererDir: join(dir, 'renderer'),
    uploadDir: join(dir, 'uploads'),
    errorLog: log,
  });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = (): Record<string, string> => ({ Authorization: `Bearer ${server.token}` });

describe('serve mode errors', () => {
  it('answers an unforeseen error with a reference, and logs its stack under it', async () => {
    const res = await fetch(`${server.origin}/api/tags.list`, {
      method: 'POST',
      headers: auth(),
      body: '{}',
    });
    expect(res.status).toBe(500);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('failed');
    const reference = /reference (E-[0-9a-f]{8})/.exec(error.message)?.[1];
    expect(reference).toBeDefined();
    expect(error.message).toContain(log.path);
    expect(error.message).not.toContain('TypeError'); // the details are for the log
    const written = readFileSync(log.path, 'utf8');
    expect(written).toMatch(new RegExp(`${reference} tags\\.list\\nTypeError: .*\\n\\s+at `));
  });

  it('answers a malformed %-escape in the address with 400', async () => {
    const res = await fetch(`${server.origin}/assets/%E0%A4%A.js`, { headers: auth() });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { message: string } };
    expect(error.message).toMatch(/malformed %-escape/);
  });
});
