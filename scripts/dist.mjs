// `npm run dist`: electron-builder's installers (configured in electron-builder.ts), then
// better-sqlite3 rebuilt for Node again: electron-builder rebuilds it for Electron in place in
// node_modules, where the CLI, serve mode and the tests load it under Node.
import { spawnSync } from 'node:child_process';

const onWindows = process.platform === 'win32'; // npx and npm are .cmd scripts there, run by a shell
const run = (command, args) => spawnSync(command, args, { stdio: 'inherit', shell: onWindows }).status ?? 1;

const built = run('npx', ['electron-builder', ...process.argv.slice(2)]);
const restored = run('npm', ['rebuild', 'better-sqlite3']);
if (restored !== 0) {
  console.error(
    'dist: better-sqlite3 is still built for Electron; run `npm rebuild better-sqlite3` before the CLI, serve mode or the tests.',
  );
}
process.exit(built !== 0 ? built : restored);
