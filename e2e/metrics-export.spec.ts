// Metrics export from the run view: the CSV arrives as a browser download whose header is the step
// and every series, with one row per logged step, in order.

import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures';
import { trainedRun } from './studio';

test('"Export metrics (CSV)" downloads a row for every logged step', async ({ page, api, studio }) => {
  test.skip(
    studio.kind === 'electron',
    'the desktop app asks where to save a download in its native Save dialog, which Playwright cannot answer',
  );
  const id = await trainedRun(api, 'metrics export', 60);
  await studio.open(`#/runs/${id}`);
  const button = page.getByRole('button', { name: 'Export metrics (CSV)' });
  await expect(button).toBeEnabled();

  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  expect(download.suggestedFilename()).toBe('metrics-export-metrics.csv');
  const lines = readFileSync(await download.path(), 'utf8')
    .trimEnd()
    .split('\n');
  const header = lines[0].split(',');
  const keys = (await api('metrics.keys', { runId: id })).map((k) => k.key);
  expect(header).toEqual(['step', ...keys]);
  expect(header).toEqual(
    expect.arrayContaining(['train/loss', 'val/loss', 'train/tokens_seen', 'perf/step_ms']),
  );

  // Every step at which any series has a point, read back through the API one series at a time.
  const series = await api('metrics.series', { runIds: [id], keys, maxPoints: 100_000 });
  const logged = [...new Set(series.flatMap((s) => s.points.map((p) => p.step)))].sort((a, b) => a - b);
  expect(logged.length).toBeGreaterThan(10);
  const rows = lines.slice(1).map((l) => l.split(','));
  expect(rows.map((r) => Number(r[0]))).toEqual(logged);
  expect(rows.every((r) => r.length === header.length)).toBe(true);
  const loss = header.indexOf('train/loss');
  const firstLoss = series.find((s) => s.key === 'train/loss')?.points[0];
  expect(Number(rows.find((r) => Number(r[0]) === firstLoss?.step)?.[loss])).toBe(firstLoss?.value);
  await expect(page.getByText(`Saved ${logged.length} steps of metrics`)).toBeVisible();
});
