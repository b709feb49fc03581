// scripts/electron-native.mjs decides where better-sqlite3 for Electron goes and how it is built:
// nothing without an Electron binary, @electron/rebuild (in a child process) on a temp copy of the
// package, from source when the prebuilt addon does not load, a clear message when it fails, and
// never a write into node_modules. Its world is faked here, except in the last tests, which use the
// real file system, the real library and a stand-in Electron binary.

import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RebuildOptions } from '@electron/rebuild';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteBindingPath } from '../src-main/electron/native-binding';
import { tempDir } from '../src-main/studio/test-support/fixtures';
import {
  ensureElectronNative,
  findElectron,
  nativeBindingPath,
  rebuildOptions,
  systemDeps,
} from './electron-native.mjs';
import type { ExecResult, NativeDeps } from './electron-native.mjs';

const SCRIPT = fileURLToPath(new URL('./electron-native.mjs', import.meta.url));
const ROOT = resolve(tmpdir(), 'repo');
const MODULES = join(ROOT, 'node_modules');
const ELECTRON = join(MODULES, 'electron');
const SQLITE = join(MODULES, 'better-sqlite3');
const TEMP = resolve(tmpdir(), 'crystalline-sqlite-electron-1');
const COPY = join(TEMP, 'node_modules', 'better-sqlite3');
const BUILT = join(COPY, 'build', 'Release', 'better_sqlite3.node');
const TARGET = join(ROOT, 'out', 'native', 'electron-45.4.1-linux-x64', 'better_sqlite3.node');
const PREBUILD = join(MODULES, 'prebuild-install');

/** An installed Electron 45.4.1 and better-sqlite3 12.4.1. */
const INSTALLED = [
  join(ELECTRON, 'package.json'),
  join(ELECTRON, 'path.txt'),
  join(ELECTRON, 'dist', 'electron'),
  join(ELECTRON, 'dist', 'version'),
  join(SQLITE, 'package.json'),
];

interface Call {
  command: string;
  args: readonly string[];
  cwd: string | undefined;
  env: NodeJS.ProcessEnv;
}

/** A run of @electron/rebuild: the child's call and the options it was given. */
interface Rebuild extends Call {
  options: RebuildOptions;
}

interface World {
  deps: NativeDeps;
  files: Set<string>;
  /** What was written to each text file. */
  text: Record<string, string>;
  /** Each link made: where → the folder it points to. */
  links: Record<string, string>;
  /** Every path written, created, linked, renamed or removed. */
  written: string[];
  calls: Call[];
}

/**
 * A fake world: `files` exist; `run` answers each run of @electron/rebuild (and may add files, as a
 * build would); `loads` says which addons load in Electron; `tools` overrides module resolution.
 */
function world(options: {
  files?: string[];
  run?: (call: Rebuild, files: Set<string>) => ExecResult;
  loads?: (path: string) => boolean;
  tools?: Record<string, string | null>;
}): World {
  const files = new Set(options.files ?? INSTALLED);
  const written: string[] = [];
  const calls: Call[] = [];
  const links: Record<string, string> = {};
  const text: Record<string, string> = {
    [join(ELECTRON, 'path.txt')]: 'electron',
    [join(ELECTRON, 'dist', 'version')]: 'v45.4.1\n',
    [join(ELECTRON, 'package.json')]: JSON.stringify({ version: '45.0.0' }),
    [join(SQLITE, 'package.json')]: JSON.stringify({ name: 'better-sqlite3', version: '12.4.1' }),
  };
  const tools: Record<string, string | null> = {
    'prebuild-install/package.json': join(PREBUILD, 'package.json'),
    ...options.tools,
  };
  const deps: NativeDeps = {
    exists: (path) => files.has(path),
    readText: (path) => {
      if (!files.has(path) || text[path] === undefined) throw new Error(`ENOENT: ${path}`);
      return text[path];
    },
    writeText: (path, content) => {
      written.push(path);
      files.add(path);
      text[path] = content;
    },
    makeTempDir: () => {
      written.push(TEMP);
      return TEMP;
    },
    copyPackage: (from, to) => {
      expect(from).toBe(SQLITE);
      written.push(to);
    },
    linkPackage: (from, to) => {
      written.push(to);
      links[to] = from;
    },
    mkdir: (path) => {
      written.push(path);
    },
    copyFile: (from, to) => {
      written.push(to);
      if (!files.has(from)) throw new Error(`ENOENT: ${from}`);
      files.add(to);
    },
    rename: (from, to) => {
      written.push(from, to);
      files.delete(from);
      files.add(to);
    },
    remove: (path) => {
      written.push(path);
      for (const f of [...files]) if (f === path || f.startsWith(path + sep)) files.delete(f);
    },
    exec: (command, args, opts) => {
      const call = { command, args, cwd: opts.cwd, env: opts.env };
      calls.push(call);
      if (command === join(ELECTRON, 'dist', 'electron')) {
        const path = JSON.parse(/^require\((.*)\)$/.exec(args[1])?.[1] ?? 'null') as string;
        return (options.loads ?? (() => true))(path)
          ? { status: 0, output: '' }
          : { status: 1, output: 'Error: The module was compiled against NODE_MODULE_VERSION 115.' };
      }
      expect([command, args[0], args[1]]).toEqual([process.execPath, SCRIPT, '--rebuild']);
      const rebuild = { ...call, options: JSON.parse(args[2]) as RebuildOptions };
      return (options.run ?? (() => ({ status: 1, output: 'no build here' })))(rebuild, files);
    },
    resolveFrom: (_dir, specifier) => tools[specifier] ?? null,
  };
  return { deps, files, text, links, written, calls };
}

/** A rebuild that works: it leaves the addon where node-gyp and prebuild-install put it. */
const builds = (_call: Rebuild, files: Set<string>): ExecResult => {
  files.add(BUILT);
  return { status: 0, output: '' };
};
/** What @electron/rebuild's child says offline: it tried the prebuilt addon, then node-gyp. */
const offline: ExecResult = {
  status: 1,
  output:
    'Error: This is most likely not a problem with node-gyp or the package itself and\n' +
    'is related to network connectivity.\n' +
    '    at go (node_modules/node-gyp/lib/install.js:244:21)\n' +
    `node-gyp failed to rebuild '${COPY}'\n`,
};

const env = { PATH: '/usr/bin' };
const ensure = (w: World, extra: NodeJS.ProcessEnv = {}) =>
  ensureElectronNative({
    root: ROOT,
    platform: 'linux',
    arch: 'x64',
    env: { ...env, ...extra },
    deps: w.deps,
  });
const rebuilds = (w: World): Rebuild[] =>
  w.calls
    .filter((c) => c.args[1] === '--rebuild')
    .map((c) => ({ ...c, options: JSON.parse(c.args[2]) as RebuildOptions }));
const inModules = (w: World): string[] =>
  [
    ...w.written,
    ...w.calls.flatMap((c) => (c.cwd === undefined ? [] : [c.cwd])),
    ...rebuilds(w).flatMap((r) => [r.options.buildPath, r.options.projectRootPath ?? '']),
  ].filter((p) => p === MODULES || p.startsWith(MODULES + sep));

describe('where the addon goes', () => {
  it('is the path the desktop app looks in, per Electron version, platform and architecture', () => {
    expect(nativeBindingPath(ROOT, '45.4.1', 'linux', 'x64')).toBe(TARGET);
    expect(sqliteBindingPath(join(ROOT, 'out'), '45.4.1', 'linux', 'x64')).toBe(TARGET);
    expect(nativeBindingPath(ROOT, '46.0.0', 'darwin', 'arm64')).toBe(
      sqliteBindingPath(join(ROOT, 'out'), '46.0.0', 'darwin', 'arm64'),
    );
  });
});

describe('finding Electron', () => {
  it('takes the version of the binary that is there, not the package’s', () => {
    expect(findElectron(ROOT, env, world({}).deps)).toEqual({
      binary: join(ELECTRON, 'dist', 'electron'),
      version: '45.4.1',
    });
    const noVersionFile = world({ files: INSTALLED.filter((f) => !f.endsWith('version')) });
    expect(findElectron(ROOT, env, noVersionFile.deps)).toMatchObject({ version: '45.0.0' });
  });

  it('looks in ELECTRON_OVERRIDE_DIST_PATH when it is set', () => {
    const override = resolve(tmpdir(), 'my-electron');
    const w = world({ files: [...INSTALLED, join(override, 'electron')] });
    expect(findElectron(ROOT, { ELECTRON_OVERRIDE_DIST_PATH: override }, w.deps)).toEqual({
      binary: join(override, 'electron'),
      version: '45.0.0',
    });
  });
});

describe('ensureElectronNative', () => {
  it('does nothing at all without an Electron binary, and says which file is missing', () => {
    const never = world({ files: INSTALLED.filter((f) => !f.endsWith('path.txt')) });
    const result = ensure(never);
    expect(result).toEqual({
      status: 'no-electron',
      message: `the Electron binary was never downloaded (${join(ELECTRON, 'path.txt')} is missing)`,
    });
    expect([never.written, never.calls]).toEqual([[], []]);

    const gone = world({ files: INSTALLED.filter((f) => !f.endsWith(`dist${sep}electron`)) });
    expect(ensure(gone)).toMatchObject({
      status: 'no-electron',
      message: expect.stringContaining('not installed'),
    });
    expect([gone.written, gone.calls]).toEqual([[], []]);
  });

  it('keeps an addon that is there and loads in this Electron, building nothing', () => {
    const w = world({ files: [...INSTALLED, TARGET] });
    expect(ensure(w)).toMatchObject({ status: 'ready', path: TARGET, built: false });
    expect(w.written).toEqual([]);
    expect(w.calls).toHaveLength(1);
    expect(w.calls[0]).toMatchObject({
      command: join(ELECTRON, 'dist', 'electron'),
      args: ['-e', `require(${JSON.stringify(TARGET)})`],
    });
    expect(w.calls[0].env.ELECTRON_RUN_AS_NODE).toBe('1');
  });

  it('builds with @electron/rebuild in a temp copy of the package, then installs the addon', () => {
    const w = world({ run: builds });
    const said: string[] = [];
    expect(
      ensureElectronNative({
        root: ROOT,
        platform: 'linux',
        arch: 'x64',
        env,
        deps: w.deps,
        log: (m) => said.push(m),
      }),
    ).toMatchObject({
      status: 'ready',
      path: TARGET,
      built: true,
      message: expect.stringContaining('built with @electron/rebuild'),
    });
    // The build folder: the package's sources, a package.json naming it, its prebuild-install.
    expect(w.written.slice(0, 4)).toEqual([
      TEMP,
      COPY,
      join(TEMP, 'package.json'),
      join(TEMP, 'node_modules', 'prebuild-install'),
    ]);
    expect(JSON.parse(w.text[join(TEMP, 'package.json')])).toMatchObject({
      dependencies: { 'better-sqlite3': '12.4.1' },
    });
    expect(w.links).toEqual({ [join(TEMP, 'node_modules', 'prebuild-install')]: PREBUILD });
    // One run of the library, on that folder alone, for this Electron's headers and ABI.
    const [run, ...more] = rebuilds(w);
    expect(more).toEqual([]);
    expect([run.command, run.args[0], run.cwd, run.env]).toEqual([process.execPath, SCRIPT, TEMP, env]);
    expect(run.options).toEqual({
      buildPath: TEMP,
      projectRootPath: TEMP,
      electronVersion: '45.4.1',
      platform: 'linux',
      arch: 'x64',
      onlyModules: ['better-sqlite3'],
      force: true,
      headerURL: 'https://electronjs.org/headers',
      mode: 'sequential',
      buildFromSource: false,
    });
    expect(run.options).toEqual(rebuildOptions(TEMP, '45.4.1', 'linux', 'x64', false));
    expect(w.calls.map((c) => c.args[1])).toEqual(['--rebuild', `require(${JSON.stringify(BUILT)})`]);
    expect(w.files.has(TARGET)).toBe(true);
    expect(w.files.has(`${TARGET}.partial`)).toBe(false);
    expect(said).toEqual([
      'Building better-sqlite3 for Electron 45.4.1 (linux-x64) with @electron/rebuild (the first time only)…',
    ]);
    expect(w.written[w.written.length - 1]).toBe(TEMP); // the temp copy goes
    expect(inModules(w)).toEqual([]);
  });

  it('compiles from source when the prebuilt addon it got does not load in this Electron', () => {
    let compiled = false;
    const w = world({
      run: (call, files) => {
        compiled ||= call.options.buildFromSource === true;
        return builds(call, files);
      },
      loads: () => compiled, // the prebuilt addon is for another ABI; the compiled one is right
    });
    expect(ensure(w)).toMatchObject({
      status: 'ready',
      built: true,
      message: expect.stringContaining('built with @electron/rebuild from source'),
    });
    expect(rebuilds(w).map((r) => [r.options.buildFromSource, r.cwd])).toEqual([
      [false, TEMP],
      [true, TEMP],
    ]);
    expect(w.written).toContain(join(COPY, 'build')); // the wrong addon is cleared before the compile
    expect(inModules(w)).toEqual([]);
  });

  it('rebuilds an addon that is there but no longer loads', () => {
    const w = world({ files: [...INSTALLED, TARGET], run: builds, loads: (path) => path !== TARGET });
    expect(ensure(w)).toMatchObject({ status: 'ready', built: true });
    expect(w.written[0]).toBe(TARGET);
    expect(w.files.has(TARGET)).toBe(true);
  });

  it('says what failed and what to do when the library cannot build it (offline)', () => {
    const w = world({ run: () => offline });
    const result = ensure(w);
    expect(result.status).toBe('failed');
    expect(result.message).toMatch(/^better-sqlite3 for Electron 45\.4\.1 \(linux-x64\) could not be built /);
    // The library's last words, without its stack frames.
    expect(result.message).toContain(
      `(@electron/rebuild: Error: This is most likely not a problem with node-gyp or the package itself and / ` +
        `is related to network connectivity. / node-gyp failed to rebuild '${COPY}')`,
    );
    expect(result.message).toContain('Connect and run `node scripts/electron-native.mjs`');
    expect(result.message).toContain('`npm run serve`');
    expect(rebuilds(w)).toHaveLength(1); // it tried the prebuilt addon and the compile already
    expect(w.files.has(TARGET)).toBe(false);
    expect(w.written.filter((p) => p.startsWith(join(ROOT, 'out')))).toEqual([]);
    expect(w.written[w.written.length - 1]).toBe(TEMP);
    expect(inModules(w)).toEqual([]);
  });

  it('reports a build that leaves no addon, and the library’s own error when it cannot even start', () => {
    const silent = world({ run: () => ({ status: 0, output: '' }) });
    const result = ensure(silent);
    expect(result).toMatchObject({ status: 'failed' });
    expect(result.message).toContain(
      '(@electron/rebuild: it reported success but wrote no better_sqlite3.node; ' +
        '@electron/rebuild from source: it reported success but wrote no better_sqlite3.node)',
    );

    const missing = "Cannot find package '@electron/rebuild' imported from scripts/electron-native.mjs";
    const none = world({ run: () => ({ status: 1, output: `${missing}\n` }) });
    expect(ensure(none).message).toContain(`(@electron/rebuild: ${missing})`);
  });

  it('still builds (by compiling) when better-sqlite3 names no prebuild-install to link', () => {
    const w = world({ tools: { 'prebuild-install/package.json': null }, run: builds });
    expect(ensure(w)).toMatchObject({ status: 'ready', built: true });
    expect(w.links).toEqual({});
  });

  it('asks for `npm install` when node_modules has no better-sqlite3 to copy', () => {
    const w = world({ files: INSTALLED.filter((f) => f !== join(SQLITE, 'package.json')) });
    expect(ensure(w)).toEqual({
      status: 'failed',
      message: `better-sqlite3 for Electron 45.4.1 (linux-x64) cannot be built: ${SQLITE} is missing; run \`npm install\`.`,
    });
    expect(w.written).toEqual([]);
  });
});

describe('on the real file system', () => {
  const dirs: { remove: () => void }[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.remove();
  });

  it('copies better-sqlite3’s sources without its build folder', () => {
    const dir = tempDir('native-copy');
    dirs.push(dir);
    const copy = join(dir.path, 'better-sqlite3');
    systemDeps.copyPackage(resolve('node_modules/better-sqlite3'), copy);
    expect(readdirSync(copy)).toEqual(
      expect.arrayContaining(['binding.gyp', 'package.json', 'src', 'deps', 'lib']),
    );
    expect(existsSync(join(copy, 'build'))).toBe(false);
    expect(existsSync(resolve('node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true);
  });

  it('links prebuild-install beside the copy, where @electron/rebuild looks for it', () => {
    const dir = tempDir('native-link');
    dirs.push(dir);
    const link = join(dir.path, 'node_modules', 'prebuild-install');
    systemDeps.linkPackage(resolve('node_modules/prebuild-install'), link);
    expect(existsSync(join(link, 'bin.js'))).toBe(true);
  });

  it('runs the real @electron/rebuild in a child, whose last line is the library’s error', () => {
    // A relative buildPath is refused before anything is built or downloaded.
    const options = rebuildOptions('relative/folder', '45.4.1', 'linux', 'x64', false);
    const r = systemDeps.exec(process.execPath, [SCRIPT, '--rebuild', JSON.stringify(options)], {
      env: process.env,
    });
    expect(r).toEqual({ status: 1, output: 'Expected buildPath to be an absolute path\n' });
  });

  it.skipIf(process.platform === 'win32')(
    'probes an addon that is there with the Electron binary run as Node',
    () => {
      // A stand-in "Electron" that is this Node, and Node's addon where Electron's would be.
      const dir = tempDir('native-real');
      dirs.push(dir);
      const electron = join(dir.path, 'node_modules', 'electron');
      mkdirSync(join(electron, 'dist'), { recursive: true });
      writeFileSync(join(electron, 'package.json'), JSON.stringify({ version: '45.4.1' }));
      writeFileSync(join(electron, 'path.txt'), 'electron');
      writeFileSync(join(electron, 'dist', 'electron'), `#!/bin/sh\nexec "${process.execPath}" "$@"\n`);
      chmodSync(join(electron, 'dist', 'electron'), 0o755);
      const target = nativeBindingPath(dir.path, '45.4.1', process.platform, process.arch);
      mkdirSync(join(target, '..'), { recursive: true });
      systemDeps.copyFile(resolve('node_modules/better-sqlite3/build/Release/better_sqlite3.node'), target);
      expect(ensureElectronNative({ root: dir.path, env: { PATH: process.env.PATH } })).toMatchObject({
        status: 'ready',
        path: target,
        built: false,
      });
    },
  );
});
