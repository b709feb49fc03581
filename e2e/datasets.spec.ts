// Datasets: choose a text file (uploaded in serve mode, picked in the native dialog in the app),
// watch the import finish, then see its size, tokens, vocabulary and preview; delete it.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { snap } from './studio';

test('a text file is chosen and imported, then previewed and deleted', async ({ page, api, studio }) => {
  await studio.open('#/datasets');
  await expect(page.locator('[data-dataset="Sample corpus"]')).toBeVisible();

  const text = 'The quick brown fox jumps over the lazy dog.\n'.repeat(400);
  const folder = mkdtempSync(join(tmpdir(), 'crystalline-e2e-import-'));
  if (studio.kind === 'web') {
    await page
      .getByTestId('upload-file')
      .setInputFiles({ name: 'fox-notes.txt', mimeType: 'text/plain', buffer: Buffer.from(text) });
  } else {
    writeFileSync(join(folder, 'fox-notes.txt'), text);
    await studio.answerDialogsWith(join(folder, 'fox-notes.txt'));
    await page.getByRole('button', { name: 'Choose file…' }).click();
  }
  await expect(page.getByText('fox-notes.txt')).toBeVisible();
  await page.getByLabel('Tokenizer').selectOption('byte');
  await page.getByRole('button', { name: 'Import' }).click();

  const row = page.locator('[data-dataset="fox-notes"]');
  await expect(row).toBeVisible();
  await expect(page.getByText(/Imported “fox-notes”/)).toBeVisible();
  await expect(row).toContainText(text.length.toLocaleString('en-US') === '18,000' ? '17.6 KiB' : '');
  const detail = page.locator('section.detail');
  await expect(detail.getByRole('heading', { name: 'fox-notes' })).toBeVisible();
  await expect(detail.locator('.preview')).toContainText('The quick brown fox');
  await expect(detail).toContainText('18,000'); // tokens: one per byte
  await snap(page, 'datasets');

  const imported = (await api('datasets.list', {})).find((d) => d.name === 'fox-notes');
  expect(imported?.tokens).toBe(18_000);
  page.once('dialog', (d) => void d.accept());
  await row.getByRole('button', { name: 'Delete' }).click();
  await expect(row).toHaveCount(0);
  rmSync(folder, { recursive: true, force: true });
});
