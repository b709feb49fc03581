// Datasets: upload a text file in serve mode, watch the import finish, then see its size, tokens,
// vocabulary and preview; delete it.

import { expect, test } from '@playwright/test';
import { api, snap, studio } from './studio';

test('a text file is uploaded and imported, then previewed and deleted', async ({ page }) => {
  await page.goto(`${studio().url}#/datasets`);
  await expect(page.locator('[data-dataset="Sample corpus"]')).toBeVisible();

  const text = 'The quick brown fox jumps over the lazy dog.\n'.repeat(400);
  await page
    .getByTestId('upload-file')
    .setInputFiles({ name: 'fox-notes.txt', mimeType: 'text/plain', buffer: Buffer.from(text) });
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
});
