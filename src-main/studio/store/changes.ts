// What changed in the database since a studio last looked: the cheap questions ExternalRuns asks
// a few times a second to notice rows another process (a terminal run) committed. SQLite's
// data_version moves only when another connection commits, so an idle or self-written database
// costs one pragma per look.

import type { EventInfo } from '../../api';
import type { Db } from '../db';
import { eventInfo } from './events';
import type { EventRow } from './events';

/** What a run's row says, enough to tell whether it changed and who holds it. */
export interface RunStamp {
  id: number;
  updatedAt: string;
  ownerPid: number | null;
}

/** The newest row id of each table that only grows by insertion (0 when empty). */
export interface RowCursors {
  event: number;
  checkpoint: number;
  sample: number;
}

export interface StoredPoint {
  key: string;
  step: number;
  value: number | null;
}

export class ChangesRepo {
  private readonly stampsStmt;
  private readonly cursorsStmt;
  private readonly eventsStmt;
  private readonly checkpointsStmt;
  private readonly samplesStmt;
  private readonly pointsStmt;

  constructor(private readonly db: Db) {
    this.stampsStmt = db.prepare<[], { id: number; updated_at: string; owner_pid: number | null }>(
      'SELECT id, updated_at, owner_pid FROM runs',
    );
    this.cursorsStmt = db.prepare<[], RowCursors>(
      `SELECT COALESCE((SELECT MAX(id) FROM events), 0) AS event,
              COALESCE((SELECT MAX(id) FROM checkpoints), 0) AS checkpoint,
              COALESCE((SELECT MAX(id) FROM samples), 0) AS sample`,
    );
    this.eventsStmt = db.prepare<[number], EventRow>('SELECT * FROM events WHERE id > ? ORDER BY id');
    this.checkpointsStmt = db.prepare<[number], { id: number; run_id: number }>(
      'SELECT id, run_id FROM checkpoints WHERE id > ? ORDER BY id',
    );
    this.samplesStmt = db.prepare<[number], { id: number; run_id: number }>(
      'SELECT id, run_id FROM samples WHERE id > ? ORDER BY id',
    );
    this.pointsStmt = db.prepare<[number, number], StoredPoint>(
      `SELECT s.key AS key, m.step AS step, m.value AS value
       FROM metric_series s JOIN metrics m ON m.series_id = s.id
       WHERE s.run_id = ? AND m.step >= ? ORDER BY m.step, s.key`,
    );
  }

  /** Moves when another connection commits (never for this connection's own writes). */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  runStamps(): RunStamp[] {
    return this.stampsStmt.all().map((r) => ({ id: r.id, updatedAt: r.updated_at, ownerPid: r.owner_pid }));
  }

  cursors(): RowCursors {
    return this.cursorsStmt.get() as RowCursors;
  }

  eventsAfter(id: number): EventInfo[] {
    return this.eventsStmt.all(id).map(eventInfo);
  }

  checkpointsAfter(id: number): { id: number; runId: number }[] {
    return this.checkpointsStmt.all(id).map((r) => ({ id: r.id, runId: r.run_id }));
  }

  samplesAfter(id: number): { id: number; runId: number }[] {
    return this.samplesStmt.all(id).map((r) => ({ id: r.id, runId: r.run_id }));
  }

  /** A run's points at `step` and after, by step. */
  pointsFrom(runId: number, step: number): StoredPoint[] {
    return this.pointsStmt.all(runId, step);
  }
}
