// A run's recorded metrics exported as a table (src-worker/metrics/metrics-table.ts): written to a
// file as it is read from the database, or returned.

import { rm } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { tableLines } from '../../src-worker/metrics/metrics-table';
import type { MetricsFormat } from '../../src-worker/metrics/metrics-table';
import { openNewFile, refusalFor } from './new-file';
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
  const countRow = (): void => {
    rows += 1;
  };
  if (path === null) {
    const parts: string[] = [];
    for (const l of metricLines(metrics, runId, format, upToStep)) {
      parts.push(l);
      countRow();
    }
    return { rows: format === 'csv' ? rows - 1 : rows, path: null, content: parts.join('') };
  }
  // The file first: the query's cursor opens only once there is somewhere to write.
  const file = await openNewFile(path);
  const out = file.createWriteStream({ encoding: 'utf8' });
  const lines = metricLines(metrics, runId, format, upToStep);
  try {
    for (const l of lines) {
      countRow();
      if (!out.write(l)) await once(out, 'drain');
    }
    out.end();
    await finished(out);
  } catch (err) {
    lines.return(); // closes the cursor, which would keep the connection busy
    // The file is the export's own (it was created above): a half-written one goes.
    out.destroy();
    await rm(path, { force: true });
    throw refusalFor(path, err) ?? err;
  }
  return { rows: format === 'csv' ? rows - 1 : rows, path, content: null };
}
