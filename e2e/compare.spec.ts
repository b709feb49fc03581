// Compare: two finished runs that differ in their seed and learning rate, their curves on the same
// axes by step, tokens seen or training time, log x; the hyper-parameter table naming fields the
// way the New-run form does and marking what differs; their results side by side.

import { expect, test } from './fixtures';
import type { Locator } from '@playwright/test';
import { snap, trainedRun } from './studio';

const ticks = async (chart: Locator): Promise<number[]> =>
  ((await chart.getAttribute('data-x-ticks')) ?? '').split(',').filter(Boolean).map(Number);

test('two runs overlay their curves on the chosen x-axis, and the hyper-parameter table marks what differs', async ({
  page,
  api,
  studio,
}) => {
  const a = await trainedRun(api, 'compare seed 1337', 100);
  const b = await trainedRun(api, 'compare seed 7', 100, {
    seed: 7,
    schedule: { kind: 'cosine', lr: 3e-3, minLr: 1e-4, warmupSteps: 10, totalSteps: 100 },
  });

  await studio.open('#/runs');
  await page.locator(`[data-run-id="${a}"] input[type=checkbox]`).check();
  await page.locator(`[data-run-id="${b}"] input[type=checkbox]`).check();
  await page.getByRole('button', { name: 'Compare 2' }).click();

  await expect(page.getByRole('heading', { name: 'Compare' })).toBeVisible();
  const loss = page.getByRole('img', { name: /^Train loss chart/ });
  await expect.poll(async () => Number(await loss.getAttribute('data-points'))).toBeGreaterThan(20);
  await expect(loss).toHaveAttribute('aria-label', /against step/);
  await expect.poll(async () => Math.max(...(await ticks(loss)))).toBeLessThanOrEqual(100);

  // Tokens seen: the x range reaches the tokens each run saw by its last step.
  await page.getByLabel('x-axis').selectOption('tokens');
  await expect(loss).toHaveAttribute('aria-label', /against tokens seen/);
  const seen = Math.max(
    ...(await Promise.all([a, b].map(async (id) => (await api('runs.get', { id })).tokensSeen))),
  );
  await expect
    .poll(async () => Number(await loss.getAttribute('data-x-max')))
    .toBeGreaterThanOrEqual(seen * 0.9);
  for (const t of await ticks(loss)) expect(Number.isInteger(t)).toBe(true);

  // Training time, then log x on steps: ticks at powers of ten and between.
  await page.getByLabel('x-axis').selectOption('time');
  await expect(loss).toHaveAttribute('aria-label', /against training time \(s\)/);
  await page.getByLabel('x-axis').selectOption('step');
  await page.getByLabel('Log x').check();
  await expect.poll(async () => (await ticks(loss)).includes(10)).toBe(true);
  await expect.poll(async () => Number(await loss.getAttribute('data-x-min'))).toBeGreaterThan(0);
  await page.getByLabel('Log x').uncheck();

  const table = page.locator('table.diff');
  const row = (field: string) => table.locator(`tr[data-field="${field}"]`);
  await expect(row('train.seed')).toHaveClass(/differs/);
  await expect(row('train.seed').locator('td').first()).toContainText('Seed');
  await expect(row('train.schedule.lr')).toContainText('Learning rate');
  await expect(row('train.schedule.lr').locator('td.odd')).toHaveText('0.003');
  await expect(row('model.nEmbd')).toHaveCount(0); // only what differs
  await page.getByLabel('Only what differs').uncheck();
  await expect(row('model.nEmbd')).toContainText('Width (embedding)');
  await expect(row('model.nEmbd')).not.toHaveClass(/differs/);
  await page.getByLabel('Only what differs').check();

  const results = page.locator('section', { hasText: 'Results' }).locator('tbody tr');
  await expect(results).toHaveCount(2);
  await snap(page, 'compare');
});
