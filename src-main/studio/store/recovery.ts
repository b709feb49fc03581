// The two ways back from a damaged database, both chosen by the person: a fresh database in its
// place, or a fresh one with the run records rebuilt from the run folders (each checkpoint's header
// holds its run's spec, step and validation loss; a terminal run's metrics.csv holds its curves).
// The damaged file is removed only once its copy aside is known to hold the same bytes.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpointHeader, verifyCheckpoint } from '../../../src-worker/checkpoint/read';
import type { WrittenCheckpoint } from '../../../src-worker/protocol';
import type { RunSpec } from '../../../src-worker/train/setup';
import { checkpointDirOf } from '../data-dir';
import type { DataDirLayout } from '../data-dir';
import type { Settings } from '../../api';
import { Store } from './index';
import type { NewPoint } from './metrics';
import { inspectDatabase, preserveDamaged } from './integrity';
import type { DatabaseDamage, RecoveryAction } from './integrity';

export interface RecoveryReport {
  action: RecoveryAction;
  /** The damaged database's copy, which stays. */
  kept: string[];
  runs: number; // run records rebuilt
  checkpoints: number; // checkpoints registered
  metricPoints: number; // points read back from metrics.csv files
  /** Files that could not be used, each with the reason. */
  skipped: string[];
}

export class RecoveryError extends Error {
  override name = 'RecoveryError';
}

const CHECKPOINT_NAME = /^step-\d+\.ckpt$/;

/** metrics.csv columns (see the CLI's train command) → the studio's metric keys. */
const CSV_KEYS: Record<string, string> = {
  train_loss: 'train/loss',
  val_loss: 'val/loss',
  perplexity: 'val/perplexity',
  accuracy: 'val/accuracy',
  lr: 'train/lr',
  grad_norm: 'train/grad_norm',
  tokens_per_s: 'perf/tokens_per_second',
};

/**
 * Replaces the damaged database with a fresh one ('fresh'), and for 'rebuild' registers every run
 * folder's checkpoints and metrics in it. Returns the open store and what was done.
 */
export async function recoverDatabase(
  layout: DataDirLayout,
  damage: DatabaseDamage,
  action: RecoveryAction,
  defaults: Settings,
  options: { nativeBinding?: string } = {},
): Promise<{ store: Store; report: RecoveryReport }> {
  retireDamaged(damage);
  const store = Store.open(layout.database, defaults, options);
  const report: RecoveryReport = {
    action,
    kept: damage.copies,
    runs: 0,
    checkpoints: 0,
    metricPoints: 0,
    skipped: [],
  };
  try {
    if (action === 'rebuild') await rebuildRuns(store, layout, report);
  } catch (err) {
    store.close();
    throw err;
  }
  return { store, report };
}

/**
 * `crystalline repair`: checks the data folder's database and, when it is damaged, copies it aside
 * and replaces it as `action` says. Null when the database is sound (nothing is done).
 */
export async function repairDataFolder(
  layout: DataDirLayout,
  action: RecoveryAction,
  defaults: Settings,
): Promise<RecoveryReport | null> {
  const found = inspectDatabase(layout.database);
  if (found === null) return null;
  const { store, report } = await recoverDatabase(
    layout,
    preserveDamaged(layout.database, found),
    action,
    defaults,
  );
  store.close();
  return report;
}

/** Removes the damaged database and its -wal/-shm, once the copy aside holds the same bytes. */
function retireDamaged(damage: DatabaseDamage): void {
  const pairs = ['', '-wal'].map((suffix) => ({
    file: damage.path + suffix,
    copy: damage.copies.find((c) => c.endsWith('.db' + suffix)) ?? null,
  }));
  for (const { file, copy } of pairs) {
    if (!existsSync(file) || (file !== damage.path && statSync(file).size === 0)) continue;
    if (copy === null || !existsSync(copy) || digest(copy) !== digest(file)) {
      throw new RecoveryError(
        `${file} has no identical copy aside, so it is not replaced; copy it somewhere safe, remove it, and start again.`,
      );
    }
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(damage.path + suffix, { force: true });
}

function digest(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A checkpoint file in a run folder that verifies, with the run spec its header holds. */
interface FolderCheckpoint extends WrittenCheckpoint {
  spec: RunSpec | null;
}

async function rebuildRuns(store: Store, layout: DataDirLayout, report: RecoveryReport): Promise<void> {
  const folders = existsSync(layout.runs)
    ? readdirSync(layout.runs, { withFileTypes: true })
        .filter((e) => e.isDirectory() && /^\d+$/.test(e.name))
        .map((e) => e.name)
        .sort((a, b) => Number(a) - Number(b))
    : [];
  for (const name of folders) {
    const dir = join(layout.runs, name);
    const checkpoints = await folderCheckpoints(checkpointDirOf(dir), report);
    const spec = checkpoints.findLast((c) => c.spec !== null)?.spec ?? null;
    if (spec === null) {
      report.skipped.push(`${dir}: no checkpoint that verifies, so nothing says what the run was`);
      continue;
    }
    const last = checkpoints[checkpoints.length - 1];
    const points = readMetricsCsv(join(checkpointDirOf(dir), 'metrics.csv'), report);
    store.transaction(() => {
      // The run keeps its folder's number, so a later run's new folder never lands on it.
      store.db
        .prepare("INSERT OR REPLACE INTO sqlite_sequence (name, seq) VALUES ('runs', ?)")
        .run(Number(name) - 1);
      const runId = store.runs.insert({
        name: `Recovered run ${name}`,
        origin: 'cli', // no studio config survives in a checkpoint: the run is continued, not copied
        datasetId: null,
        config: null,
        spec,
        dir,
        totalSteps: spec.train.steps,
        parentRunId: null,
        forkedAtStep: null,
      });
      for (const c of checkpoints) store.checkpoints.record({ runId, ...c, trigger: 'recovered' });
      store.metrics.insert(runId, points);
      store.runs.setStep(runId, last.step);
      store.runs.setStatus(runId, {
        status: 'stopped',
        stopReason: 'recovered',
        message: `Rebuilt from ${dir} after the database was damaged; resume continues from step ${last.step}.`,
        finished: true,
      });
      store.events.insert(runId, {
        step: last.step,
        kind: 'lifecycle',
        level: 'warning',
        code: 'recovered',
        message: `Run record rebuilt from its folder: ${checkpoints.length} checkpoint(s), ${points.length} metric point(s).`,
      });
    });
    report.runs += 1;
    report.checkpoints += checkpoints.length;
    report.metricPoints += points.length;
  }
}

/** The folder's checkpoints that verify, oldest first; the others are listed as skipped. */
async function folderCheckpoints(dir: string, report: RecoveryReport): Promise<FolderCheckpoint[]> {
  if (!existsSync(dir)) return [];
  const out: FolderCheckpoint[] = [];
  for (const name of readdirSync(dir)
    .filter((n) => CHECKPOINT_NAME.test(n))
    .sort()) {
    const path = join(dir, name);
    const verified = await verifyCheckpoint(path);
    if (!verified.ok) {
      report.skipped.push(`${path}: ${verified.error.message}`);
      continue;
    }
    const { header } = await readCheckpointHeader(path);
    const stored = header.trainConfig as { spec?: RunSpec };
    out.push({
      path,
      step: verified.step,
      sha256: verified.sha256,
      bytes: verified.bytes,
      valLoss: header.metrics?.valLoss ?? null,
      finite: header.metrics?.finite ?? true, // written before the field: never marked otherwise
      spec: stored.spec ?? null,
    });
  }
  return out;
}

/** The points of a metrics.csv written by `crystalline train` (none when the folder has none). */
function readMetricsCsv(path: string, report: RecoveryReport): NewPoint[] {
  if (!existsSync(path)) return [];
  const [head, ...rows] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const columns = head.split(',');
  if (columns[0] !== 'step') {
    report.skipped.push(`${path}: not a metrics.csv of this app (its first column is not "step")`);
    return [];
  }
  const points: NewPoint[] = [];
  for (const row of rows) {
    const cells = row.split(',');
    const step = Number(cells[0]);
    if (!Number.isInteger(step)) continue;
    columns.forEach((column, i) => {
      const key = CSV_KEYS[column];
      if (key === undefined || cells[i] === undefined || cells[i] === '') return;
      points.push({ key, step, value: Number(cells[i]) });
    });
  }
  return points;
}
