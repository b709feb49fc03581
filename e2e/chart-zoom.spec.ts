// Wheel zoom on the run view's charts: Ctrl + wheel over one chart narrows the x range of every
// chart around the cursor; a plain wheel scrolls the page instead; double-click and "Reset zoom"
// show the whole run again. The drawn range is read from each chart's data-x-min / data-x-max.

import { expect, test } from './fixtures';
import type { Locator } from '@playwright/test';
import { trainedRun } from './studio';

const range = async (chart: Locator): Promise<{ min: number; max: number }> => ({
  min: Number(await chart.getAttribute('data-x-min')),
  max: Number(await chart.getAttribute('data-x-max')),
});
const span = async (chart: Locator): Promise<number> => {
  const r = await range(chart);
  return r.max - r.min;
};

test('Ctrl + wheel over one chart zooms all of them around the cursor', async ({ page, api, studio }) => {
  const id = await trainedRun(api, 'wheel zoom', 100);
  await studio.open(`#/runs/${id}`);
  const loss = page.getByRole('img', { name: /^Loss chart/ });
  const lr = page.getByRole('img', { name: /^Learning rate chart/ });
  await expect.poll(async () => Number(await lr.getAttribute('data-points'))).toBeGreaterThan(10);
  await expect(loss).toHaveAttribute('title', /Ctrl\/⌘ \+ scroll to zoom/);
  await expect.poll(() => span(lr)).toBeGreaterThan(0);
  const whole = await range(lr);

  // A plain wheel over a chart scrolls the page and leaves the zoom alone.
  const box = await loss.boundingBox();
  if (box === null) throw new Error('the loss chart is not laid out');
  await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2);
  await page.mouse.wheel(0, 120);
  await expect.poll(() => page.evaluate<number>('window.scrollY')).toBeGreaterThan(0);
  await page.waitForTimeout(400); // longer than a chart's redraw interval
  expect(await range(lr)).toEqual(whole);
  await page.evaluate('window.scrollTo(0, 0)');

  // Ctrl + wheel up, three notches, three-quarters of the way across the loss chart's plot.
  const plot = await loss.boundingBox();
  if (plot === null) throw new Error('the loss chart is not laid out');
  await page.mouse.move(plot.x + plot.width * 0.75, plot.y + plot.height / 2);
  await page.keyboard.down('Control');
  for (let i = 0; i < 3; i++) await page.mouse.wheel(0, -100);
  await page.keyboard.up('Control');
  await expect.poll(() => span(lr)).toBeLessThan((whole.max - whole.min) * 0.7);
  await page.waitForTimeout(400); // the last notch's redraw
  const zoomed = await range(lr);
  expect(zoomed.min).toBeGreaterThan(whole.min);
  expect(zoomed.max).toBeLessThanOrEqual(whole.max);
  // The cursor stood past the middle, so the range kept more of the right-hand side.
  expect(zoomed.min - whole.min).toBeGreaterThan(whole.max - zoomed.max);
  await expect.poll(() => range(loss)).toEqual(zoomed); // linked: the same range on every chart
  await expect(page.getByRole('button', { name: 'Reset zoom' })).toHaveCount(9); // one per chart

  // Ctrl + wheel down zooms out again, and no further than the whole run.
  await page.keyboard.down('Control');
  for (let i = 0; i < 8; i++) await page.mouse.wheel(0, 200);
  await page.keyboard.up('Control');
  await expect.poll(() => range(lr)).toEqual(whole);
  await expect(page.getByRole('button', { name: 'Reset zoom' })).toHaveCount(0);

  // Zoom in, then double-click resets; zoom in, then "Reset zoom" does.
  await page.keyboard.down('Control');
  await page.mouse.wheel(0, -300);
  await page.keyboard.up('Control');
  await expect.poll(() => span(lr)).toBeLessThan(whole.max - whole.min);
  await loss.dblclick();
  await expect.poll(() => range(lr)).toEqual(whole);
  await page.keyboard.down('Control');
  await page.mouse.wheel(0, -300);
  await page.keyboard.up('Control');
  await expect.poll(() => span(lr)).toBeLessThan(whole.max - whole.min);
  await page.getByRole('button', { name: 'Reset zoom' }).first().click();
  await expect.poll(() => range(lr)).toEqual(whole);
});
