// Metric points: one series per (run, key), points keyed by step. Charts ask for a bounded number
// of points: a long series is cut into step buckets and each bucket keeps its lowest and highest
// point, found in SQL, so a spike survives and a million-point run is never shipped whole.

import type { MetricKeyInfo, MetricPoint, MetricSeries } from '../../api';
import type { Db } from '../db';
import { finiteOrNull } from './sql-values';

export interface NewPoint {
  key: string;
  step: number;
  value: number; // stored as NULL when not finite
}

export interface ExportRow {
  key: string;
  step: number;
  value: number | null;
}

interface Range {
  series: number;
  from: number;
  to: number;
}

export class MetricsRepo {
  /** `${runId}/${key}` → series id. Run ids are never reused (AUTOINCREMENT), so entries stay true. */
  private readonly seriesIds = new Map<string, number>();
  private readonly upsertSeriesStmt;
  private readonly seriesIdStmt;
  private readonly insertStmt;
  private readonly keysStmt;
  private readonly rangeStmt;
  private readonly allStmt;
  private readonly minStmt;
  private readonly maxStmt;
  private readonly exportStmt;
  private readonly cutStmt;
  private readonly lastStmt;
  private readonly minValueStmt;
  private readonly copySeriesStmt;
  private readonly copyPointsStmt;

  constructor(db: Db) {
    this.upsertSeriesStmt = db.prepare<[number, string]>(
      'INSERT INTO metric_series (run_id, key) VALUES (?, ?) ON CONFLICT (run_id, key) DO NOTHING',
    );
    this.seriesIdStmt = db.prepare<[number, string], { id: number }>(
      'SELECT id FROM metric_series WHERE run_id = ? AND key = ?',
    );
    this.insertStmt = db.prepare<[number, number, number | null]>(
      'INSERT OR REPLACE INTO metrics (series_id, step, value) VALUES (?, ?, ?)',
    );
    this.keysStmt = db.prepare<[number], MetricKeyInfo>(
      `SELECT s.key AS key, COUNT(m.step) AS points, COALESCE(MIN(m.step), 0) AS firstStep,
         COALESCE(MAX(m.step), 0) AS lastStep
       FROM metric_series s LEFT JOIN metrics m ON m.series_id = s.id
       WHERE s.run_id = ? GROUP BY s.id ORDER BY s.key`,
    );
    this.rangeStmt = db.prepare<[Range], { n: number; lo: number | null; hi: number | null }>(
      `SELECT COUNT(*) AS n, MIN(step) AS lo, MAX(step) AS hi FROM metrics
       WHERE series_id = @series AND step BETWEEN @from AND @to AND value IS NOT NULL`,
    );
    this.allStmt = db.prepare<[Range], MetricPoint>(
      `SELECT step, value FROM metrics
       WHERE series_id = @series AND step BETWEEN @from AND @to AND value IS NOT NULL ORDER BY step`,
    );
    // One query per bucket and extreme: each reads only its step range through the primary key, and
    // with a single MIN() or MAX() SQLite takes `step` from the row holding that extreme. (One
    // GROUP BY over the whole range sorts every point and measured three times slower.)
    const inBucket = 'series_id = ? AND step >= ? AND step < ? AND value IS NOT NULL';
    this.minStmt = db.prepare<[number, number, number], { step: number | null; value: number | null }>(
      `SELECT step, MIN(value) AS value FROM metrics WHERE ${inBucket}`,
    );
    this.maxStmt = db.prepare<[number, number, number], { step: number | null; value: number | null }>(
      `SELECT step, MAX(value) AS value FROM metrics WHERE ${inBucket}`,
    );
    this.exportStmt = db.prepare<[number], ExportRow>(
      `SELECT s.key AS key, m.step AS step, m.value AS value FROM metrics m
       JOIN metric_series s ON s.id = m.series_id WHERE s.run_id = ? ORDER BY m.step, s.key`,
    );
    this.cutStmt = db.prepare<[number, number]>(
      'DELETE FROM metrics WHERE series_id IN (SELECT id FROM metric_series WHERE run_id = ?) AND step > ?',
    );
    this.lastStmt = db.prepare<[number, string, number], { value: number }>(
      `SELECT m.value AS value FROM metrics m JOIN metric_series s ON s.id = m.series_id
       WHERE s.run_id = ? AND s.key = ? AND m.step <= ? AND m.value IS NOT NULL ORDER BY m.step DESC LIMIT 1`,
    );
    this.minValueStmt = db.prepare<[number, string, number], { value: number | null }>(
      `SELECT MIN(m.value) AS value FROM metrics m JOIN metric_series s ON s.id = m.series_id
       WHERE s.run_id = ? AND s.key = ? AND m.step <= ?`,
    );
    this.copySeriesStmt = db.prepare<[number, number]>(
      `INSERT INTO metric_series (run_id, key) SELECT ?, key FROM metric_series WHERE run_id = ?
       ON CONFLICT (run_id, key) DO NOTHING`,
    );
    this.copyPointsStmt = db.prepare<{ from: number; to: number; step: number }>(
      `INSERT OR REPLACE INTO metrics (series_id, step, value)
       SELECT dst.id, m.step, m.value FROM metrics m
       JOIN metric_series src ON src.id = m.series_id
       JOIN metric_series dst ON dst.run_id = @to AND dst.key = src.key
       WHERE src.run_id = @from AND m.step <= @step`,
    );
  }

  /** Adds points; call inside a transaction so a batch is written at once. */
  insert(runId: number, points: readonly NewPoint[]): void {
    for (const p of points) this.insertStmt.run(this.seriesId(runId, p.key), p.step, finiteOrNull(p.value));
  }

  keys(runId: number): MetricKeyInfo[] {
    return this.keysStmt.all(runId);
  }

  /**
   * The series' finite points in [fromStep, toStep], at most `maxPoints` of them: all of them when
   * they fit, else ⌊maxPoints/2⌋ step buckets, each giving its minimum and its maximum.
   */
  series(
    runId: number,
    key: string,
    maxPoints: number,
    fromStep = 0,
    toStep = Number.MAX_SAFE_INTEGER,
  ): MetricSeries {
    const id = this.existingSeriesId(runId, key);
    const empty: MetricSeries = { runId, key, total: 0, downsampled: false, points: [] };
    if (id === null) return empty;
    const { n, lo, hi } = this.rangeStmt.get({ series: id, from: fromStep, to: toStep }) as {
      n: number;
      lo: number | null;
      hi: number | null;
    };
    if (n === 0 || lo === null || hi === null) return empty;
    if (n <= maxPoints) {
      return {
        runId,
        key,
        total: n,
        downsampled: false,
        points: this.allStmt.all({ series: id, from: lo, to: hi }),
      };
    }
    const buckets = Math.floor(maxPoints / 2);
    const span = hi - lo + 1;
    const points: MetricPoint[] = [];
    for (let b = 0; b < buckets; b++) {
      const start = lo + Math.floor((b * span) / buckets);
      const end = lo + Math.floor(((b + 1) * span) / buckets);
      if (end <= start) continue;
      const low = this.minStmt.get(id, start, end);
      const high = this.maxStmt.get(id, start, end);
      if (low === undefined || high === undefined || low.step === null || high.step === null) continue;
      const [first, second] = low.step <= high.step ? [low, high] : [high, low];
      points.push({ step: first.step as number, value: first.value as number });
      if (second.step !== first.step)
        points.push({ step: second.step as number, value: second.value as number });
    }
    return { runId, key, total: n, downsampled: true, points };
  }

  /** Every point of a run (non-finite ones as null), by step then key, for export. */
  exportRows(runId: number): IterableIterator<ExportRow> {
    return this.exportStmt.iterate(runId);
  }

  /** Deletes the points after `step` (resuming from an older checkpoint). */
  cutAfter(runId: number, step: number): void {
    this.cutStmt.run(runId, step);
  }

  /** The last finite value of a series at or before `step`. */
  lastValue(runId: number, key: string, step: number): number | null {
    return this.lastStmt.get(runId, key, step)?.value ?? null;
  }

  /** The lowest finite value of a series at or before `step`. */
  minValue(runId: number, key: string, step: number): number | null {
    return this.minValueStmt.get(runId, key, step)?.value ?? null;
  }

  /** Copies a run's points up to `step` into another run (a fork). */
  copyUpTo(fromRunId: number, toRunId: number, step: number): void {
    this.copySeriesStmt.run(toRunId, fromRunId);
    this.copyPointsStmt.run({ from: fromRunId, to: toRunId, step });
  }

  private seriesId(runId: number, key: string): number {
    const cacheKey = `${runId}/${key}`;
    const cached = this.seriesIds.get(cacheKey);
    if (cached !== undefined) return cached;
    this.upsertSeriesStmt.run(runId, key);
    const id = (this.seriesIdStmt.get(runId, key) as { id: number }).id;
    this.seriesIds.set(cacheKey, id);
    return id;
  }

  private existingSeriesId(runId: number, key: string): number | null {
    return this.seriesIds.get(`${runId}/${key}`) ?? this.seriesIdStmt.get(runId, key)?.id ?? null;
  }
}
