// A run's name, tags and notes edited in the run view: refused names and tags show the service's
// reason in place, accepted edits reach the API, and the runs table shows the new name and tag
// and finds the run by it. Also the screenshot of a finished run with tags and notes, dark theme.

import { expect, test } from './fixtures';
import { snap, tinyConfig, trainedRun } from './studio';

test('the run view renames, tags and annotates a run; the runs table follows', async ({
  page,
  api,
  studio,
}) => {
  const stamp = Date.now().toString(36);
  const run = await api('runs.create', { config: await tinyConfig(api, `metadata ${stamp}`, 100) });
  await studio.open(`#/runs/${run.id}`);
  const title = page.getByRole('heading', { level: 1 });
  await expect(title).toHaveText(`metadata ${stamp}`);

  // Rename: an empty and a too-long name are refused in place; Escape leaves the name as it was.
  await title.getByRole('button').click();
  const name = page.getByRole('textbox', { name: 'Name' });
  await expect(name).toBeFocused();
  await name.fill('   ');
  await name.press('Enter');
  await expect(page.getByRole('alert').filter({ hasText: 'The name must not be empty' })).toBeVisible();
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await name.fill('n'.repeat(201));
  await name.press('Enter');
  await expect(page.getByRole('alert').filter({ hasText: 'at most 200 characters' })).toBeVisible();
  await name.press('Escape');
  await expect(title).toHaveText(`metadata ${stamp}`);
  expect((await api('runs.get', { id: run.id })).name).toBe(`metadata ${stamp}`);

  const renamed = `renamed ${stamp}`;
  await title.getByRole('button').click();
  await name.fill(renamed);
  await name.press('Enter');
  await expect(title).toHaveText(renamed);
  await expect.poll(async () => (await api('runs.get', { id: run.id })).name).toBe(renamed);

  // Tags: added with Enter and a comma, one removed with its ×, a too-long one refused.
  const tag = page.getByRole('combobox', { name: 'Add a tag' });
  const chips = page.getByRole('list', { name: 'Tags' }).locator('li > span');
  await tag.fill(`sweep-${stamp}`);
  await tag.press('Enter');
  await tag.pressSequentially('scratch,');
  await expect(chips).toHaveText(['scratch', `sweep-${stamp}`]);
  await page.getByRole('button', { name: 'Remove tag scratch' }).click();
  await expect(chips).toHaveText([`sweep-${stamp}`]);
  await tag.fill('t'.repeat(51));
  await tag.press('Enter');
  await expect(page.getByRole('alert').filter({ hasText: 'must be at most 50 characters' })).toBeVisible();
  await expect(tag).toHaveValue('t'.repeat(51)); // kept, to be shortened
  await tag.fill('');
  await expect.poll(async () => (await api('runs.get', { id: run.id })).tags).toEqual([`sweep-${stamp}`]);

  // Notes: saved on leaving the box, and on Ctrl+Enter; a refused save says why and keeps the text.
  const notes = page.getByRole('textbox', { name: 'Notes' });
  const status = page.locator('[data-notes-status]');
  await notes.fill('Baseline for the depth sweep.');
  await expect(status).toContainText('Unsaved');
  await notes.press('Tab');
  await expect(status).toHaveAttribute('data-notes-status', 'saved');
  await expect(status).toContainText('Saved');
  expect((await api('runs.get', { id: run.id })).notes).toBe('Baseline for the depth sweep.');
  await notes.fill('Baseline for the depth sweep.\nLoss flattens early.');
  await notes.press('Control+Enter');
  await expect(notes).toBeFocused();
  await expect
    .poll(async () => (await api('runs.get', { id: run.id })).notes)
    .toBe('Baseline for the depth sweep.\nLoss flattens early.');
  await notes.fill('x'.repeat(100_001));
  await notes.press('Control+Enter');
  await expect(status).toHaveAttribute('data-notes-status', 'error');
  await expect(status).toContainText('Not saved');
  await expect(status).toContainText('at most 100000 characters');
  await notes.fill('Baseline for the depth sweep.');
  await notes.press('Control+Enter');
  await expect(status).toHaveAttribute('data-notes-status', 'saved');
  await snap(page, 'run-metadata');

  // The runs table: the new name and the tag, and a search by the tag finds the run.
  await page.getByRole('link', { name: /Runs/ }).click();
  const row = page.locator(`[data-run-id="${run.id}"]`);
  await expect(row).toContainText(renamed);
  await expect(row.locator('.tag')).toHaveText([`sweep-${stamp}`]);
  await page.getByRole('searchbox', { name: 'Search runs' }).fill(`SWEEP-${stamp}`);
  await expect(page.locator('[data-run-id]')).toHaveCount(1);
  await expect(row).toBeVisible();
  await api('runs.delete', { id: run.id });
});

test('a finished run with tags and notes, in the dark theme', async ({ page, api, studio }) => {
  const id = await trainedRun(api, 'dark theme run', 200);
  await api('runs.setTags', { id, tags: ['baseline', 'char'] });
  await api('runs.setNotes', { id, notes: 'One layer, width 32: the smallest model that still learns.' });
  await page.emulateMedia({ colorScheme: 'dark' });
  await studio.open(`#/runs/${id}`);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  const loss = page.getByRole('img', { name: /^Loss chart/ });
  await expect.poll(async () => Number(await loss.getAttribute('data-points'))).toBeGreaterThan(10);
  await expect(page.getByRole('list', { name: 'Tags' })).toContainText('baseline');
  await expect(page.getByRole('textbox', { name: 'Notes' })).toHaveValue(/smallest model/);
  await page.waitForTimeout(400); // every chart's first redraw
  await snap(page, 'run-dark');
});
