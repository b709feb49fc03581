// Settings: the service's (concurrency, default backend, heartbeat), the machine's facts, and the
// theme, which is the window's own choice (dark, light, or the system's) kept in localStorage.

import type { Settings, SettingsInfo, SystemInfo } from '../../../src-main/api';
import { messageOf } from '../transport/api-error';
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

export class SettingsState {
  settings = $state<SettingsInfo | null>(null);
  system = $state<SystemInfo | null>(null);
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
      [this.settings, this.system] = await Promise.all([
        t.call('settings.get', {}),
        t.call('system.info', {}),
      ]);
      this.error = null;
    } catch (err) {
      this.error = messageOf(err);
    }
  }

  async update(changes: Partial<Settings>): Promise<void> {
    this.saving = true;
    try {
      this.settings = await transport().call('settings.update', changes);
      this.error = null;
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.saving = false;
    }
  }
}

export const settings = new SettingsState();
