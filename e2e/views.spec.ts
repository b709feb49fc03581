// The remaining views and states, for the screenshots a person looks at: Settings in both themes,
// the theme choice persisting across a reload, and an unknown run's error state.

import { expect, test } from './fixtures';
import { snap } from './studio';

test('settings switch the theme, which persists across a reload', async ({ page, studio }) => {
  await studio.open('#/settings');
  await expect(page.getByText(/cores ·/)).toBeVisible();
  await page.getByRole('radio', { name: 'Dark' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await snap(page, 'settings-dark');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.getByRole('radio', { name: 'Light' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await snap(page, 'settings-light');
  await page.getByRole('radio', { name: 'System' }).click();
});

test('the runs table in the dark theme, and a missing run shows an error with a retry', async ({
  page,
  studio,
}) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await studio.open('#/runs');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.locator('[data-run-id]').first()).toBeVisible();
  await snap(page, 'runs-dark');
  await studio.open('#/runs/999999');
  await expect(page.getByRole('alert')).toContainText(/999999/);
  await expect(page.getByRole('button', { name: 'Try again' })).toBeVisible();
  await snap(page, 'run-missing');
});
