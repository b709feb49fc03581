// The studio service: implements the API contract over the store, the run manager and one-shot
// engine workers (dataset import, generation). Transport-agnostic: the Electron and web bindings
// call `call(method, payload)` and forward `subscribe` events; it knows nothing of Electron.
// Each concern is a service under services/ that contributes its share of the handler map.

import { availableParallelism, freemem } from 'node:os';
import { dispatch, StudioError } from '../api';
import type { StudioEvent, StudioHandlers } from '../api';
import { torchProgramPath } from '../../src-worker/torch-launch/program';
import { ensureDataDir } from './data-dir';
import { ExternalRuns } from './external-runs';
import { answeredBy, ErrorLog } from './error-log';
import type { DataDirLayout, DataDirResolution } from './data-dir';
import { OneShotWorkers } from './one-shot-workers';
import { RunManager } from './run-manager';
import { checkpointHandlers } from './services/checkpoints';
import type { StudioContext } from './services/context';
import { datasetHandlers } from './services/datasets';
import { engineHandlers } from './services/engines';
import { Generations } from './services/generation';
import { metricHandlers } from './services/metrics';
import { runHandlers } from './services/runs';
import { settingsHandlers } from './services/settings';
import { storeHealthHandlers } from './services/store-health';
import { defaultSettings, Store } from './store';
import { isStorageFault } from './store/integrity';
import { Subscribers } from './subscribers';

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
  /** The PyTorch engine program (default: the app's cllm_torch.py). */
  torchProgram?: string;
  /** better-sqlite3's native addon for the database, instead of node_modules' (Node's build). */
  nativeBinding?: string;
  /** How often the database is asked whether another process (a terminal run) wrote (default 250). */
  externalPollMs?: number;
  /** A call or a run's recording hit a fault of the database file (RecoverableStudio handles it). */
  onStorageFault?: (err: unknown) => void;
}

export class Studio {
  readonly handlers: StudioHandlers;
  /** The data folder's log of unexpected errors (logs/studio.log). */
  readonly errorLog: ErrorLog;
  private readonly manager: RunManager;
  private readonly workers: OneShotWorkers;
  private external: ExternalRuns | null = null;
  private readonly subscribers = new Subscribers<StudioEvent>();
  private closed = false;

  private constructor(
    readonly store: Store,
    readonly layout: DataDirLayout,
    options: StudioOptions,
  ) {
    const flushMs = options.flushMs ?? 200;
    const heartbeatMs = options.heartbeatMs ?? 1000;
    this.workers = new OneShotWorkers({ script: options.workerScript, flushMs, heartbeatMs });
    const torchProgram = options.torchProgram ?? torchProgramPath();
    this.manager = new RunManager({
      store,
      workerScript: options.workerScript,
      flushMs,
      heartbeatMs,
      updateIntervalMs: options.updateIntervalMs ?? 100,
      shutdownGraceMs: options.shutdownGraceMs ?? 60_000,
      heartbeatTimeoutMs: () =>
        options.heartbeatTimeoutMs ?? store.settings.get().heartbeatTimeoutSeconds * 1000,
      maxConcurrent: () => store.settings.get().maxConcurrentRuns,
      emit: (event) => this.subscribers.emit(event),
      onGeneration: (client, event) => generations.route(client, event),
      onStorageFault: (err) => options.onStorageFault?.(err),
      python: () => store.settings.get().pythonPath,
      torchProgram,
      cores: options.cores ?? availableParallelism(),
    });
    const ctx: StudioContext = {
      store,
      layout,
      manager: this.manager,
      workers: this.workers,
      cores: options.cores ?? availableParallelism(),
      freeMemory: options.freeMemory ?? freemem,
      emit: (event) => this.subscribers.emit(event),
    };
    const generations = new Generations(ctx);
    this.errorLog = ErrorLog.of(layout.root);
    const handlers: StudioHandlers = {
      ...datasetHandlers(ctx),
      ...runHandlers(ctx),
      ...metricHandlers(ctx),
      ...checkpointHandlers(ctx),
      ...generations.handlers,
      ...settingsHandlers(ctx, options.dataFolder),
      ...engineHandlers(ctx, torchProgram),
      ...storeHealthHandlers(ctx),
    };
    this.handlers = answeredBy(handlers, this.errorLog, (err) => {
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
      studio.external = new ExternalRuns({
        store,
        trains: (runId) => studio.manager.trains(runId),
        emit: (event) => studio.subscribers.emit(event),
        intervalMs: options.externalPollMs ?? 250,
        livenessMs: 1000,
      });
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
    return this.subscribers.add(listener);
  }

  /** Stops every run with a checkpoint, ends the other workers and closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.external?.close();
    await this.manager.close();
    await this.workers.terminateAll();
    this.store.close();
    this.subscribers.clear();
  }

  /**
   * Closes without writing another record: the database is damaged (see RecoverableStudio). The
   * runs stop with a checkpoint in their folders; the one-shot workers end.
   */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.manager.detach();
    await this.workers.terminateAll();
    this.store.close();
    this.subscribers.clear();
  }
}
