// better-sqlite3 built for the installed Electron's ABI, for running the app from the repository
// (`npm start`, the e2e electron project): out/native/electron-<version>-<platform>-<arch>/.
// `npm install` builds node_modules/better-sqlite3 for Node (the CLI, serve mode and the tests
// need that), and this script never writes there: it builds a copy of the package in a temp folder.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ADDON = 'better_sqlite3.node';
const HEADERS_URL = 'https://electronjs.org/headers';

/** Where the app, run unpackaged by this Electron, loads better-sqlite3 from (main.ts agrees). */
export function nativeBindingPath(root, version, platform, arch) {
  return join(root, 'out', 'native', `electron-${version}-${platform}-${arch}`, ADDON);
}

/** The real file system, child processes and module resolution the script uses. */
export const systemDeps = {
  exists: existsSync,
  readText: (path) => readFileSync(path, 'utf8'),
  makeTempDir: () => mkdtempSync(join(tmpdir(), 'crystalline-sqlite-electron-')),
  // The package's sources only: its build/ folder holds Node's addon and objects.
  copyPackage: (from, to) =>
    cpSync(from, to, { recursive: true, filter: (path) => path !== join(from, 'build') }),
  mkdir: (path) => mkdirSync(path, { recursive: true }),
  copyFile: copyFileSync,
  rename: renameSync,
  remove: (path) => rmSync(path, { recursive: true, force: true }),
  exec: (command, args, options) => {
    const r = spawnSync(command, args, { ...options, encoding: 'utf8', timeout: 15 * 60_000 });
    return {
      status: r.status,
      output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`,
    };
  },
  resolveFrom: (dir, specifier) => {
    try {
      return createRequire(join(dir, 'package.json')).resolve(specifier);
    } catch {
      return null;
    }
  },
};

/**
 * The Electron binary `require('electron')` would start and its version, found the way electron's
 * index.js finds it but without its fallback of downloading one (which cannot work offline).
 */
export function findElectron(root, env = process.env, deps = systemDeps) {
  const pkg = join(root, 'node_modules', 'electron');
  if (!deps.exists(join(pkg, 'package.json'))) {
    return { binary: null, reason: `the electron package is not installed (${pkg} is missing)` };
  }
  const pathFile = join(pkg, 'path.txt');
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (!deps.exists(pathFile) && override === undefined) {
    return { binary: null, reason: `the Electron binary was never downloaded (${pathFile} is missing)` };
  }
  const name = deps.exists(pathFile) ? deps.readText(pathFile).trim() : 'electron';
  const distDir = override ?? join(pkg, 'dist');
  const binary = join(distDir, name);
  if (!deps.exists(binary)) {
    return { binary: null, reason: `the Electron binary is not installed (${binary} is missing)` };
  }
  // dist/version names the binary's own version, which an override may not share with the package.
  const versionFile = join(distDir, 'version');
  const version = deps.exists(versionFile)
    ? deps.readText(versionFile).trim().replace(/^v/, '')
    : JSON.parse(deps.readText(join(pkg, 'package.json'))).version;
  return { binary, version };
}

const lastLines = (output, n = 3) =>
  output
    .trim()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-n)
    .join(' / ') || 'no output';

/** Whether the addon at `path` loads in this Electron (run as plain Node). */
function loads(electron, path, env, deps) {
  const r = deps.exec(electron.binary, ['-e', `require(${JSON.stringify(path)})`], {
    env: { ...env, ELECTRON_RUN_AS_NODE: '1' },
  });
  return r.status === 0 ? null : lastLines(r.output, 1);
}

/**
 * Makes sure out/native holds better-sqlite3 for the installed Electron, building it when it is
 * missing or does not load (`log` hears when a build starts). Returns `ready` with the path,
 * `no-electron` when there is no Electron binary to build for, or `failed` with a message saying
 * what to do.
 */
export function ensureElectronNative({
  root,
  platform = process.platform,
  arch = process.arch,
  env = process.env,
  deps = systemDeps,
  log = () => {},
}) {
  const electron = findElectron(root, env, deps);
  if (electron.binary === null) return { status: 'no-electron', message: electron.reason };
  const target = nativeBindingPath(root, electron.version, platform, arch);
  const wanted = `better-sqlite3 for Electron ${electron.version} (${platform}-${arch})`;
  if (deps.exists(target)) {
    const problem = loads(electron, target, env, deps);
    if (problem === null)
      return { status: 'ready', path: target, built: false, message: `${wanted}: ${target}` };
    deps.remove(target); // stale or damaged: built again below
  }

  const installed = join(root, 'node_modules', 'better-sqlite3');
  if (!deps.exists(join(installed, 'package.json'))) {
    return {
      status: 'failed',
      message: `${wanted} cannot be built: ${installed} is missing; run \`npm install\`.`,
    };
  }
  const work = deps.makeTempDir();
  try {
    const copy = join(work, 'better-sqlite3');
    deps.copyPackage(installed, copy);
    const built = join(copy, 'build', 'Release', ADDON);
    const attempts = [];
    for (const tool of buildTools(root, installed, electron.version, arch, env, deps)) {
      if (tool.script === null) {
        attempts.push(`${tool.name}: not installed`);
        continue;
      }
      log(`Building ${wanted} with ${tool.name} (the first time only)…`);
      const r = deps.exec(process.execPath, [tool.script, ...tool.args], { cwd: copy, env });
      const problem =
        r.status !== 0
          ? lastLines(r.output)
          : !deps.exists(built)
            ? `it reported success but wrote no ${ADDON}`
            : loads(electron, built, env, deps);
      if (problem === null) {
        deps.mkdir(dirname(target));
        // Copied beside the target, then renamed: a build cut short never leaves half a file.
        const partial = `${target}.partial`;
        deps.copyFile(built, partial);
        deps.rename(partial, target);
        return {
          status: 'ready',
          path: target,
          built: true,
          message: `${wanted} built with ${tool.name}: ${target}`,
        };
      }
      attempts.push(`${tool.name}: ${problem}`);
      deps.remove(join(copy, 'build'));
    }
    return {
      status: 'failed',
      message:
        `${wanted} could not be built (${attempts.join('; ')}). The first build needs the network: ` +
        `prebuild-install downloads better-sqlite3's prebuilt addon from GitHub, node-gyp downloads ` +
        `Electron's headers from ${HEADERS_URL} and compiles with Python and a C++ toolchain. Connect ` +
        'and run `node scripts/electron-native.mjs` (npm start runs it); meanwhile `npm run serve` ' +
        'opens the studio in a browser.',
    };
  } finally {
    deps.remove(work);
  }
}

/** prebuild-install (better-sqlite3's own dependency) first, then a compile with node-gyp. */
function buildTools(root, installed, version, arch, env, deps) {
  // node-gyp from node_modules, or the one npm bundles (npm names it to the scripts it runs).
  const gyp = deps.resolveFrom(root, 'node-gyp/bin/node-gyp.js') ?? env.npm_config_node_gyp ?? null;
  return [
    {
      name: 'prebuild-install',
      script: deps.resolveFrom(installed, 'prebuild-install/bin.js'),
      args: ['--runtime=electron', `--target=${version}`, `--arch=${arch}`, '--verbose'],
    },
    {
      name: 'node-gyp',
      script: gyp,
      args: [
        'rebuild',
        '--release',
        `--target=${version}`,
        `--arch=${arch}`,
        `--dist-url=${HEADERS_URL}`,
        '--runtime=electron',
      ],
    },
  ];
}

// `node scripts/electron-native.mjs`: builds it for the installed Electron, or says why not.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const result = ensureElectronNative({ root, log: console.log });
  const say = result.status === 'failed' ? console.error : console.log;
  say(
    result.status === 'no-electron'
      ? `${basename(process.argv[1])}: nothing to build, ${result.message}.`
      : result.message,
  );
  process.exit(result.status === 'failed' ? 1 : 0);
}
