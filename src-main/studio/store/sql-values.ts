// Conversions at the database boundary: SQLite has no NaN or Infinity worth keeping (NaN is stored
// as NULL anyway), so a non-finite number is NULL; booleans are 0/1; times are ISO-8601 text.

export const finiteOrNull = (x: number | null | undefined): number | null =>
  typeof x === 'number' && Number.isFinite(x) ? x : null;

export const bit = (b: boolean): 0 | 1 => (b ? 1 : 0);

export const nowIso = (): string => new Date().toISOString();

/** Parses a JSON column written by this module. */
export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}
