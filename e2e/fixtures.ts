// The one fixture every spec uses, so each spec runs against both ways of opening the studio: the
// "chromium" project gives a Debian Chromium page on the serve-mode studio (e2e/global-setup.ts),
// the "electron" project the window of the built desktop app (`_electron.launch`) on a fresh data
// folder. `page`, the `api` helper and `studio` (routes, data folder, dialogs) come from here.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, test as base } from '@playwright/test';
import type { Browser, ElectronApplication, Page } from '@playwright/test';
import type { IpcReply, MethodName, StudioBridge } from '../src-main/api';
import { ensureElectronNative, findElectron } from '../scripts/electron-native.mjs';
import { httpApi, serveState } from './studio';
import type { Api } from './studio';

export type StudioKind = 'web' | 'electron';

/**
 * Whether the desktop app can run here: an Electron binary, and better-sqlite3 built for its ABI in
 * out/native, which scripts/electron-native.mjs builds once (node_modules keeps Node's build, which
 * serve mode needs). Decided once per process.
 */
function desktopAvailability(): { path: string | null; reason: string } {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const electron = findElectron(root);
  if (electron.binary === null) return { path: null, reason: electron.reason };
  const native = ensureElectronNative({ root, log: (message) => console.log(`[electron] ${message}`) });
  if (native.status !== 'ready') return { path: null, reason: native.message };
  return { path: electron.binary, reason: '' };
}

let availability: { path: string | null; reason: string } | undefined;
const available = (): { path: string | null; reason: string } => (availability ??= desktopAvailability());
const skipReason = (): string => `the desktop app cannot run here: ${available().reason}`;

export interface Studio {
  kind: StudioKind;
  /** The data folder the studio under test has open. */
  dataDir: string;
  /** Loads the studio afresh on a route such as "#/settings" ("" for the start page). */
  open(route?: string): Promise<void>;
  /** From now on, the app's native file dialogs answer `path` at once (the desktop app only). */
  answerDialogsWith(path: string): Promise<void>;
}

interface Desktop {
  app: ElectronApplication;
  window: Page;
  dataDir: string;
}

/** The API through the preload's bridge, the way the desktop renderer calls it. */
function bridgeApi(window: Page): Api {
  return async (method, input) => {
    const reply = await window.evaluate(
      ([m, i]) => {
        const bridge = (globalThis as unknown as { studio: StudioBridge }).studio;
        return (bridge.methods[m] as (input: unknown) => Promise<IpcReply<unknown>>)(i);
      },
      [method, input] as [MethodName, unknown],
    );
    if (!reply.ok) throw new Error(`${method} failed: ${reply.error.message}`);
    return reply.result as never;
  };
}

export const test = base.extend<
  { studio: Studio; api: Api; electronSkip: void },
  {
    studioKind: StudioKind;
    electronBinary: string | null;
    desktop: Desktop | null;
    webBrowser: Browser | null;
  }
>({
  studioKind: ['web', { scope: 'worker', option: true }],

  // Its own fixture for its own time limit: the first build of better-sqlite3 for Electron may
  // compile it, which takes minutes; later runs find it in out/native.
  electronBinary: [
    async ({ studioKind }, use) => use(studioKind === 'electron' ? available().path : null),
    { scope: 'worker', timeout: 15 * 60_000 },
  ],

  // One app per worker, as serve mode is one studio for the run; its folders go with it.
  desktop: [
    async ({ studioKind, electronBinary: electron }, use) => {
      if (studioKind !== 'electron') return use(null);
      if (electron === null) {
        console.log(`[electron] Every spec of the electron project is skipped: ${skipReason()}.`);
        return use(null);
      }
      const dataDir = mkdtempSync(join(tmpdir(), 'crystalline-electron-'));
      const configDir = mkdtempSync(join(tmpdir(), 'crystalline-electron-config-'));
      const env: Record<string, string> = { CRYSTALLINE_CONFIG_DIR: configDir };
      for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] ??= value;
      // "." starts the app as package.json describes it (main: out/main/index.js, its name and
      // userData); --no-sandbox because CI runs as root, where Chromium's OS sandbox cannot start
      // (the renderer's own sandbox option is unaffected).
      const app = await _electron.launch({
        executablePath: electron,
        args: ['.', `--data-dir=${dataDir}`, '--no-sandbox'],
        env,
      });
      const window = await app.firstWindow();
      await use({ app, window, dataDir });
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(configDir, { recursive: true, force: true });
    },
    { scope: 'worker', auto: true, timeout: 60_000 },
  ],

  // Launched only in the chromium project, so the electron project never needs a browser.
  webBrowser: [
    async ({ studioKind, playwright }, use) => {
      if (studioKind !== 'web') return use(null);
      const browser = await playwright.chromium.launch(); // the config's launchOptions apply
      await use(browser);
      await browser.close();
    },
    { scope: 'worker' },
  ],

  electronSkip: [
    async ({ studioKind }, use, testInfo) => {
      if (studioKind === 'electron' && available().path === null) testInfo.skip(true, skipReason());
      await use();
    },
    { auto: true },
  ],

  page: async ({ desktop, webBrowser }, use) => {
    if (desktop !== null) return use(desktop.window);
    if (webBrowser === null) throw new Error('neither serve mode nor the desktop app is open');
    const context = await webBrowser.newContext(); // the config's viewport and other options apply
    await use(await context.newPage());
    await context.close();
  },

  api: async ({ desktop }, use) => {
    await use(desktop === null ? httpApi(serveState()) : bridgeApi(desktop.window));
  },

  studio: async ({ page, desktop }, use) => {
    if (desktop !== null) {
      await use({
        kind: 'electron',
        dataDir: desktop.dataDir,
        open: async (route = '') => {
          await page.goto(`app://studio/index.html${route}`);
          await page.reload(); // a new route alone keeps the page; each test starts on a fresh one
        },
        answerDialogsWith: async (path) => {
          await desktop.app.evaluate(({ dialog }, chosen) => {
            dialog.showOpenDialog = (async () => ({
              canceled: false,
              filePaths: [chosen],
            })) as unknown as typeof dialog.showOpenDialog;
          }, path);
        },
      });
      return;
    }
    const state = serveState();
    await use({
      kind: 'web',
      dataDir: state.dataDir,
      open: async (route = '') => {
        await page.goto(`${state.url}${route}`);
      },
      answerDialogsWith: async () => {
        throw new Error('serve mode has no native dialogs: it uploads files and types paths');
      },
    });
  },
});

export { expect } from '@playwright/test';
