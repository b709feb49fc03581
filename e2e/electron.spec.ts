// What only the desktop app has: a sandboxed window on the Runs view, with the preload's bridge and
// no Node in the page. The electron project runs it; serve mode has neither, so chromium skips it.

import { expect, test } from './fixtures';
import { snap } from './studio';

test.skip(({ studioKind }) => studioKind !== 'electron', 'the preload bridge exists only in the desktop app');

test('the desktop app opens a sandboxed window on the Runs view', async ({ page, studio }) => {
  await studio.open();
  await expect(page.getByRole('heading', { name: 'Runs', exact: true })).toBeVisible();
  expect(await page.evaluate('typeof window.require')).toBe('undefined'); // no Node in the page
  expect(await page.evaluate('typeof process')).toBe('undefined');
  expect(await page.evaluate('typeof window.studio.methods["runs.list"]')).toBe('function');
  await page.getByRole('link', { name: /Datasets/ }).click();
  await expect(page.locator('[data-dataset="Sample corpus"]')).toBeVisible();
  await snap(page, 'datasets-window');
});
