// Stops the serve-mode studio the setup started (SIGTERM: active runs checkpoint first) and
// removes its data and config folders.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { STATE_FILE } from './studio';
import type { StudioState } from './studio';

export default async function globalTeardown(): Promise<void> {
  if (!existsSync(STATE_FILE)) return; // the setup failed before it started anything
  const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as StudioState;
  let running = true;
  try {
    process.kill(state.pid, 'SIGTERM');
  } catch {
    running = false; // already gone; its folders still go
  }
  for (let i = 0; running && i < 100; i++) {
    try {
      process.kill(state.pid, 0);
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  rmSync(state.dataDir, { recursive: true, force: true });
  rmSync(state.configDir, { recursive: true, force: true });
  rmSync(STATE_FILE, { force: true });
}
