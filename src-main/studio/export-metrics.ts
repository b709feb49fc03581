// A run's metrics as a table: one row per step, one column per metric key (empty where a key has
// no point at that step), as CSV or as JSON lines. Written to a file as it is read, or returned.

import { rm } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { openNewFile, refusalFor } from './new-file';
import type { MetricsRepo } from './store/metrics';

export type MetricsFormat = 'csv' | 'jsonl';

/** The lines of the table (header first for CSV), each ending in a newline. */
export function* metricLines(
  metrics: MetricsRepo,
  runId: number,
  format: MetricsFormat,
  upToStep = Number.MAX_SAFE_INTEGER,
): Generator<string, void, void> {
  const keys = metrics.keys(runId).map((k) => k.key);
  const column = new Map(keys.map((key, i) => [key, i]));
  if (format === 'csv') yield ['step', ...keys].join(',') + '\n';
  let step = -1;
  let row: (number | null)[] = [];
  const line = (): string => {
    if (format === 'csv') return [step, ...row.map((v) => (v === null ? '' : String(v)))].join(',') + '\n';
    const record: Record<string, number | null> = { step };
    keys.forEach((key, i) => {
      if (row[i] !== undefined) record[key] = row[i];
    });
    return JSON.stringify(record) + '\n';
  };
  for (const r of metrics.exportRows(runId)) {
    if (r.step > upToStep) break;
    if (r.step !== step) {
      if (step >= 0) yield line();
      step = r.step;
      row = new Array<number | null>(keys.length);
      if (format === 'csv') row.fill(null);
    }
    row[column.get(r.key) as number] = r.value;
  }
  if (step >= 0) yield line();
}

/**
 * Exports the run's metrics: to `path` when given (streamed into a new file; an existing file is
 * refused, never replaced), else as a string. `rows` counts the steps written.
 */
export async function exportMetrics(
  metrics: MetricsRepo,
  runId: number,
  format: MetricsFormat,
  path: string | null,
  upToStep = Number.MAX_SAFE_INTEGER,
): Promise<{ rows: number; path: string | null; content: string | null }> {
  let rows = 0;
  const lines = metricLines(metrics, runId, format, upToStep);
  const countRow = (): void => {
    rows += 1;
  };
  if (path === null) {
    const parts: string[] = [];
    for (const l of lines) {
      parts.push(l);
      countRow();
    }
    return { rows: format === 'csv' ? rows - 1 : rows, path: null, content: parts.join('') };
  }
  const file = await openNewFile(path);
  const out = file.createWriteStream({ encoding: 'utf8' });
  try {
    for (const l of lines) {
      countRow();
      if (!out.write(l)) await once(out, 'drain');
    }
    out.end();
    await finished(out);
  } catch (err) {
    // The file is the export's own (it was created above): a half-written one goes.
    out.destroy();
    await rm(path, { force: true });
    throw refusalFor(path, err) ?? err;
  }
  return { rows: format === 'csv' ? rows - 1 : rows, path, content: null };
}
