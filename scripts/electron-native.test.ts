// scripts/electron-native.mjs decides where better-sqlite3 for Electron goes and how it is built:
// nothing without an Electron binary, prebuild-install then node-gyp in a temp copy of the package,
// a clear message when both fail, and never a write into node_modules. Its world is faked here,
// except in the last tests, which use the real file system and a stand-in Electron binary.

import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteBindingPath } from '../src-main/electron/native-binding';
import { tempDir } from '../src-main/studio/test-support/fixtures';
import { ensureElectronNative, findElectron, nativeBindingPath, systemDeps } from './electron-native.mjs';
import type { ExecResult, NativeDeps } from './electron-native.mjs';

const ROOT = resolve(tmpdir(), 'repo');
const MODULES = join(ROOT, 'node_modules');
const ELECTRON = join(MODULES, 'electron');
const SQLITE = join(MODULES, 'better-sqlite3');
const TEMP = resolve(tmpdir(), 'crystalline-sqlite-electron-1');
const COPY = join(TEMP, 'better-sqlite3');
const BUILT = join(COPY, 'build', 'Release', 'better_sqlite3.node');
const TARGET = join(ROOT, 'out', 'native', 'electron-45.4.1-linux-x64', 'better_sqlite3.node');
const PREBUILD = join(SQLITE, 'node_modules', 'prebuild-install', 'bin.js');
const GYP = join(MODULES, 'node-gyp', 'bin', 'node-gyp.js');

/** An installed Electron 45.4.1 and better-sqlite3, and node_modules' tools. */
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

interface World {
  deps: NativeDeps;
  files: Set<string>;
  /** Every path written, created, renamed or removed. */
  written: string[];
  calls: Call[];
}

/**
 * A fake world: `files` exist; `run` answers each build tool's process (and may add files, as a
 * build would); `loads` says which addons load in Electron; `tools` overrides module resolution.
 */
function world(options: {
  files?: string[];
  run?: (call: Call, files: Set<string>) => ExecResult;
  loads?: (path: string) => boolean;
  tools?: Record<string, string | null>;
}): World {
  const files = new Set(options.files ?? INSTALLED);
  const written: string[] = [];
  const calls: Call[] = [];
  const text: Record<string, string> = {
    [join(ELECTRON, 'path.txt')]: 'electron',
    [join(ELECTRON, 'dist', 'version')]: 'v45.4.1\n',
    [join(ELECTRON, 'package.json')]: JSON.stringify({ version: '45.0.0' }),
  };
  const tools: Record<string, string | null> = {
    'prebuild-install/bin.js': PREBUILD,
    'node-gyp/bin/node-gyp.js': GYP,
    ...options.tools,
  };
  const deps: NativeDeps = {
    exists: (path) => files.has(path),
    readText: (path) => {
      if (!files.has(path) || text[path] === undefined) throw new Error(`ENOENT: ${path}`);
      return text[path];
    },
    makeTempDir: () => {
      written.push(TEMP);
      return TEMP;
    },
    copyPackage: (from, to) => {
      expect(from).toBe(SQLITE);
      written.push(to);
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
      return (options.run ?? (() => ({ status: 1, output: 'no build here' })))(call, files);
    },
    resolveFrom: (_dir, specifier) => tools[specifier] ?? null,
  };
  return { deps, files, written, calls };
}

/** A build tool that works: it writes the addon where node-gyp and prebuild-install put it. */
const builds = (call: Call, files: Set<string>): ExecResult => {
  files.add(BUILT);
  return { status: 0, output: `${call.args[0]} ok` };
};
const offline = (tool: string): ExecResult => ({
  status: 1,
  output: `${tool} info begin\n${tool} ERR! getaddrinfo ENOTFOUND ${tool === 'node-gyp' ? 'electronjs.org' : 'github.com'}\n`,
});

const env = { PATH: '/usr/bin' };
const ensure = (w: World, extra: NodeJS.ProcessEnv = {}) =>
  ensureElectronNative({
    root: ROOT,
    platform: 'linux',
    arch: 'x64',
    env: { ...env, ...extra },
    deps: w.deps,
  });
const inModules = (w: World): string[] =>
  [...w.written, ...w.calls.flatMap((c) => (c.cwd === undefined ? [] : [c.cwd]))].filter(
    (p) => p === MODULES || p.startsWith(MODULES + sep),
  );
const builders = (w: World): Call[] => w.calls.filter((c) => c.command === process.execPath);

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

  it('gets the prebuilt addon with prebuild-install in a temp copy of the package, then installs it', () => {
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
      message: expect.stringContaining('prebuild-install'),
    });
    expect(builders(w)).toEqual([
      {
        command: process.execPath,
        args: [PREBUILD, '--runtime=electron', '--target=45.4.1', '--arch=x64', '--verbose'],
        cwd: COPY,
        env,
      },
    ]);
    expect(w.calls.map((c) => c.args[1])).toEqual([
      '--runtime=electron',
      `require(${JSON.stringify(BUILT)})`,
    ]);
    expect(w.files.has(TARGET)).toBe(true);
    expect(w.files.has(`${TARGET}.partial`)).toBe(false);
    expect(said).toEqual([
      'Building better-sqlite3 for Electron 45.4.1 (linux-x64) with prebuild-install (the first time only)…',
    ]);
    expect(w.written[w.written.length - 1]).toBe(TEMP); // the temp copy goes
    expect(inModules(w)).toEqual([]);
  });

  it('compiles with node-gyp against Electron’s headers when no prebuilt addon can be had', () => {
    const w = world({
      run: (call, files) => (call.args[0] === GYP ? builds(call, files) : offline('prebuild-install')),
    });
    expect(ensure(w)).toMatchObject({
      status: 'ready',
      path: TARGET,
      built: true,
      message: expect.stringContaining('node-gyp'),
    });
    expect(builders(w).map((c) => [c.args[0], c.cwd])).toEqual([
      [PREBUILD, COPY],
      [GYP, COPY],
    ]);
    expect(builders(w)[1].args).toEqual([
      GYP,
      'rebuild',
      '--release',
      '--target=45.4.1',
      '--arch=x64',
      '--dist-url=https://electronjs.org/headers',
      '--runtime=electron',
    ]);
    expect(inModules(w)).toEqual([]);
  });

  it('does not keep a prebuilt addon that does not load in this Electron', () => {
    let gypRan = false;
    const w = world({
      run: (call, files) => {
        gypRan ||= call.args[0] === GYP;
        return builds(call, files);
      },
      loads: () => gypRan, // prebuild-install's is for another ABI; node-gyp's is right
    });
    expect(ensure(w)).toMatchObject({
      status: 'ready',
      built: true,
      message: expect.stringContaining('node-gyp'),
    });
    expect(w.written).toContain(join(COPY, 'build')); // the wrong addon is cleared before the compile
    expect(inModules(w)).toEqual([]);
  });

  it('rebuilds an addon that is there but no longer loads', () => {
    const w = world({ files: [...INSTALLED, TARGET], run: builds, loads: (path) => path !== TARGET });
    expect(ensure(w)).toMatchObject({ status: 'ready', built: true });
    expect(w.written[0]).toBe(TARGET);
    expect(w.files.has(TARGET)).toBe(true);
  });

  it('says what failed and what to do when neither tool can build it (offline)', () => {
    const w = world({ run: (call) => offline(call.args[0] === GYP ? 'node-gyp' : 'prebuild-install') });
    const result = ensure(w);
    expect(result.status).toBe('failed');
    expect(result.message).toMatch(/^better-sqlite3 for Electron 45\.4\.1 \(linux-x64\) could not be built /);
    expect(result.message).toContain(
      'prebuild-install: prebuild-install info begin / prebuild-install ERR! getaddrinfo ENOTFOUND github.com',
    );
    expect(result.message).toContain(
      'node-gyp: node-gyp info begin / node-gyp ERR! getaddrinfo ENOTFOUND electronjs.org',
    );
    expect(result.message).toContain('Connect and run `node scripts/electron-native.mjs`');
    expect(result.message).toContain('`npm run serve`');
    expect(w.files.has(TARGET)).toBe(false);
    expect(w.written.filter((p) => p.startsWith(join(ROOT, 'out')))).toEqual([]);
    expect(w.written[w.written.length - 1]).toBe(TEMP);
    expect(inModules(w)).toEqual([]);
  });

  it('falls back to npm’s own node-gyp, and says when there is none', () => {
    const npmGyp = resolve(tmpdir(), 'npm', 'node-gyp.js');
    const w = world({
      tools: { 'node-gyp/bin/node-gyp.js': null },
      run: (call, files) => (call.args[0] === npmGyp ? builds(call, files) : offline('x')),
    });
    expect(ensure(w, { npm_config_node_gyp: npmGyp })).toMatchObject({ status: 'ready', built: true });

    const none = world({ tools: { 'node-gyp/bin/node-gyp.js': null, 'prebuild-install/bin.js': null } });
    const result = ensure(none);
    expect(result).toMatchObject({ status: 'failed' });
    expect(result.message).toContain('(prebuild-install: not installed; node-gyp: not installed)');
    expect(builders(none)).toEqual([]);
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
