// The New run form from the user's side: every problem at once, each at its field and in the form's
// words (never an internal name such as nEmbd or B·T + 1), a count that matches what is marked;
// warnings for legal values that are almost surely wrong, which do not block; a default name that
// follows the dataset until it is edited; Duplicate opening the form filled from the run.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { sampleDatasetId, snap, tinyConfig } from './studio';

const INTERNAL_NAMES =
  /nEmbd|nHead|nLayer|contextLength|seqLen|batchSize|totalSteps|valFraction|B·T|train\.\w/;

test('an invalid form shows every problem at once, at its field, in the form’s words, and creates no run', async ({
  page,
  api,
  studio,
}) => {
  const before = (await api('runs.list', {})).length;
  await studio.open('#/runs/new');
  await expect(page.locator('#name')).not.toHaveValue('');

  // A shape problem (an empty name, an emptied number) beside values the engine refuses.
  const field = (id: string) => page.locator(`[id="${id}"]`);
  await page.locator('#name').fill('   ');
  await field('model.nEmbd').fill('10000');
  await field('model.nHead').fill('3');
  await field('train.schedule.lr').fill('-0.5');
  await field('train.batchSize').fill('0');
  await field('train.steps').fill('');
  await page.getByRole('button', { name: /Create/ }).click();

  const messageOf = (id: string) => page.locator(`[data-field-error="${id}"]`);
  await expect(messageOf('name')).toContainText('must not be empty');
  await expect(messageOf('model.nEmbd')).toHaveText('must be at most 8192, got 10000');
  await expect(messageOf('train.schedule.lr')).toBeVisible();
  await expect(messageOf('train.batchSize')).toBeVisible();
  await expect(messageOf('train.steps')).toHaveText('needs a number');
  const marked = ['name', 'model.nEmbd', 'train.schedule.lr', 'train.batchSize', 'train.steps'];
  for (const id of marked) await expect(field(id)).toHaveAttribute('aria-invalid', 'true');

  // The list beside Create names each problem by its label; the count is the fields marked.
  const listed = page.getByRole('list', { name: 'Problems' }).getByRole('listitem');
  await expect(listed.filter({ hasText: /^\s*Width \(embedding\)/ })).toBeVisible();
  await expect(listed.filter({ hasText: /^\s*Steps/ })).toBeVisible();
  const count = await listed.count();
  expect(count).toBe(marked.length);
  await expect(page.getByRole('alert').filter({ hasText: `${count} fields need attention` })).toBeVisible();
  await expect(page.locator('form')).not.toContainText(INTERNAL_NAMES);
  await snap(page, 'new-run-invalid');

  // Clicking a listed problem takes the cursor to its field.
  await listed
    .filter({ hasText: /^\s*Learning rate/ })
    .getByRole('button')
    .click();
  await expect(field('train.schedule.lr')).toBeFocused();

  // Heads that do not divide the width: said with the form's names.
  await field('model.nEmbd').fill('32');
  await expect(messageOf('model.nHead')).toHaveText(
    'Heads (3) must divide Width (embedding) (32) so every head gets the same number of channels',
  );
  expect((await api('runs.list', {})).length).toBe(before);

  // Fixing the fields clears their messages.
  await page.locator('#name').fill('fixed');
  await field('model.nHead').fill('2');
  await field('train.schedule.lr').fill('0.001');
  await field('train.batchSize').fill('4');
  await field('train.steps').fill('100');
  await expect(page.locator('[data-field-error]')).toHaveCount(0);
  await expect(page.getByText(/Ready ·/)).toBeVisible();
});

test('legal but almost surely wrong values are warned about at their fields and do not block', async ({
  page,
  studio,
}) => {
  await studio.open('#/runs/new');
  await expect(page.locator('#name')).not.toHaveValue('');
  await page.locator('[id="train.schedule.lr"]').fill('1e9');
  await page.locator('[id="train.steps"]').fill('1000000000000');
  const warningOf = (id: string) => page.locator(`[data-field-warning="${id}"]`);
  await expect(warningOf('train.schedule.lr')).toContainText('will almost surely diverge');
  await expect(warningOf('train.steps')).toContainText(/years/);
  await expect(page.getByRole('list', { name: 'Warnings' }).getByRole('listitem')).toHaveCount(2);
  await expect(page.getByText(/Ready ·/)).toBeVisible();
  await expect(page.locator('[data-field-error]')).toHaveCount(0);
  await snap(page, 'new-run-warnings');
});

test('the default name follows the dataset until edited; a tiny dataset says why its batch is small', async ({
  page,
  api,
  studio,
}) => {
  const folder = mkdtempSync(join(tmpdir(), 'crystalline-e2e-tiny-'));
  const file = join(folder, 'haiku.txt');
  writeFileSync(file, 'an old silent pond, a frog jumps into the pond, splash! silence again.\n'.repeat(30));
  const tiny = await api('datasets.import', { path: file, name: 'haiku', tokenizer: { kind: 'char' } });
  try {
    await studio.open('#/runs/new');
    const name = page.locator('#name');
    await expect(name).toHaveValue('Sample corpus · tiny');
    await page.locator('#datasetId').selectOption(String(tiny.id));
    await expect(name).toHaveValue('haiku · tiny');
    await expect(page.locator('[data-field-warning="train.batchSize"]')).toContainText(
      /this dataset is small: its validation split holds [\d,]+ tokens/,
    );
    await snap(page, 'new-run-tiny-dataset');

    await name.fill('my haiku run');
    await page.locator('#datasetId').selectOption(String(await sampleDatasetId(api)));
    await expect(page.locator('[id="train.batchSize"]')).not.toHaveValue(
      String((await api('runs.defaults', { datasetId: tiny.id })).train.batchSize),
    );
    await expect(name).toHaveValue('my haiku run');
  } finally {
    await api('datasets.delete', { id: tiny.id });
    rmSync(folder, { recursive: true, force: true });
  }
});

test('Duplicate opens the form filled from the run and creates only what is submitted', async ({
  page,
  api,
  studio,
}) => {
  const config = await tinyConfig(api, 'to duplicate', 40, {});
  config.train.schedule.lr = 0.0007;
  const original = await api('runs.create', { config });
  const before = (await api('runs.list', {})).length;
  await studio.open(`#/runs/${original.id}`);
  await page.getByRole('button', { name: 'Duplicate…' }).click();

  await expect(page).toHaveURL(new RegExp(`#/runs/new\\?from=${original.id}$`));
  await expect(page.locator('#name')).toHaveValue('to duplicate (copy)');
  await expect(page.locator('[id="train.schedule.lr"]')).toHaveValue('0.0007');
  await expect(page.locator('[id="model.nEmbd"]')).toHaveValue(String(config.model.nEmbd));
  expect((await api('runs.list', {})).length).toBe(before); // nothing created yet

  await page.locator('[id="train.schedule.lr"]').fill('0.0003');
  await page.getByLabel('Start training right away').uncheck();
  await page.getByRole('button', { name: 'Create run' }).click();
  await expect(page).toHaveURL(/#\/runs\/\d+$/);
  const id = Number(/#\/runs\/(\d+)$/.exec(page.url())?.[1]);
  const copy = await api('runs.get', { id });
  expect(copy.name).toBe('to duplicate (copy)');
  expect(copy.config?.train.schedule.lr).toBe(0.0003);
  expect(copy.config?.model).toEqual(config.model);
  expect((await api('runs.list', {})).length).toBe(before + 1);
});
