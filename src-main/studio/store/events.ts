// The events table: a run's lifecycle (started, paused, stopped, failed, …), its alerts, and its
// evaluations' details (the confusion matrix), each at the step it happened.

import type { EventInfo } from '../../api';
import type { Db } from '../db';
import { nowIso } from './sql-values';

export interface NewEvent {
  step: number;
  kind: EventInfo['kind'];
  level: EventInfo['level'];
  code: string;
  message: string;
  data?: unknown;
}

/** An events row as SQLite returns it (ChangesRepo reads the same rows). */
export interface EventRow {
  id: number;
  run_id: number;
  step: number;
  kind: EventInfo['kind'];
  level: EventInfo['level'];
  code: string;
  message: string;
  data: string | null;
  created_at: string;
}

export class EventsRepo {
  private readonly insertStmt;
  private readonly listStmt;
  private readonly cutStmt;
  private readonly copyStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO events (run_id, step, kind, level, code, message, data, created_at)
       VALUES (@runId, @step, @kind, @level, @code, @message, @data, @createdAt)`,
    );
    this.listStmt = db.prepare<{ runId: number; kinds: string | null; limit: number }, EventRow>(
      `SELECT * FROM (SELECT * FROM events WHERE run_id = @runId
         AND (@kinds IS NULL OR kind IN (SELECT value FROM json_each(@kinds)))
         ORDER BY id DESC LIMIT @limit) ORDER BY id`,
    );
    this.cutStmt = db.prepare<[number, number]>('DELETE FROM events WHERE run_id = ? AND step > ?');
    this.copyStmt = db.prepare<[number, number, number]>(
      `INSERT INTO events (run_id, step, kind, level, code, message, data, created_at)
       SELECT ?, step, kind, level, code, message, data, created_at FROM events
       WHERE run_id = ? AND step <= ? ORDER BY id`,
    );
  }

  insert(runId: number, e: NewEvent): void {
    this.insertStmt.run({
      runId,
      step: e.step,
      kind: e.kind,
      level: e.level,
      code: e.code,
      message: e.message,
      data: e.data === undefined ? null : JSON.stringify(e.data),
      createdAt: nowIso(),
    });
  }

  /** The latest `limit` events of the given kinds, oldest first. */
  list(runId: number, kinds: readonly EventInfo['kind'][] | undefined, limit: number): EventInfo[] {
    return this.listStmt
      .all({ runId, kinds: kinds === undefined ? null : JSON.stringify(kinds), limit })
      .map(eventInfo);
  }

  cutAfter(runId: number, step: number): void {
    this.cutStmt.run(runId, step);
  }

  copyUpTo(fromRunId: number, toRunId: number, step: number): void {
    this.copyStmt.run(toRunId, fromRunId, step);
  }
}

export function eventInfo(row: EventRow): EventInfo {
  return {
    id: row.id,
    runId: row.run_id,
    step: row.step,
    kind: row.kind,
    level: row.level,
    code: row.code,
    message: row.message,
    data: row.data === null ? null : (JSON.parse(row.data) as unknown),
    createdAt: row.created_at,
  };
}
