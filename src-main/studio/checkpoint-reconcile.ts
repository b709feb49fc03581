// After a restart, a run's checkpoint folder and its rows in the table are made to agree: files the
// table lacks (written just before a crash) are verified and registered, rows whose file is gone are
// dropped. A damaged file is left on disk as evidence and never registered.

import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from '../../src-worker/checkpoint/errors';
import { readCheckpointHeader, verifyCheckpoint } from '../../src-worker/checkpoint/read';
import { checkpointDirOf } from './data-dir';
import type { RunRecord, Store } from './store';

const CHECKPOINT_NAME = /^step-\d+\.ckpt$/;

/** Registers checkpoint files the table lacks and drops rows whose file is gone. */
export async function reconcileCheckpoints(store: Store, run: RunRecord): Promise<void> {
  const dir = checkpointDirOf(run.dir);
  for (const c of store.checkpoints.list(run.id)) {
    if (!existsSync(c.path)) store.checkpoints.deletePath(c.path, run.id);
  }
  const known = new Set(store.checkpoints.list(run.id).map((c) => c.path));
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names.filter((n) => CHECKPOINT_NAME.test(n)).sort()) {
    const path = join(dir, name);
    if (known.has(path)) continue;
    const verified = await verifyCheckpoint(path);
    if (!verified.ok) continue;
    try {
      const { header } = await readCheckpointHeader(path);
      store.checkpoints.record({
        runId: run.id,
        path,
        step: verified.step,
        sha256: verified.sha256,
        bytes: verified.bytes,
        valLoss: header.metrics?.valLoss ?? null,
        finite: header.metrics?.finite ?? true,
        trigger: 'found',
      });
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
    }
  }
}
