// The database opens in WAL mode with foreign keys on, applies every pending migration in one
// transaction, stores its schema version, and refuses a file from a newer app; an explicit native
// addon (the desktop app's, built for Electron) loads, and a bad one fails saying how to build it.

import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseVersionError, NativeBindingError, openDatabase, schemaVersion } from './db';
import type { Db } from './db';
import { MIGRATIONS } from './migrations';
import { defaultSettings, Store } from './store';
import { Studio } from './studio';
import { useTempDir } from '../../src-worker/test-support/temp-dir';
import { WORKER_SCRIPT } from './test-support/fixtures';

/** The addon `npm install` built for Node: loadable here, as Electron's is in the desktop app. */
const NODE_ADDON = resolve('node_modules/better-sqlite3/build/Release/better_sqlite3.node');

const dir = useTempDir('crystalline-db-');
const dbs: Db[] = [];
/** A database path in a folder of its own (a test may want several). */
function freshPath(): string {
  return join(mkdtempSync(join(dir.path, 'db-')), 'studio.db');
}
function track(db: Db): Db {
  dbs.push(db);
  return db;
}

afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
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
    expect(() => openDatabase(path, { migrations: broken })).toThrow(/no_such_table/);
    const db = track(openDatabase(path, { migrations: [] }));
    expect(schemaVersion(db)).toBe(0);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name IN ('runs', 'extra_one')").all()).toEqual(
      [],
    );
  });

  it('refuses a database written by a newer version of the app', () => {
    const path = freshPath();
    track(
      openDatabase(path, { migrations: [...MIGRATIONS, { version: 99, name: 'future', sql: 'SELECT 1;' }] }),
    ).close();
    expect(() => openDatabase(path)).toThrow(DatabaseVersionError);
    expect(() => openDatabase(path)).toThrow(/schema version 99.*newer Crystalline Studio/);
  });
});

/** What `open` threw (the test fails if it threw nothing). */
function thrownBy(open: () => unknown): unknown {
  try {
    open();
  } catch (err) {
    return err;
  }
  throw new Error('it opened');
}

describe('a native binding for better-sqlite3', () => {
  it('opens the store through the addon it names', () => {
    const store = Store.open(freshPath(), defaultSettings(2), { nativeBinding: NODE_ADDON });
    try {
      expect(schemaVersion(store.db)).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
      expect(store.settings.get().maxConcurrentRuns).toBeGreaterThan(0);
    } finally {
      store.close();
    }
  });

  it('fails with a NativeBindingError naming the missing file and how to build it', () => {
    const missing = join(dirname(freshPath()), 'electron-99.0.0-linux-x64', 'better_sqlite3.node');
    const error = thrownBy(() => openDatabase(freshPath(), { nativeBinding: missing }));
    expect(error).toBeInstanceOf(NativeBindingError);
    expect(error).toMatchObject({ path: missing, reason: 'the file does not exist' });
    expect((error as Error).message).toBe(
      `SQLite's native addon (better-sqlite3) cannot be loaded from ${missing}: the file does not exist. ` +
        'It is built for the Electron that runs the app by `npm start`, or by `node scripts/electron-native.mjs`.',
    );
  });

  it('fails with a NativeBindingError for a file that is not a loadable addon', () => {
    const notAddon = join(dirname(freshPath()), 'better_sqlite3.node');
    writeFileSync(notAddon, 'not a shared library');
    // A SQLite extension is a shared library, but not a Node addon.
    const extension = resolve('node_modules/better-sqlite3/build/Release/test_extension.node');
    for (const path of [notAddon, extension]) {
      const error = thrownBy(() => openDatabase(freshPath(), { nativeBinding: path }));
      expect(error).toBeInstanceOf(NativeBindingError);
      expect((error as NativeBindingError).path).toBe(path);
      expect((error as NativeBindingError).reason).not.toBe('');
      expect((error as Error).message).toMatch(
        /\. It is built for the Electron that runs the app by `npm start`/,
      );
    }
  });

  it('reaches the store from Studio.open, which fails before it creates the database', async () => {
    const dataDir = dirname(freshPath());
    const missing = join(dataDir, 'nowhere.node');
    await expect(
      Studio.open({ dataDir, workerScript: WORKER_SCRIPT, nativeBinding: missing }),
    ).rejects.toThrow(NativeBindingError);
    expect(existsSync(join(dataDir, 'studio.db'))).toBe(false);
  });
});
