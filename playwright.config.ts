// End-to-end tests of the studio UI, every spec in two projects: "chromium" drives Debian's
// Chromium against serve mode (e2e/global-setup.ts starts `out/main/serve.js` on a fresh data
// folder), "electron" the built desktop app through `_electron` where an Electron binary is
// installed, and skips each spec with the reason where none is. Playwright's own browser download
// is never used. Screenshots of each view land in test-results/screenshots.

import { defineConfig } from '@playwright/test';
import type { StudioKind } from './e2e/fixtures';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig<object, { studioKind: StudioKind }>({
  testDir: 'e2e',
  testMatch: '*.spec.ts',
  outputDir: 'test-results/playwright',
  globalSetup: './e2e/global-setup.ts',
  globalTeardown: './e2e/global-teardown.ts',
  timeout: 90_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1, // one studio per project and two cores: the specs share them in turn
  retries: 0,
  reporter: [['list']],
  use: {
    viewport: { width: 1440, height: 900 },
    trace: 'off',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        studioKind: 'web',
        browserName: 'chromium',
        launchOptions: {
          executablePath: CHROMIUM,
          args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
        },
      },
    },
    { name: 'electron', use: { studioKind: 'electron' } },
  ],
});
