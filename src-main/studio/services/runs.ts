// Runs: defaults and validation of a config, create / duplicate, the lifecycle the user drives
// (start, pause, resume, stop, delete), and the run's metadata (name, tags, notes) and history
// (events, samples, histograms). Training itself is the RunManager's.

import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { StudioError } from '../../api';
import type { RunChoices, RunConfig, RunConfigEdits, RunDetail, RunSummary } from '../../api';
import { requireDataset, requireRun } from '../lookups';
import { commandRunElsewhere } from '../remote-control';
import { applyEdits, defaultRunConfig, runChoices, specFor } from '../run-config';
import { heldElsewhere } from '../run-liveness';
import { runSummary } from '../store';
import type { DatasetRecord, RunRecord } from '../store';
import { checkConfig, validConfig } from './config-check';
import { emitRunChanged } from './context';
import type { HandlersOf, StudioContext } from './context';
import { readCorpusStart } from './datasets';
import { resumeRun } from './run-resume';

export function runHandlers(ctx: StudioContext): HandlersOf<'runs' | 'tags'> {
  const { store } = ctx;
  const summary = (id: number): RunSummary => runSummary(requireRun(store, id));
  /** Applies a change to the run's row and tells subscribers. */
  const changeRun = (id: number, change: () => void): RunSummary => {
    requireRun(store, id);
    change();
    emitRunChanged(ctx, id);
    return summary(id);
  };
  return {
    'runs.defaults': (i) => defaults(ctx, i.datasetId, i.preset ?? 'tiny'),
    'runs.choices': (i) => choices(ctx, i.datasetId, i.steps),
    'runs.validate': async ({ config }) => {
      const check = checkConfig(ctx, config);
      return { ok: check.problems.length === 0, problems: check.problems, estimate: check.estimate };
    },
    'runs.create': async ({ config }) => createRun(ctx, config, null),
    'runs.list': async (filter) => store.runs.list(filter).map(runSummary),
    'runs.get': async ({ id }) => runDetail(ctx, id),
    'runs.start': async ({ id }) => startRun(ctx, id),
    'runs.pause': (i) => pauseRun(ctx, i.id),
    'runs.resume': (i) => resumeRun(ctx, i),
    'runs.stop': (i) => stopRun(ctx, i.id),
    'runs.delete': (i) => deleteRun(ctx, i.id),
    'runs.duplicate': async (i) => duplicateRun(ctx, i.id, i.edits ?? {}),
    'runs.rename': async ({ id, name }) => changeRun(id, () => store.runs.rename(id, name)),
    'runs.setTags': async ({ id, tags }) => changeRun(id, () => store.tags.set(id, [...new Set(tags)])),
    'runs.setNotes': async ({ id, notes }) => changeRun(id, () => store.runs.setNotes(id, notes)),
    'runs.events': async (i) => {
      requireRun(store, i.id);
      return store.events.list(i.id, i.kinds, i.limit ?? 500);
    },
    'runs.samples': async (i) => {
      requireRun(store, i.id);
      return store.samples.list(i.id, i.limit ?? 100);
    },
    'runs.histograms': async (i) => {
      requireRun(store, i.id);
      return {
        steps: store.histograms.steps(i.id, i.kind),
        histogram: store.histograms.at(i.id, i.kind, i.step ?? Number.MAX_SAFE_INTEGER),
      };
    },
    'tags.list': async () => store.tags.list(),
  };
}

export function runDetail(ctx: StudioContext, id: number): RunDetail {
  const r = requireRun(ctx.store, id);
  return {
    ...runSummary(r),
    config: r.config,
    spec: r.spec,
    notes: r.notes,
    errorStack: r.errorStack,
    checkpoints: ctx.store.checkpoints.list(id),
    // A run another process trains reports its progress through the store.
    progress: ctx.manager.progressOf(id) ?? (heldElsewhere(r) ? r.lastProgress : null),
  };
}

async function defaults(ctx: StudioContext, datasetId: number, preset: 'tiny' | 'small'): Promise<RunConfig> {
  const d = requireDataset(ctx.store, datasetId);
  return defaultRunConfig(d, preset, ctx.store.settings.get(), await samplePrompt(d), ctx.cores);
}

async function choices(ctx: StudioContext, datasetId: number, steps: number): Promise<RunChoices> {
  return runChoices(steps, await samplePrompt(requireDataset(ctx.store, datasetId)));
}

/** The default sample prompt: the corpus's first character, which every tokenizer can encode. */
async function samplePrompt(dataset: DatasetRecord): Promise<string> {
  const [first = '\n'] = await readCorpusStart(dataset, 1);
  return first;
}

function createRun(ctx: StudioContext, input: unknown, parent: RunRecord | null): RunDetail {
  const { store } = ctx;
  const config = validConfig(ctx, input);
  const dataset = requireDataset(store, config.datasetId);
  const id = store.transaction(() => {
    const runId = store.runs.insert({
      name: config.name,
      origin: 'studio',
      datasetId: dataset.id,
      config,
      spec: specFor(config, dataset),
      dir: join(ctx.layout.runs, '{id}'),
      totalSteps: config.train.steps,
      parentRunId: parent?.id ?? null,
      forkedAtStep: null,
    });
    if (parent !== null) store.tags.set(runId, parent.tags);
    store.events.insert(runId, {
      step: 0,
      kind: 'lifecycle',
      level: 'info',
      code: 'created',
      message: parent === null ? 'Run created.' : `Run created as a copy of "${parent.name}".`,
    });
    return runId;
  });
  emitRunChanged(ctx, id);
  return runDetail(ctx, id);
}

function duplicateRun(ctx: StudioContext, id: number, edits: RunConfigEdits): RunDetail {
  const source = requireRun(ctx.store, id);
  if (source.config === null) {
    throw new StudioError(
      'conflict',
      `Run "${source.name}" was started from a terminal and has no studio config to copy.`,
    );
  }
  const config = applyEdits({ ...source.config, name: `${source.config.name} (copy)` }, edits);
  return createRun(ctx, config, source);
}

function startRun(ctx: StudioContext, id: number): RunSummary {
  const run = requireRun(ctx.store, id);
  if (run.status !== 'created') {
    throw new StudioError(
      'conflict',
      `Run "${run.name}" is ${run.status}; only a new run starts. Use resume to continue it from a checkpoint.`,
    );
  }
  ctx.manager.enqueue(id, null);
  return runSummary(requireRun(ctx.store, id));
}

async function pauseRun(ctx: StudioContext, id: number): Promise<RunSummary> {
  const run = requireRun(ctx.store, id);
  if (ctx.manager.isLive(id)) await ctx.manager.pause(id);
  else if (heldElsewhere(run)) await commandRunElsewhere(ctx.store, run, 'pause');
  else if (run.status !== 'paused') {
    throw new StudioError(
      'conflict',
      `Run "${run.name}" is ${run.status}; only a training run can be paused.`,
    );
  }
  return runSummary(requireRun(ctx.store, id));
}

async function stopRun(ctx: StudioContext, id: number): Promise<RunSummary> {
  const { store, manager } = ctx;
  const run = requireRun(store, id);
  if (manager.isLive(id)) {
    await manager.stop(id);
  } else if (heldElsewhere(run)) {
    await commandRunElsewhere(store, run, 'stop');
  } else if (run.status === 'queued' || run.status === 'paused') {
    // Nothing trains it: a queued run leaves the queue; a paused one keeps its checkpoint.
    const trained = run.step > 0 || store.checkpoints.latestGood(id) !== null;
    store.runs.setStatus(id, {
      status: trained ? 'stopped' : 'created',
      message: trained ? `Stopped at step ${run.step}.` : null,
      stopReason: trained ? 'stopped' : null,
      finished: trained,
    });
    emitRunChanged(ctx, id);
  }
  return runSummary(requireRun(store, id));
}

async function deleteRun(ctx: StudioContext, id: number): Promise<{ deleted: true }> {
  const { store } = ctx;
  const run = requireRun(store, id);
  if (ctx.manager.isLive(id) || heldElsewhere(run) || run.status === 'queued') {
    throw new StudioError('conflict', `Run "${run.name}" is ${run.status}; stop it before deleting it.`);
  }
  for (const c of store.checkpoints.list(id)) {
    const users = store.checkpoints.queuedUsers(c.id);
    if (users.length > 0) {
      throw new StudioError(
        'conflict',
        `Run "${users[0]}" is queued to start from this run's checkpoint of step ${c.step}; stop it first.`,
      );
    }
  }
  store.runs.delete(id);
  await rm(run.dir, { recursive: true, force: true });
  ctx.emit({ type: 'run-deleted', runId: id });
  return { deleted: true };
}
