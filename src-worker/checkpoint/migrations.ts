// Upgrades of the stored header JSON from older format versions to the current one, one step at a
// time, so the loader reads every checkpoint an earlier app wrote.
//
// Adding format version N+1 whose header changes (a field renamed, a state added with a default):
//   1. raise FORMAT_VERSION in format.ts to N+1 and change the types there;
//   2. add `N: (stored) => …` below, turning a version-N document into a version-N+1 one;
//   3. commit a version-N+1 fixture beside the existing ones with its generator script.
// The frame (magic, version, header length, 64-aligned data, checksums, end marker) is shared by
// all versions; a change to the frame itself also needs a branch in read.ts.

import { isJsonObject, type JsonObject } from './json';

/** `migrations[v]` turns the stored JSON of version v into that of version v + 1. */
export type MigrationTable = Readonly<Record<number, (stored: JsonObject) => JsonObject>>;

// Version 1 is the first format; nothing older exists to migrate.
export const MIGRATIONS: MigrationTable = {};

/**
 * Applies migrations `from` → `to` in order. Throws an Error naming the missing step when the
 * table has a gap (a programming error: every version below FORMAT_VERSION needs a migration).
 */
export function applyMigrations(
  stored: JsonObject,
  from: number,
  to: number,
  table: MigrationTable = MIGRATIONS,
): JsonObject {
  let doc = stored;
  for (let v = from; v < to; v++) {
    const step = table[v];
    if (step === undefined) throw new Error(`no migration from checkpoint format version ${v} to ${v + 1}`);
    const next = step(doc);
    if (!isJsonObject(next)) throw new Error(`migration from version ${v} did not return an object`);
    doc = next;
  }
  return doc;
}
