// The run view's charts tell what the store holds: hovering a chart shows, at each logged step, the
// value `metrics.series` returns for that step; only the training loss and gradient norm are
// smoothed (the tooltip gives both values), never the learning rate or an evaluation; a sparse or
// single evaluation is drawn with markers; step ticks are whole numbers; the axes say their units.

import { expect, test } from './fixtures';
import type { Locator, Page } from '@playwright/test';
import { trainedRun } from './studio';
import type { Api } from './studio';

interface DrawnSeries {
  label: string;
  points: number;
  smoothed: boolean;
  radius: number;
}
interface TipRow {
  label: string;
  step: number;
  raw: number;
  smoothed: string;
}

const drawn = async (chart: Locator): Promise<DrawnSeries[]> =>
  JSON.parse((await chart.getAttribute('data-series')) ?? '[]') as DrawnSeries[];
const ticks = async (chart: Locator): Promise<number[]> =>
  ((await chart.getAttribute('data-x-ticks')) ?? '').split(',').filter(Boolean).map(Number);

/** Moves the cursor across the chart's plot and collects every tooltip row shown on the way. */
async function sweep(page: Page, chart: Locator, stops = 36): Promise<TipRow[]> {
  const box = await chart.boundingBox();
  if (box === null) throw new Error('the chart is not laid out');
  const rows: TipRow[] = [];
  for (let i = 0; i <= stops; i++) {
    await page.mouse.move(box.x + 50 + ((box.width - 60) * i) / stops, box.y + box.height / 3);
    for (const row of await chart.locator('[role="tooltip"] .tip-row').all()) {
      rows.push({
        label: (await row.getAttribute('data-label')) ?? '',
        step: Number(await row.getAttribute('data-step')),
        raw: Number(await row.getAttribute('data-raw')),
        smoothed: (await row.getAttribute('data-smoothed')) ?? '',
      });
    }
  }
  await page.mouse.move(0, 0);
  return rows;
}

/** step → value of one series, as the store holds it. */
async function stored(api: Api, runId: number, key: string): Promise<Map<number, number>> {
  const [series] = await api('metrics.series', { runIds: [runId], keys: [key], maxPoints: 5000 });
  return new Map(series.points.map((p) => [p.step, p.value]));
}

test('hovering a chart shows the stored value at each step; only training series are smoothed', async ({
  page,
  api,
  studio,
}) => {
  const id = await trainedRun(api, 'truthful charts', 100, { logEvery: 1, evalEvery: 25 });
  await studio.open(`#/runs/${id}`);
  const loss = page.getByRole('img', { name: /^Loss chart/ });
  const lr = page.getByRole('img', { name: /^Learning rate chart/ });
  const prf = page.getByRole('img', { name: /^Validation precision \/ recall \/ F1 chart/ });
  await expect.poll(async () => (await drawn(loss))[0]?.points).toBe(100);

  // What is smoothed and what is marked: the dense training loss is smoothed and unmarked; the
  // four validation points and the learning rate are drawn as they are.
  const [train, validation] = await drawn(loss);
  expect(train).toMatchObject({ label: 'train', smoothed: true, radius: 0 });
  expect(validation).toMatchObject({ label: 'validation', points: 4, smoothed: false });
  expect(validation.radius).toBeGreaterThan(0);
  expect((await drawn(lr))[0]).toMatchObject({ smoothed: false });
  expect((await drawn(prf)).map((s) => s.label)).toEqual([
    'precision (macro)',
    'recall (macro)',
    'F1 (macro)',
    'F1 (weighted)',
  ]);
  for (const s of await drawn(prf)) expect(s).toMatchObject({ points: 4, smoothed: false });

  // The tooltip's raw values are the store's, step for step; the smoothed value is beside them.
  const trainLoss = await stored(api, id, 'train/loss');
  const valLoss = await stored(api, id, 'val/loss');
  const rows = await sweep(page, loss);
  const trainRows = rows.filter((r) => r.label === 'train');
  expect(new Set(trainRows.map((r) => r.step)).size).toBeGreaterThan(15);
  for (const r of trainRows) {
    expect(r.raw).toBe(trainLoss.get(r.step));
    expect(Number(r.smoothed)).toBeGreaterThan(0);
  }
  const valRows = rows.filter((r) => r.label === 'validation');
  expect(valRows.length).toBeGreaterThan(0);
  for (const r of valRows) {
    expect(r.raw).toBe(valLoss.get(r.step));
    expect(r.smoothed).toBe('');
  }
  // The last validation loss the chart shows is the one the run reports.
  const run = await api('runs.get', { id });
  expect(valLoss.get(100)).toBe(run.lastValLoss);

  // The learning rate's tooltip is the schedule's value, unsmoothed.
  const lrStored = await stored(api, id, 'train/lr');
  const lrRows = await sweep(page, lr, 20);
  expect(lrRows.length).toBeGreaterThan(10);
  for (const r of lrRows) {
    expect(r.raw).toBe(lrStored.get(r.step));
    expect(r.smoothed).toBe('');
  }

  // Whole-number step ticks, and axis titles with units.
  for (const chart of [loss, lr, prf])
    for (const t of await ticks(chart)) expect(Number.isInteger(t)).toBe(true);
  await expect(loss).toHaveAttribute('aria-label', /cross-entropy \(nats\/token\) against step/);
  await page.getByRole('combobox', { name: 'x-axis' }).selectOption('time');
  await expect(loss).toHaveAttribute('aria-label', /against training time \(s\)/);
});

test('a single evaluation is drawn and hoverable, on whole-number ticks', async ({ page, api, studio }) => {
  const id = await trainedRun(api, 'one evaluation', 30, { logEvery: 1, evalEvery: 30 });
  const valLoss = await stored(api, id, 'val/loss');
  expect([...valLoss.keys()]).toEqual([30]);
  await studio.open(`#/runs/${id}`);
  const perplexity = page.getByRole('img', { name: /^Validation perplexity chart/ });
  await expect.poll(async () => (await drawn(perplexity))[0]?.points).toBe(1);
  expect((await drawn(perplexity))[0].radius).toBeGreaterThan(2.5);
  const t = await ticks(perplexity);
  expect(t.length).toBeGreaterThan(1);
  for (const tick of t) expect(Number.isInteger(tick)).toBe(true);

  const shown = await sweep(page, perplexity, 60);
  const stepped = shown.filter((r) => r.step === 30);
  expect(stepped.length).toBeGreaterThan(0);
  expect(stepped[0].raw).toBe((await stored(api, id, 'val/perplexity')).get(30));
});
