// Exporting a checkpoint from the Run view: a relative folder is refused in the form before
// anything is written; f16 halves the weights written; exporting again into the same folder is
// refused with the service's message until "Replace an earlier export" is ticked.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from './fixtures';
import { snap, trainedRun } from './studio';

/** The dtype of every tensor in a safetensors file's header. */
function dtypes(file: string): string[] {
  const bytes = readFileSync(file);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<
    string,
    { dtype?: string }
  >;
  return [
    ...new Set(
      Object.entries(header)
        .filter(([k]) => k !== '__metadata__')
        .map(([, t]) => t.dtype ?? ''),
    ),
  ];
}

test('export refuses a relative folder, writes f16 when asked, and replaces an earlier export only when told', async ({
  page,
  api,
  studio,
}) => {
  test.skip(studio.kind !== 'web', 'the desktop app chooses the folder in its native dialog');
  const id = await trainedRun(api, 'export choices', 40);
  const [checkpoint] = (await api('checkpoints.list', { runId: id })).slice(-1);
  await studio.open(`#/runs/${id}`);
  const row = page.locator(`[data-checkpoint-step="${checkpoint.step}"]`);
  await row.getByRole('button', { name: 'Export' }).click();
  const form = page.getByRole('form', { name: `Export step ${checkpoint.step}` });
  const folder = page.locator('#export-dir');
  const exportButton = form.getByRole('button', { name: 'Export', exact: true });

  // A relative path: refused with a message in the form, before any call writes anything.
  await folder.fill('exports/relative-model');
  await exportButton.click();
  await expect(form.getByRole('alert')).toContainText('is a relative path');
  await expect(folder).toHaveAttribute('aria-invalid', 'true');
  expect(existsSync(resolve('exports/relative-model'))).toBe(false);

  // f16: the weights are written as half floats.
  const parent = mkdtempSync(join(tmpdir(), 'crystalline-e2e-export-'));
  const dir = join(parent, 'model');
  try {
    await folder.fill(dir);
    await form.getByLabel('Weights number format').selectOption('f16');
    await snap(page, 'run-export-form');
    await exportButton.click();
    await expect(page.getByText(/Exported \d+ files/)).toBeVisible();
    await expect(form).toHaveCount(0);
    expect(dtypes(join(dir, 'model.safetensors'))).toEqual(['F16']);

    // The same folder again: the service's refusal is shown in the form, which stays open.
    await row.getByRole('button', { name: 'Export' }).click();
    await folder.fill(dir);
    await exportButton.click();
    await expect(form.getByRole('alert')).toContainText(dir);
    await expect(form).toBeVisible();
    expect(dtypes(join(dir, 'model.safetensors'))).toEqual(['F16']);

    // Ticking the overwrite choice replaces the earlier export (f32 this time).
    await form.getByLabel('Replace an earlier export in this folder').check();
    await exportButton.click();
    await expect(form).toHaveCount(0);
    expect(dtypes(join(dir, 'model.safetensors'))).toEqual(['F32']);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});
