// The studio service: implements the API contract over the store, the run manager and one-shot
// engine workers (dataset import, generation). Transport-agnostic: the Electron and web bindings
// call `call(method, payload)` and forward `subscribe` events; it knows nothing of Electron.

import { randomUUID } from 'node:crypto';
import { open, rm, unlink } from 'node:fs/promises';
import { availableParallelism, freemem, totalmem } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { splitSizes } from '../../src-worker/data/split';
import { dispatch, StudioError, describeProblems, validateRunConfig } from '../api';
import type {
  CheckpointInfo,
  DatasetInfo,
  DatasetStats,
  MetricSeries,
  RunConfig,
  RunDetail,
  RunSummary,
  StudioEvent,
  StudioHandlers,
  ValidInput,
  VerifyReport,
} from '../api';
import { exportHuggingFaceFolder } from '../../src-worker/checkpoint/export';
import type { TensorData } from '../../src-worker/checkpoint/format';
import { readCheckpoint, verifyCheckpoint } from '../../src-worker/checkpoint/read';
import { readPins, setPinned } from '../../src-worker/train/pins';
import type { WorkerEvent } from '../../src-worker/protocol';
import { storedRunOf } from '../../src-worker/train/checkpointing';
import { APP_VERSION } from '../../src-worker/version';
import { ensureDataDir } from './data-dir';
import type { DataDirLayout, DataDirResolution } from './data-dir';
import { checkDataFolder, describeDataFolder, saveChoice } from './data-folder-choice';
import { answeredBy, ErrorLog } from './error-log';
import { exportMetrics } from './export-metrics';
import { cutHistory, forkRun } from './history';
import { applyEdits, datasetFiles, defaultRunConfig, specFor, withSteps } from './run-config';
import { newestVerifiedCheckpoint, skippedEvent } from './resume-point';
import { RunManager } from './run-manager';
import { isStorageFault } from './store/integrity';
import type { GenerationEvent, RequestErrorEvent } from './run-manager';
import { datasetInfo, defaultConcurrency, defaultSettings, runSummary, Store } from './store';
import type { DatasetRecord, RunRecord } from './store';
import { WorkerClient } from './worker-client';

export interface StudioOptions {
  dataDir: string;
  /** The bundled engine worker, out/engine/worker.js. */
  workerScript: string;
  flushMs?: number; // how often a worker posts its batched training events (default 200)
  heartbeatMs?: number; // how often a worker says it is alive (default 1000)
  updateIntervalMs?: number; // the fastest a run's monitoring updates reach subscribers (default 100)
  shutdownGraceMs?: number; // how long close() waits for each run's final checkpoint (default 60 s)
  heartbeatTimeoutMs?: number; // a fixed hang limit instead of the heartbeatTimeoutSeconds setting
  cores?: number; // for the default concurrency (default: this machine's)
  freeMemory?: () => number; // for the memory check (default: os.freemem)
  /** How dataDir was decided and where a new choice is saved; without it the folder cannot be changed. */
  dataFolder?: Omit<DataDirResolution, 'dataDir'>;
  /** better-sqlite3's native addon for the database, instead of node_modules' (Node's build). */
  nativeBinding?: string;
  /** A call or a run's recording hit a fault of the database file (RecoverableStudio handles it). */
  onStorageFault?: (err: unknown) => void;
}

/** Runs that may be resumed from a checkpoint (a paused one only when no worker holds it). */
const RESUMABLE = ['paused', 'stopped', 'interrupted', 'failed', 'completed'] as const;

interface GenerationJob {
  generationId: string;
  client: WorkerClient;
  requestId: number;
}

export class Studio {
  readonly handlers: StudioHandlers;
  readonly layout: DataDirLayout;
  /** The data folder's log of unexpected errors (logs/studio.log). */
  readonly errorLog: ErrorLog;
  private readonly manager: RunManager;
  private readonly listeners = new Set<(event: StudioEvent) => void>();
  private readonly generations = new Map<string, GenerationJob>();
  private readonly oneShotWorkers = new Set<WorkerClient>();
  private readonly cores: number;
  private readonly freeMemory: () => number;
  private closed = false;

  private constructor(
    readonly store: Store,
    layout: DataDirLayout,
    private readonly options: StudioOptions,
  ) {
    this.layout = layout;
    this.cores = options.cores ?? availableParallelism();
    this.freeMemory = options.freeMemory ?? freemem;
    this.manager = new RunManager({
      store,
      workerScript: options.workerScript,
      flushMs: options.flushMs ?? 200,
      heartbeatMs: options.heartbeatMs ?? 1000,
      updateIntervalMs: options.updateIntervalMs ?? 100,
      shutdownGraceMs: options.shutdownGraceMs ?? 60_000,
      heartbeatTimeoutMs: () =>
        options.heartbeatTimeoutMs ?? this.store.settings.get().heartbeatTimeoutSeconds * 1000,
      maxConcurrent: () => this.store.settings.get().maxConcurrentRuns,
      emit: (event) => this.emit(event),
      onGeneration: (client, event) => this.generationEvent(client, event),
      onStorageFault: (err) => options.onStorageFault?.(err),
    });
    this.errorLog = ErrorLog.of(layout.root);
    this.handlers = answeredBy(this.createHandlers(), this.errorLog, (err) => {
      if (isStorageFault(err)) options.onStorageFault?.(err);
    });
  }

  /** Opens (or creates) the data folder and its database, recovers interrupted runs, starts the queue. */
  static async open(options: StudioOptions): Promise<Studio> {
    const layout = ensureDataDir(options.dataDir);
    const cores = options.cores ?? availableParallelism();
    const store = Store.open(layout.database, defaultSettings(cores), {
      nativeBinding: options.nativeBinding,
    });
    const studio = new Studio(store, layout, options);
    try {
      await studio.manager.recover();
    } catch (err) {
      await studio.close();
      throw err;
    }
    return studio;
  }

  /** Validates the payload against the method's schema and runs it (what every binding calls). */
  call(method: string, payload: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new StudioError('conflict', 'The studio is closed.'));
    return dispatch(this.handlers, method, payload);
  }

  /** Receives every event; returns the function that unsubscribes. */
  subscribe(listener: (event: StudioEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops every run with a checkpoint, ends the other workers and closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.manager.close();
    await Promise.all([...this.oneShotWorkers].map((w) => w.terminate()));
    this.store.close();
    this.listeners.clear();
  }

  /**
   * Closes without writing another record: the database is damaged (see RecoverableStudio). The
   * runs stop with a checkpoint in their folders; the one-shot workers end.
   */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.manager.detach();
    await Promise.all([...this.oneShotWorkers].map((w) => w.terminate()));
    this.store.close();
    this.listeners.clear();
  }

  private emit(event: StudioEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A subscriber's failure is its own; the service and the other subscribers go on.
      }
    }
  }

  private createHandlers(): StudioHandlers {
    return {
      'datasets.import': (i) => this.importDataset(i),
      'datasets.list': async () => this.store.datasets.list().map(datasetInfo),
      'datasets.get': async ({ id }) => datasetInfo(this.dataset(id)),
      'datasets.stats': async (i) => this.datasetStats(i.id, i.valFraction ?? 0.1),
      'datasets.preview': (i) => this.previewDataset(i),
      'datasets.delete': (i) => this.deleteDataset(i.id),

      'runs.defaults': async (i) => this.defaults(i.datasetId, i.preset ?? 'tiny'),
      'runs.validate': async ({ config }) => {
        const check = this.check(config);
        return { ok: check.problems.length === 0, problems: check.problems, estimate: check.estimate };
      },
      'runs.create': async ({ config }) => this.createRun(config),
      'runs.list': async (filter) => this.store.runs.list(filter).map(runSummary),
      'runs.get': async ({ id }) => this.detail(id),
      'runs.start': async ({ id }) => this.startRun(id),
      'runs.pause': (i) => this.pauseRun(i.id),
      'runs.resume': (i) => this.resumeRun(i),
      'runs.stop': (i) => this.stopRun(i.id),
      'runs.delete': (i) => this.deleteRun(i.id),
      'runs.duplicate': async (i) => this.duplicateRun(i.id, i.edits ?? {}),
      'runs.rename': async ({ id, name }) => this.changeRun(id, () => this.store.runs.rename(id, name)),
      'runs.setTags': async ({ id, tags }) =>
        this.changeRun(id, () => this.store.tags.set(id, [...new Set(tags)])),
      'runs.setNotes': async ({ id, notes }) => this.changeRun(id, () => this.store.runs.setNotes(id, notes)),
      'runs.events': async (i) => {
        this.run(i.id);
        return this.store.events.list(i.id, i.kinds, i.limit ?? 500);
      },
      'runs.samples': async (i) => {
        this.run(i.id);
        return this.store.samples.list(i.id, i.limit ?? 100);
      },
      'runs.histograms': async (i) => {
        this.run(i.id);
        return {
          steps: this.store.histograms.steps(i.id, i.kind),
          histogram: this.store.histograms.at(i.id, i.kind, i.step ?? Number.MAX_SAFE_INTEGER),
        };
      },
      'tags.list': async () => this.store.tags.list(),

      'metrics.keys': async ({ runId }) => {
        this.run(runId);
        return this.store.metrics.keys(runId);
      },
      'metrics.series': async (i) => this.series(i),
      'metrics.export': async (i) => {
        this.run(i.runId);
        return exportMetrics(this.store.metrics, i.runId, i.format, i.path ?? null);
      },

      'checkpoints.list': async ({ runId }) => {
        this.run(runId);
        const list = this.store.checkpoints.list(runId);
        const pins = list.length === 0 ? new Set<string>() : await readPins(dirname(list[0].path));
        return list.map((c) => ({ ...c, pinned: pins.has(basename(c.path)) }));
      },
      'checkpoints.pin': async ({ id, pinned }) => {
        await setPinned(this.checkpoint(id).path, pinned);
        return { pinned };
      },
      'checkpoints.verify': (i) => this.verify(i.id),
      'checkpoints.export': (i) => this.exportCheckpoint(i),
      'checkpoints.resume': (i) => {
        const c = this.checkpoint(i.id);
        return this.resumeRun({ id: c.runId, checkpointId: c.id, mode: i.mode });
      },
      'checkpoints.delete': (i) => this.deleteCheckpoint(i.id),

      'generation.start': async (i) => this.startGeneration(i),
      'generation.cancel': async ({ generationId }) => {
        const job = this.generations.get(generationId);
        if (job === undefined) return { cancelled: false };
        job.client.send({ type: 'cancel-generation', generationRequestId: job.requestId });
        return { cancelled: true };
      },

      'settings.get': async () => this.store.settings.get(),
      'settings.update': async (patch) => {
        const settings = this.store.settings.update(patch);
        this.manager.pump(); // a higher limit starts queued runs now
        return settings;
      },
      'dataFolder.get': async () => describeDataFolder(this.layout.root, this.dataFolderContext()),
      'dataFolder.choose': async ({ path }) => {
        const context = this.dataFolderContext();
        const dir = path === null ? null : await checkDataFolder(path, this.layout.root, context.defaultDir);
        await saveChoice(context.choiceFile, dir, context.defaultDir);
        return describeDataFolder(this.layout.root, context);
      },
      // A damaged database is answered by RecoverableStudio, which wraps this service.
      'store.status': async () => ({ damage: null }),
      'store.recover': async () => {
        throw new StudioError(
          'conflict',
          `The database ${this.layout.database} is sound; there is nothing to recover.`,
        );
      },
      'system.info': async () => ({
        appVersion: APP_VERSION,
        dataDir: this.layout.root,
        cores: this.cores,
        freeMemoryBytes: this.freeMemory(),
        totalMemoryBytes: totalmem(),
        defaultConcurrency: defaultConcurrency(this.cores),
      }),
    };
  }

  // --- lookups ----------------------------------------------------------------------------------

  private dataFolderContext(): Omit<DataDirResolution, 'dataDir'> {
    if (this.options.dataFolder === undefined) {
      throw new StudioError(
        'conflict',
        `This studio was opened on ${this.layout.root} by its caller, with no saved choice to change.`,
      );
    }
    return this.options.dataFolder;
  }

  private dataset(id: number): DatasetRecord {
    const d = this.store.datasets.get(id);
    if (d === null) throw new StudioError('not-found', `There is no dataset with id ${id}.`);
    return d;
  }

  private run(id: number): RunRecord {
    const r = this.store.runs.get(id);
    if (r === null) throw new StudioError('not-found', `There is no run with id ${id}.`);
    return r;
  }

  private checkpoint(id: number): CheckpointInfo {
    const c = this.store.checkpoints.get(id);
    if (c === null) throw new StudioError('not-found', `There is no checkpoint with id ${id}.`);
    return c;
  }

  private summary(id: number): RunSummary {
    return runSummary(this.run(id));
  }

  private detail(id: number): RunDetail {
    const r = this.run(id);
    return {
      ...runSummary(r),
      config: r.config,
      spec: r.spec,
      notes: r.notes,
      errorStack: r.errorStack,
      checkpoints: this.store.checkpoints.list(id),
      progress: this.manager.progressOf(id),
    };
  }

  private changeRun(id: number, change: () => void): RunSummary {
    this.run(id);
    change();
    const summary = this.summary(id);
    this.emit({ type: 'run-changed', run: summary });
    return summary;
  }

  // --- datasets ---------------------------------------------------------------------------------

  private async importDataset(i: ValidInput<'datasets.import'>): Promise<DatasetInfo> {
    const jobId = i.jobId ?? randomUUID();
    const source = resolve(i.path);
    const dir = join(this.layout.datasets, randomUUID());
    const progress = (
      phase: 'failed' | 'reading' | 'tokenizer' | 'encoding' | 'writing',
      error: string | null = null,
    ): void => this.emit({ type: 'dataset-import', jobId, phase, dataset: null, error });
    const client = this.oneShot((event) => {
      if (event.type === 'dataset-progress') progress(event.phase);
    });
    const requestId = client.send({ type: 'import-dataset', source, tokenizer: i.tokenizer, outDir: dir });
    try {
      const reply = await client.waitFor(
        (e) => (e.type === 'dataset-imported' || e.type === 'error') && e.requestId === requestId,
        null,
        'import the dataset',
      );
      if (reply.type === 'error') throw new StudioError('failed', reply.error.message);
      if (reply.type !== 'dataset-imported') throw new Error(`unexpected reply ${reply.type}`);
      const d = reply.dataset;
      const id = this.store.datasets.insert({
        name: i.name ?? basename(source, extname(source)),
        sourcePath: source,
        dir,
        files: d.stats.files,
        bytes: d.stats.bytes,
        characters: d.stats.characters,
        lines: d.stats.lines,
        sha256: d.stats.sha256,
        tokenizer: i.tokenizer,
        vocabSize: d.tokenizer.vocabSize,
        tokens: d.tokens,
        topTokens: d.topTokens,
      });
      const info = datasetInfo(this.dataset(id));
      this.emit({ type: 'dataset-import', jobId, phase: 'done', dataset: info, error: null });
      return info;
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      const message = err instanceof Error ? err.message : String(err);
      progress('failed', message);
      throw err instanceof StudioError ? err : new StudioError('failed', message);
    }
  }

  private datasetStats(id: number, valFraction: number): DatasetStats {
    const d = this.dataset(id);
    const split = splitSizes(d.tokens, valFraction);
    return {
      ...datasetInfo(d),
      valFraction,
      trainTokens: split.train,
      valTokens: split.val,
      charactersPerToken: d.tokens === 0 ? 0 : d.characters / d.tokens,
      topTokens: d.topTokens,
    };
  }

  private async previewDataset(i: ValidInput<'datasets.preview'>): Promise<{
    datasetId: number;
    offset: number;
    text: string;
    totalCharacters: number;
  }> {
    const d = this.dataset(i.id);
    const offset = i.offset ?? 0;
    const characters = i.characters ?? 2000;
    // UTF-8 needs at most 4 bytes a character: this many bytes from the start hold the window.
    const handle = await open(datasetFiles(d).corpus, 'r');
    try {
      const want = Math.min(d.bytes, (offset + characters) * 4);
      const buffer = Buffer.alloc(want);
      const { bytesRead } = await handle.read(buffer, 0, want, 0);
      const text = new TextDecoder().decode(buffer.subarray(0, bytesRead), { stream: true });
      const chars = Array.from(text);
      return {
        datasetId: d.id,
        offset,
        text: chars.slice(offset, offset + characters).join(''),
        totalCharacters: d.characters,
      };
    } finally {
      await handle.close();
    }
  }

  private async deleteDataset(id: number): Promise<{ deleted: true }> {
    const d = this.dataset(id);
    const users = this.store.datasets.runNames(id);
    if (users.length > 0) {
      throw new StudioError(
        'conflict',
        `Dataset "${d.name}" is used by ${users.length} run${users.length === 1 ? '' : 's'} ` +
          `(${users.slice(0, 5).join(', ')}${users.length > 5 ? ', …' : ''}); delete those runs first.`,
      );
    }
    this.store.datasets.delete(id);
    await rm(d.dir, { recursive: true, force: true });
    this.emit({ type: 'dataset-deleted', datasetId: id });
    return { deleted: true };
  }

  // --- runs -------------------------------------------------------------------------------------

  private check(config: unknown): ReturnType<typeof validateRunConfig> {
    const datasetId = (config as { datasetId?: unknown } | null)?.datasetId;
    const dataset = typeof datasetId === 'number' ? this.store.datasets.get(datasetId) : null;
    return validateRunConfig(config, { dataset, freeMemoryBytes: this.freeMemory() });
  }

  /** The config if it is valid; else a StudioError listing every problem by field. */
  private validConfig(config: unknown): RunConfig {
    const check = this.check(config);
    if (check.config === null || check.problems.length > 0) {
      throw new StudioError(
        'invalid-config',
        `The run config is not valid: ${describeProblems(check.problems)}`,
        check.problems,
      );
    }
    return check.config;
  }

  private async defaults(datasetId: number, preset: 'tiny' | 'small'): Promise<RunConfig> {
    const d = this.dataset(datasetId);
    // The sample prompt is the corpus's first character: every tokenizer can encode it.
    const handle = await open(datasetFiles(d).corpus, 'r');
    let first = '\n';
    try {
      const buffer = Buffer.alloc(4);
      const { bytesRead } = await handle.read(buffer, 0, 4, 0);
      first =
        Array.from(new TextDecoder().decode(buffer.subarray(0, bytesRead), { stream: true }))[0] ?? '\n';
    } finally {
      await handle.close();
    }
    return defaultRunConfig(d, preset, this.store.settings.get(), first, this.cores);
  }

  private createRun(input: unknown, parent: RunRecord | null = null): RunDetail {
    const config = this.validConfig(input);
    const dataset = this.dataset(config.datasetId);
    const id = this.store.transaction(() => {
      const runId = this.store.runs.insert({
        name: config.name,
        origin: 'studio',
        datasetId: dataset.id,
        config,
        spec: specFor(config, dataset),
        dir: join(this.layout.runs, '{id}'),
        totalSteps: config.train.steps,
        parentRunId: parent?.id ?? null,
        forkedAtStep: null,
      });
      if (parent !== null) this.store.tags.set(runId, parent.tags);
      this.store.events.insert(runId, {
        step: 0,
        kind: 'lifecycle',
        level: 'info',
        code: 'created',
        message: parent === null ? 'Run created.' : `Run created as a copy of "${parent.name}".`,
      });
      return runId;
    });
    this.emit({ type: 'run-changed', run: this.summary(id) });
    return this.detail(id);
  }

  private duplicateRun(id: number, edits: ValidInput<'runs.duplicate'>['edits'] & object): RunDetail {
    const source = this.run(id);
    if (source.config === null) {
      throw new StudioError(
        'conflict',
        `Run "${source.name}" was started from a terminal and has no studio config to copy.`,
      );
    }
    const config = applyEdits({ ...source.config, name: `${source.config.name} (copy)` }, edits);
    return this.createRun(config, source);
  }

  private startRun(id: number): RunSummary {
    const run = this.run(id);
    if (run.status !== 'created') {
      throw new StudioError(
        'conflict',
        `Run "${run.name}" is ${run.status}; only a new run starts. Use resume to continue it from a checkpoint.`,
      );
    }
    this.manager.enqueue(id, null);
    return this.summary(id);
  }

  private async pauseRun(id: number): Promise<RunSummary> {
    const run = this.run(id);
    if (this.manager.isLive(id)) await this.manager.pause(id);
    else if (run.status !== 'paused') {
      throw new StudioError(
        'conflict',
        `Run "${run.name}" is ${run.status}; only a training run can be paused.`,
      );
    }
    return this.summary(id);
  }

  private async stopRun(id: number): Promise<RunSummary> {
    const run = this.run(id);
    if (this.manager.isLive(id)) {
      await this.manager.stop(id);
    } else if (run.status === 'queued' || run.status === 'paused') {
      // Nothing trains it: a queued run leaves the queue; a paused one keeps its checkpoint.
      const trained = run.step > 0 || this.store.checkpoints.latestGood(id) !== null;
      this.store.runs.setStatus(id, {
        status: trained ? 'stopped' : 'created',
        message: trained ? `Stopped at step ${run.step}.` : null,
        stopReason: trained ? 'stopped' : null,
        finished: trained,
      });
      this.emit({ type: 'run-changed', run: this.summary(id) });
    }
    return this.summary(id);
  }

  /**
   * Continues a run: a paused worker simply resumes; otherwise the run is queued to start from a
   * checkpoint (by default its newest good one). From an older checkpoint the later history is cut,
   * or — mode 'fork' — a new run is made that shares the history up to that step.
   */
  private async resumeRun(i: {
    id: number;
    checkpointId?: number | undefined;
    mode?: 'cut' | 'fork' | undefined;
    steps?: number | undefined;
  }): Promise<RunSummary> {
    const run = this.run(i.id);
    if (this.manager.isLive(run.id)) {
      if (i.checkpointId !== undefined || i.steps !== undefined) {
        throw new StudioError(
          'conflict',
          `Run "${run.name}" is training; stop it before resuming it from a checkpoint.`,
        );
      }
      await this.manager.resume(run.id);
      return this.summary(run.id);
    }
    if (!(RESUMABLE as readonly string[]).includes(run.status)) {
      throw new StudioError(
        'conflict',
        run.status === 'created'
          ? `Run "${run.name}" has not started yet; start it instead.`
          : `Run "${run.name}" is ${run.status}; it cannot be resumed now.`,
      );
    }
    const point =
      i.checkpointId === undefined
        ? await newestVerifiedCheckpoint(this.store, run.id)
        : { checkpoint: this.checkpoint(i.checkpointId), skipped: [] };
    const checkpoint = point.checkpoint;
    if (checkpoint !== null && checkpoint.runId !== run.id) {
      throw new StudioError('invalid-input', `Checkpoint ${checkpoint.id} belongs to another run.`);
    }
    if (checkpoint !== null && !checkpoint.finite) {
      throw new StudioError(
        'conflict',
        `The checkpoint of step ${checkpoint.step} holds NaN or infinite weights; resume from an earlier one.`,
      );
    }
    const from = checkpoint?.step ?? 0;
    let lengthened: RunConfig | null = null;
    if (i.steps !== undefined) {
      if (i.steps <= from) {
        throw new StudioError(
          'invalid-input',
          `steps must be more than ${from}, the step the run resumes from.`,
          [{ field: 'steps', message: `must be more than ${from}` }],
        );
      }
      if (run.config === null) {
        throw new StudioError(
          'conflict',
          `Run "${run.name}" was started from a terminal; change its length there.`,
        );
      }
      lengthened = this.validConfig(withSteps(run.config, i.steps));
    } else if (from >= run.totalSteps) {
      throw new StudioError(
        'conflict',
        `Run "${run.name}" has trained all ${run.totalSteps} steps; give a larger number of steps to train it further.`,
      );
    }
    const checkpointId = checkpoint?.id ?? null;
    /** Queues the run that will train, with its new length if one was given (inside the transaction). */
    const queue = (id: number): void => {
      if (lengthened !== null) {
        const config = { ...lengthened, name: (this.store.runs.get(id) as RunRecord).name };
        this.store.runs.setConfig(
          id,
          config,
          specFor(config, this.dataset(config.datasetId)),
          config.train.steps,
        );
      }
      this.store.runs.enqueue(id, checkpointId);
      for (const skipped of point.skipped) this.store.events.insert(id, skippedEvent(skipped, from));
    };
    if (i.mode === 'fork') {
      if (checkpoint === null)
        throw new StudioError('conflict', `Run "${run.name}" has no checkpoint to fork from.`);
      const forkId = forkRun(this.store, run, from, this.layout.runs, queue);
      this.afterQueued(forkId);
      return this.summary(forkId);
    }
    const later = run.step > from || this.store.checkpoints.list(run.id).some((c) => c.step > from);
    if (later) {
      const stale = cutHistory(this.store, run, from, () => queue(run.id));
      // The rows went with the commit; the files of the cut part follow (a leftover is harmless).
      await Promise.all(stale.map((path) => unlink(path).catch(() => undefined)));
    } else {
      this.store.transaction(() => queue(run.id));
    }
    this.afterQueued(run.id);
    return this.summary(run.id);
  }

  private afterQueued(id: number): void {
    this.emit({ type: 'run-changed', run: this.summary(id) });
    this.manager.pump();
  }

  private async deleteRun(id: number): Promise<{ deleted: true }> {
    const run = this.run(id);
    if (this.manager.isLive(id) || run.status === 'queued') {
      throw new StudioError('conflict', `Run "${run.name}" is ${run.status}; stop it before deleting it.`);
    }
    for (const c of this.store.checkpoints.list(id)) {
      const users = this.store.checkpoints.queuedUsers(c.id);
      if (users.length > 0) {
        throw new StudioError(
          'conflict',
          `Run "${users[0]}" is queued to start from this run's checkpoint of step ${c.step}; stop it first.`,
        );
      }
    }
    this.store.runs.delete(id);
    await rm(run.dir, { recursive: true, force: true });
    this.emit({ type: 'run-deleted', runId: id });
    return { deleted: true };
  }

  // --- metrics ----------------------------------------------------------------------------------

  private series(i: ValidInput<'metrics.series'>): MetricSeries[] {
    const out: MetricSeries[] = [];
    for (const runId of i.runIds) {
      this.run(runId);
      for (const key of i.keys)
        out.push(this.store.metrics.series(runId, key, i.maxPoints, i.fromStep, i.toStep));
    }
    return out;
  }

  // --- checkpoints ------------------------------------------------------------------------------

  private async verify(id: number): Promise<VerifyReport> {
    const c = this.checkpoint(id);
    const result = await verifyCheckpoint(c.path);
    if (!result.ok) {
      return {
        checkpointId: id,
        ok: false,
        message: result.error.message,
        sha256: null,
        matchesRecord: false,
      };
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

  private async exportCheckpoint(i: ValidInput<'checkpoints.export'>): Promise<{
    dir: string;
    files: string[];
    modelBytes: number;
  }> {
    const c = this.checkpoint(i.id);
    const run = this.run(c.runId);
    if (!c.finite) {
      throw new StudioError(
        'conflict',
        `The checkpoint of step ${c.step} holds NaN or infinite weights; export an earlier one.`,
      );
    }
    const ckpt = await readCheckpoint(c.path);
    const h = ckpt.header;
    const { spec } = storedRunOf(ckpt, c.path);
    const tensors = new Map<string, TensorData>();
    for (const [name, t] of ckpt.tensors)
      if (name.startsWith('param/')) tensors.set(name.slice('param/'.length), t);
    const finalMetrics: Record<string, number> = {};
    if (c.valLoss !== null) {
      finalMetrics['validation loss'] = c.valLoss;
      finalMetrics['validation perplexity'] = Math.exp(c.valLoss);
    }
    if (h.bestMetric !== null) finalMetrics['best validation loss'] = h.bestMetric.value;
    const dataset = run.datasetId === null ? null : this.store.datasets.get(run.datasetId);
    const csv = (await exportMetrics(this.store.metrics, run.id, 'csv', null, c.step)).content ?? '';
    const result = await exportHuggingFaceFolder(resolve(i.dir), {
      modelConfig: h.modelConfig,
      tensors,
      tokenizerJson: h.tokenizer,
      dtype: i.dtype ?? 'f32',
      overwrite: i.overwrite === true,
      metricsCsv: csv,
      trainingSummary: {
        runName: run.name,
        appVersion: h.appVersion,
        dataset: {
          name: dataset?.name ?? (spec.data.kind === 'sample' ? 'built-in sample corpus' : spec.data.path),
          tokens: dataset?.tokens ?? 0,
        },
        tokenizer: `${spec.tokenizer.kind}, ${h.modelConfig.vocabSize} tokens`,
        steps: h.step,
        epochs: h.epoch,
        tokensSeen: h.tokensSeen,
        finalMetrics,
        finishedAt: h.createdAt,
      },
    });
    return { dir: result.dir, files: result.files, modelBytes: result.modelBytes };
  }

  private async deleteCheckpoint(id: number): Promise<{ deleted: true }> {
    const c = this.checkpoint(id);
    if (this.manager.isLive(c.runId)) {
      // The worker's retention bookkeeping holds this file; it must not vanish under it.
      throw new StudioError('conflict', 'The run is training; stop it before deleting its checkpoints.');
    }
    const users = this.store.checkpoints.queuedUsers(id);
    if (users.length > 0) {
      throw new StudioError(
        'conflict',
        `Run "${users[0]}" is queued to start from this checkpoint; stop it first.`,
      );
    }
    this.store.checkpoints.delete(id, c.runId);
    await unlink(c.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    return { deleted: true };
  }

  // --- generation -------------------------------------------------------------------------------

  private startGeneration(i: ValidInput<'generation.start'>): { generationId: string } {
    if ((i.checkpointId === undefined) === (i.runId === undefined)) {
      throw new StudioError(
        'invalid-input',
        'Give either checkpointId (a checkpoint) or runId (a training run).',
        [{ field: 'checkpointId', message: 'give exactly one of checkpointId and runId' }],
      );
    }
    const generationId = i.generationId ?? randomUUID();
    if (this.generations.has(generationId)) {
      throw new StudioError('conflict', `A generation with id ${generationId} is running already.`);
    }
    const options = {
      maxTokens: i.maxTokens,
      seed: i.seed,
      temperature: i.temperature,
      topK: i.topK,
      topP: i.topP,
    };
    let client: WorkerClient | null = null;
    let source: { kind: 'live' } | { kind: 'checkpoint'; path: string; backend: 'ts' | 'wasm' };
    if (i.runId !== undefined) {
      const live = this.manager.liveClient(i.runId);
      if (live === null) {
        throw new StudioError(
          'conflict',
          `Run ${i.runId} is not training now; generate from one of its checkpoints.`,
        );
      }
      client = live;
      source = { kind: 'live' };
    } else {
      const c = this.checkpoint(i.checkpointId as number);
      const worker = this.oneShot(
        (event) => {
          if (event.type === 'generation' || event.type === 'error') this.generationEvent(worker, event);
        },
        () => this.endGeneration(generationId, 'The generation worker ended before it finished.'),
      );
      client = worker;
      source = { kind: 'checkpoint', path: c.path, backend: this.run(c.runId).spec.backend };
    }
    const requestId = client.send({ type: 'generate', source, prompt: i.prompt, options });
    this.generations.set(generationId, { generationId, client, requestId });
    return { generationId };
  }

  /** Routes a worker's generation text (or a request's error) to its generation; false if unknown. */
  private generationEvent(client: WorkerClient, event: GenerationEvent | RequestErrorEvent): boolean {
    const job = [...this.generations.values()].find(
      (j) => j.client === client && j.requestId === event.requestId,
    );
    if (job === undefined) return false;
    if (event.type === 'error') {
      this.endGeneration(job.generationId, event.error.message);
      return true;
    }
    if (event.done) this.generations.delete(job.generationId);
    this.emit({
      type: 'generation',
      generationId: job.generationId,
      text: event.text,
      tokens: event.tokens,
      done: event.done,
      cancelled: event.cancelled,
      error: null,
    });
    return true;
  }

  private endGeneration(generationId: string, error: string): void {
    if (!this.generations.delete(generationId)) return;
    this.emit({ type: 'generation', generationId, text: '', tokens: 0, done: true, cancelled: false, error });
  }

  /** A worker for one job (an import or a generation); it exits by itself when the job is done. */
  private oneShot(onEvent: (event: WorkerEvent) => void, onExit: () => void = () => undefined): WorkerClient {
    const client: WorkerClient = new WorkerClient({
      script: this.options.workerScript,
      flushMs: this.options.flushMs ?? 200,
      heartbeatMs: this.options.heartbeatMs ?? 1000,
      onEvent,
      onExit: () => {
        this.oneShotWorkers.delete(client);
        onExit();
      },
    });
    this.oneShotWorkers.add(client);
    return client;
  }
}
