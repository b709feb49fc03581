// Helpers the specs share: the serve-mode studio's URL and data folder, the API called directly for
// setting up (runs the UI is not under test for), the tiny model that trains in seconds, and screenshots.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '@playwright/test';
import type { Page } from '@playwright/test';
import type { MethodInput, MethodName, MethodResult, RunConfig, RunStatus } from '../src-main/api';

export const STATE_FILE = join('test-results', 'e2e-studio.json');
export const SCREENSHOT_DIR = join('test-results', 'screenshots');

export interface StudioState {
  url: string; // with ?token=
  dataDir: string;
  configDir: string; // $CRYSTALLINE_CONFIG_DIR: where a data folder chosen in Settings is saved
  pid: number;
}

/** The serve-mode studio global-setup started. */
export function serveState(): StudioState {
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as StudioState;
}

/** Calls the studio's API directly (for setup and for checking what the UI did). */
export type Api = <M extends MethodName>(method: M, input: MethodInput<M>) => Promise<MethodResult<M>>;

/** The API over serve mode's HTTP, with its access token. */
export function httpApi(state: StudioState): Api {
  const url = new URL(state.url);
  const token = url.searchParams.get('token') ?? '';
  return async (method, input) => {
    const res = await fetch(`${url.origin}/api/${method}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(input),
    });
    const body = (await res.json()) as { result?: unknown; error?: { message: string } };
    if (!res.ok) throw new Error(`${method} failed (${res.status}): ${body.error?.message}`);
    return body.result as never;
  };
}

export async function sampleDatasetId(api: Api): Promise<number> {
  const list = await api('datasets.list', {});
  const sample = list.find((d) => d.name === 'Sample corpus');
  if (sample === undefined) throw new Error('serve mode did not import the sample corpus');
  return sample.id;
}

/** A one-layer model of width 32: a step takes milliseconds, so a run shows curves in seconds. */
export const TINY = { nLayer: 1, nHead: 2, nEmbd: 32, contextLength: 32 };

export async function tinyConfig(
  api: Api,
  name: string,
  steps: number,
  overrides: Partial<RunConfig['train']> = {},
): Promise<RunConfig> {
  const defaults = await api('runs.defaults', { datasetId: await sampleDatasetId(api), preset: 'tiny' });
  return {
    ...defaults,
    name,
    model: TINY,
    backend: 'wasm',
    train: {
      ...defaults.train,
      batchSize: 4,
      seqLen: 32,
      steps,
      logEvery: 5,
      evalEvery: 25,
      evalBatches: 2,
      histogramEvery: 25,
      schedule: { ...defaults.train.schedule, warmupSteps: 10, totalSteps: steps },
      ...overrides,
    },
    checkpoints: { ...defaults.checkpoints, every: 50 },
    samples: defaults.samples === null ? null : { ...defaults.samples, every: 50, maxTokens: 40 },
  };
}

export async function waitForRun(
  api: Api,
  id: number,
  done: (status: RunStatus, step: number) => boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const run = await api('runs.get', { id });
    if (done(run.status, run.step)) return;
    if (Date.now() > until) throw new Error(`run ${id} is still ${run.status} at step ${run.step}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Creates and trains a tiny run to the end through the API; returns its id. */
export async function trainedRun(
  api: Api,
  name: string,
  steps = 100,
  overrides: Partial<RunConfig['train']> = {},
): Promise<number> {
  const run = await api('runs.create', { config: await tinyConfig(api, name, steps, overrides) });
  await api('runs.start', { id: run.id });
  await waitForRun(api, run.id, (status) => status === 'completed' || status === 'failed');
  return run.id;
}

/** A screenshot of the view, named after it; the electron project's carry its name in front. */
export async function snap(page: Page, name: string): Promise<void> {
  const project = test.info().project.name;
  const file = project === 'chromium' ? name : `${project}-${name}`;
  await page.evaluate('window.scrollTo(0, 0)'); // the sidebar is sticky: shoot from the top
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${file}.png`), fullPage: true });
}
