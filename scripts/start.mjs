// `npm start`: builds the app and opens the studio's window. Where Electron cannot run (its binary
// is missing and cannot be downloaded, better-sqlite3 cannot be built for it, or there is no
// display), it serves the same studio to a browser on 127.0.0.1 instead and prints the address.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureElectronNative } from './electron-native.mjs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const build = spawnSync(npm, ['run', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

// Resolving the electron package fetches its binary on first use (electron ≥ 42); failure means
// this machine cannot run the desktop app.
const electron = spawnSync(process.execPath, ['-e', "require('electron')"], {
  stdio: 'pipe',
  encoding: 'utf8',
});
const display = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);

function run(cmd, args) {
  const child = spawn(cmd, args, { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}

/** Why the window cannot open here, or null; builds better-sqlite3 for Electron on the way. */
function windowProblem() {
  if (electron.status !== 0) return 'the Electron binary is not installed and could not be downloaded';
  if (!display) return 'there is no display to open a window on';
  // node_modules' better-sqlite3 is built for Node; the window loads one built for Electron.
  const native = ensureElectronNative({
    root: fileURLToPath(new URL('..', import.meta.url)),
    log: console.log,
  });
  if (native.status === 'ready') {
    if (native.built) console.log(native.message);
    return null;
  }
  console.error(native.message);
  return 'better-sqlite3 could not be built for Electron';
}

const why = windowProblem();
if (why === null) {
  run(npm, ['exec', '--', 'electron-vite', 'preview']);
} else {
  console.log(`Crystalline Studio: ${why}; serving the studio to your browser instead (Ctrl-C stops it).`);
  run(process.execPath, ['bin/crystalline.js', 'serve']);
}
