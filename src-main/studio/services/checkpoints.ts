// Checkpoints of a run: list (with pins), pin, verify against the recorded checksum, export to a
// Hugging Face folder, resume from one, and delete one nothing needs.

import { unlink } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { verifyCheckpoint } from '../../../src-worker/checkpoint/read';
import { readPins, setPinned } from '../../../src-worker/train/pins';
import { StudioError } from '../../api';
import type { ValidInput, VerifyReport } from '../../api';
import { exportMetrics } from '../export-metrics';
import { requireCheckpoint, requireRun } from '../lookups';
import type { HandlersOf, StudioContext } from './context';
import { resumeRun } from './run-resume';

export function checkpointHandlers(ctx: StudioContext): HandlersOf<'checkpoints'> {
  const { store } = ctx;
  return {
    'checkpoints.list': async ({ runId }) => {
      requireRun(store, runId);
      const list = store.checkpoints.list(runId);
      const pins = list.length === 0 ? new Set<string>() : await readPins(dirname(list[0].path));
      return list.map((c) => ({ ...c, pinned: pins.has(basename(c.path)) }));
    },
    'checkpoints.pin': async ({ id, pinned }) => {
      await setPinned(requireCheckpoint(store, id).path, pinned);
      return { pinned };
    },
    'checkpoints.verify': (i) => verify(ctx, i.id),
    'checkpoints.export': (i) => exportCheckpoint(ctx, i),
    'checkpoints.resume': (i) => {
      const c = requireCheckpoint(store, i.id);
      return resumeRun(ctx, { id: c.runId, checkpointId: c.id, mode: i.mode });
    },
    'checkpoints.delete': (i) => deleteCheckpoint(ctx, i.id),
  };
}

async function verify(ctx: StudioContext, id: number): Promise<VerifyReport> {
  const c = requireCheckpoint(ctx.store, id);
  const result = await verifyCheckpoint(c.path);
  if (!result.ok) {
    return { checkpointId: id, ok: false, message: result.error.message, sha256: null, matchesRecord: false };
  }
  const matchesRecord = c.sha256 === '' || c.sha256 === result.sha256;
  return {
    checkpointId: id,
    ok: matchesRecord,
    message: matchesRecord
      ? `The checkpoint of step ${result.step} is sound (${result.bytes} bytes, SHA-256 ${result.sha256.slice(0, 12)}…).`
      : `${c.path} is internally consistent but is not the file recorded at step ${c.step} (its SHA-256 differs); it was replaced.`,
    sha256: result.sha256,
    matchesRecord,
  };
}

async function exportCheckpoint(
  ctx: StudioContext,
  i: ValidInput<'checkpoints.export'>,
): Promise<{ dir: string; files: string[]; modelBytes: number }> {
  const { store } = ctx;
  const c = requireCheckpoint(store, i.id);
  const run = requireRun(store, c.runId);
  if (!c.finite) {
    throw new StudioError(
      'conflict',
      `The checkpoint of step ${c.step} holds NaN or infinite weights; export an earlier one.`,
    );
  }
  const dataset = run.datasetId === null ? null : store.datasets.get(run.datasetId);
  const csv = (await exportMetrics(store.metrics, run.id, 'csv', null, c.step)).content ?? '';
  // Reading the checkpoint and converting its weights is engine work: a worker does it.
  const { result } = await ctx.workers.request(
    {
      type: 'export-checkpoint',
      checkpoint: c.path,
      outDir: resolve(i.dir),
      dtype: i.dtype ?? 'f32',
      overwrite: i.overwrite === true,
      runName: run.name,
      ...(dataset === null ? {} : { dataset: { name: dataset.name, tokens: dataset.tokens } }),
      metricsCsv: csv,
    },
    'checkpoint-exported',
    'export the checkpoint',
  );
  return { dir: result.dir, files: result.files, modelBytes: result.modelBytes };
}

async function deleteCheckpoint(ctx: StudioContext, id: number): Promise<{ deleted: true }> {
  const c = requireCheckpoint(ctx.store, id);
  if (ctx.manager.isLive(c.runId)) {
    // The worker's retention bookkeeping holds this file; it must not vanish under it.
    throw new StudioError('conflict', 'The run is training; stop it before deleting its checkpoints.');
  }
  const users = ctx.store.checkpoints.queuedUsers(id);
  if (users.length > 0) {
    throw new StudioError(
      'conflict',
      `Run "${users[0]}" is queued to start from this checkpoint; stop it first.`,
    );
  }
  ctx.store.checkpoints.delete(id, c.runId);
  await unlink(c.path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  return { deleted: true };
}
