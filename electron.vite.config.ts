// Builds the app into out/: the Electron main process and the serve-mode entry (out/main), the
// sandboxed preload (out/preload, CommonJS as sandboxed preloads require) and the renderer
// (out/renderer). The training worker is not built here: out/engine/worker.js from
// `npm run build:engine` is the one worker bundle, shared with the CLI and the backend's tests.

import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve('src-main/electron/main.ts'),
          serve: resolve('src-main/web/main.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve('src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src-renderer'),
    plugins: [svelte()],
    build: {
      outDir: resolve('out/renderer'),
      rollupOptions: { input: resolve('src-renderer/index.html') },
      // The CSP allows no data: fonts or scripts; keep every asset a file.
      assetsInlineLimit: 0,
      // electron-vite leaves the renderer unminified; serve mode sends it over HTTP too.
      minify: true,
    },
  },
});
