// A run's recorded metrics exported as a table (src-worker/metrics/metrics-table.ts): written to a
// file as it is read from the database, or returned.

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { tableLines } from '../../src-worker/metrics/metrics-table';
import type { MetricsFormat } from '../../src-worker/metrics/metrics-table';
import type { MetricsRepo } from './store/metrics';

/** The lines of the run's table (header first for CSV), each ending in a newline. */
export function metricLines(
  metrics: MetricsRepo,
  runId: number,
  format: MetricsFormat,
  upToStep = Number.MAX_SAFE_INTEGER,
): Generator<string, void, void> {
  const keys = metrics.keys(runId).map((k) => k.key);
  return tableLines(keys, metrics.exportRows(runId), format, upToStep);
}

/**
 * Exports the run's metrics: to `path` when given (streamed), else as a string. `rows` counts the
 * steps written.
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
  const out = createWriteStream(path, 'utf8');
  for (const l of lines) {
    countRow();
    if (!out.write(l)) await once(out, 'drain');
  }
  out.end();
  await finished(out);
  return { rows: format === 'csv' ? rows - 1 : rows, path, content: null };
}
