// Settings refuse a bad number at its field, in words, and keep the setting the store holds:
// "Runs training at once = 0" is no banner of raw API text.

import { expect, test } from './fixtures';
import { snap } from './studio';

test('a refused number is explained at its field and the stored setting is kept', async ({
  page,
  api,
  studio,
}) => {
  const before = await api('settings.get', {});
  await studio.open('#/settings');
  const field = page.getByLabel('Runs training at once');
  await expect(field).toHaveValue(String(before.maxConcurrentRuns));

  await field.fill('0');
  await field.press('Enter');
  await field.blur();
  const message = page.locator('[data-field-error="maxConcurrentRuns"]');
  await expect(message).toHaveText(
    `Runs training at once must be ≥ 1; it stays ${before.maxConcurrentRuns}.`,
  );
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText(/Invalid input for/)).toHaveCount(0);
  expect((await api('settings.get', {})).maxConcurrentRuns).toBe(before.maxConcurrentRuns);
  await snap(page, 'settings-refused');

  await field.fill(String(before.maxConcurrentRuns));
  await field.blur();
  await expect(message).toHaveCount(0);
  await expect(field).toHaveAttribute('aria-invalid', 'false');
});
