// The kernel's own folders: nothing a person makes belongs in them, and some of their files never
// answer a write, so a path inside one given for output is refused before anything is opened.

import { resolve, sep } from 'node:path';

export const SYSTEM_FOLDERS: readonly string[] = process.platform === 'win32' ? [] : ['/proc', '/sys'];

/** Whether `path` (made absolute) is one of SYSTEM_FOLDERS or inside one. */
export function insideSystemFolder(path: string): boolean {
  const absolute = resolve(path);
  return SYSTEM_FOLDERS.some((d) => absolute === d || absolute.startsWith(d + sep));
}
