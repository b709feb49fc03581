// Playground: a checkpoint of a trained run writes a continuation of the prompt, streamed into
// the page, with a token count that is what was generated; the model menu names the run and the
// step; side by side, two checkpoints answer the same prompt.

import { expect, test } from './fixtures';
import { snap, trainedRun } from './studio';

test('a checkpoint generates text from a prompt, and two checkpoints side by side', async ({
  page,
  api,
  studio,
}) => {
  const runId = await trainedRun(api, 'playground source', 100);
  const checkpoints = await api('checkpoints.list', { runId });
  expect(checkpoints.length).toBeGreaterThan(1);

  await studio.open('#/playground');
  const model = page.getByLabel('Model 1');
  const last = checkpoints[checkpoints.length - 1];
  await model.selectOption(`ckpt:${last.id}`);
  await expect(model.locator('option:checked')).toHaveText(
    new RegExp(`^playground source · step ${last.step}`),
  );
  await page.locator('#prompt').fill('Chapter 2');
  await page.getByLabel(/Length/).fill('200');
  await page.getByRole('button', { name: 'Generate' }).click();

  // 200 tokens asked: the counter says how many came, at most 200, and with the sample corpus's
  // character tokenizer each token is one character of the text shown.
  const output = page.getByTestId('generation-output').first();
  await expect(page.locator('.meta').first()).toContainText(/done/);
  const text = (await output.innerText()).slice('Chapter 2'.length);
  const counted = Number(/(\d+) tokens/.exec(await page.locator('.meta').first().innerText())?.[1]);
  expect(counted).toBeGreaterThan(10);
  expect(counted).toBeLessThanOrEqual(200);
  expect([...text].length).toBe(counted);

  await page.getByLabel('Side by side').check();
  await page.getByLabel('Model 2').selectOption(`ckpt:${checkpoints[0].id}`);
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.locator('.meta').nth(0)).toContainText(/done/);
  await expect(page.locator('.meta').nth(1)).toContainText(/done/);
  await snap(page, 'playground');
});
