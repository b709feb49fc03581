// Settings: one JSON value per key; what is not stored takes its default.

import type { Settings } from '../../api';
import { DEFAULT_PYTHON } from '../../../src-worker/torch-launch/program';
import type { Db } from '../db';

/** One active run per two cores, at least one: each run's worker keeps a core busy. */
export function defaultConcurrency(cores: number): number {
  return Math.max(1, Math.floor(cores / 2));
}

export function defaultSettings(cores: number): Settings {
  return {
    maxConcurrentRuns: defaultConcurrency(cores),
    defaultBackend: 'wasm',
    heartbeatTimeoutSeconds: 120,
    pythonPath: process.env.CRYSTALLINE_PYTHON ?? DEFAULT_PYTHON,
  };
}

export class SettingsRepo {
  private readonly allStmt;
  private readonly putStmt;

  constructor(
    private readonly db: Db,
    private readonly defaults: Settings,
  ) {
    this.allStmt = db.prepare<[], { key: string; value: string }>('SELECT key, value FROM settings');
    this.putStmt = db.prepare<[string, string]>(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
  }

  get(): Settings {
    const stored: Record<string, unknown> = {};
    for (const row of this.allStmt.all()) stored[row.key] = JSON.parse(row.value) as unknown;
    const out = { ...this.defaults };
    for (const key of Object.keys(out) as (keyof Settings)[]) {
      if (key in stored) (out as Record<string, unknown>)[key] = stored[key];
    }
    return out;
  }

  update(patch: Partial<Settings>): Settings {
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(patch)) {
        if (value !== undefined) this.putStmt.run(key, JSON.stringify(value));
      }
    })();
    return this.get();
  }
}
