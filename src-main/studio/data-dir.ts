// Where the studio keeps its files (the database, imported datasets, run folders) and which folder
// a start opens: --data-dir, then $CRYSTALLINE_DATA_DIR, then the folder chosen in Settings, then the default.

import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { DataFolderSource } from '../api';

export const PRODUCT_NAME = 'Crystalline Studio';

/** The file, in the app's config folder, that names the data folder chosen in Settings. */
export const CHOICE_FILE_NAME = 'data-folder.json';

/**
 * The folder Electron names `userData` for this app, so the app, serve mode and the CLI share one
 * history by default: %APPDATA% on Windows, Application Support on macOS, XDG_CONFIG_HOME on Linux.
 */
export function platformDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', PRODUCT_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), PRODUCT_NAME);
}

/**
 * Where the Settings choice is saved: the app's config folder, which is the default data folder and
 * never a chosen one, so the choice survives moving away from it. $CRYSTALLINE_CONFIG_DIR moves it
 * (tests keep theirs out of the real one).
 */
export function choiceFilePath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  return join(env.CRYSTALLINE_CONFIG_DIR || platformDataDir(env, platform, home), CHOICE_FILE_NAME);
}

export interface SavedChoice {
  chosen: string | null; // the saved folder; null when none is saved or the file cannot be used
  problem: string | null; // why a file that exists cannot be used
}

/** Reads the saved choice. A damaged file is reported, never thrown: the studio still starts. */
export function readChoice(file: string): SavedChoice {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { chosen: null, problem: null };
    return { chosen: null, problem: `${file} cannot be read (${(err as Error).message}).` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { chosen: null, problem: `${file} is not valid JSON.` };
  }
  const dataDir = (value as { dataDir?: unknown } | null)?.dataDir;
  if (typeof dataDir !== 'string' || !isAbsolute(dataDir)) {
    return { chosen: null, problem: `${file} does not name an absolute "dataDir".` };
  }
  return { chosen: resolve(dataDir), problem: null };
}

export interface DataDirResolution {
  dataDir: string; // the folder to open
  source: DataFolderSource; // what decided it
  defaultDir: string; // the platform's default (platformDataDir)
  choiceFile: string; // where the Settings choice is saved
  chosen: string | null; // the saved choice, whether or not it decided this start
  problem: string | null; // why the saved choice was not used, when it was not
}

export interface ResolveOptions {
  flag?: string; // --data-dir
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
}

/** The folder a start opens: --data-dir, $CRYSTALLINE_DATA_DIR, the saved choice, the default. */
export function resolveDataDir(options: ResolveOptions = {}): DataDirResolution {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const home = options.home ?? homedir();
  const defaultDir = platformDataDir(env, platform, home);
  const choiceFile = choiceFilePath(env, platform, home);
  const { chosen, problem } = readChoice(choiceFile);
  const rest = { defaultDir, choiceFile, chosen };
  if (options.flag) return { ...rest, dataDir: resolve(options.flag), source: 'flag', problem: null };
  if (env.CRYSTALLINE_DATA_DIR) {
    return { ...rest, dataDir: resolve(env.CRYSTALLINE_DATA_DIR), source: 'env', problem: null };
  }
  if (chosen !== null) return { ...rest, dataDir: chosen, source: 'chosen', problem: null };
  return {
    ...rest,
    dataDir: defaultDir,
    source: 'default',
    problem: problem === null ? null : `${problem} The default data folder is in use.`,
  };
}

/**
 * The folder used when no --data-dir is given: $CRYSTALLINE_DATA_DIR, the folder chosen in
 * Settings, or the default. The app and serve mode open it through openResolved, which falls back
 * to the default when a chosen folder cannot be opened; the CLI records into it as it is.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolveDataDir({ env }).dataDir;
}

/**
 * Opens the resolved folder. A chosen folder that cannot be opened (a drive no longer attached)
 * falls back to the default, with the reason kept for Settings, rather than leaving the app unable
 * to start; a folder given by --data-dir or $CRYSTALLINE_DATA_DIR fails as given.
 */
export async function openResolved<T>(
  resolution: DataDirResolution,
  open: (resolution: DataDirResolution) => Promise<T>,
): Promise<T> {
  try {
    return await open(resolution);
  } catch (err) {
    if (resolution.source !== 'chosen') throw err;
    const reason = err instanceof Error ? err.message : String(err);
    return open({
      ...resolution,
      dataDir: resolution.defaultDir,
      source: 'default',
      problem: `The chosen data folder ${resolution.dataDir} could not be opened (${reason}); the default folder is in use.`,
    });
  }
}

/** Whether two absolute paths name the same folder (case-insensitively where the platform is). */
export function samePath(a: string, b: string): boolean {
  return relative(a, b) === '';
}

export interface DataDirLayout {
  root: string;
  database: string; // studio.db
  datasets: string; // one folder per dataset: corpus.txt, tokenizer.json
  runs: string; // one folder per run: checkpoints/
  uploads: string; // serve mode: one folder per upload, removed once it is imported or refused
}

export function dataDirLayout(root: string): DataDirLayout {
  return {
    root,
    database: join(root, 'studio.db'),
    datasets: join(root, 'datasets'),
    runs: join(root, 'runs'),
    uploads: join(root, 'uploads'),
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
