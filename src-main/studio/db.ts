// Opens the studio's SQLite database (better-sqlite3): WAL, foreign keys on, a busy timeout so the
// studio and a terminal run can share it, and every pending migration applied in one transaction.

import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { MIGRATIONS } from './migrations';
import type { Migration } from './migrations';
import {
  DamagedDatabaseError,
  faultOf,
  inspectDatabase,
  isStorageFault,
  preserveDamaged,
} from './store/integrity';

export type Db = Database.Database;

export interface OpenOptions {
  migrations?: readonly Migration[];
  /**
   * better-sqlite3's native addon to load instead of node_modules' (built for Node): the desktop
   * app run from the repository loads one built for its Electron (scripts/electron-native.mjs).
   */
  nativeBinding?: string;
}

/** The native addon named by `nativeBinding` is missing, built for another runtime, or not SQLite's. */
export class NativeBindingError extends Error {
  override name = 'NativeBindingError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(
      `SQLite's native addon (better-sqlite3) cannot be loaded from ${path}: ${reason}. It is built ` +
        'for the Electron that runs the app by `npm start`, or by `node scripts/electron-native.mjs`.',
    );
  }
}

export class DatabaseVersionError extends Error {
  override name = 'DatabaseVersionError';
  constructor(
    readonly path: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `${path} has schema version ${found}, but this version of the app knows only up to ${known}: it was ` +
        `opened by a newer Crystalline Studio. Update the app, or choose another data folder.`,
    );
  }
}

/**
 * Opens the database after checking it (read-only: see store/integrity.ts). A damaged one is never
 * opened for writing: DamagedDatabaseError names it and the copy made aside.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const { migrations = MIGRATIONS, nativeBinding } = options;
  const binding = nativeBinding === undefined ? undefined : checkedBinding(nativeBinding);
  const found = inspectDatabase(path, { nativeBinding: binding });
  if (found !== null) throw new DamagedDatabaseError(preserveDamaged(path, found));
  let db: Db;
  try {
    db = binding === undefined ? new Database(path) : new Database(path, { nativeBinding: binding });
  } catch (err) {
    if (isStorageFault(err)) throw new DamagedDatabaseError(preserveDamaged(path, faultOf(err)));
    throw err;
  }
  try {
    db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL loses no committed transaction when the process dies, only on power loss.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, path, migrations);
    return db;
  } catch (err) {
    db.close();
    if (isStorageFault(err)) throw new DamagedDatabaseError(preserveDamaged(path, faultOf(err)));
    throw err;
  }
}

/**
 * The addon's absolute path once it is known to load and to be better-sqlite3's, so that a bad one
 * fails with a NativeBindingError rather than whatever require() or better-sqlite3 would throw.
 */
function checkedBinding(path: string): string {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new NativeBindingError(absolute, 'the file does not exist');
  let addon: unknown;
  try {
    // The same absolute path better-sqlite3 then requires: it gets this module from the cache.
    addon = createRequire(import.meta.url)(absolute);
  } catch (err) {
    // Node's ABI message goes on to suggest `npm rebuild`, which would rebuild node_modules' addon.
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new NativeBindingError(
      absolute,
      message.replace(/ Please try re-compiling.*$/, '').replace(/\.+$/, ''),
    );
  }
  const database = (addon as { Database?: unknown } | null)?.Database;
  if (typeof database !== 'function') {
    throw new NativeBindingError(
      absolute,
      'it loads, but it is not better-sqlite3 (it has no Database class)',
    );
  }
  return absolute;
}

/** The schema version stored in the database (0 for a new file). */
export function schemaVersion(db: Db): number {
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (table === undefined) return 0;
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as {
    version: number | null;
  };
  return row.version ?? 0;
}

function migrate(db: Db, path: string, migrations: readonly Migration[]): void {
  const known = migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
  const apply = db.transaction(() => {
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    const current = schemaVersion(db);
    if (current > known) throw new DatabaseVersionError(path, current, known);
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
    }
  });
  // IMMEDIATE: two processes opening a new file do not both try to create the schema.
  apply.immediate();
}
