// Checkpoints a person pinned: kept whatever the retention policy says. Pins live in the run's
// checkpoint folder (pins.json, written atomically), so the CLI, a training worker and the studio
// all see the same set, even while a run trains.

import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const PINS_FILE = 'pins.json';

/** File names (not paths) of the pinned checkpoints in `dir`; empty when none were pinned. */
export async function readPins(dir: string): Promise<Set<string>> {
  const text = await readFile(join(dir, PINS_FILE), 'utf8').catch(() => null);
  if (text === null) return new Set();
  try {
    const parsed = JSON.parse(text) as { pinned?: unknown };
    return new Set(Array.isArray(parsed.pinned) ? parsed.pinned.filter((x) => typeof x === 'string') : []);
  } catch {
    // A damaged pins file pins nothing; the next pin or unpin rewrites it whole.
    return new Set();
  }
}

/** Pins or unpins the checkpoint at `path`. */
export async function setPinned(path: string, pinned: boolean): Promise<void> {
  const dir = dirname(path);
  const pins = await readPins(dir);
  if (pinned) pins.add(basename(path));
  else pins.delete(basename(path));
  const temp = join(dir, `.${PINS_FILE}.${process.pid}.tmp`);
  await writeFile(temp, JSON.stringify({ pinned: [...pins].sort() }, null, 2) + '\n');
  await rename(temp, join(dir, PINS_FILE));
}
