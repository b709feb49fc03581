// Runs another process trains (a terminal run, or another studio on the same data folder) shown in
// this studio as they happen. The database is the source of truth: a few times a second the
// studio asks SQLite whether another connection committed (data_version); when one did, it reads
// what changed and emits the same run-changed / run-update events its own runs produce, so the
// run list and the run view need no second path. About once a second it also releases runs whose
// process has died (see run-liveness.ts), so a killed terminal run does not stay `running`.

import type { EvalInfo, RunUpdate, StudioEvent } from '../api';
import { emptyUpdate, groupPoints } from './monitoring';
import { orphanedRuns, releaseOrphans } from './run-liveness';
import { runSummary } from './store';
import type { Store } from './store';
import type { RowCursors, RunStamp } from './store/changes';

export interface ExternalRunsOptions {
  store: Store;
  /** Whether this studio trains the run (its events reach subscribers from the RunManager). */
  trains(runId: number): boolean;
  emit(event: StudioEvent): void;
  /** How often the database is asked whether another process wrote to it. */
  intervalMs: number;
  /** How often the processes holding runs are checked for life. */
  livenessMs: number;
}

/** How far a followed run's monitoring has been emitted. */
interface Followed {
  step: number; // the last step points were emitted at…
  keysAtStep: Set<string>; // …and the keys emitted there (an evaluation may land in a later commit)
  progressStep: number;
  histogramStep: number;
}

export class ExternalRuns {
  private version: number;
  private stamps: Map<number, RunStamp>;
  private cursors: RowCursors;
  private readonly followed = new Map<number, Followed>();
  private readonly timer: NodeJS.Timeout;
  private lastLivenessCheck = 0;
  private releasing = false;
  private closed = false;

  constructor(private readonly opts: ExternalRunsOptions) {
    const { changes } = opts.store;
    this.version = changes.dataVersion();
    this.cursors = changes.cursors();
    this.stamps = new Map(changes.runStamps().map((s) => [s.id, s]));
    for (const s of this.stamps.values()) if (this.isExternal(s)) this.follow(s.id, false);
    this.timer = setInterval(() => this.tick(), opts.intervalMs);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  private tick(): void {
    if (this.closed) return;
    const now = Date.now();
    if (now - this.lastLivenessCheck >= this.opts.livenessMs) {
      this.lastLivenessCheck = now;
      void this.releaseDead();
    }
    try {
      const version = this.opts.store.changes.dataVersion();
      if (version === this.version) return;
      this.version = version;
      this.scan();
    } catch {
      // The database is busy past its timeout or closing: the next tick looks again.
    }
  }

  /** A process that held runs has ended without recording their end: they are released. */
  private async releaseDead(): Promise<void> {
    if (this.releasing) return;
    this.releasing = true;
    try {
      const { store } = this.opts;
      const dead = orphanedRuns(store).filter((r) => !this.opts.trains(r.id));
      for (const id of await releaseOrphans(store, dead)) {
        if (this.closed) return;
        this.followed.delete(id);
        const run = store.runs.get(id);
        if (run !== null) this.opts.emit({ type: 'run-changed', run: runSummary(run) });
      }
    } catch {
      // As in tick: the next check tries again.
    } finally {
      this.releasing = false;
    }
  }

  private isExternal(s: RunStamp): boolean {
    return s.ownerPid !== null && !this.opts.trains(s.id);
  }

  /** Starts following a run: from its beginning when it is new, else from what is stored now. */
  private follow(runId: number, isNew: boolean): void {
    const { store } = this.opts;
    const run = store.runs.get(runId);
    if (run === null) return;
    const step = isNew ? -1 : run.step;
    const keysAtStep = new Set(
      isNew
        ? []
        : store.changes
            .pointsFrom(runId, step)
            .filter((p) => p.step === step)
            .map((p) => p.key),
    );
    const histogram = store.histograms.at(runId, 'gradients', Number.MAX_SAFE_INTEGER);
    this.followed.set(runId, {
      step,
      keysAtStep,
      progressStep: isNew ? -1 : (run.lastProgress?.step ?? -1),
      histogramStep: isNew ? -1 : (histogram?.step ?? -1),
    });
  }

  /** Another connection committed: emits what it changed in runs this studio does not train. */
  private scan(): void {
    const { store, emit, trains } = this.opts;
    const { changes } = store;
    const stamps = new Map(changes.runStamps().map((s) => [s.id, s]));
    for (const id of this.stamps.keys()) {
      if (stamps.has(id)) continue;
      this.followed.delete(id);
      if (!trains(id)) emit({ type: 'run-deleted', runId: id });
    }
    const changed: number[] = [];
    for (const s of stamps.values()) {
      const before = this.stamps.get(s.id);
      if (this.isExternal(s) && !this.followed.has(s.id)) this.follow(s.id, before === undefined);
      if ((before === undefined || before.updatedAt !== s.updatedAt) && !trains(s.id)) changed.push(s.id);
    }
    this.stamps = stamps;

    const updates = new Map<number, RunUpdate>();
    const updateOf = (runId: number): RunUpdate | null => {
      if (!this.followed.has(runId)) return null;
      let u = updates.get(runId);
      if (u === undefined) updates.set(runId, (u = emptyUpdate()));
      return u;
    };
    for (const e of changes.eventsAfter(this.cursors.event)) {
      this.cursors.event = e.id;
      const u = updateOf(e.runId);
      if (u === null) continue;
      const data = (e.data ?? {}) as Record<string, unknown>;
      if (e.kind === 'alert' && e.level !== 'info') {
        u.alerts.push({
          step: e.step,
          level: e.level,
          code: e.code,
          message: e.message,
          tensor: typeof data.tensor === 'string' ? data.tensor : null,
          value: typeof data.value === 'number' ? data.value : null,
        });
      } else if (e.kind === 'eval') {
        u.evals.push(this.evalInfo(e.runId, e.step, e.code === 'best', data.confusion));
      }
    }
    for (const c of changes.checkpointsAfter(this.cursors.checkpoint)) {
      this.cursors.checkpoint = c.id;
      const info = updateOf(c.runId) === null ? null : store.checkpoints.get(c.id);
      if (info !== null) (updateOf(c.runId) as RunUpdate).checkpoints.push(info);
    }
    for (const s of changes.samplesAfter(this.cursors.sample)) {
      this.cursors.sample = s.id;
      const info = updateOf(s.runId) === null ? null : store.samples.get(s.id);
      if (info !== null) (updateOf(s.runId) as RunUpdate).samples.push(info);
    }
    for (const [runId, f] of this.followed) this.readMonitoring(runId, f, updateOf(runId) as RunUpdate);

    for (const id of changed) {
      const run = store.runs.get(id);
      if (run !== null) emit({ type: 'run-changed', run: runSummary(run) });
    }
    for (const [runId, update] of updates) {
      const empty =
        update.progress === null &&
        update.metrics.length === 0 &&
        update.evals.length === 0 &&
        update.histograms.length === 0 &&
        update.alerts.length === 0 &&
        update.checkpoints.length === 0 &&
        update.samples.length === 0;
      if (!empty) emit({ type: 'run-update', runId, update });
    }
    // A run whose process let go of it (it ended) has had its last rows emitted.
    for (const runId of [...this.followed.keys()]) {
      if (stamps.get(runId)?.ownerPid == null) this.followed.delete(runId);
    }
  }

  /** New metric points, the last progress report and a newer gradient histogram of a followed run. */
  private readMonitoring(runId: number, f: Followed, u: RunUpdate): void {
    const { store } = this.opts;
    const fresh = store.changes
      .pointsFrom(runId, Math.max(f.step, 0))
      .filter((p) => p.step > f.step || !f.keysAtStep.has(p.key));
    if (fresh.length > 0) {
      const last = fresh[fresh.length - 1].step;
      if (last > f.step) {
        f.step = last;
        f.keysAtStep = new Set();
      }
      for (const p of fresh) if (p.step === f.step) f.keysAtStep.add(p.key);
      u.metrics = groupPoints(fresh.map((p) => ({ key: p.key, step: p.step, value: p.value ?? NaN })));
    }
    const progress = store.runs.get(runId)?.lastProgress ?? null;
    if (progress !== null && progress.step > f.progressStep) {
      f.progressStep = progress.step;
      u.progress = progress;
    }
    const histogram = store.histograms.at(runId, 'gradients', Number.MAX_SAFE_INTEGER);
    if (histogram !== null && histogram.step > f.histogramStep) {
      f.histogramStep = histogram.step;
      u.histograms.push(histogram);
    }
  }

  /** An evaluation as the recorder stored it: its metrics at its step, its confusion matrix. */
  private evalInfo(runId: number, step: number, best: boolean, confusion: unknown): EvalInfo {
    const at = new Map(
      this.opts.store.changes
        .pointsFrom(runId, step)
        .filter((p) => p.step === step)
        .map((p) => [p.key, p.value]),
    );
    const value = (key: string): number | null => at.get(`val/${key}`) ?? null;
    const number = (key: string): number => value(key) ?? Number.NaN;
    return {
      step,
      valLoss: value('loss'),
      perplexity: value('perplexity'),
      accuracy: number('accuracy'),
      top5: number('top5'),
      f1Macro: number('f1_macro'),
      f1Micro: number('f1_micro'),
      f1Weighted: number('f1_weighted'),
      precisionMacro: number('precision_macro'),
      recallMacro: number('recall_macro'),
      best,
      confusion: confusion as EvalInfo['confusion'],
    };
  }
}
