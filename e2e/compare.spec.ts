// Compare: two finished runs that differ in their seed, their loss curves on the same axes, the
// config diff highlighting the learning rate, and their results side by side.

import { expect, test } from './fixtures';
import { snap, trainedRun } from './studio';

test('two runs overlay their curves and the config diff marks what differs', async ({
  page,
  api,
  studio,
}) => {
  const a = await trainedRun(api, 'compare seed 1337', 100);
  const b = await trainedRun(api, 'compare seed 7', 100, { seed: 7 });

  await studio.open('#/runs');
  await page.locator(`[data-run-id="${a}"] input[type=checkbox]`).check();
  await page.locator(`[data-run-id="${b}"] input[type=checkbox]`).check();
  await page.getByRole('button', { name: 'Compare 2' }).click();

  await expect(page.getByRole('heading', { name: 'Compare' })).toBeVisible();
  const loss = page.getByRole('img', { name: /^Train loss chart/ });
  await expect.poll(async () => Number(await loss.getAttribute('data-points'))).toBeGreaterThan(20);
  await expect(page.locator('.legend, canvas').first()).toBeVisible();

  const diff = page.locator('table.diff');
  await expect(diff.locator('tr.differs', { hasText: 'train.seed' })).toBeVisible();
  await expect(diff.locator('tr.differs', { hasText: 'name' })).toBeVisible();
  await expect(diff.locator('tr', { hasText: 'model.nEmbd' })).toHaveCount(0); // only what differs
  await page.getByLabel('Only what differs').uncheck();
  await expect(diff.locator('tr:not(.differs)', { hasText: 'model.nEmbd' })).toBeVisible();
  await page.getByLabel('Only what differs').check();

  const results = page.locator('section', { hasText: 'Results' }).locator('tbody tr');
  await expect(results).toHaveCount(2);
  await snap(page, 'compare');
});
