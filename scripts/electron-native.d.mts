// Types of scripts/electron-native.mjs, for the TypeScript that imports it (its test and
// e2e/fixtures.ts): better-sqlite3 built for the installed Electron into out/native.

import type { RebuildOptions } from '@electron/rebuild';

export interface ExecResult {
  status: number | null;
  /** stdout and stderr together. */
  output: string;
}

/** Everything the script does to the outside world, so that tests can stand in for it. */
export interface NativeDeps {
  exists(path: string): boolean;
  readText(path: string): string;
  writeText(path: string, text: string): void;
  makeTempDir(): string;
  /** Copies the package's sources, leaving out its build/ folder. */
  copyPackage(from: string, to: string): void;
  /** Makes `to` a link to the folder `from` (a junction on Windows). */
  linkPackage(from: string, to: string): void;
  mkdir(path: string): void;
  copyFile(from: string, to: string): void;
  rename(from: string, to: string): void;
  remove(path: string): void;
  exec(
    command: string,
    args: readonly string[],
    options: { cwd?: string; env: NodeJS.ProcessEnv },
  ): ExecResult;
  /** The file `specifier` resolves to from the package in `dir`, or null. */
  resolveFrom(dir: string, specifier: string): string | null;
}

export const systemDeps: NativeDeps;

export function nativeBindingPath(root: string, version: string, platform: string, arch: string): string;

/** What ensureElectronNative passes to @electron/rebuild's rebuild() (its child runs it with them). */
export function rebuildOptions(
  buildPath: string,
  version: string,
  platform: NodeJS.Platform,
  arch: string,
  buildFromSource: boolean,
): RebuildOptions & Required<Pick<RebuildOptions, 'projectRootPath' | 'onlyModules' | 'buildFromSource'>>;

export type ElectronFound = { binary: string; version: string } | { binary: null; reason: string };

export function findElectron(root: string, env?: NodeJS.ProcessEnv, deps?: NativeDeps): ElectronFound;

export type NativeResult =
  | { status: 'ready'; path: string; built: boolean; message: string }
  | { status: 'no-electron' | 'failed'; message: string };

export function ensureElectronNative(options: {
  root: string;
  platform?: string;
  arch?: string;
  env?: NodeJS.ProcessEnv;
  deps?: NativeDeps;
  /** Told when a build starts, which may take minutes. */
  log?: (message: string) => void;
}): NativeResult;
