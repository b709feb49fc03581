// The checkpoint export form: a relative folder is refused before any call, the number format and
// the overwrite choice reach the service, and the service's refusal stays in the open form.

import { describe, expect, it } from 'vitest';
import { ApiError } from '../transport/api-error';
import { setTransport } from './api';
import { ExportFormState, folderProblem } from './export-form.svelte';
import { fakeTransport } from './fake-transport';

describe('folderProblem', () => {
  it('takes full paths on any system and refuses relative ones with what to type instead', () => {
    for (const dir of ['/home/me/out', 'C:\\exports\\m', 'D:/exports', '\\\\server\\share\\m'])
      expect(folderProblem(dir)).toBeNull();
    expect(folderProblem('exports/m')).toMatch(
      /^“exports\/m” is a relative path: give the folder's full path/,
    );
    expect(folderProblem('./m')).not.toBeNull();
    expect(folderProblem('  ')).toBe('Enter the folder to export to.');
  });
});

describe('ExportFormState', () => {
  it('refuses a relative path without calling the service', async () => {
    const t = fakeTransport({});
    setTransport(t);
    const form = new ExportFormState();
    form.open(4, 'relative/dir');
    expect(await form.submit()).toBeNull();
    expect(form.error).toMatch(/relative path/);
    expect(t.calls).toEqual([]);
  });

  it('sends the format and the overwrite choice, and closes when done', async () => {
    const t = fakeTransport({
      'checkpoints.export': (input) => ({ dir: input.dir, files: ['model.safetensors'], modelBytes: 10 }),
    });
    setTransport(t);
    const form = new ExportFormState();
    form.open(4, ' /tmp/out ');
    form.dtype = 'f16';
    form.overwrite = true;
    expect(await form.submit()).toEqual({ dir: '/tmp/out', files: ['model.safetensors'], modelBytes: 10 });
    expect(t.calls).toEqual([
      { method: 'checkpoints.export', input: { id: 4, dir: '/tmp/out', dtype: 'f16', overwrite: true } },
    ]);
    expect(form.checkpointId).toBeNull();
  });

  it('keeps the form open with the service’s message when it refuses', async () => {
    const refusal = 'Cannot export to /tmp/out: that folder exists and is not empty.';
    setTransport(
      fakeTransport({
        'checkpoints.export': () => {
          throw new ApiError('invalid-input', refusal);
        },
      }),
    );
    const form = new ExportFormState();
    form.open(4, '/tmp/out');
    expect(await form.submit()).toBeNull();
    expect(form.error).toBe(refusal);
    expect(form.checkpointId).toBe(4);
    expect(form.busy).toBe(false);
  });
});
