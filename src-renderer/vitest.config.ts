// Unit tests of the renderer: pure functions, transports and the rune state modules (compiled by
// the Svelte plugin for the browser, so $state is reactive as in the app). Run from the repo root:
// `vitest run --config src-renderer/vitest.config.ts`.

import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [svelte()],
  resolve: { conditions: ['browser'] },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
