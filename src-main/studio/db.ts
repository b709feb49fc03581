// Opens the studio's SQLite database (better-sqlite3): WAL, foreign keys on, a busy timeout so the
// studio and a terminal run can share it, and every pending migration applied in one transaction.

import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations';
import type { Migration } from './migrations';

export type Db = Database.Database;

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

export function openDatabase(path: string, migrations: readonly Migration[] = MIGRATIONS): Db {
  const db = new Database(path);
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
    throw err;
  }
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
