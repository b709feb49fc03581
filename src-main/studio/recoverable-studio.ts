// The studio service as the bindings see it, whatever state its database is in: while the database
// is sound every call goes to the Studio; once it is found damaged (at open, or by a fault during
// use) nothing more is written to it, every call but store.status / store.recover answers
// 'store-damaged' with what happened, and store.recover replaces it as the person chose and opens
// the studio again on the new database.

import { availableParallelism } from 'node:os';
import { methods, StudioError } from '../api';
import type { StoreDamageInfo, StoreRecoveryReport, StudioEvent } from '../api';
import { dataDirLayout, ensureDataDir } from './data-dir';
import type { DataDirLayout } from './data-dir';
import { defaultSettings } from './store';
import {
  DamagedDatabaseError,
  describeDamage,
  faultOf,
  inspectDatabase,
  preserveDamaged,
} from './store/integrity';
import type { DatabaseDamage } from './store/integrity';
import { recoverDatabase, RecoveryError } from './store/recovery';
import { Studio } from './studio';
import type { StudioOptions } from './studio';
import { Subscribers } from './subscribers';

export class RecoverableStudio {
  readonly layout: DataDirLayout;
  private studio: Studio | null = null;
  private damage: DatabaseDamage | null = null;
  /** Set while a damaged studio is being closed; recovery waits for it. */
  private abandoning: Promise<void> = Promise.resolve();
  private unsubscribe: () => void = () => undefined;
  private readonly subscribers = new Subscribers<StudioEvent>();
  private closed = false;

  private constructor(private readonly options: Omit<StudioOptions, 'onStorageFault'>) {
    this.layout = dataDirLayout(options.dataDir);
  }

  /** Opens the studio; a damaged database leaves it open in the damaged state instead of failing. */
  static async open(options: Omit<StudioOptions, 'onStorageFault'>): Promise<RecoverableStudio> {
    ensureDataDir(options.dataDir);
    const recoverable = new RecoverableStudio(options);
    try {
      await recoverable.attach();
    } catch (err) {
      if (!(err instanceof DamagedDatabaseError)) throw err;
      recoverable.damage = err.damage;
    }
    return recoverable;
  }

  /** The damage found, or null while the database is sound. */
  get damaged(): DatabaseDamage | null {
    return this.damage;
  }

  /** The open service, or null while the database is damaged. */
  get current(): Studio | null {
    return this.studio;
  }

  async call(method: string, payload: unknown): Promise<unknown> {
    if (this.closed) throw new StudioError('conflict', 'The studio is closed.');
    if (this.damage === null && this.studio !== null) {
      return this.studio.call(method, payload).catch((err: unknown) => {
        // The call met the damage (it is in the log with its stack): say what happened instead.
        if (this.damage !== null) throw new StudioError('store-damaged', describeDamage(this.damage));
        throw err;
      });
    }
    if (method === 'store.status') return { damage: this.damage === null ? null : damageInfo(this.damage) };
    if (method === 'store.recover') return this.recover(payload);
    throw new StudioError('store-damaged', describeDamage(this.damage as DatabaseDamage));
  }

  subscribe(listener: (event: StudioEvent) => void): () => void {
    return this.subscribers.add(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    await this.abandoning;
    await this.studio?.close();
    this.studio = null;
    this.subscribers.clear();
  }

  private async attach(): Promise<void> {
    const studio = await Studio.open({ ...this.options, onStorageFault: (err) => this.fault(err) });
    this.studio = studio;
    this.unsubscribe = studio.subscribe((event) => this.subscribers.emit(event));
  }

  /**
   * A call or a run's recording failed on the database file. Damage (or a read error the check
   * confirms) copies the file aside and closes the studio without another write; a read error on a
   * file that checks sound is left to the caller's error.
   */
  private fault(err: unknown): void {
    if (this.damage !== null || this.studio === null) return;
    const path = this.layout.database;
    let found = faultOf(err);
    if (found.kind === 'io-error') {
      const checked = inspectDatabase(path, { nativeBinding: this.options.nativeBinding });
      if (checked === null) return;
      found = { kind: checked.kind, detail: `${found.detail}; ${checked.detail}` };
    }
    this.damage = preserveDamaged(path, found);
    const studio = this.studio;
    this.studio = null;
    this.unsubscribe();
    this.abandoning = studio.abandon();
  }

  private async recover(payload: unknown): Promise<StoreRecoveryReport> {
    const parsed = methods['store.recover'].input.safeParse(payload ?? {});
    if (!parsed.success) {
      throw new StudioError(
        'invalid-input',
        'store.recover takes { action: "fresh" } or { action: "rebuild" }.',
        [{ field: 'action', message: 'must be "fresh" or "rebuild"' }],
      );
    }
    const damage = this.damage as DatabaseDamage;
    await this.abandoning;
    const cores = this.options.cores ?? availableParallelism();
    let report: StoreRecoveryReport;
    try {
      const recovered = await recoverDatabase(
        this.layout,
        damage,
        parsed.data.action,
        defaultSettings(cores),
        {
          nativeBinding: this.options.nativeBinding,
        },
      );
      recovered.store.close();
      report = recovered.report;
    } catch (err) {
      if (err instanceof RecoveryError) throw new StudioError('conflict', err.message);
      throw err;
    }
    this.damage = null;
    await this.attach();
    return report;
  }
}

function damageInfo(d: DatabaseDamage): StoreDamageInfo {
  return { ...d, message: describeDamage(d) };
}
