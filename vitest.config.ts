// Unit and integration tests (engine, backend). End-to-end UI tests live in e2e/ under Playwright.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src-worker/**/*.test.ts', 'src-main/**/*.test.ts', 'scripts/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['scripts/vitest-global-setup.ts'],
  },
});
