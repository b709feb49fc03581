// Importing a dataset in serve mode as a person does it (files uploaded, then imported), with a real
// studio behind the server: what the person got wrong comes back as a 4xx whose message names their
// file (never the folder the upload waited in), and a refused upload or import leaves nothing on disk.

import { existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatasetInfo } from '../api';
import { MIN_DATASET_CHARACTERS } from '../studio/dataset-source';
import { useStudio } from '../studio/test-support/studio-harness';
import { startWebServer } from './server';
import type { WebServer } from './server';

const harness = useStudio('dataset-upload', { dataDir: 'data' });
let server: WebServer;

// Registered after the harness: the server starts once the studio is open and closes before it.
beforeEach(async () => {
  const { studio } = harness;
  server = await startWebServer({ backend: studio, rendererDir: null, uploadDir: studio.layout.uploads });
});
afterEach(async () => {
  await server.close();
});

interface ErrorBody {
  error: { code: string; message: string };
}

async function upload(id: string, path: string, body: string): Promise<Response> {
  const query = new URLSearchParams({ id, path, token: server.token });
  return fetch(`${server.origin}/upload?${query}`, { method: 'POST', body });
}

async function importPath(path: string): Promise<Response> {
  return fetch(`${server.origin}/api/datasets.import`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
    body: JSON.stringify({ path, tokenizer: { kind: 'char' } }),
  });
}

/** What the data folder holds of uploads and datasets. */
function leftovers(): string[] {
  const { uploads, datasets } = harness.studio.layout;
  return [uploads, datasets].flatMap((d) => (existsSync(d) ? readdirSync(d).map((f) => join(d, f)) : []));
}

const LONG_TEXT = 'To be, or not to be, that is the question.\n'.repeat(40);

describe('dataset uploads in serve mode', () => {
  it('imports an uploaded file under its own name and keeps no copy of the upload', async () => {
    const sent = await upload('u1', 'hamlet.txt', LONG_TEXT);
    expect(sent.status).toBe(200);
    const { result } = (await sent.json()) as { result: { path: string } };
    const imported = await importPath(result.path);
    expect(imported.status).toBe(200);
    const dataset = ((await imported.json()) as { result: DatasetInfo }).result;
    expect(dataset).toMatchObject({ name: 'hamlet', sourcePath: 'hamlet.txt', characters: LONG_TEXT.length });
    expect(existsSync(join(harness.studio.layout.uploads, 'u1'))).toBe(false);
  });

  it('refuses text too short to train on with a 400 that states the minimum, and keeps nothing', async () => {
    const { result } = (await (await upload('u2', 'tiny.txt', 'abcd')).json()) as {
      result: { path: string };
    };
    const refused = await importPath(result.path);
    expect(refused.status).toBe(400);
    const { error } = (await refused.json()) as ErrorBody;
    expect(error.code).toBe('invalid-input');
    expect(error.message).toContain('tiny.txt holds 4 characters');
    expect(error.message).toContain(MIN_DATASET_CHARACTERS.toLocaleString('en-US'));
    expect(error.message).not.toContain(harness.studio.layout.root);
    expect(leftovers()).toEqual([]);
    expect(await harness.studio.call('datasets.list', {})).toEqual([]);
  });

  it("names the person's file, not the upload folder, when its text is unusable", async () => {
    const { result } = (await (await upload('u3', 'notes/blank.txt', '   \n')).json()) as {
      result: { dir: string };
    };
    const refused = await importPath(join(result.dir, 'notes'));
    expect(refused.status).toBe(400);
    const { error } = (await refused.json()) as ErrorBody;
    expect(error.message).toMatch(/^notes\/blank\.txt contains only whitespace/);
    expect(error.message).not.toContain('uploads');
    expect(leftovers()).toEqual([]);
  });

  it('refuses a file that is not plain text by name, and drops what the upload had written', async () => {
    expect((await upload('u4', 'corpus/a.txt', LONG_TEXT)).status).toBe(200);
    const refused = await upload('u4', 'corpus/weights.bin', 'abc');
    expect(refused.status).toBe(415);
    const { error } = (await refused.json()) as ErrorBody;
    expect(error.message).toMatch(/^corpus\/weights\.bin is not a \.txt or \.md file/);
    expect(leftovers()).toEqual([]);
  });

  it('refuses a single file of another kind given by path, naming it', async () => {
    const { result } = (await (await upload('u5', 'model.txt', LONG_TEXT)).json()) as {
      result: { path: string };
    };
    const renamed = result.path.replace(/model\.txt$/, 'model.bin');
    renameSync(result.path, renamed);
    const refused = await importPath(renamed);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as ErrorBody).error.message).toMatch(
      /^model\.bin is not a \.txt or \.md file/,
    );
    expect(leftovers()).toEqual([]);
  });
});
