// Settings → Data folder: a folder inside the one in use (and, in serve mode, a relative path) is
// refused with its message; a new folder is saved for the next start, shown as pending while this
// studio keeps its folder; "Use the default" drops the choice. The choice lands in the config
// folder the setup gave the studio, so the other specs' studio is untouched.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures';
import type { Studio } from './fixtures';
import type { Page } from '@playwright/test';
import { snap } from './studio';

/** Chooses `path` the way a person does: typed in serve mode, picked in the app's folder dialog. */
async function choose(page: Page, studio: Studio, path: string): Promise<void> {
  if (studio.kind === 'web') {
    await page.getByLabel(/Another folder/).fill(path);
    await page.getByRole('button', { name: 'Use this folder' }).click();
  } else {
    await studio.answerDialogsWith(path);
    await page.getByRole('button', { name: 'Choose folder…' }).click();
  }
}

test('a new data folder is saved for the next start; a bad one is refused with its reason', async ({
  page,
  api,
  studio,
}) => {
  await studio.open('#/settings');
  await expect(page.getByTestId('data-folder-current')).toHaveText(studio.dataDir);
  await expect(page.getByText('given with --data-dir at start')).toBeVisible();
  const message = page.locator('[data-field-error="data-folder-path"]');
  const pending = page.getByTestId('data-folder-pending');

  if (studio.kind === 'web') {
    await choose(page, studio, 'studio-data');
    await expect(message).toContainText('"studio-data" is not an absolute path');
    await expect(page.getByLabel(/Another folder/)).toHaveAttribute('aria-invalid', 'true');
  }
  await choose(page, studio, join(studio.dataDir, 'runs'));
  await expect(message).toContainText('is inside the data folder in use');
  await expect(pending).toHaveCount(0);

  const next = join(tmpdir(), `crystalline-e2e-next-${Date.now()}`);
  await choose(page, studio, next);
  await expect(message).toHaveCount(0);
  await expect(pending).toContainText('Takes effect after restart without --data-dir');
  await expect(pending).toContainText(next);
  await expect(pending).toContainText('Nothing is moved or copied');
  // This studio keeps its folder until it restarts.
  await expect(page.getByTestId('data-folder-current')).toHaveText(studio.dataDir);
  expect((await api('system.info', {})).dataDir).toBe(studio.dataDir);
  expect(await api('dataFolder.get', {})).toMatchObject({ chosen: next, next, pending: true });
  await snap(page, 'settings-data-folder');

  // The page reloaded still shows the saved choice; "Use the default" drops it.
  await page.reload();
  await expect(pending).toContainText(next);
  await page.getByRole('button', { name: 'Use the default' }).click();
  await expect(pending).toHaveCount(0);
  expect((await api('dataFolder.get', {})).chosen).toBeNull();
});
