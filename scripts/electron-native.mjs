// better-sqlite3 built for the installed Electron's ABI, for running the app from the repository
// (`npm start`, the e2e electron project): out/native/electron-<version>-<platform>-<arch>/.
// `npm install` builds node_modules/better-sqlite3 for Node (the CLI, serve mode and the tests
// need that), and this script never writes there: @electron/rebuild builds a copy of the package in
// a temp folder. (The engine's own addon is Node-API and loads in Electron as it is.)
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
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MODULE = 'better-sqlite3';
const ADDON = 'better_sqlite3.node';
const HEADERS_URL = 'https://electronjs.org/headers';
const SCRIPT = fileURLToPath(import.meta.url);

/** Where the app, run unpackaged by this Electron, loads better-sqlite3 from (main.ts agrees). */
export function nativeBindingPath(root, version, platform, arch) {
  return join(root, 'out', 'native', `electron-${version}-${platform}-${arch}`, ADDON);
}

/** The real file system, child processes and module resolution the script uses. */
export const systemDeps = {
  exists: existsSync,
  readText: (path) => readFileSync(path, 'utf8'),
  writeText: (path, text) => writeFileSync(path, text),
  makeTempDir: () => mkdtempSync(join(tmpdir(), 'crystalline-sqlite-electron-')),
  // The package's sources only (its build/ folder holds Node's addon and objects), as real files
  // even where node_modules links packages in: the build must not write through a link.
  copyPackage: (from, to) =>
    cpSync(from, to, { recursive: true, dereference: true, filter: (path) => path !== join(from, 'build') }),
  // A junction on Windows, which needs no privilege; a symbolic link elsewhere.
  linkPackage: (from, to) => {
    mkdirSync(dirname(to), { recursive: true });
    symlinkSync(from, to, 'junction');
  },
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

/**
 * What @electron/rebuild is asked to do: better-sqlite3 alone, in `buildPath` (a package.json that
 * depends on it and a copy of it in node_modules), for this Electron, even if it looks built.
 * projectRootPath is the folder itself, so that the library looks in no node_modules above it.
 * Without `buildFromSource` it tries better-sqlite3's prebuilt addon (prebuild-install) first and
 * compiles with node-gyp against Electron's headers when there is none.
 */
export function rebuildOptions(buildPath, version, platform, arch, buildFromSource) {
  return {
    buildPath,
    projectRootPath: buildPath,
    electronVersion: version,
    platform,
    arch,
    onlyModules: [MODULE],
    force: true,
    headerURL: HEADERS_URL,
    mode: 'sequential',
    buildFromSource,
  };
}

/** The last `n` lines of a tool's output that say something: no blank lines, no stack frames. */
const lastLines = (output, n = 3) =>
  output
    .trim()
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^\s+at /.test(line))
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
 * A build folder for @electron/rebuild in `work`: the package's sources in node_modules (`copy`),
 * a package.json naming it, and the package's prebuild-install linked beside it, where the library
 * looks for it.
 */
function prepareBuild(work, copy, installed, deps) {
  deps.copyPackage(installed, copy);
  const { version } = JSON.parse(deps.readText(join(installed, 'package.json')));
  deps.writeText(
    join(work, 'package.json'),
    JSON.stringify({
      name: 'crystalline-electron-native',
      private: true,
      dependencies: { [MODULE]: version },
    }),
  );
  const prebuildInstall = deps.resolveFrom(installed, 'prebuild-install/package.json');
  if (prebuildInstall !== null)
    deps.linkPackage(dirname(prebuildInstall), join(work, 'node_modules', 'prebuild-install'));
}

/**
 * Makes sure out/native holds better-sqlite3 for the installed Electron, building it when it is
 * missing or does not load (`log` hears when a build starts). Returns `ready` with the path,
 * `no-electron` when there is no Electron binary to build for, or `failed` with a message saying
 * what to do. The build runs in a child process (this script with --rebuild), so that callers
 * stay synchronous.
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

  const installed = join(root, 'node_modules', MODULE);
  if (!deps.exists(join(installed, 'package.json'))) {
    return {
      status: 'failed',
      message: `${wanted} cannot be built: ${installed} is missing; run \`npm install\`.`,
    };
  }
  const work = deps.makeTempDir();
  try {
    const copy = join(work, 'node_modules', MODULE);
    prepareBuild(work, copy, installed, deps);
    const built = join(copy, 'build', 'Release', ADDON);
    const attempts = [];
    // A prebuilt addon may be for another ABI and not load: then once more, compiled from source.
    for (const fromSource of [false, true]) {
      const how = fromSource ? '@electron/rebuild from source' : '@electron/rebuild';
      log(`Building ${wanted} with ${how} (the first time only)…`);
      const options = rebuildOptions(work, electron.version, platform, arch, fromSource);
      const r = deps.exec(process.execPath, [SCRIPT, '--rebuild', JSON.stringify(options)], {
        cwd: work,
        env,
      });
      if (r.status !== 0) {
        attempts.push(`${how}: ${lastLines(r.output)}`);
        break; // the library has tried the prebuilt addon and the compile already
      }
      const problem = !deps.exists(built)
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
          message: `${wanted} built with ${how}: ${target}`,
        };
      }
      attempts.push(`${how}: ${problem}`);
      deps.remove(join(copy, 'build'));
    }
    return {
      status: 'failed',
      message:
        `${wanted} could not be built (${attempts.join('; ')}). The first build needs the network: ` +
        `@electron/rebuild downloads better-sqlite3's prebuilt addon from GitHub, or Electron's headers ` +
        `from ${HEADERS_URL} to compile it with Python and a C++ toolchain. Connect ` +
        'and run `node scripts/electron-native.mjs` (npm start runs it); meanwhile `npm run serve` ' +
        'opens the studio in a browser.',
    };
  } finally {
    deps.remove(work);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (process.argv[2] === '--rebuild') {
    // The child a build runs in: @electron/rebuild with the options ensureElectronNative chose.
    // Its error's message is the last line of the output, which the parent reports.
    try {
      const { rebuild } = await import('@electron/rebuild');
      await rebuild(JSON.parse(process.argv[3]));
    } catch (err) {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    }
  } else {
    // `node scripts/electron-native.mjs`: builds it for the installed Electron, or says why not.
    const root = dirname(dirname(SCRIPT));
    const result = ensureElectronNative({ root, log: console.log });
    const say = result.status === 'failed' ? console.error : console.log;
    say(
      result.status === 'no-electron'
        ? `${basename(process.argv[1])}: nothing to build, ${result.message}.`
        : result.message,
    );
    process.exit(result.status === 'failed' ? 1 : 0);
  }
}
