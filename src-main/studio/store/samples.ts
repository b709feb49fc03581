// The samples table: text the model generated from the run's sample prompt every N steps.

import type { SampleInfo } from '../../api';
import type { Db } from '../db';
import { nowIso } from './sql-values';

interface SampleRow {
  id: number;
  run_id: number;
  step: number;
  prompt: string;
  text: string;
  created_at: string;
}

export class SamplesRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly listStmt;
  private readonly cutStmt;
  private readonly copyStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare<[number, number, string, string, string]>(
      'INSERT INTO samples (run_id, step, prompt, text, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.getStmt = db.prepare<[number], SampleRow>('SELECT * FROM samples WHERE id = ?');
    this.listStmt = db.prepare<[number, number], SampleRow>(
      'SELECT * FROM (SELECT * FROM samples WHERE run_id = ? ORDER BY step DESC, id DESC LIMIT ?) ORDER BY step, id',
    );
    this.cutStmt = db.prepare<[number, number]>('DELETE FROM samples WHERE run_id = ? AND step > ?');
    this.copyStmt = db.prepare<[number, number, number]>(
      `INSERT INTO samples (run_id, step, prompt, text, created_at)
       SELECT ?, step, prompt, text, created_at FROM samples WHERE run_id = ? AND step <= ? ORDER BY id`,
    );
  }

  insert(runId: number, step: number, prompt: string, text: string): SampleInfo {
    const id = Number(this.insertStmt.run(runId, step, prompt, text, nowIso()).lastInsertRowid);
    return toInfo(this.getStmt.get(id) as SampleRow);
  }

  get(id: number): SampleInfo | null {
    const row = this.getStmt.get(id);
    return row === undefined ? null : toInfo(row);
  }

  /** The latest `limit` samples, oldest first. */
  list(runId: number, limit: number): SampleInfo[] {
    return this.listStmt.all(runId, limit).map(toInfo);
  }

  cutAfter(runId: number, step: number): void {
    this.cutStmt.run(runId, step);
  }

  copyUpTo(fromRunId: number, toRunId: number, step: number): void {
    this.copyStmt.run(toRunId, fromRunId, step);
  }
}

function toInfo(row: SampleRow): SampleInfo {
  return {
    id: row.id,
    runId: row.run_id,
    step: row.step,
    prompt: row.prompt,
    text: row.text,
    createdAt: row.created_at,
  };
}
