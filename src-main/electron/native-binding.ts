// Where the desktop app run from the repository finds better-sqlite3 built for its Electron:
// out/native/electron-<version>-<platform>-<arch>/, as scripts/electron-native.mjs writes it.

import { join } from 'node:path';

export function sqliteBindingPath(
  outDir: string,
  electronVersion: string,
  platform: string,
  arch: string,
): string {
  return join(outDir, 'native', `electron-${electronVersion}-${platform}-${arch}`, 'better_sqlite3.node');
}
