// A run's checkpoint folder: writes `step-000120.ckpt` files atomically, verifies each new one,
// then prunes older ones by the retention policy. Used by the CLI and the training worker.

import { readdir, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readPins } from './pins';
import { readCheckpointHeader, verifyCheckpoint } from '../checkpoint/read';
import { removeStaleTemps } from '../checkpoint/durable-fs';
import { CheckpointError } from '../checkpoint/errors';
import { saveTrainerCheckpoint } from './checkpointing';
import { planRetention } from './retention';
import type { RetainedCheckpoint, RetentionPolicy } from './retention';
import type { PreparedRun } from './setup';

export interface SavedCheckpoint extends RetainedCheckpoint {
  path: string;
  bytes: number;
  sha256: string;
}

const NAME = /^step-(\d+)\.ckpt$/;

export function checkpointFileName(step: number): string {
  return `step-${String(step).padStart(7, '0')}.ckpt`;
}

/** A checkpoint folder that holds another run's checkpoints. */
export class RunFolderError extends Error {
  override name = 'RunFolderError';
  constructor(
    readonly dir: string,
    readonly files: readonly string[],
  ) {
    super(
      `${dir} already holds checkpoints of another run (${files.slice(0, 3).join(', ')}` +
        `${files.length > 3 ? ', …' : ''}). Write this run's checkpoints to an empty folder, or continue ` +
        `that run with --resume.`,
    );
  }
}

export class RunCheckpoints {
  private entries: SavedCheckpoint[] = [];

  private constructor(
    readonly dir: string,
    readonly policy: RetentionPolicy,
  ) {}

  /**
   * Opens a run's checkpoint folder: removes temp files of interrupted writes and indexes the sound
   * checkpoints of this run. A run resumed from an earlier step abandons its later checkpoints
   * (they are deleted, as the studio cuts that history); checkpoints of another run make the
   * folder unusable, so that pruning never touches them.
   */
  static async open(
    dir: string,
    policy: RetentionPolicy,
    run: { runId: string; step: number },
  ): Promise<{ checkpoints: RunCheckpoints; abandoned: string[] }> {
    const rc = new RunCheckpoints(dir, policy);
    await removeStaleTemps(dir);
    const foreign: string[] = [];
    const abandoned: string[] = [];
    for (const name of (await readdir(dir)).sort()) {
      if (!NAME.test(name)) continue;
      const path = join(dir, name);
      let summary;
      try {
        summary = await readCheckpointHeader(path);
      } catch (err) {
        // A damaged file stays on disk (it is evidence) but is never counted as a checkpoint.
        if (err instanceof CheckpointError) continue;
        throw err;
      }
      const owner = (summary.header.trainConfig as { runId?: unknown }).runId;
      if (owner !== run.runId) {
        foreign.push(name);
        continue;
      }
      if (summary.header.step > run.step) {
        abandoned.push(path);
        continue;
      }
      const metrics = summary.header.metrics;
      rc.entries.push({
        id: path,
        path,
        step: summary.header.step,
        valLoss: metrics?.valLoss ?? null,
        finite: metrics?.finite ?? true,
        pinned: false,
        bytes: summary.bytes,
        sha256: '',
      });
    }
    if (foreign.length > 0) throw new RunFolderError(dir, foreign);
    // A pinned checkpoint of the abandoned continuation stays on disk, outside the run's index.
    const pins = await readPins(dir);
    const removed = abandoned.filter((path) => !pins.has(basename(path)));
    for (const path of removed) await unlink(path);
    return { checkpoints: rc, abandoned: removed };
  }

  get list(): readonly SavedCheckpoint[] {
    return this.entries;
  }

  /** The newest checkpoint whose weights are finite, or null. */
  latest(): SavedCheckpoint | null {
    return [...this.entries].filter((e) => e.finite).sort((a, b) => b.step - a.step)[0] ?? null;
  }

  /**
   * Writes the trainer's checkpoint for its current step (replacing one of the same step),
   * verifies it by reading it back, and only then prunes by the policy. Returns the entry and
   * the paths removed.
   */
  async save(
    run: PreparedRun,
    measured: number | null,
  ): Promise<{ saved: SavedCheckpoint; removed: string[] }> {
    const valLoss = measured !== null && Number.isFinite(measured) ? measured : null;
    const trainer = run.trainer;
    const path = join(this.dir, checkpointFileName(trainer.step));
    const finite = Number.isFinite(
      trainer.backend.sumSquares(trainer.model.params, trainer.model.params.length),
    );
    const written = await saveTrainerCheckpoint(path, run, { valLoss, finite });
    const verified = await verifyCheckpoint(path);
    if (!verified.ok) throw verified.error;
    const saved: SavedCheckpoint = {
      id: path,
      path,
      step: trainer.step,
      valLoss,
      finite,
      pinned: false,
      bytes: written.bytes,
      sha256: written.sha256,
    };
    this.entries = [...this.entries.filter((e) => e.path !== path), saved];
    // Pins may have changed while the run trained: read them before deciding what to prune.
    const pins = await readPins(this.dir);
    for (const e of this.entries) e.pinned = pins.has(basename(e.path));
    // The checkpoint just written always survives, whatever the policy says of older steps.
    const plan = planRetention(this.entries, this.policy);
    const remove = plan.remove.filter((r) => r !== saved);
    for (const r of remove) await unlink(r.path);
    this.entries = this.entries.filter((e) => !remove.includes(e));
    return { saved, removed: remove.map((r) => r.path) };
  }
}
