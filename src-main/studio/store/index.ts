// The Store: the database and one repository per table, opened together and closed together.

import type { Settings } from '../../api';
import { openDatabase } from '../db';
import type { Db, OpenOptions } from '../db';
import { ChangesRepo } from './changes';
import { CheckpointsRepo } from './checkpoints';
import { DatasetsRepo } from './datasets';
import { EventsRepo } from './events';
import { HistogramsRepo } from './histograms';
import { MetricsRepo } from './metrics';
import { RunCommandsRepo } from './run-commands';
import { RunsRepo } from './runs';
import { SamplesRepo } from './samples';
import { SettingsRepo } from './settings';
import { TagsRepo } from './tags';

export class Store {
  readonly datasets: DatasetsRepo;
  readonly runs: RunsRepo;
  readonly runCommands: RunCommandsRepo;
  readonly metrics: MetricsRepo;
  readonly events: EventsRepo;
  readonly checkpoints: CheckpointsRepo;
  readonly histograms: HistogramsRepo;
  readonly samples: SamplesRepo;
  readonly tags: TagsRepo;
  readonly settings: SettingsRepo;
  readonly changes: ChangesRepo;

  constructor(
    readonly db: Db,
    defaults: Settings,
  ) {
    this.datasets = new DatasetsRepo(db);
    this.runs = new RunsRepo(db);
    this.runCommands = new RunCommandsRepo(db);
    this.metrics = new MetricsRepo(db);
    this.events = new EventsRepo(db);
    this.checkpoints = new CheckpointsRepo(db);
    this.histograms = new HistogramsRepo(db);
    this.samples = new SamplesRepo(db);
    this.tags = new TagsRepo(db);
    this.settings = new SettingsRepo(db, defaults);
    this.changes = new ChangesRepo(db);
  }

  /** `options.nativeBinding`: better-sqlite3's addon to load instead of node_modules' (see db.ts). */
  static open(path: string, defaults: Settings, options: Pick<OpenOptions, 'nativeBinding'> = {}): Store {
    return new Store(openDatabase(path, options), defaults);
  }

  /** Runs `fn` in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export type { RunRecord, StatusChange } from './runs';
export type { DatasetRecord, TopToken } from './datasets';
export type { RunCommand, RunCommandKind } from './run-commands';
export { runSummary } from './runs';
export { datasetInfo } from './datasets';
export { defaultConcurrency, defaultSettings } from './settings';
