// Test support: a studio on a temp folder of its own, opened before each test (or once for a file),
// closed after it and the folder removed; with the sample corpus imported when the tests train.

import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { DatasetInfo } from '../../api';
import { StudioError } from '../../api';
import { rejectionOf } from '../../../src-worker/test-support/caught';
import { useTempDir } from '../../../src-worker/test-support/temp-dir';
import type { Studio, StudioOptions } from '../studio';
import { importCorpus, openStudio } from './fixtures';

export interface StudioHarnessOptions {
  /** 'test' (the default): a fresh folder and studio for each test; 'file': one for the whole file. */
  scope?: 'test' | 'file';
  /** The data folder, inside the temp folder ('data' keeps it apart from the corpus and exports). */
  dataDir?: string;
  /** 'before' (the default): the hook opens the studio; 'in-test': each test opens its own with `open`. */
  open?: 'before' | 'in-test';
  /** Options for the studio the hook opens (the fixtures' quick flush and heartbeat otherwise). */
  options?: Partial<StudioOptions>;
  /** Whether the hook imports the sample corpus (see importCorpus) once the studio is open. */
  corpus?: boolean;
}

export interface StudioHarness {
  /** The temp folder: the corpus is written here. */
  readonly dir: string;
  /** The data folder the studios open on. */
  readonly dataDir: string;
  /** The studio opened last, by the hook or by `open`. */
  readonly studio: Studio;
  /** The corpus the hook imported (with `corpus: true`). */
  readonly dataset: DatasetInfo;
  /** Opens a studio on the data folder; every studio opened is closed after the test (or file). */
  open(options?: Partial<StudioOptions>): Promise<Studio>;
}

/** Registers the hooks that open a studio on a temp folder and close it (see StudioHarnessOptions). */
export function useStudio(prefix: string, settings: StudioHarnessOptions = {}): StudioHarness {
  const { scope = 'test', dataDir = '.', open = 'before', options = {}, corpus = false } = settings;
  const tmp = useTempDir(`crystalline-${prefix}-`, scope);
  const opened: Studio[] = [];
  let dataset: DatasetInfo | null = null;
  const made = <T>(value: T | undefined | null, what: string): T => {
    if (value === undefined || value === null)
      throw new Error(`The ${what} of ${prefix} is made by a hook or by open(); read it inside a test.`);
    return value;
  };
  const harness: StudioHarness = {
    get dir() {
      return tmp.path;
    },
    get dataDir() {
      return join(tmp.path, dataDir);
    },
    get studio() {
      return made(opened.at(-1), 'studio');
    },
    get dataset() {
      return made(dataset, 'dataset');
    },
    async open(openOptions = {}) {
      const studio = await openStudio(harness.dataDir, openOptions);
      opened.push(studio);
      return studio;
    },
  };
  const [before, after] = scope === 'test' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    if (open === 'in-test') return;
    const studio = await harness.open(options);
    if (corpus) dataset = await importCorpus(studio, tmp.path);
  });
  // Registered after useTempDir's hook, so it runs before the folder is removed; a test file's own
  // after-hooks run before it. Studios close in the order they were opened.
  after(async () => {
    for (const studio of opened.splice(0)) await studio.close();
    dataset = null;
  });
  return harness;
}

/** The StudioError a call is refused with; the call must be refused (see rejectionOf). */
export function refusal(call: Promise<unknown>): Promise<StudioError> {
  return rejectionOf(call, StudioError);
}
