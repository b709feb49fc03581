// Test support: real damage to a SQLite file. A b-tree page of a table is found with SQLite's
// dbstat table and half of it (from its cell pointers on) is overwritten, as a bad sector would.

import Database from 'better-sqlite3';
import { closeSync, openSync, writeSync } from 'node:fs';

/** Overwrites one leaf page of `table` in the database at `path`; returns the page number. */
export function damagePageOf(path: string, table: string): number {
  const db = new Database(path, { readonly: true });
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db
    .prepare("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno")
    .pluck()
    .all(table) as number[];
  db.close();
  if (pages.length === 0) throw new Error(`${path} has no leaf page of ${table}`);
  const page = pages[Math.floor(pages.length / 2)];
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.alloc(pageSize / 2, 0xa5), 0, pageSize / 2, (page - 1) * pageSize + 8);
  } finally {
    closeSync(fd);
  }
  return page;
}
