// A PyTorch run from the New-run form: the Compute card finds Python and torch and says so, the
// run trains on 2 processes and its loss chart grows like a built-in run's, and pause, resume and
// stop work from the run view. Skipped, saying why, where /usr/bin/python3 has no torch.

import { spawnSync } from 'node:child_process';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { snap, TINY } from './studio';

const PYTHON = '/usr/bin/python3';
const torchMissing = spawnSync(PYTHON, ['-c', 'import torch, numpy']).status !== 0;

const points = async (chart: Locator): Promise<number> => Number(await chart.getAttribute('data-points'));
const lossChart = (page: Page): Locator => page.getByRole('img', { name: /^Loss chart/ });

test('a PyTorch run from the form trains on 2 processes, pauses, resumes and stops', async ({
  page,
  api,
  studio,
}) => {
  test.skip(torchMissing, `${PYTHON} cannot import torch and numpy (install python3-torch)`);
  test.setTimeout(360_000);
  const before = await api('settings.get', {});
  await api('settings.update', { pythonPath: PYTHON });
  try {
    await studio.open('#/runs/new');
    await expect(page.locator('#datasetId')).toContainText('Sample corpus');
    await page.locator('#name').fill('e2e pytorch');
    for (const [id, value] of Object.entries({
      'model.nLayer': TINY.nLayer,
      'model.nHead': TINY.nHead,
      'model.nEmbd': TINY.nEmbd,
      'model.contextLength': TINY.contextLength,
      'train.batchSize': 4,
      'train.seqLen': 32,
      'train.steps': 50_000,
      'train.evalEvery': 100,
      'checkpoints.every': 100,
    })) {
      await page.locator(`[id="${id}"]`).fill(String(value));
    }
    await page.locator('#engine').selectOption('pytorch');
    await expect(page.getByTestId('torch-env')).toContainText(/PyTorch 1\.13.* · CPU · gloo/, {
      timeout: 60_000,
    });
    await expect(page.locator('#threads')).toHaveCount(0); // a builtin setting, gone with its engine
    await page.locator('#processes').fill('2');
    await expect(page.getByText(/Ready ·/)).toBeVisible();
    await snap(page, 'new-run-pytorch');
    await page.getByRole('button', { name: 'Create and start' }).click();

    await expect(page.getByRole('heading', { name: 'e2e pytorch' })).toBeVisible();
    const chart = lossChart(page);
    await expect.poll(() => points(chart), { timeout: 90_000 }).toBeGreaterThan(2); // after `import torch`
    await expect(page.locator('.badge')).toHaveText('running');

    await page.getByRole('button', { name: 'Pause' }).click();
    await expect(page.locator('.badge')).toHaveText('paused');
    await page.getByRole('button', { name: 'Resume' }).first().click();
    await expect(page.locator('.badge')).toHaveText('running');
    const resumedAt = await points(chart);
    await expect.poll(() => points(chart)).toBeGreaterThan(resumedAt);
    await snap(page, 'run-pytorch');

    await page.getByRole('button', { name: 'Stop' }).click();
    await expect(page.locator('.badge')).toHaveText('stopped', { timeout: 120_000 });
    await expect(page.locator('[data-checkpoint-step]').first()).toBeVisible();
  } finally {
    await api('settings.update', { pythonPath: before.pythonPath });
  }
});
