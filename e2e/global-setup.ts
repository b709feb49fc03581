// Starts serve mode once for every spec: the built app (out/main/serve.js) on a fresh data folder
// and a free port, with a fresh config folder so a data folder chosen in Settings never reaches the
// real one. Its URL (with the token) and folders reach the specs through a state file.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCREENSHOT_DIR, STATE_FILE } from './studio';
import type { StudioState } from './studio';

export default async function globalSetup(): Promise<void> {
  for (const built of ['out/main/serve.js', 'out/renderer/index.html', 'out/engine/worker.js']) {
    if (!existsSync(built))
      throw new Error(`${built} is missing: run \`npm run build\` before the e2e tests.`);
  }
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'crystalline-e2e-'));
  const configDir = mkdtempSync(join(tmpdir(), 'crystalline-e2e-config-'));
  const child = spawn(process.execPath, ['out/main/serve.js', '--data-dir', dataDir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CRYSTALLINE_CONFIG_DIR: configDir },
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve mode did not start in 60 s:\n${log}`)), 60_000);
    const read = (chunk: Buffer): void => {
      log += chunk.toString();
      const match = /Open (http:\/\/\S+)/.exec(log);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`serve mode exited with ${code}:\n${log}`)));
  });
  child.stdout.removeAllListeners('data');
  child.stderr.removeAllListeners('data');
  child.stdout.resume();
  child.stderr.resume();
  const state: StudioState = { url, dataDir, configDir, pid: child.pid ?? 0 };
  writeFileSync(STATE_FILE, JSON.stringify(state));
  child.unref();
}
