// The desktop app's main process: one locked-down window showing the renderer from the app://
// scheme, the studio service bound over validated IPC, and a quit that first pauses every training
// run (each writes a checkpoint) so it comes back paused and resumable.

import { app, BrowserWindow, dialog, ipcMain, protocol, session } from 'electron';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DialogPurpose, StudioEvent } from '../api';
import { openResolved, resolveDataDir } from '../studio/data-dir';
import { Studio } from '../studio/studio';
import { CONTENT_SECURITY_POLICY } from '../web/server';
import { ensureSampleDataset } from '../web/sample-dataset';
import { typedCall } from '../web/serve';
import { EVENT_CHANNEL } from './bridge';
import { originOf, registerStudioIpc } from './ipc';
import { sqliteBindingPath } from './native-binding';

const SCHEME = 'app';
const HOST = 'studio';
const APP_ORIGIN = `${SCHEME}://${HOST}`;
const here = fileURLToPath(new URL('.', import.meta.url)); // out/main/
const rendererDir = join(here, '..', 'renderer');
/** Files inside app.asar cannot start worker threads; electron-builder unpacks the engine. */
const workerScript = join(here, '..', 'engine', 'worker.js').replace(
  `app.asar${sep}`,
  `app.asar.unpacked${sep}`,
);
/**
 * better-sqlite3 for this Electron's ABI. A packaged app's own node_modules has it (electron-builder
 * rebuilds it); from the repository, node_modules holds Node's build, which the CLI, serve mode and
 * the tests need, and `npm start` builds Electron's into out/native (scripts/electron-native.mjs).
 */
const nativeBinding = app.isPackaged
  ? undefined
  : sqliteBindingPath(join(here, '..'), process.versions.electron, process.platform, process.arch);
/** `electron-vite dev` serves the renderer with hot reload; never in a packaged app. */
const devUrl = !app.isPackaged ? (process.env.ELECTRON_RENDERER_URL ?? null) : null;
const trustedOrigins = [APP_ORIGIN, ...(devUrl === null ? [] : [originOf(devUrl) ?? ''])];

const MIME: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

protocol.registerSchemesAsPrivileged([
  { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the data folder; it focuses its window (below) and this one leaves.
  app.quit();
} else {
  let win: BrowserWindow | null = null;
  let studio: Studio | null = null;
  let quitting = false;

  app.on('second-instance', () => {
    if (win === null) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });

  // Every web contents: no navigation away from the studio, no new windows, no <webview>.
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (e, url) => {
      if (!trustedOrigins.includes(originOf(url) ?? '')) e.preventDefault();
    });
    contents.on('will-redirect', (e, url) => {
      if (!trustedOrigins.includes(originOf(url) ?? '')) e.preventDefault();
    });
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-attach-webview', (e) => e.preventDefault());
  });

  const serveRenderer = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const relative = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = normalize(join(rendererDir, relative));
    if (url.host !== HOST || !file.startsWith(rendererDir + sep))
      return new Response('not found', { status: 404 });
    try {
      const body = await readFile(file);
      return new Response(body, {
        headers: {
          'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
          'Content-Security-Policy': CONTENT_SECURITY_POLICY,
          'X-Content-Type-Options': 'nosniff',
        },
      });
    } catch {
      return new Response('not found', { status: 404 });
    }
  };

  const choosePath = async (
    purpose: DialogPurpose,
    defaultPath: string | undefined,
  ): Promise<string | null> => {
    if (win === null) return null;
    const labels: Record<DialogPurpose, { title: string; buttonLabel: string }> = {
      'import-file': { title: 'Import text', buttonLabel: 'Import' },
      'import-folder': { title: 'Import text', buttonLabel: 'Import' },
      'export-folder': { title: 'Export the checkpoint to…', buttonLabel: 'Export here' },
      'data-folder': { title: 'Choose the data folder', buttonLabel: 'Use this folder' },
    };
    const result = await dialog.showOpenDialog(win, {
      ...labels[purpose],
      defaultPath,
      properties:
        purpose === 'import-file'
          ? ['openFile']
          : purpose === 'import-folder'
            ? ['openDirectory']
            : ['openDirectory', 'createDirectory'],
      filters: purpose === 'import-file' ? [{ name: 'Text', extensions: ['txt', 'md'] }] : undefined,
    });
    return result.canceled || result.filePaths.length === 0 ? null : result.filePaths[0];
  };

  const createWindow = (): BrowserWindow => {
    const w = new BrowserWindow({
      width: 1360,
      height: 880,
      minWidth: 960,
      minHeight: 600,
      title: 'Crystalline Studio',
      backgroundColor: '#101114',
      show: false,
      webPreferences: {
        preload: join(here, '..', 'preload', 'index.cjs'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        spellcheck: false,
      },
    });
    w.once('ready-to-show', () => w.show());
    w.on('closed', () => {
      win = null;
    });
    void w.loadURL(devUrl ?? `${APP_ORIGIN}/index.html`);
    return w;
  };

  /** Pauses each training run (each writes a checkpoint), then closes the service. */
  const shutdown = async (): Promise<void> => {
    if (studio === null) return;
    const s = studio;
    studio = null;
    try {
      const running = await s.handlers['runs.list']({ status: ['running'] });
      await Promise.allSettled(running.map((r) => s.handlers['runs.pause']({ id: r.id })));
    } finally {
      await s.close();
    }
  };

  app.on('before-quit', (event) => {
    if (quitting || studio === null) return;
    event.preventDefault();
    quitting = true;
    shutdown().finally(() => app.quit());
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  app.on('activate', () => {
    if (win === null && studio !== null) win = createWindow();
  });

  app.whenReady().then(async () => {
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
    protocol.handle(SCHEME, serveRenderer);

    try {
      // --data-dir=D keeps a separate history (tests, a second workspace); otherwise
      // $CRYSTALLINE_DATA_DIR, the folder chosen in Settings, or userData (platformDataDir).
      const resolution = resolveDataDir({ flag: app.commandLine.getSwitchValue('data-dir') || undefined });
      studio = await openResolved(resolution, ({ dataDir, ...dataFolder }) =>
        Studio.open({ dataDir, dataFolder, workerScript, nativeBinding }),
      );
      await ensureSampleDataset(typedCall(studio), studio.layout.root);
    } catch (err) {
      dialog.showErrorBox(
        'Crystalline Studio cannot start',
        err instanceof Error ? err.message : String(err),
      );
      app.exit(1);
      return;
    }
    const s = studio;
    registerStudioIpc(ipcMain, {
      backend: s,
      trusted: { webContentsId: () => win?.webContents.id ?? null, origins: trustedOrigins },
      choosePath,
      onRefused: (channel, url) => console.warn(`IPC ${channel} refused from ${url ?? 'a closed frame'}`),
    });
    s.subscribe((event: StudioEvent) => {
      if (win !== null && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event);
    });
    win = createWindow();
  });
}
