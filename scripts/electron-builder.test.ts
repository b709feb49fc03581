// The invariants of `npm run dist`'s configuration (electron-builder.ts), which cannot run here:
// every platform's targets, the built app in the package, the engine and native addons outside
// app.asar, better-sqlite3 rebuilt for Electron at packaging time and never at `npm install`.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, matchesGlob, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import config from '../electron-builder';
import { TORCH_PROGRAM_NAME, torchProgramPath } from '../src-worker/torch-launch/program';

/** Any Python runs the program's --help (standard library only); the tests' own where set. */
const PYTHON = process.env.CRYSTALLINE_PYTHON ?? 'python3';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  productName: string;
  main: string;
  dependencies: Record<string, string>;
  scripts: Record<string, string>;
  build?: unknown;
};

const targetsOf = (platform: { target?: unknown } | null | undefined): unknown =>
  (platform?.target as unknown[] | undefined)?.map((t) =>
    typeof t === 'string' ? t : (t as { target: string }).target,
  );

/** Whether electron-builder's `files` patterns take `file`: the last matching pattern decides. */
function packaged(file: string): boolean {
  const patterns = (config.files ?? []) as string[];
  return patterns.reduce(
    (taken, p) =>
      p.startsWith('!') ? (matchesGlob(file, p.slice(1)) ? false : taken) : taken || matchesGlob(file, p),
    false,
  );
}

const unpacked = (file: string): boolean =>
  ((config.asarUnpack ?? []) as string[]).some((p) => matchesGlob(file, p));

describe('the electron-builder configuration', () => {
  it('is the only one: package.json has no "build" key that would take precedence over it', () => {
    expect(pkg.build).toBeUndefined();
  });

  it('builds AppImage and deb on Linux, dmg on macOS, nsis on Windows', () => {
    expect(targetsOf(config.linux)).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(targetsOf(config.mac)).toEqual(['dmg']);
    expect(targetsOf(config.win)).toEqual(['nsis']);
    expect(existsSync(config.icon as string)).toBe(true);
  });

  it('names the app as package.json does, since that name decides userData (the default data folder)', () => {
    expect(config.productName).toBe(pkg.productName);
  });

  it('packages the built app (every file of out/ but source maps, the tests’ bundle and out/native) and package.json', () => {
    expect(pkg.main).toBe('out/main/index.js');
    for (const file of [pkg.main, 'out/main/serve.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
      expect(packaged(file), file).toBe(true);
    }
    expect(packaged('out/engine/worker.js')).toBe(true);
    expect(packaged('package.json')).toBe(true);
    expect(packaged('out/engine/worker.js.map')).toBe(false);
    expect(packaged('out/test/studio-child.js')).toBe(false);
    expect(packaged('out/native/electron-45.4.1-linux-x64/better_sqlite3.node')).toBe(false);
    expect(packaged('src-main/electron/main.ts')).toBe(false);
  });

  it('unpacks every engine script from app.asar (worker_threads need real files) and native addons', () => {
    const engine = readdirSync('out/engine').filter((f) => f.endsWith('.js')); // built by vitest's setup
    expect(engine).toEqual(expect.arrayContaining(['worker.js']));
    for (const file of engine) expect(unpacked(`out/engine/${file}`), file).toBe(true);
    expect(unpacked('node_modules/better-sqlite3/build/Release/better_sqlite3.node')).toBe(true);
    expect(unpacked('out/main/index.js')).toBe(false); // the rest stays in the archive
  });

  it('carries the PyTorch engine program and its package into resources/pytorch/, where the app looks for it', () => {
    const [entry] = config.extraResources as { from: string; to: string; filter: string[] }[];
    expect(existsSync(entry.from)).toBe(true);
    // What electron-builder copies: the files under `from` that the filter takes.
    const shipped = (readdirSync(entry.from, { recursive: true }) as string[])
      .filter((file) => entry.filter.some((pattern) => matchesGlob(file, pattern)))
      .sort();
    const modules = readdirSync(join(entry.from, 'cllm')).filter((f) => f.endsWith('.py'));
    expect(modules).toEqual(expect.arrayContaining(['__init__.py', 'cli.py', 'session.py']));
    expect(shipped).toEqual([TORCH_PROGRAM_NAME, ...modules.map((m) => join('cllm', m))].sort());
    expect(entry.filter.some((pattern) => matchesGlob('cllm/__pycache__/cli.cpython-311.pyc', pattern))).toBe(
      false,
    );

    const resources = mkdtempSync(join(tmpdir(), 'resources-'));
    for (const file of shipped) {
      mkdirSync(dirname(join(resources, entry.to, file)), { recursive: true });
      copyFileSync(join(entry.from, file), join(resources, entry.to, file));
    }
    const electron = process as { resourcesPath?: string };
    electron.resourcesPath = resources;
    try {
      const program = torchProgramPath();
      expect(program).toBe(join(resources, entry.to, TORCH_PROGRAM_NAME)); // packaged: beside app.asar
      // The copy runs on its own, started from another folder: the package came along with it.
      const help = spawnSync(PYTHON, [program, '--help'], { cwd: tmpdir(), encoding: 'utf8' });
      if (help.error === undefined) {
        expect(help.status, help.stderr).toBe(0);
        expect(help.stdout).toMatch(/usage: cllm_torch\.py/);
      }
    } finally {
      delete electron.resourcesPath;
      rmSync(resources, { recursive: true, force: true });
    }
    expect(torchProgramPath()).toBe(resolve(entry.from, TORCH_PROGRAM_NAME)); // from the repository
  });

  it('rebuilds better-sqlite3 for Electron when packaging, and `npm install` never does', () => {
    expect(pkg.dependencies['better-sqlite3']).toBeDefined();
    expect(config.npmRebuild).not.toBe(false);
    for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) {
      expect(pkg.scripts[hook] ?? '', hook).not.toMatch(
        /electron-builder|install-app-deps|electron-rebuild|@electron\/rebuild/,
      );
    }
    // electron-builder's rebuild is in place: the dist script puts Node's build back afterwards.
    expect(pkg.scripts.dist).toMatch(/node scripts\/dist\.mjs/);
    const dist = readFileSync('scripts/dist.mjs', 'utf8');
    expect(dist).toMatch(/'electron-builder'/);
    expect(dist).toMatch(/\['rebuild', 'better-sqlite3'\]/);
  });
});
