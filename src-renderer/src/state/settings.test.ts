// The settings state's data folder: loaded with the rest, a choice saved or refused with the
// field's message, the native dialog's pick saved (a cancel saves nothing), and which pending
// change and override the view shows.

import { describe, expect, it } from 'vitest';
import type { DataFolderInfo, SettingsInfo, SystemInfo } from '../../../src-main/api';
import { ApiError } from '../transport/api-error';
import type { Transport } from '../transport/transport';
import { setTransport } from './api';
import { fakeTransport } from './fake-transport';
import type { FakeHandlers } from './fake-transport';
import { overrideOf, pendingFolder, SettingsState } from './settings.svelte';

const folder = (over: Partial<DataFolderInfo> = {}): DataFolderInfo => ({
  current: '/data/now',
  source: 'default',
  defaultDir: '/data/now',
  chosen: null,
  next: '/data/now',
  pending: false,
  choiceFile: '/config/data-folder.json',
  problem: null,
  ...over,
});

const settingsInfo: SettingsInfo = {
  maxConcurrentRuns: 2,
  defaultBackend: 'wasm',
  heartbeatTimeoutSeconds: 60,
  pythonPath: 'python3',
};
const systemInfo: SystemInfo = {
  appVersion: '0.1.0',
  dataDir: '/data/now',
  cores: 4,
  freeMemoryBytes: 1,
  totalMemoryBytes: 2,
  defaultConcurrency: 2,
};

function install(
  handlers: FakeHandlers,
  choosePath: Transport['choosePath'] = null,
): ReturnType<typeof fakeTransport> {
  const fake = fakeTransport({
    'settings.get': () => settingsInfo,
    'system.info': () => systemInfo,
    'dataFolder.get': () => folder(),
    ...handlers,
  });
  fake.choosePath = choosePath;
  setTransport(fake);
  return fake;
}

describe('the data folder in settings', () => {
  it('loads with the other settings and saves a new folder as pending', async () => {
    const fake = install({
      'dataFolder.choose': ({ path }) => folder({ chosen: path, next: path ?? '/data/now', pending: true }),
    });
    const state = new SettingsState();
    await state.load();
    expect(state.dataFolder).toEqual(folder());
    expect(state.nativeFolderDialog).toBe(false);
    expect(await state.chooseDataFolder('/data/next')).toBe(true);
    expect(fake.calls.at(-1)).toEqual({ method: 'dataFolder.choose', input: { path: '/data/next' } });
    expect(state.dataFolder).toMatchObject({ chosen: '/data/next', pending: true });
    expect(state.dataFolderError).toBeNull();
    expect(state.choosingFolder).toBe(false);
  });

  it('keeps the refusal of the field as its message, and an edit clears it', async () => {
    install({
      'dataFolder.choose': () => {
        throw new ApiError('invalid-input', 'That data folder cannot be used: "x" is not an absolute path.', [
          { field: 'path', message: '"x" is not an absolute path.' },
        ]);
      },
    });
    const state = new SettingsState();
    await state.load();
    expect(await state.chooseDataFolder('x')).toBe(false);
    expect(state.dataFolderError).toBe('"x" is not an absolute path.');
    expect(state.dataFolder).toEqual(folder()); // unchanged
    state.clearDataFolderError();
    expect(state.dataFolderError).toBeNull();
  });

  it('saves what the native dialog picks, opened at the next folder, and nothing on cancel', async () => {
    const opened: { purpose: string; defaultPath: string | undefined }[] = [];
    let answer: string | null = '/picked';
    const fake = install(
      { 'dataFolder.choose': ({ path }) => folder({ chosen: path, next: path ?? '', pending: true }) },
      async (purpose, defaultPath) => {
        opened.push({ purpose, defaultPath });
        return answer;
      },
    );
    const state = new SettingsState();
    await state.load();
    expect(state.nativeFolderDialog).toBe(true);
    await state.pickDataFolder();
    expect(opened).toEqual([{ purpose: 'data-folder', defaultPath: '/data/now' }]);
    expect(state.dataFolder?.chosen).toBe('/picked');
    answer = null;
    const before = fake.calls.length;
    await state.pickDataFolder();
    expect(fake.calls.length).toBe(before);
    expect(state.dataFolder?.chosen).toBe('/picked');
  });

  it('shows a pending change, and under an override only a saved choice', () => {
    expect(pendingFolder(folder())).toBeNull();
    expect(pendingFolder(folder({ chosen: '/b', next: '/b', pending: true }))).toBe('/b');
    expect(pendingFolder(folder({ source: 'chosen', current: '/b', next: '/data/now', pending: true }))).toBe(
      '/data/now',
    );
    const flagged = folder({ source: 'flag', current: '/tmp/e2e', pending: true });
    expect(overrideOf(flagged)).toBe('--data-dir');
    expect(pendingFolder(flagged)).toBeNull(); // the default the flag hides is no change of the person's
    expect(pendingFolder({ ...flagged, chosen: '/b', next: '/b' })).toBe('/b');
    expect(overrideOf(folder({ source: 'env' }))).toBe('$CRYSTALLINE_DATA_DIR');
    expect(overrideOf(folder({ source: 'chosen' }))).toBeNull();
  });
});

describe('a refused setting', () => {
  it('keeps the message at its field, not in a banner, and a good value clears it', async () => {
    let accept = false;
    install({
      'settings.update': (changes) => {
        if (!accept)
          throw new ApiError(
            'invalid-input',
            'Invalid input for settings.update: maxConcurrentRuns: must be ≥ 1',
            [{ field: 'maxConcurrentRuns', message: 'must be ≥ 1' }],
          );
        return { ...settingsInfo, ...changes };
      },
    });
    const state = new SettingsState();
    await state.load();
    await state.update({ maxConcurrentRuns: 0 });
    expect(state.fieldErrors).toEqual({ maxConcurrentRuns: 'must be ≥ 1' });
    expect(state.error).toBeNull();
    expect(state.settings?.maxConcurrentRuns).toBe(2);
    accept = true;
    await state.update({ maxConcurrentRuns: 3 });
    expect(state.fieldErrors).toEqual({});
    expect(state.settings?.maxConcurrentRuns).toBe(3);
  });

  it('shows a failure that names no setting in the banner', async () => {
    install({
      'settings.update': () => {
        throw new ApiError('failed', 'The database is read-only.');
      },
    });
    const state = new SettingsState();
    await state.load();
    await state.update({ defaultBackend: 'ts' });
    expect(state.error).toBe('The database is read-only.');
    expect(state.fieldErrors).toEqual({});
  });
});
