// Tags: names shared between runs (case-insensitive), attached through run_tags.

import type { Db } from '../db';

export class TagsRepo {
  private readonly upsertStmt;
  private readonly idStmt;
  private readonly clearStmt;
  private readonly attachStmt;
  private readonly listStmt;
  private readonly pruneStmt;

  constructor(private readonly db: Db) {
    this.upsertStmt = db.prepare<[string]>(
      'INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING',
    );
    this.idStmt = db.prepare<[string], { id: number }>('SELECT id FROM tags WHERE name = ?');
    this.clearStmt = db.prepare<[number]>('DELETE FROM run_tags WHERE run_id = ?');
    this.attachStmt = db.prepare<[number, number]>(
      'INSERT OR IGNORE INTO run_tags (run_id, tag_id) VALUES (?, ?)',
    );
    this.listStmt = db.prepare<[], { name: string; runs: number }>(
      `SELECT t.name AS name, COUNT(rt.run_id) AS runs FROM tags t JOIN run_tags rt ON rt.tag_id = t.id
       GROUP BY t.id ORDER BY t.name`,
    );
    this.pruneStmt = db.prepare('DELETE FROM tags WHERE id NOT IN (SELECT tag_id FROM run_tags)');
  }

  /** Replaces the run's tags, in one transaction; tags no run uses any more are removed. */
  set(runId: number, names: readonly string[]): void {
    this.db.transaction(() => {
      this.clearStmt.run(runId);
      for (const name of names) {
        this.upsertStmt.run(name);
        this.attachStmt.run(runId, (this.idStmt.get(name) as { id: number }).id);
      }
      this.pruneStmt.run();
    })();
  }

  list(): { name: string; runs: number }[] {
    return this.listStmt.all();
  }
}
