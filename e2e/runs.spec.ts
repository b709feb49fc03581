// A run's life through the UI: create it on the sample corpus, watch the loss chart grow, pause
// (training stops), resume, reload the page mid-run (still live), stop (final checkpoint listed),
// and export that checkpoint to a folder found on disk.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { snap, TINY } from './studio';

const points = async (chart: Locator): Promise<number> => Number(await chart.getAttribute('data-points'));
const lossChart = (page: Page): Locator => page.getByRole('img', { name: /^Loss chart/ });
const stepOf = async (page: Page): Promise<number> => {
  const text = await page.locator('.progress-head b').innerText();
  return Number(text.replace(/[^0-9]/g, ''));
};

async function setNumber(page: Page, id: string, value: number): Promise<void> {
  await page.locator(`[id="${id}"]`).fill(String(value));
}

test('a run created on the sample corpus trains live, pauses, resumes, survives a reload, stops and exports', async ({
  page,
  api,
  studio,
}) => {
  await studio.open();
  await expect(page.getByRole('heading', { name: 'Runs', exact: true })).toBeVisible();
  await page.getByRole('link', { name: /New run/ }).click();

  await expect(page.locator('#datasetId')).toContainText('Sample corpus');
  await page.locator('#name').fill('e2e lifecycle');
  await setNumber(page, 'model.nLayer', TINY.nLayer);
  await setNumber(page, 'model.nHead', TINY.nHead);
  await setNumber(page, 'model.nEmbd', TINY.nEmbd);
  await setNumber(page, 'model.contextLength', TINY.contextLength);
  await setNumber(page, 'train.batchSize', 4);
  await setNumber(page, 'train.seqLen', 32);
  // Long enough to still be training when stopped: the native kernels take this model ~3,000 steps a second.
  await setNumber(page, 'train.steps', 2_000_000);
  await setNumber(page, 'train.evalEvery', 100);
  await setNumber(page, 'checkpoints.every', 100);
  await expect(page.getByText(/Ready ·/)).toBeVisible(); // the service checked the last edit
  await expect(page.getByTestId('estimate-parameters')).toHaveText(/k$/);
  await snap(page, 'new-run');
  await page.getByRole('button', { name: 'Create and start' }).click();

  // The run view: the loss chart gains points while it trains.
  await expect(page.getByRole('heading', { name: 'e2e lifecycle' })).toBeVisible();
  const chart = lossChart(page);
  await expect.poll(() => points(chart)).toBeGreaterThan(2);
  const before = await points(chart);
  await expect.poll(() => points(chart)).toBeGreaterThan(before);
  await expect(page.locator('.badge')).toHaveText('running');
  await page.waitForTimeout(1500); // a few evaluations for the histogram and the matrix
  await snap(page, 'run-training');

  // Pause: the status says so and the step stops moving.
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.locator('.badge')).toHaveText('paused');
  const pausedAt = await stepOf(page);
  await page.waitForTimeout(1500);
  expect(await stepOf(page)).toBe(pausedAt);
  await expect(page.locator('[data-checkpoint-step]').first()).toBeVisible(); // pause writes one

  // Resume: it trains again.
  await page.getByRole('button', { name: 'Resume' }).first().click();
  await expect(page.locator('.badge')).toHaveText('running');
  await expect.poll(() => stepOf(page)).toBeGreaterThan(pausedAt);

  // Reload mid-run: the page comes back to the same run, still live.
  await page.reload();
  await expect(page.locator('.badge')).toHaveText('running');
  const afterReload = await points(lossChart(page));
  await expect.poll(() => points(lossChart(page))).toBeGreaterThan(afterReload);

  // Stop: the last checkpoint listed is the stop's, at the step the run stopped on, even when a
  // periodic checkpoint fell on that step too (the worker writes it again as the stop's).
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.locator('.badge')).toHaveText('stopped');
  const runId = Number(new URL(page.url()).hash.split('/').pop());
  const stopped = await api('runs.get', { id: runId });
  const checkpoints = await api('checkpoints.list', { runId });
  const last = checkpoints[checkpoints.length - 1];
  expect(last).toMatchObject({ step: stopped.step, trigger: 'stop' });
  expect(checkpoints.filter((c) => c.step === last.step)).toHaveLength(1);
  const row = page.locator(`[data-checkpoint-step="${last.step}"]`);
  await expect(row).toContainText('stop');

  // Export it (to a typed folder in serve mode, the native dialog's in the app): the folder
  // appears on disk with the model and its config.
  const dir = join(studio.dataDir, `e2e-export-${Date.now()}`);
  await row.getByRole('button', { name: 'Export' }).click();
  if (studio.kind === 'web') {
    await page.locator('#export-dir').fill(dir);
  } else {
    await studio.answerDialogsWith(dir);
    await page.locator('.export-row').getByRole('button', { name: 'Choose…' }).click();
    await expect(page.locator('#export-dir')).toHaveValue(dir);
  }
  await page.locator('.export-row').getByRole('button', { name: 'Export' }).click();
  await expect(page.getByText(/Exported \d+ files/)).toBeVisible();
  expect(existsSync(dir)).toBe(true);
  expect(readdirSync(dir)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors']));

  // Verify it: the checksum matches the record.
  await row.getByRole('button', { name: 'Verify' }).click();
  await expect(row).toContainText('verified');
  await snap(page, 'run-stopped');

  await page.getByRole('link', { name: /Runs/ }).click();
  const listed = page.locator(`[data-run-id="${runId}"]`);
  await expect(listed).toContainText('stopped');
  // A run that is not training still shows the throughput it last reported (column 7: Tokens/s).
  await expect(listed.locator('td').nth(6)).toHaveText(/^\d[\d.,]*k?$/);
  await snap(page, 'runs');
});
