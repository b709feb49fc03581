// A run's metrics as a table: one row per step, one column per metric key (empty where a key has
// no finite value at that step), as CSV or as JSON lines. The one writer of metrics tables: the
// studio's export (from its database) and the CLI's metrics.csv (as training goes) both use it.

export type MetricsFormat = 'csv' | 'jsonl';

/** A table's first line: the CSV header (JSON lines have none). */
export function tableHeader(keys: readonly string[], format: MetricsFormat): string {
  return format === 'csv' ? ['step', ...keys].join(',') + '\n' : '';
}

/** One step's row; `values` holds a value (or null) per key, in the keys' order. */
export function tableRow(
  step: number,
  keys: readonly string[],
  values: readonly (number | null | undefined)[],
  format: MetricsFormat,
): string {
  const cell = (v: number | null | undefined): number | null =>
    v === null || v === undefined || !Number.isFinite(v) ? null : v;
  if (format === 'csv') return [step, ...keys.map((_, i) => cell(values[i]) ?? '')].join(',') + '\n';
  const record: Record<string, number | null> = { step };
  keys.forEach((key, i) => {
    if (values[i] !== undefined) record[key] = cell(values[i]);
  });
  return JSON.stringify(record) + '\n';
}

/** The lines of the table for `points` ordered by step (header first for CSV), up to `upToStep`. */
export function* tableLines(
  keys: readonly string[],
  points: Iterable<{ step: number; key: string; value: number | null }>,
  format: MetricsFormat,
  upToStep = Number.MAX_SAFE_INTEGER,
): Generator<string, void, void> {
  const column = new Map(keys.map((key, i) => [key, i]));
  const header = tableHeader(keys, format);
  if (header !== '') yield header;
  let step = -1;
  let row: (number | null)[] = [];
  for (const p of points) {
    if (p.step > upToStep) break;
    if (p.step !== step) {
      if (step >= 0) yield tableRow(step, keys, row, format);
      step = p.step;
      row = new Array<number | null>(keys.length);
    }
    const i = column.get(p.key);
    if (i !== undefined) row[i] = p.value;
  }
  if (step >= 0) yield tableRow(step, keys, row, format);
}
