// The New run form refuses a bad config field by field: each message appears beside its field,
// and submitting creates nothing.

import { expect, test } from './fixtures';
import { snap } from './studio';

test('an invalid form shows the message of each bad field and creates no run', async ({
  page,
  api,
  studio,
}) => {
  const before = (await api('runs.list', {})).length;
  await studio.open('#/runs/new');
  await expect(page.locator('#name')).not.toHaveValue('');

  // Values the engine's validators refuse: each has its message beside its field.
  await page.locator('[id="model.nEmbd"]').fill('30');
  await page.locator('[id="model.nHead"]').fill('4'); // 4 does not divide 30
  await page.locator('[id="train.schedule.lr"]').fill('-0.5');
  await page.locator('[id="train.batchSize"]').fill('0');
  await page.getByRole('button', { name: /Create/ }).click();

  const messageOf = (field: string) => page.locator(`[data-field-error="${field}"]`);
  await expect(messageOf('model.nHead')).toContainText(/divide/);
  await expect(messageOf('train.schedule.lr')).toBeVisible();
  await expect(messageOf('train.batchSize')).toBeVisible();
  await expect(page.getByRole('alert').filter({ hasText: /need attention/ })).toBeVisible();
  for (const field of ['model.nHead', 'train.schedule.lr', 'train.batchSize']) {
    await expect(page.locator(`[id="${field}"]`)).toHaveAttribute('aria-invalid', 'true');
  }
  await snap(page, 'new-run-invalid');

  // Fields of the wrong shape (the contract's schema refuses them before the values are checked).
  await page.locator('[id="model.nHead"]').fill('2');
  await page.locator('[id="model.nEmbd"]').fill('32');
  await page.locator('[id="train.schedule.lr"]').fill('0.001');
  await page.locator('[id="train.batchSize"]').fill('4');
  await page.locator('#name').fill('   ');
  await page.locator('[id="train.steps"]').fill('');
  await page.getByRole('button', { name: /Create/ }).click();
  await expect(messageOf('name')).toContainText('must not be empty');
  await expect(messageOf('train.steps')).toContainText(/required|finite/);
  await expect(messageOf('model.nHead')).toHaveCount(0);
  expect((await api('runs.list', {})).length).toBe(before);

  // Fixing the fields clears their messages.
  await page.locator('#name').fill('fixed');
  await page.locator('[id="train.steps"]').fill('100');
  await expect(messageOf('name')).toHaveCount(0);
  await expect(messageOf('train.steps')).toHaveCount(0);
  await expect(page.getByText(/Ready ·/)).toBeVisible();
});
