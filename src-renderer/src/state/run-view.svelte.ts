// The run that is open in the Run view: its detail, metric series (loaded downsampled, then grown by
// live updates), progress, alerts, the latest gradient histogram and confusion matrix, samples and
// checkpoints, with the actions on them; and its name, tags and notes, edited in place.

import type {
  CheckpointInfo,
  EvalInfo,
  EventInfo,
  GradientsInfo,
  HistogramInfo,
  MetricPoint,
  ProgressInfo,
  RunDetail,
  RunSummary,
  SampleInfo,
  StudioEvent,
  VerifyReport,
} from '../../../src-main/api';
import { downsampleMinMax } from '../lib/downsample';
import { ApiError, messageOf } from '../transport/api-error';
import { transport } from './api';

/** Points each series is loaded with, and the most it keeps while it grows live. */
export const LOAD_POINTS = 1500;
export const MAX_LIVE_POINTS = 6000;
/** How many samples and alerts the view keeps, newest first. */
export const MAX_SAMPLES = 50;
export const MAX_ALERTS = 200;
/** Checkpoints arrive in bursts while a run trains; the list is re-read at most this often. */
export const CHECKPOINT_REFRESH_MS = 1000;

/** The series the charts draw (per-layer gradient norms are added from the run's keys). */
export const CHART_KEYS = [
  'train/loss',
  'val/loss',
  'val/perplexity',
  'val/accuracy',
  'val/top5',
  'val/precision_macro',
  'val/recall_macro',
  'val/f1_macro',
  'val/f1_weighted',
  'train/lr',
  'grad/global_norm',
  'perf/tokens_per_second',
  'memory/rss',
  'memory/heap_used',
  'memory/engine_buffers',
  'train/tokens_seen',
  'perf/step_ms',
] as const;

export type Confusion = EvalInfo['confusion'] & { step: number };

export interface Alert {
  step: number;
  level: 'info' | 'warning' | 'error';
  code: string;
  message: string;
}

/** `points` with `more` appended (later steps only), thinned to `max` keeping each bucket's extremes. */
export function appendPoints(
  points: readonly MetricPoint[],
  more: readonly MetricPoint[],
  max: number,
): MetricPoint[] {
  const last = points.length === 0 ? -Infinity : points[points.length - 1].step;
  const merged = [...points, ...more.filter((p) => p.step > last)];
  if (merged.length <= max) return merged;
  return downsampleMinMax(
    merged.map((p) => ({ x: p.step, y: p.value })),
    Math.floor(max / 4),
  ).map((p) => ({ step: p.x, value: p.y }));
}

export type NotesStatus = 'idle' | 'saving' | 'saved' | 'error';

/**
 * What to show when the service refuses an edit: its message for the first problem of `field` (or
 * of one of its items, "tags.2"), named by `label(path)`; any other failure's own message.
 */
export function refusal(err: unknown, field: string, label: (path: string) => string): string {
  if (err instanceof ApiError) {
    const problem = err.problems.find((p) => p.field === field || p.field.startsWith(`${field}.`));
    if (problem !== undefined) return `${label(problem.field)} ${problem.message}`;
  }
  return messageOf(err);
}

export class RunViewState {
  id = $state<number | null>(null);
  detail = $state<RunDetail | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** Raw (not deeply reactive): replaced whole on each update, so thousands of points cost no proxies. */
  series = $state.raw<Record<string, MetricPoint[]>>({});
  progress = $state<ProgressInfo | null>(null);
  gradients = $state<GradientsInfo | null>(null);
  histogram = $state<HistogramInfo | null>(null);
  confusion = $state<Confusion | null>(null);
  alerts = $state<Alert[]>([]);
  samples = $state<SampleInfo[]>([]);
  checkpoints = $state<CheckpointInfo[]>([]);
  verify = $state<Record<number, VerifyReport | 'checking'>>({});
  /** Labels of token ids for the confusion matrix (from the dataset's frequent tokens). */
  tokenText = $state<Record<number, string>>({});
  /** Why the last rename or tag change was refused, for the editor that made it. */
  renameError = $state<string | null>(null);
  tagsError = $state<string | null>(null);
  /** How the last save of the notes went (the saved text is `detail.notes`). */
  notesStatus = $state<NotesStatus>('idle');
  notesError = $state<string | null>(null);
  /** Every tag in use, offered while adding one. */
  knownTags = $state<string[]>([]);

  get layerKeys(): string[] {
    return Object.keys(this.series)
      .filter((k) => k.startsWith('grad/layer_'))
      .sort((a, b) => Number(a.slice(11)) - Number(b.slice(11)));
  }

  async open(id: number): Promise<void> {
    this.id = id;
    this.loading = true;
    this.error = null;
    this.detail = null;
    this.series = {};
    this.alerts = [];
    this.samples = [];
    this.confusion = null;
    this.histogram = null;
    this.gradients = null;
    this.verify = {};
    this.renameError = null;
    this.tagsError = null;
    this.notesStatus = 'idle';
    this.notesError = null;
    const t = transport();
    try {
      const [detail, keys, events, samples, histograms] = await Promise.all([
        t.call('runs.get', { id }),
        t.call('metrics.keys', { runId: id }),
        t.call('runs.events', { id, kinds: ['alert', 'eval', 'lifecycle'], limit: 300 }),
        t.call('runs.samples', { id, limit: 50 }),
        t.call('runs.histograms', { id, kind: 'gradients' }),
      ]);
      if (this.id !== id) return;
      const present = new Set(keys.map((k) => k.key));
      const wanted = [
        ...CHART_KEYS.filter((k) => present.has(k)),
        ...[...present].filter((k) => k.startsWith('grad/layer_')),
      ];
      const series: Record<string, MetricPoint[]> = {};
      for (let i = 0; i < wanted.length; i += 50) {
        const batch = await t.call('metrics.series', {
          runIds: [id],
          keys: wanted.slice(i, i + 50),
          maxPoints: LOAD_POINTS,
        });
        for (const s of batch) series[s.key] = s.points;
      }
      if (this.id !== id) return;
      this.detail = detail;
      this.progress = detail.progress;
      this.checkpoints = detail.checkpoints;
      this.series = series;
      this.samples = samples.slice().reverse();
      this.histogram = histograms.histogram;
      this.alerts = events
        .filter((e) => e.kind === 'alert' || e.level !== 'info')
        .map(alertOf)
        .reverse();
      const lastEval = events.filter((e) => e.kind === 'eval').at(-1);
      const confusion = (lastEval?.data as { confusion?: EvalInfo['confusion'] } | null)?.confusion;
      if (lastEval !== undefined && confusion !== undefined)
        this.confusion = { ...confusion, step: lastEval.step };
      void this.loadTokenText(detail);
    } catch (err) {
      if (this.id === id) this.error = messageOf(err);
    } finally {
      if (this.id === id) this.loading = false;
    }
  }

  close(): void {
    this.id = null;
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
  }

  private async loadTokenText(detail: RunDetail): Promise<void> {
    if (detail.datasetId === null) return;
    try {
      const stats = await transport().call('datasets.stats', { id: detail.datasetId });
      this.tokenText = Object.fromEntries(stats.topTokens.map((t) => [t.id, t.text]));
    } catch {
      // Without labels the heatmap shows token ids; nothing else depends on them.
    }
  }

  handle(event: StudioEvent): void {
    if (this.id === null) return;
    switch (event.type) {
      case 'run-changed':
        if (event.run.id === this.id && this.detail !== null) {
          const stillTraining = ['running', 'queued', 'stopping'].includes(event.run.status);
          this.detail = { ...this.detail, ...event.run };
          if (!stillTraining) void this.refreshCheckpoints();
        }
        return;
      case 'run-deleted':
        if (event.runId === this.id) this.error = 'This run was deleted.';
        return;
      case 'run-update': {
        if (event.runId !== this.id) return;
        const u = event.update;
        // An action's answer (HTTP) can overtake events the WebSocket still holds: a progress report
        // older than the step already shown is stale, so the step never runs backwards on screen.
        const fresh = u.progress !== null && (this.detail === null || u.progress.step >= this.detail.step);
        if (fresh) this.progress = u.progress;
        if (u.metrics.length > 0) {
          const next = { ...this.series };
          for (const m of u.metrics) next[m.key] = appendPoints(next[m.key] ?? [], m.points, MAX_LIVE_POINTS);
          this.series = next;
        }
        if (u.gradients !== null) this.gradients = u.gradients;
        const grad = u.histograms.filter((h) => h.kind === 'gradients').at(-1);
        if (grad !== undefined) this.histogram = grad;
        const lastEval = u.evals.at(-1);
        if (lastEval !== undefined) this.confusion = { ...lastEval.confusion, step: lastEval.step };
        if (u.alerts.length > 0) {
          const fresh = u.alerts.map((a) => ({
            step: a.step,
            level: a.level,
            code: a.code,
            message: a.message,
          }));
          this.alerts = [...fresh.reverse(), ...this.alerts].slice(0, MAX_ALERTS);
        }
        if (u.samples.length > 0)
          this.samples = [...u.samples.toReversed(), ...this.samples].slice(0, MAX_SAMPLES);
        // Retention deletes old checkpoints without an event, so the list is re-read, not grown.
        if (u.checkpoints.length > 0) this.scheduleCheckpointRefresh();
        if (this.detail !== null) {
          if (fresh && u.progress !== null) {
            this.detail.step = u.progress.step;
            this.detail.tokensSeen = u.progress.tokensSeen;
            if (u.progress.loss !== null) this.detail.lastTrainLoss = u.progress.loss;
          }
          for (const e of u.evals) {
            if (e.valLoss === null) continue;
            this.detail.lastValLoss = e.valLoss;
            if (this.detail.bestValLoss === null || e.valLoss < this.detail.bestValLoss)
              this.detail.bestValLoss = e.valLoss;
          }
        }
        return;
      }
      case 'dataset-import':
      case 'dataset-deleted':
      case 'generation':
        return;
    }
  }

  /** Renames the run; false (with `renameError` set) when the service refuses the name. */
  async rename(name: string): Promise<boolean> {
    const id = this.id;
    if (id === null) return false;
    try {
      this.merge(await transport().call('runs.rename', { id, name }));
      this.renameError = null;
      return true;
    } catch (err) {
      if (this.id === id) this.renameError = refusal(err, 'name', () => 'The name');
      return false;
    }
  }

  /** Replaces the run's tags; false (with `tagsError` set) when the service refuses one of them. */
  async setTags(tags: readonly string[]): Promise<boolean> {
    const id = this.id;
    if (id === null) return false;
    try {
      this.merge(await transport().call('runs.setTags', { id, tags: [...tags] }));
      this.tagsError = null;
      void this.loadKnownTags();
      return true;
    } catch (err) {
      if (this.id === id) {
        this.tagsError = refusal(err, 'tags', (path) => {
          const tag = tags[Number(path.split('.')[1])];
          if (tag === undefined) return 'Tags';
          return `Tag “${tag.length > 24 ? `${tag.slice(0, 24)}…` : tag}”`;
        });
      }
      return false;
    }
  }

  async loadKnownTags(): Promise<void> {
    try {
      this.knownTags = (await transport().call('tags.list', {})).map((t) => t.name);
    } catch {
      // Only the suggestions are missing; tags can still be typed in full.
    }
  }

  /** Saves the notes if they differ from the saved ones; the outcome is in `notesStatus`. */
  async saveNotes(notes: string): Promise<void> {
    const id = this.id;
    if (id === null || this.detail === null || notes === this.detail.notes) return;
    this.notesStatus = 'saving';
    try {
      await transport().call('runs.setNotes', { id, notes });
      if (this.id !== id || this.detail === null) return;
      this.detail.notes = notes;
      this.notesStatus = 'saved';
      this.notesError = null;
    } catch (err) {
      if (this.id !== id) return;
      this.notesStatus = 'error';
      this.notesError = messageOf(err);
    }
  }

  /** The service's answer to an edit (the run-changed event that follows says the same). */
  private merge(run: RunSummary): void {
    if (this.detail !== null && run.id === this.detail.id) this.detail = { ...this.detail, ...run };
  }

  private refreshTimer: ReturnType<typeof setTimeout> | null = null;

  /** One re-read of the checkpoint list a moment after checkpoints arrive, however many arrive. */
  private scheduleCheckpointRefresh(): void {
    if (this.refreshTimer !== null) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refreshCheckpoints().catch(() => {
        // The next checkpoint or the run's end reads the list again.
      });
    }, CHECKPOINT_REFRESH_MS);
  }

  async refreshCheckpoints(): Promise<void> {
    if (this.id === null) return;
    const id = this.id;
    const list = await transport().call('checkpoints.list', { runId: id });
    if (this.id === id) this.checkpoints = list;
  }

  async verifyCheckpoint(id: number): Promise<void> {
    this.verify[id] = 'checking';
    try {
      this.verify[id] = await transport().call('checkpoints.verify', { id });
    } catch (err) {
      this.verify[id] = {
        checkpointId: id,
        ok: false,
        message: messageOf(err),
        sha256: null,
        matchesRecord: false,
      };
    }
  }

  async resumeFrom(id: number, mode: 'cut' | 'fork'): Promise<number> {
    const run = await transport().call('checkpoints.resume', { id, mode });
    if (run.id === this.id) await this.open(run.id);
    return run.id;
  }

  /** The run's metrics as CSV: a header (step, then every series), and a row per logged step. */
  async metricsCsv(): Promise<{ rows: number; csv: string }> {
    if (this.id === null) throw new Error('No run is open.');
    const table = await transport().call('metrics.export', { runId: this.id, format: 'csv' });
    return { rows: table.rows, csv: table.content ?? '' };
  }

  async pinCheckpoint(id: number, pinned: boolean): Promise<void> {
    await transport().call('checkpoints.pin', { id, pinned });
    this.checkpoints = this.checkpoints.map((c) => (c.id === id ? { ...c, pinned } : c));
  }

  async deleteCheckpoint(id: number): Promise<void> {
    await transport().call('checkpoints.delete', { id });
    this.checkpoints = this.checkpoints.filter((c) => c.id !== id);
  }
}

function alertOf(e: EventInfo): Alert {
  return { step: e.step, level: e.level, code: e.code, message: e.message };
}

export const runView = new RunViewState();
