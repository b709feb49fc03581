// Keyboard shortcuts: the single keys that open each view, "/" to search runs, Space to pause and
// resume the open run, Ctrl+Enter to submit the new-run form, "?" for the list of them all — and
// none of the single keys fires while the person types into a field.

import { expect, test } from './fixtures';
import { snap, tinyConfig, waitForRun } from './studio';

const hash = (url: string): string => new URL(url).hash;

test('the view keys open each view, "?" lists every shortcut, and typing is left alone', async ({
  page,
  studio,
}) => {
  await studio.open('#/runs');
  await expect(page.getByRole('heading', { name: 'Runs', exact: true })).toBeVisible();

  for (const [key, route, heading] of [
    ['n', '#/runs/new', 'New run'],
    ['c', '#/compare', 'Compare'],
    ['p', '#/playground', 'Playground'],
    ['d', '#/datasets', 'Datasets'],
    [',', '#/settings', 'Settings'],
    ['r', '#/runs', 'Runs'],
  ] as const) {
    await page.keyboard.press(key);
    await expect(page.getByRole('heading', { level: 1, name: heading, exact: true })).toBeVisible();
    expect(hash(page.url())).toBe(route);
  }

  // "/" puts the cursor in the search box; the view keys typed there are text, not navigation.
  await page.keyboard.press('/');
  const search = page.getByRole('searchbox', { name: 'Search runs' });
  await expect(search).toBeFocused();
  await page.keyboard.type('ncpd,r/? ');
  await expect(search).toHaveValue('ncpd,r/? ');
  expect(hash(page.url())).toBe('#/runs');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toHaveCount(0);
  await search.fill('');

  // "?" shows the list with every shortcut; Escape closes it, "?" again toggles it.
  await page.locator('body').click({ position: { x: 600, y: 600 } }); // focus leaves the field
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeVisible();
  for (const [key, label] of [
    ['r', 'Runs'],
    ['n', 'New run'],
    ['c', 'Compare'],
    ['p', 'Playground'],
    ['d', 'Datasets'],
    [',', 'Settings'],
    ['/', 'Search runs'],
    ['Space', 'Pause or resume the open run'],
    ['?', 'Show or hide this list'],
  ]) {
    await expect(help.getByRole('row', { name: `${key} ${label}` })).toBeVisible();
  }
  await expect(help).toContainText('Zoom the run');
  await expect(help).toContainText('save notes');
  await snap(page, 'shortcuts');
  await page.keyboard.press('Escape');
  await expect(help).toHaveCount(0);
  await page.keyboard.press('?');
  await expect(help).toBeVisible();
  await page.keyboard.press('?');
  await expect(help).toHaveCount(0);
});

test('Ctrl+Enter submits the new-run form from any field', async ({ page, api, studio }) => {
  const before = (await api('runs.list', {})).length;
  await studio.open('#/runs/new');
  const name = page.locator('#name');
  await expect(name).not.toHaveValue('');
  await name.fill('   '); // refused: the submit shows its message and creates nothing
  await page.locator('[id="train.steps"]').press('Control+Enter');
  await expect(page.locator('[data-field-error="name"]')).toContainText('must not be empty');
  expect((await api('runs.list', {})).length).toBe(before);
});

test('Space pauses and resumes the open run, but not while typing in its notes', async ({
  page,
  api,
  studio,
}) => {
  const run = await api('runs.create', { config: await tinyConfig(api, 'space bar', 50_000) });
  await api('runs.start', { id: run.id });
  await waitForRun(api, run.id, (status, step) => status === 'running' && step > 0);
  await studio.open(`#/runs/${run.id}`);
  const badge = page.locator('.page-header .badge');
  await expect(badge).toHaveText('running');

  await page.keyboard.press('Space');
  await expect(badge).toHaveText('paused');
  expect((await api('runs.get', { id: run.id })).status).toBe('paused');
  await page.keyboard.press('Space');
  await expect(badge).toHaveText('running');
  expect((await api('runs.get', { id: run.id })).status).toBe('running');

  // In the notes box a space is a space; the run trains on.
  const notes = page.getByRole('textbox', { name: 'Notes' });
  await notes.click();
  await page.keyboard.type('a b c');
  await expect(notes).toHaveValue('a b c');
  await page.waitForTimeout(500);
  expect((await api('runs.get', { id: run.id })).status).toBe('running');
  await expect(badge).toHaveText('running');

  // Nor in the x-axis select, where Space opens the list.
  await page.getByRole('combobox', { name: 'x-axis' }).focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('Escape');
  await page.waitForTimeout(500);
  expect((await api('runs.get', { id: run.id })).status).toBe('running');

  await api('runs.stop', { id: run.id });
  await waitForRun(api, run.id, (status) => status === 'stopped');
});
