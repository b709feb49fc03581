// The database opens in WAL mode with foreign keys on, applies every pending migration in one
// transaction, stores its schema version, and refuses a file from a newer app.

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseVersionError, openDatabase, schemaVersion } from './db';
import type { Db } from './db';
import { MIGRATIONS } from './migrations';
import { tempDir } from './test-support/fixtures';

const dirs: { remove: () => void }[] = [];
const dbs: Db[] = [];
function freshPath(): string {
  const dir = tempDir('db');
  dirs.push(dir);
  return join(dir.path, 'studio.db');
}
function track(db: Db): Db {
  dbs.push(db);
  return db;
}

afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const d of dirs.splice(0)) d.remove();
});

describe('openDatabase', () => {
  it('uses WAL and foreign keys and stores the schema version', () => {
    const db = track(openDatabase(freshPath()));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(schemaVersion(db)).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'datasets',
        'runs',
        'metrics',
        'events',
        'checkpoints',
        'histograms',
        'samples',
        'tags',
      ]),
    );
  });

  it('applies nothing twice when reopened', () => {
    const path = freshPath();
    track(openDatabase(path)).close();
    const db = track(openDatabase(path));
    const rows = db.prepare('SELECT version FROM schema_migrations').all();
    expect(rows).toHaveLength(MIGRATIONS.length);
  });

  it('enforces foreign keys', () => {
    const db = track(openDatabase(freshPath()));
    expect(() =>
      db
        .prepare(
          "INSERT INTO events (run_id, step, kind, level, code, message, created_at) VALUES (99, 0, 'alert', 'info', 'x', 'y', 'now')",
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
  });

  it('applies pending migrations in one transaction: a failing one leaves nothing behind', () => {
    const path = freshPath();
    const broken = [
      ...MIGRATIONS,
      { version: 90, name: 'good', sql: 'CREATE TABLE extra_one (x INTEGER);' },
      { version: 91, name: 'bad', sql: 'CREATE TABLE extra_two (x INTEGER); SELECT * FROM no_such_table;' },
    ];
    expect(() => openDatabase(path, broken)).toThrow(/no_such_table/);
    const db = track(openDatabase(path, []));
    expect(schemaVersion(db)).toBe(0);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name IN ('runs', 'extra_one')").all()).toEqual(
      [],
    );
  });

  it('refuses a database written by a newer version of the app', () => {
    const path = freshPath();
    track(openDatabase(path, [...MIGRATIONS, { version: 99, name: 'future', sql: 'SELECT 1;' }])).close();
    expect(() => openDatabase(path)).toThrow(DatabaseVersionError);
    expect(() => openDatabase(path)).toThrow(/schema version 99.*newer Crystalline Studio/);
  });
});
