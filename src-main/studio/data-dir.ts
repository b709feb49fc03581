// Where the studio keeps its files: the database, imported datasets and run folders. The app uses
// Electron's userData; serve mode and the CLI use --data-dir or the same folder Electron would.

import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const PRODUCT_NAME = 'Crystalline Studio';

/**
 * $CRYSTALLINE_DATA_DIR when set; otherwise the folder Electron names `userData` for this app, so the app, serve mode and the CLI share one
 * history by default: %APPDATA% on Windows, Application Support on macOS, XDG_CONFIG_HOME on Linux.
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (env.CRYSTALLINE_DATA_DIR) return env.CRYSTALLINE_DATA_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', PRODUCT_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), PRODUCT_NAME);
}

export interface DataDirLayout {
  root: string;
  database: string; // studio.db
  datasets: string; // one folder per dataset: corpus.txt, tokenizer.json
  runs: string; // one folder per run: checkpoints/
}

export function dataDirLayout(root: string): DataDirLayout {
  return {
    root,
    database: join(root, 'studio.db'),
    datasets: join(root, 'datasets'),
    runs: join(root, 'runs'),
  };
}

/** Creates the data folder and its subfolders if missing. */
export function ensureDataDir(root: string): DataDirLayout {
  const layout = dataDirLayout(root);
  for (const dir of [layout.root, layout.datasets, layout.runs]) mkdirSync(dir, { recursive: true });
  return layout;
}

/** A run's checkpoint folder, inside its run folder. */
export function checkpointDirOf(runDir: string): string {
  return join(runDir, 'checkpoints');
}
