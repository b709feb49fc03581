// Settings: the service's (concurrency, default backend, heartbeat), the data folder and the one
// chosen for the next start, the machine's facts, and the theme, which is the window's own choice
// (dark, light, or the system's) kept in localStorage.

import type { DataFolderInfo, Settings, SettingsInfo, SystemInfo } from '../../../src-main/api';
import { ApiError, messageOf } from '../transport/api-error';
import { transport } from './api';

export type Theme = 'system' | 'dark' | 'light';
const THEME_KEY = 'crystalline.theme';

export function storedTheme(storage: Pick<Storage, 'getItem'> | null): Theme {
  const value = storage?.getItem(THEME_KEY);
  return value === 'dark' || value === 'light' ? value : 'system';
}

/** The theme actually shown: the choice, or the system's when the choice is "system". */
export function effectiveTheme(theme: Theme, systemDark: boolean): 'dark' | 'light' {
  return theme === 'system' ? (systemDark ? 'dark' : 'light') : theme;
}

/** The start-up option that decided the folder in use over the Settings choice, as a person types it. */
export function overrideOf(info: DataFolderInfo): string | null {
  if (info.source === 'flag') return '--data-dir';
  if (info.source === 'env') return '$CRYSTALLINE_DATA_DIR';
  return null;
}

/**
 * The folder a restart will open instead of the current one, when there is such a change to show:
 * under an override, only a choice the person saved (not the default the override hides).
 */
export function pendingFolder(info: DataFolderInfo): string | null {
  if (!info.pending) return null;
  return overrideOf(info) === null || info.chosen !== null ? info.next : null;
}

/** Whether a problem's field is one of the settings just changed. */
function isSettingField(field: string, changed: readonly string[]): boolean {
  return changed.includes(field);
}

export class SettingsState {
  settings = $state<SettingsInfo | null>(null);
  system = $state<SystemInfo | null>(null);
  dataFolder = $state<DataFolderInfo | null>(null);
  /** Why the folder last chosen was refused; cleared by the next attempt or edit. */
  dataFolderError = $state<string | null>(null);
  choosingFolder = $state(false);
  error = $state<string | null>(null);
  saving = $state(false);
  theme = $state<Theme>('system');
  systemDark = $state(true);

  get shownTheme(): 'dark' | 'light' {
    return effectiveTheme(this.theme, this.systemDark);
  }

  /** Reads the stored theme and follows the system's preference as it changes. */
  startTheme(win: Window): void {
    this.theme = storedTheme(win.localStorage);
    const query = win.matchMedia('(prefers-color-scheme: dark)');
    this.systemDark = query.matches;
    query.addEventListener('change', (e) => {
      this.systemDark = e.matches;
    });
  }

  setTheme(theme: Theme, storage: Pick<Storage, 'setItem'> | null): void {
    this.theme = theme;
    storage?.setItem(THEME_KEY, theme);
  }

  async load(): Promise<void> {
    try {
      const t = transport();
      [this.settings, this.system, this.dataFolder] = await Promise.all([
        t.call('settings.get', {}),
        t.call('system.info', {}),
        t.call('dataFolder.get', {}),
      ]);
      this.error = null;
    } catch (err) {
      this.error = messageOf(err);
    }
  }

  /** Why the last value given for a setting was refused, shown at its input until the next change. */
  fieldErrors = $state<Partial<Record<keyof Settings, string>>>({});

  async update(changes: Partial<Settings>): Promise<void> {
    this.saving = true;
    const fields = Object.keys(changes) as (keyof Settings)[];
    for (const field of fields) delete this.fieldErrors[field];
    try {
      this.settings = await transport().call('settings.update', changes);
      this.error = null;
    } catch (err) {
      const refused =
        err instanceof ApiError ? err.problems.filter((p) => isSettingField(p.field, fields)) : [];
      if (refused.length > 0) {
        for (const p of refused) this.fieldErrors[p.field as keyof Settings] = p.message;
        return;
      }
      this.error = messageOf(err);
    } finally {
      this.saving = false;
    }
  }

  /** Whether folders are chosen in a native dialog (the app) rather than typed (serve mode). */
  get nativeFolderDialog(): boolean {
    return transport().choosePath !== null;
  }

  /** Saves `path` (null: the default) as the folder the next start opens; false when it is refused. */
  async chooseDataFolder(path: string | null): Promise<boolean> {
    this.choosingFolder = true;
    try {
      this.dataFolder = await transport().call('dataFolder.choose', { path });
      this.dataFolderError = null;
      return true;
    } catch (err) {
      this.dataFolderError =
        err instanceof ApiError && err.problems.length > 0
          ? err.problems.map((p) => p.message).join(' ')
          : messageOf(err);
      return false;
    } finally {
      this.choosingFolder = false;
    }
  }

  /** Opens the native folder dialog and saves what the person picks; a cancel changes nothing. */
  async pickDataFolder(): Promise<void> {
    const choose = transport().choosePath;
    if (choose === null) return;
    let picked: string | null;
    try {
      picked = await choose('data-folder', this.dataFolder?.next);
    } catch (err) {
      this.dataFolderError = messageOf(err);
      return;
    }
    if (picked !== null) await this.chooseDataFolder(picked);
  }

  clearDataFolderError(): void {
    this.dataFolderError = null;
  }
}

export const settings = new SettingsState();
