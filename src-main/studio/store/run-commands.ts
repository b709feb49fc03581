// The run_commands table: pause / resume / stop that a studio sends to the process training a run
// it does not own (a terminal run). That process reads the pending ones between steps and marks
// each done once it took effect; a run that ends marks what is left done with it.

import type { Db } from '../db';
import { nowIso } from './sql-values';

export type RunCommandKind = 'pause' | 'resume' | 'stop';

export interface RunCommand {
  id: number;
  kind: RunCommandKind;
}

export class RunCommandsRepo {
  private readonly sendStmt;
  private readonly pendingStmt;
  private readonly doneStmt;
  private readonly doneAllStmt;
  private readonly isDoneStmt;

  constructor(db: Db) {
    this.sendStmt = db.prepare<[number, RunCommandKind, string]>(
      'INSERT INTO run_commands (run_id, command, created_at) VALUES (?, ?, ?)',
    );
    this.pendingStmt = db.prepare<[number], { id: number; command: RunCommandKind }>(
      'SELECT id, command FROM run_commands WHERE run_id = ? AND done_at IS NULL ORDER BY id',
    );
    this.doneStmt = db.prepare<[string, number]>(
      'UPDATE run_commands SET done_at = ? WHERE id = ? AND done_at IS NULL',
    );
    this.doneAllStmt = db.prepare<[string, number]>(
      'UPDATE run_commands SET done_at = ? WHERE run_id = ? AND done_at IS NULL',
    );
    this.isDoneStmt = db.prepare<[number], { done: number }>(
      'SELECT done_at IS NOT NULL AS done FROM run_commands WHERE id = ?',
    );
  }

  /** Queues a command for the run's process; returns its id. */
  send(runId: number, kind: RunCommandKind): number {
    return Number(this.sendStmt.run(runId, kind, nowIso()).lastInsertRowid);
  }

  /** The run's commands not done yet, oldest first. */
  pending(runId: number): RunCommand[] {
    return this.pendingStmt.all(runId).map((r) => ({ id: r.id, kind: r.command }));
  }

  markDone(id: number): void {
    this.doneStmt.run(nowIso(), id);
  }

  /** The run ended: nothing it was asked is left waiting. */
  markAllDone(runId: number): void {
    this.doneAllStmt.run(nowIso(), runId);
  }

  /** Whether the command took effect; a command whose run was deleted counts as done. */
  isDone(id: number): boolean {
    return this.isDoneStmt.get(id)?.done !== 0;
  }
}
