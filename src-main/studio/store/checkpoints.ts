// The checkpoints table: every checkpoint file a run's worker wrote and verified, with what the
// retention policy and the UI need (step, size, checksum, validation loss, best flag).

import type { CheckpointInfo } from '../../api';
import type { WrittenCheckpoint } from '../../../src-worker/protocol';
import { bestCheckpoint } from '../../../src-worker/train/retention';
import type { Db } from '../db';
import { bit, finiteOrNull, nowIso } from './sql-values';

/** A checkpoint file to record (as its worker wrote it, or as recovery found it), its run and why. */
export interface NewCheckpoint extends WrittenCheckpoint {
  runId: number;
  trigger: string;
}

interface CheckpointRow {
  id: number;
  run_id: number;
  path: string;
  step: number;
  sha256: string;
  bytes: number;
  val_loss: number | null;
  finite: 0 | 1;
  best: 0 | 1;
  trigger: string;
  created_at: string;
}

export class CheckpointsRepo {
  private readonly upsertStmt;
  private readonly getStmt;
  private readonly byPathStmt;
  private readonly listStmt;
  private readonly deleteStmt;
  private readonly deletePathStmt;
  private readonly clearBestStmt;
  private readonly setBestStmt;
  private readonly queuedUsersStmt;

  constructor(db: Db) {
    // A file rewritten at the same path (same step) replaces its row, keeping the row's id.
    this.upsertStmt = db.prepare(
      `INSERT INTO checkpoints (run_id, path, step, sha256, bytes, val_loss, finite, trigger, created_at)
       VALUES (@runId, @path, @step, @sha256, @bytes, @valLoss, @finite, @trigger, @createdAt)
       ON CONFLICT (path) DO UPDATE SET run_id = excluded.run_id, step = excluded.step,
         sha256 = excluded.sha256, bytes = excluded.bytes, val_loss = excluded.val_loss,
         finite = excluded.finite, trigger = excluded.trigger, created_at = excluded.created_at`,
    );
    this.getStmt = db.prepare<[number], CheckpointRow>('SELECT * FROM checkpoints WHERE id = ?');
    this.byPathStmt = db.prepare<[string], CheckpointRow>('SELECT * FROM checkpoints WHERE path = ?');
    this.listStmt = db.prepare<[number], CheckpointRow>(
      'SELECT * FROM checkpoints WHERE run_id = ? ORDER BY step, id',
    );
    this.deleteStmt = db.prepare<[number]>('DELETE FROM checkpoints WHERE id = ?');
    this.deletePathStmt = db.prepare<[string]>('DELETE FROM checkpoints WHERE path = ?');
    this.clearBestStmt = db.prepare<[number]>(
      'UPDATE checkpoints SET best = 0 WHERE run_id = ? AND best = 1',
    );
    this.setBestStmt = db.prepare<[number]>('UPDATE checkpoints SET best = 1 WHERE id = ?');
    this.queuedUsersStmt = db.prepare<[number], { name: string }>(
      `SELECT name FROM runs WHERE resume_checkpoint_id = ? AND status = 'queued'`,
    );
  }

  /** Records a checkpoint (or updates the row of its path) and recomputes the run's best. */
  record(c: NewCheckpoint): CheckpointInfo {
    this.upsertStmt.run({
      ...c,
      valLoss: finiteOrNull(c.valLoss),
      finite: bit(c.finite),
      createdAt: nowIso(),
    });
    this.refreshBest(c.runId);
    return toInfo(this.byPathStmt.get(c.path) as CheckpointRow);
  }

  get(id: number): CheckpointInfo | null {
    const row = this.getStmt.get(id);
    return row === undefined ? null : toInfo(row);
  }

  byPath(path: string): CheckpointInfo | null {
    const row = this.byPathStmt.get(path);
    return row === undefined ? null : toInfo(row);
  }

  list(runId: number): CheckpointInfo[] {
    return this.listStmt.all(runId).map(toInfo);
  }

  /** The newest checkpoint with finite weights: where an interrupted run resumes. */
  latestGood(runId: number): CheckpointInfo | null {
    const good = this.list(runId).filter((c) => c.finite);
    return good.length === 0 ? null : good[good.length - 1];
  }

  delete(id: number, runId: number): void {
    this.deleteStmt.run(id);
    this.refreshBest(runId);
  }

  deletePath(path: string, runId: number): void {
    this.deletePathStmt.run(path);
    this.refreshBest(runId);
  }

  /** Names of queued runs that will start from this checkpoint. */
  queuedUsers(id: number): string[] {
    return this.queuedUsersStmt.all(id).map((r) => r.name);
  }

  /** The best flag follows the retention module's rule: lowest finite validation loss. */
  private refreshBest(runId: number): void {
    this.clearBestStmt.run(runId);
    const best = bestCheckpoint(
      this.list(runId).map((c) => ({ ...c, id: String(c.id), pinned: false, checkpointId: c.id })),
    );
    if (best !== null) this.setBestStmt.run(best.checkpointId);
  }
}

function toInfo(row: CheckpointRow): CheckpointInfo {
  return {
    id: row.id,
    runId: row.run_id,
    path: row.path,
    step: row.step,
    bytes: row.bytes,
    sha256: row.sha256,
    valLoss: row.val_loss,
    finite: row.finite === 1,
    best: row.best === 1,
    pinned: false, // pins live in the run folder; the studio reads them when it lists checkpoints
    trigger: row.trigger,
    createdAt: row.created_at,
  };
}
