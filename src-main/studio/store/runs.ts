// The runs table: a run's config, where it is in its life (status, step, queue position, the
// checkpoint it starts from), its headline numbers, and the process training it.

import type { ProgressInfo, RunConfig, RunFilter, RunStatus, RunSummary } from '../../api';
import type { RunSpec } from '../../../src-worker/train/setup';
import type { Db } from '../db';
import { specFor } from '../run-config';
import type { DatasetPlace } from '../run-config';
import type { ProcessIdentity } from '../process-identity';
import { finiteOrNull, nowIso, parseJson } from './sql-values';

export interface RunRecord extends RunSummary {
  config: RunConfig | null;
  /** What the engine trains: derived from the config and dataset, or as stored for a run without them. */
  spec: RunSpec;
  dir: string;
  errorStack: string | null;
  notes: string;
  queueSeq: number | null;
  resumeCheckpointId: number | null;
  /** The process training it while it is active (see process-identity.ts). */
  owner: ProcessIdentity | null;
  /** Its last progress report, kept so a studio that does not train it can show it. */
  lastProgress: ProgressInfo | null;
}

export interface NewRun {
  name: string;
  origin: 'studio' | 'cli';
  datasetId: number | null;
  config: RunConfig | null;
  /** Stored only for a run without a config or dataset; otherwise derived from them when read. */
  spec: RunSpec;
  dir: string; // may hold `{id}`, replaced by the new run's id
  totalSteps: number;
  parentRunId: number | null;
  forkedAtStep: number | null;
}

/** How a run's status changes: the fields not given keep their value. */
export interface StatusChange {
  status: RunStatus;
  message?: string | null;
  stopReason?: string | null;
  errorStack?: string | null;
  owner?: ProcessIdentity | null;
  started?: boolean; // sets started_at to now
  finished?: boolean; // sets finished_at to now
}

interface RunRow {
  id: number;
  name: string;
  origin: 'studio' | 'cli';
  dataset_id: number | null;
  dataset_name: string | null;
  dataset_dir: string | null;
  dataset_tokenizer: string | null;
  config: string | null;
  spec: string | null;
  dir: string;
  status: RunStatus;
  status_message: string | null;
  stop_reason: string | null;
  error_stack: string | null;
  step: number;
  total_steps: number;
  tokens_seen: number;
  best_val_loss: number | null;
  last_val_loss: number | null;
  last_train_loss: number | null;
  last_tokens_per_second: number | null;
  notes: string;
  parent_run_id: number | null;
  forked_at_step: number | null;
  queue_seq: number | null;
  resume_checkpoint_id: number | null;
  owner_pid: number | null;
  owner_start: string | null;
  last_progress: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
  tags: string;
}

const SELECT = `
  SELECT r.*, d.name AS dataset_name, d.dir AS dataset_dir, d.tokenizer AS dataset_tokenizer,
    (SELECT json_group_array(name) FROM (SELECT t.name FROM run_tags rt JOIN tags t ON t.id = rt.tag_id
       WHERE rt.run_id = r.id ORDER BY t.name)) AS tags
  FROM runs r LEFT JOIN datasets d ON d.id = r.dataset_id`;

interface ListParams {
  status: string | null;
  tag: string | null;
  datasetId: number | null;
  origin: string | null;
  search: string | null;
  limit: number;
  offset: number;
}

export class RunsRepo {
  private readonly insertStmt;
  private readonly setDirStmt;
  private readonly getStmt;
  private readonly listStmt;
  private readonly byStatusStmt;
  private readonly statusStmt;
  private readonly progressStmt;
  private readonly evalStmt;
  private readonly stepStmt;
  private readonly resetStmt;
  private readonly enqueueStmt;
  private readonly nextQueuedStmt;
  private readonly renameStmt;
  private readonly notesStmt;
  private readonly configStmt;
  private readonly deleteStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO runs (name, origin, dataset_id, config, spec, dir, status, total_steps, parent_run_id,
         forked_at_step, created_at, updated_at)
       VALUES (@name, @origin, @datasetId, @config, @spec, @dir, 'created', @totalSteps, @parentRunId,
         @forkedAtStep, @now, @now)`,
    );
    this.setDirStmt = db.prepare<[string, number]>('UPDATE runs SET dir = ? WHERE id = ?');
    this.getStmt = db.prepare<[number], RunRow>(`${SELECT} WHERE r.id = ?`);
    this.listStmt = db.prepare<[ListParams], RunRow>(
      `${SELECT}
       WHERE (@status IS NULL OR r.status IN (SELECT value FROM json_each(@status)))
         AND (@tag IS NULL OR EXISTS (SELECT 1 FROM run_tags rt JOIN tags t ON t.id = rt.tag_id
                                      WHERE rt.run_id = r.id AND t.name = @tag))
         AND (@datasetId IS NULL OR r.dataset_id = @datasetId)
         AND (@origin IS NULL OR r.origin = @origin)
         AND (@search IS NULL OR r.name LIKE '%' || @search || '%' ESCAPE '\\')
       ORDER BY r.id DESC LIMIT @limit OFFSET @offset`,
    );
    this.byStatusStmt = db.prepare<[string], RunRow>(
      `${SELECT} WHERE r.status IN (SELECT value FROM json_each(?)) ORDER BY r.id`,
    );
    this.statusStmt = db.prepare(
      `UPDATE runs SET status = @status,
         status_message = CASE WHEN @setMessage THEN @message ELSE status_message END,
         stop_reason = CASE WHEN @setStopReason THEN @stopReason ELSE stop_reason END,
         error_stack = CASE WHEN @setErrorStack THEN @errorStack ELSE error_stack END,
         owner_pid = CASE WHEN @setOwner THEN @ownerPid ELSE owner_pid END,
         owner_start = CASE WHEN @setOwner THEN @ownerStart ELSE owner_start END,
         started_at = CASE WHEN @started THEN @now ELSE started_at END,
         finished_at = CASE WHEN @finished THEN @now WHEN @status IN ('queued', 'running') THEN NULL
                            ELSE finished_at END,
         queue_seq = CASE WHEN @status = 'queued' THEN queue_seq ELSE NULL END,
         updated_at = @now
       WHERE id = @id`,
    );
    this.progressStmt = db.prepare(
      `UPDATE runs SET step = @step, tokens_seen = @tokensSeen,
         last_train_loss = COALESCE(@trainLoss, last_train_loss),
         last_tokens_per_second = COALESCE(@tokensPerSecond, last_tokens_per_second),
         last_progress = COALESCE(@progress, last_progress),
         updated_at = @now WHERE id = @id`,
    );
    this.evalStmt = db.prepare(
      `UPDATE runs SET last_val_loss = @valLoss,
         best_val_loss = CASE WHEN @valLoss IS NOT NULL AND (best_val_loss IS NULL OR @valLoss < best_val_loss)
                              THEN @valLoss ELSE best_val_loss END,
         updated_at = @now WHERE id = @id`,
    );
    this.stepStmt = db.prepare<[number, string, number]>(
      'UPDATE runs SET step = ?, updated_at = ? WHERE id = ?',
    );
    this.resetStmt = db.prepare(
      `UPDATE runs SET step = @step, tokens_seen = @tokensSeen, best_val_loss = @bestValLoss,
         last_val_loss = @lastValLoss, last_train_loss = @lastTrainLoss,
         last_tokens_per_second = @tokensPerSecond, updated_at = @now WHERE id = @id`,
    );
    this.enqueueStmt = db.prepare(
      `UPDATE runs SET status = 'queued', resume_checkpoint_id = @checkpointId,
         queue_seq = (SELECT COALESCE(MAX(queue_seq), 0) + 1 FROM runs), status_message = NULL,
         stop_reason = NULL, error_stack = NULL, finished_at = NULL, updated_at = @now WHERE id = @id`,
    );
    this.nextQueuedStmt = db.prepare<[], { id: number }>(
      "SELECT id FROM runs WHERE status = 'queued' ORDER BY queue_seq, id LIMIT 1",
    );
    this.renameStmt = db.prepare<[string, string, number]>(
      'UPDATE runs SET name = ?, updated_at = ? WHERE id = ?',
    );
    this.notesStmt = db.prepare<[string, string, number]>(
      'UPDATE runs SET notes = ?, updated_at = ? WHERE id = ?',
    );
    this.configStmt = db.prepare(
      `UPDATE runs SET config = @config, total_steps = @totalSteps, updated_at = @now,
         spec = CASE WHEN @config IS NOT NULL AND dataset_id IS NOT NULL THEN NULL ELSE @spec END
       WHERE id = @id`,
    );
    this.deleteStmt = db.prepare<[number]>('DELETE FROM runs WHERE id = ?');
  }

  insert(run: NewRun): number {
    const id = Number(
      this.insertStmt.run({
        ...run,
        config: run.config === null ? null : JSON.stringify(run.config),
        spec: storedSpec(run),
        now: nowIso(),
      }).lastInsertRowid,
    );
    if (run.dir.includes('{id}')) this.setDirStmt.run(run.dir.replace('{id}', String(id)), id);
    return id;
  }

  get(id: number): RunRecord | null {
    const row = this.getStmt.get(id);
    return row === undefined ? null : toRecord(row);
  }

  list(filter: RunFilter): RunRecord[] {
    return this.listStmt
      .all({
        status: filter.status === undefined ? null : JSON.stringify(filter.status),
        tag: filter.tag ?? null,
        datasetId: filter.datasetId ?? null,
        origin: filter.origin ?? null,
        search: filter.search === undefined ? null : filter.search.replace(/[\\%_]/g, (c) => '\\' + c),
        limit: filter.limit ?? 200,
        offset: filter.offset ?? 0,
      })
      .map(toRecord);
  }

  withStatus(statuses: readonly RunStatus[]): RunRecord[] {
    return this.byStatusStmt.all(JSON.stringify(statuses)).map(toRecord);
  }

  setStatus(id: number, change: StatusChange): void {
    this.statusStmt.run({
      id,
      status: change.status,
      setMessage: change.message !== undefined ? 1 : 0,
      message: change.message ?? null,
      setStopReason: change.stopReason !== undefined ? 1 : 0,
      stopReason: change.stopReason ?? null,
      setErrorStack: change.errorStack !== undefined ? 1 : 0,
      errorStack: change.errorStack ?? null,
      setOwner: change.owner !== undefined ? 1 : 0,
      ownerPid: change.owner?.pid ?? null,
      ownerStart: change.owner?.start ?? null,
      started: change.started === true ? 1 : 0,
      finished: change.finished === true ? 1 : 0,
      now: nowIso(),
    });
  }

  /**
   * Where a run is; a loss or throughput that is null (not finite) keeps the last one stored. The
   * whole report, when given, is kept for studios that show the run without training it.
   */
  setProgress(
    id: number,
    p: Pick<ProgressInfo, 'step' | 'tokensSeen' | 'loss' | 'tokensPerSecond'>,
    report: ProgressInfo | null = null,
  ): void {
    this.progressStmt.run({
      id,
      step: p.step,
      tokensSeen: p.tokensSeen,
      trainLoss: finiteOrNull(p.loss),
      tokensPerSecond: finiteOrNull(p.tokensPerSecond),
      progress: report === null ? null : JSON.stringify(report),
      now: nowIso(),
    });
  }

  setEval(id: number, valLoss: number): void {
    this.evalStmt.run({ id, valLoss: finiteOrNull(valLoss), now: nowIso() });
  }

  /** The step a run ended at (it may be past the last logged one). */
  setStep(id: number, step: number): void {
    this.stepStmt.run(step, nowIso(), id);
  }

  /** Sets the headline numbers outright (after history was cut or copied). */
  resetNumbers(
    id: number,
    n: {
      step: number;
      tokensSeen: number;
      bestValLoss: number | null;
      lastValLoss: number | null;
      lastTrainLoss: number | null;
      tokensPerSecond: number | null;
    },
  ): void {
    this.resetStmt.run({ id, ...n, now: nowIso() });
  }

  /** Puts the run at the end of the queue, to start fresh (checkpointId null) or from a checkpoint. */
  enqueue(id: number, checkpointId: number | null): void {
    this.enqueueStmt.run({ id, checkpointId, now: nowIso() });
  }

  nextQueued(): number | null {
    return this.nextQueuedStmt.get()?.id ?? null;
  }

  rename(id: number, name: string): void {
    this.renameStmt.run(name, nowIso(), id);
  }

  setNotes(id: number, notes: string): void {
    this.notesStmt.run(notes, nowIso(), id);
  }

  setConfig(id: number, config: RunConfig | null, spec: RunSpec, totalSteps: number): void {
    this.configStmt.run({
      id,
      config: config === null ? null : JSON.stringify(config),
      spec: JSON.stringify(spec), // kept only where the run has no config on a dataset
      totalSteps,
      now: nowIso(),
    });
  }

  delete(id: number): void {
    this.deleteStmt.run(id);
  }
}

/** The spec column of a new run: null where its config and dataset say it all (see specOfRow). */
function storedSpec(run: NewRun): string | null {
  return run.config !== null && run.datasetId !== null ? null : JSON.stringify(run.spec);
}

/** A run's spec: from its config on its dataset, or as stored for a run without them. */
function specOfRow(row: RunRow, config: RunConfig | null): RunSpec {
  if (config !== null && row.dataset_dir !== null && row.dataset_tokenizer !== null) {
    return specFor(config, {
      dir: row.dataset_dir,
      tokenizer: parseJson<DatasetPlace['tokenizer']>(row.dataset_tokenizer),
    });
  }
  if (row.spec === null) throw new Error(`run ${row.id} has neither a config on a dataset nor a spec`);
  return parseJson<RunSpec>(row.spec);
}

function toRecord(row: RunRow): RunRecord {
  const config = row.config === null ? null : parseJson<RunConfig>(row.config);
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    statusMessage: row.status_message,
    stopReason: row.stop_reason,
    origin: row.origin,
    datasetId: row.dataset_id,
    datasetName: row.dataset_name,
    step: row.step,
    totalSteps: row.total_steps,
    bestValLoss: row.best_val_loss,
    lastValLoss: row.last_val_loss,
    lastTrainLoss: row.last_train_loss,
    tokensSeen: row.tokens_seen,
    tokensPerSecond: row.last_tokens_per_second,
    tags: parseJson<string[]>(row.tags),
    parentRunId: row.parent_run_id,
    forkedAtStep: row.forked_at_step,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    updatedAt: row.updated_at,
    config,
    spec: specOfRow(row, config),
    dir: row.dir,
    errorStack: row.error_stack,
    notes: row.notes,
    queueSeq: row.queue_seq,
    resumeCheckpointId: row.resume_checkpoint_id,
    owner: row.owner_pid === null ? null : { pid: row.owner_pid, start: row.owner_start },
    lastProgress: row.last_progress === null ? null : parseJson<ProgressInfo>(row.last_progress),
  };
}

/** The API's summary of a run. */
export function runSummary(r: RunRecord): RunSummary {
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    statusMessage: r.statusMessage,
    stopReason: r.stopReason,
    origin: r.origin,
    datasetId: r.datasetId,
    datasetName: r.datasetName,
    step: r.step,
    totalSteps: r.totalSteps,
    bestValLoss: r.bestValLoss,
    lastValLoss: r.lastValLoss,
    lastTrainLoss: r.lastTrainLoss,
    tokensSeen: r.tokensSeen,
    tokensPerSecond: r.tokensPerSecond,
    tags: r.tags,
    parentRunId: r.parentRunId,
    forkedAtStep: r.forkedAtStep,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    updatedAt: r.updatedAt,
  };
}
