// The histograms table: gradient and weight histograms of a run every N steps, bins as blobs.

import type { HistogramInfo } from '../../api';
import type { HistogramSnapshot } from '../../../src-worker/metrics/gradient-stats';
import type { Db } from '../db';
import { finiteOrNull } from './sql-values';

interface HistogramRow {
  run_id: number;
  step: number;
  kind: HistogramInfo['kind'];
  counts: Buffer;
  edges: Buffer;
  min: number | null;
  max: number | null;
  nan: number;
  pos_inf: number;
  neg_inf: number;
}

export class HistogramsRepo {
  private readonly insertStmt;
  private readonly stepsStmt;
  private readonly atStmt;
  private readonly cutStmt;
  private readonly copyStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT OR REPLACE INTO histograms (run_id, step, kind, counts, edges, min, max, nan, pos_inf, neg_inf)
       VALUES (@runId, @step, @kind, @counts, @edges, @min, @max, @nan, @posInf, @negInf)`,
    );
    this.stepsStmt = db.prepare<[number, string], { step: number }>(
      'SELECT step FROM histograms WHERE run_id = ? AND kind = ? ORDER BY step',
    );
    this.atStmt = db.prepare<[number, string, number], HistogramRow>(
      'SELECT * FROM histograms WHERE run_id = ? AND kind = ? AND step <= ? ORDER BY step DESC LIMIT 1',
    );
    this.cutStmt = db.prepare<[number, number]>('DELETE FROM histograms WHERE run_id = ? AND step > ?');
    this.copyStmt = db.prepare<[number, number, number]>(
      `INSERT OR REPLACE INTO histograms (run_id, step, kind, counts, edges, min, max, nan, pos_inf, neg_inf)
       SELECT ?, step, kind, counts, edges, min, max, nan, pos_inf, neg_inf FROM histograms
       WHERE run_id = ? AND step <= ?`,
    );
  }

  insert(runId: number, step: number, kind: HistogramInfo['kind'], h: HistogramSnapshot): void {
    this.insertStmt.run({
      runId,
      step,
      kind,
      counts: Buffer.from(new Uint32Array(h.counts).buffer),
      edges: Buffer.from(new Float64Array(h.edges).buffer),
      min: finiteOrNull(h.min),
      max: finiteOrNull(h.max),
      nan: h.nan,
      posInf: h.posInf,
      negInf: h.negInf,
    });
  }

  steps(runId: number, kind: HistogramInfo['kind']): number[] {
    return this.stepsStmt.all(runId, kind).map((r) => r.step);
  }

  /** The last histogram at or before `step`. */
  at(runId: number, kind: HistogramInfo['kind'], step: number): HistogramInfo | null {
    const row = this.atStmt.get(runId, kind, step);
    if (row === undefined) return null;
    return {
      runId: row.run_id,
      step: row.step,
      kind: row.kind,
      counts: Array.from(new Uint32Array(copyOf(row.counts))),
      edges: Array.from(new Float64Array(copyOf(row.edges))),
      min: row.min,
      max: row.max,
      nan: row.nan,
      posInf: row.pos_inf,
      negInf: row.neg_inf,
    };
  }

  cutAfter(runId: number, step: number): void {
    this.cutStmt.run(runId, step);
  }

  copyUpTo(fromRunId: number, toRunId: number, step: number): void {
    this.copyStmt.run(toRunId, fromRunId, step);
  }
}

/** A Buffer's bytes in an ArrayBuffer of their own (a Buffer may sit unaligned in a shared pool). */
function copyOf(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
