// `npm start`: builds the app and opens the studio's window. Where Electron cannot run (its binary
// is missing and cannot be downloaded, or there is no display), it serves the same studio to a
// browser on 127.0.0.1 instead and prints the address to open.
import { spawn, spawnSync } from 'node:child_process';

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

if (electron.status === 0 && display) {
  run(npm, ['exec', '--', 'electron-vite', 'preview']);
} else {
  const why =
    electron.status !== 0
      ? 'the Electron binary is not installed and could not be downloaded'
      : 'there is no display to open a window on';
  console.log(`Crystalline Studio: ${why}; serving the studio to your browser instead (Ctrl-C stops it).`);
  run(process.execPath, ['bin/crystalline.js', 'serve']);
}
