// Choosing the data folder: which folder a start opens (--data-dir, $CRYSTALLINE_DATA_DIR, the saved
// choice, the default), every folder the check refuses with its message, and a choice made in one
// studio being the folder the next start opens, with the old folder left as it was.

import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { StudioError } from '../api';
import type { DataFolderInfo } from '../api';
import { CHOICE_FILE_NAME, choiceFilePath, openResolved, platformDataDir, resolveDataDir } from './data-dir';
import type { DataDirResolution } from './data-dir';
import { openDatabase } from './db';
import { checkDataFolder, saveChoice } from './data-folder-choice';
import { useTempDir } from '../../src-worker/test-support/temp-dir';
import { openStudio } from './test-support/fixtures';

const tmp = useTempDir('crystalline-data-folder-');
let home: string;
let config: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  home = join(tmp.path, 'home');
  config = join(tmp.path, 'config');
  env = { CRYSTALLINE_CONFIG_DIR: config };
});

const resolveHere = (over: { flag?: string; env?: NodeJS.ProcessEnv } = {}): DataDirResolution =>
  resolveDataDir({ flag: over.flag, env: over.env ?? env, platform: 'linux', home });

/** A folder that looks like a data folder in use: its database file exists. */
function dataFolder(path: string): string {
  mkdirSync(path, { recursive: true });
  openDatabase(join(path, 'studio.db')).close(); // an empty file would be refused as damaged
  return path;
}

describe('the folder a start opens', () => {
  it('is the platform folder Electron calls userData when nothing else is set', () => {
    expect(platformDataDir({}, 'linux', '/h')).toBe('/h/.config/Crystalline Studio');
    expect(platformDataDir({ XDG_CONFIG_HOME: '/x' }, 'linux', '/h')).toBe('/x/Crystalline Studio');
    expect(platformDataDir({}, 'darwin', '/h')).toBe('/h/Library/Application Support/Crystalline Studio');
    expect(platformDataDir({ APPDATA: 'C:\\A' }, 'win32', 'C:\\h')).toMatch(/^C:\\A.Crystalline Studio$/);
    expect(resolveHere()).toMatchObject({
      dataDir: join(home, '.config', 'Crystalline Studio'),
      source: 'default',
      chosen: null,
      problem: null,
    });
  });

  it('saves the choice in the app config folder, or where $CRYSTALLINE_CONFIG_DIR says', () => {
    expect(choiceFilePath({}, 'linux', '/h')).toBe(`/h/.config/Crystalline Studio/${CHOICE_FILE_NAME}`);
    expect(choiceFilePath(env, 'linux', '/h')).toBe(join(config, CHOICE_FILE_NAME));
  });

  it('is the saved choice, unless $CRYSTALLINE_DATA_DIR or --data-dir overrides it', async () => {
    const chosen = join(tmp.path, 'chosen');
    await saveChoice(join(config, CHOICE_FILE_NAME), chosen, platformDataDir(env, 'linux', home));
    expect(resolveHere()).toMatchObject({ dataDir: chosen, source: 'chosen', chosen });
    const fromEnv = join(tmp.path, 'env');
    expect(resolveHere({ env: { ...env, CRYSTALLINE_DATA_DIR: fromEnv } })).toMatchObject({
      dataDir: fromEnv,
      source: 'env',
      chosen,
    });
    expect(resolveHere({ flag: 'rel/flag', env: { ...env, CRYSTALLINE_DATA_DIR: fromEnv } })).toMatchObject({
      dataDir: join(process.cwd(), 'rel', 'flag'),
      source: 'flag',
      chosen,
    });
  });

  it('falls back to the default, saying why, when the saved choice is damaged', () => {
    mkdirSync(config, { recursive: true });
    writeFileSync(join(config, CHOICE_FILE_NAME), '{ not json');
    expect(resolveHere()).toMatchObject({
      source: 'default',
      problem: expect.stringMatching(/not valid JSON/),
    });
    writeFileSync(join(config, CHOICE_FILE_NAME), JSON.stringify({ dataDir: 'relative/dir' }));
    expect(resolveHere()).toMatchObject({
      source: 'default',
      chosen: null,
      problem: expect.stringMatching(
        /does not name an absolute "dataDir". The default data folder is in use/,
      ),
    });
  });

  it('opens the default when the chosen folder cannot be opened, but never replaces --data-dir', async () => {
    const chosen: DataDirResolution = { ...resolveHere(), dataDir: '/chosen/gone', source: 'chosen' };
    const opened: string[] = [];
    const open = async (r: DataDirResolution): Promise<DataDirResolution> => {
      opened.push(r.dataDir);
      if (r.dataDir === '/chosen/gone') throw new Error('EACCES: permission denied');
      return r;
    };
    const used = await openResolved(chosen, open);
    expect(opened).toEqual(['/chosen/gone', chosen.defaultDir]);
    expect(used).toMatchObject({
      source: 'default',
      problem: expect.stringMatching(/\/chosen\/gone.*EACCES/),
    });
    await expect(openResolved({ ...chosen, source: 'flag' }, open)).rejects.toThrow(/EACCES/);
  });
});

describe('the check of a new data folder', () => {
  let current: string;
  let defaultDir: string;
  beforeEach(() => {
    current = dataFolder(join(tmp.path, 'current'));
    defaultDir = platformDataDir(env, 'linux', home);
  });

  /** The message of the refusal, which is also the problem of the field "path". */
  async function refusal(path: string): Promise<string> {
    const err = await checkDataFolder(path, current, defaultDir).then(
      () => null,
      (e: unknown) => e,
    );
    if (!(err instanceof StudioError)) throw new Error(`${path} was accepted`);
    expect(err.code).toBe('invalid-input');
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0].field).toBe('path');
    expect(err.message).toBe(`That data folder cannot be used: ${err.problems[0].message}`);
    return err.problems[0].message;
  }

  it('refuses a relative path and an unexpanded ~', async () => {
    expect(await refusal('studio-data')).toMatch(
      /"studio-data" is not an absolute path; write the full path/,
    );
    expect(await refusal('~/studio-data')).toMatch(/starts with ~, which is not expanded/);
  });

  it('refuses a folder inside the one in use, also through a symbolic link, and one of its parents', async () => {
    expect(await refusal(join(current, 'runs'))).toMatch(/inside the data folder in use \(.*current\)/);
    symlinkSync(current, join(tmp.path, 'link'));
    expect(await refusal(join(tmp.path, 'link', 'nested'))).toMatch(/inside the data folder in use/);
    expect(await refusal(tmp.path)).toMatch(/contains the data folder in use/);
  });

  it('refuses a folder inside another data folder', async () => {
    const other = dataFolder(join(tmp.path, 'other'));
    expect(await refusal(join(other, 'sub'))).toMatch(
      /inside another Crystalline Studio data folder \(.*other\)/,
    );
  });

  it('refuses a file, and a folder that cannot be created because a parent is a file', async () => {
    writeFileSync(join(tmp.path, 'notes.txt'), 'x');
    expect(await refusal(join(tmp.path, 'notes.txt'))).toMatch(/notes\.txt is a file, not a folder/);
    expect(await refusal(join(tmp.path, 'notes.txt', 'data'))).toMatch(
      /cannot be created: .*notes\.txt is a file, not a folder/,
    );
  });

  it('refuses a folder it cannot write to', async () => {
    // Root writes through permission bits, so there the test uses a kernel folder nobody can write to.
    const asRoot = process.getuid?.() === 0;
    let locked = join(tmp.path, 'locked');
    if (asRoot) locked = '/sys/kernel';
    else {
      mkdirSync(locked);
      chmodSync(locked, 0o500);
    }
    try {
      expect(await refusal(locked)).toMatch(
        /is not writable \(permission denied\); the studio writes its database/,
      );
      if (!asRoot)
        expect(await refusal(join(locked, 'new'))).toMatch(
          /cannot be created in .*locked \(permission denied\)/,
        );
    } finally {
      if (!asRoot) chmodSync(locked, 0o700);
    }
  });

  it('refuses a folder holding other files, naming some', async () => {
    const busy = join(tmp.path, 'busy');
    mkdirSync(busy);
    for (const name of ['a.txt', 'b.txt', 'c.txt', 'd.txt']) writeFileSync(join(busy, name), '');
    expect(await refusal(busy)).toMatch(
      /already holds other files \(a\.txt, b\.txt, c\.txt, …\)\. Choose an empty/,
    );
  });

  it('refuses an empty path and one too long before anything is checked', async () => {
    const studio = await openStudio(current, {
      dataFolder: { ...resolveHere(), source: 'flag' },
    });
    try {
      for (const [path, message] of [
        ['   ', 'type the full path of a folder'],
        ['/' + 'x'.repeat(4096), 'is longer than 4096 characters'],
      ]) {
        const err = await studio.call('dataFolder.choose', { path }).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'invalid-input', problems: [{ field: 'path', message }] });
      }
    } finally {
      await studio.close();
    }
  });

  it('accepts a new folder (creating nothing), an empty one, a data folder, the default and the one in use', async () => {
    const fresh = join(tmp.path, 'new', 'studio');
    expect(await checkDataFolder(fresh + '/', current, defaultDir)).toBe(fresh);
    expect(existsSync(join(tmp.path, 'new'))).toBe(false);
    const empty = join(tmp.path, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, '.DS_Store'), '');
    expect(await checkDataFolder(empty, current, defaultDir)).toBe(empty);
    expect(readFileSync(join(empty, '.DS_Store'), 'utf8')).toBe('');
    const old = dataFolder(join(tmp.path, 'old'));
    writeFileSync(join(old, 'sample-corpus.txt'), 'x');
    expect(await checkDataFolder(old, current, defaultDir)).toBe(old);
    expect(await checkDataFolder(defaultDir, current, defaultDir)).toBe(defaultDir);
    expect(await checkDataFolder(current, current, defaultDir)).toBe(current);
  });
});

describe('a choice made in Settings', () => {
  it('is saved outside the folder in use, opened by the next start, and leaves the old folder as it was', async () => {
    const first = resolveHere({ flag: undefined });
    expect(first.source).toBe('default');
    const next = join(tmp.path, 'next data');
    const studio = await openResolved(first, ({ dataDir, ...context }) =>
      openStudio(dataDir, { dataFolder: context }),
    );
    const oldRoot = studio.layout.root;
    let info: DataFolderInfo;
    try {
      info = await studio.handlers['dataFolder.choose']({ path: next });
      expect(info).toEqual({
        current: oldRoot,
        source: 'default',
        defaultDir: oldRoot,
        chosen: next,
        next,
        pending: true,
        choiceFile: join(config, CHOICE_FILE_NAME),
        problem: null,
      });
      expect(await studio.handlers['dataFolder.get']({})).toEqual(info);
      expect(JSON.parse(readFileSync(info.choiceFile, 'utf8'))).toEqual({ dataDir: next });
      expect(studio.layout.root).toBe(oldRoot); // this studio keeps its folder until it restarts
    } finally {
      await studio.close();
    }
    expect(existsSync(join(oldRoot, 'studio.db'))).toBe(true);
    expect(existsSync(next)).toBe(false); // created by the start that opens it, not by the check

    const second = resolveHere();
    expect(second).toMatchObject({ dataDir: next, source: 'chosen', chosen: next });
    const reopened = await openResolved(second, ({ dataDir, ...context }) =>
      openStudio(dataDir, { dataFolder: context }),
    );
    try {
      expect(reopened.layout.root).toBe(next);
      expect(existsSync(join(next, 'studio.db'))).toBe(true);
      expect(await reopened.handlers['dataFolder.get']({})).toMatchObject({
        current: next,
        source: 'chosen',
        pending: false,
      });
      // Back to the default: the file goes, and the default is pending again.
      const reset = await reopened.handlers['dataFolder.choose']({ path: null });
      expect(reset).toMatchObject({ chosen: null, next: oldRoot, pending: true });
      expect(existsSync(info.choiceFile)).toBe(false);
    } finally {
      await reopened.close();
    }
  });

  it('reports the choice while --data-dir overrides it, and refuses a change where no choice file was given', async () => {
    const flagged = join(tmp.path, 'flagged');
    const studio = await openResolved(resolveHere({ flag: flagged }), ({ dataDir, ...context }) =>
      openStudio(dataDir, { dataFolder: context }),
    );
    const bare = await openStudio(join(tmp.path, 'bare'));
    try {
      const info = await studio.handlers['dataFolder.choose']({ path: join(tmp.path, 'later') });
      expect(info).toMatchObject({
        current: flagged,
        source: 'flag',
        next: join(tmp.path, 'later'),
        pending: true,
      });
      await expect(bare.handlers['dataFolder.get']({})).rejects.toThrow(/with no saved choice to change/);
    } finally {
      await Promise.all([studio.close(), bare.close()]);
    }
  });
});
