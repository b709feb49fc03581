// esbuild plugin for Vite's `?raw` imports (`import sql from './0001__init.sql?raw'`): the file's
// text as a string, so the migrations bundle the same way under esbuild, vite and vitest.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** @type {import('esbuild').Plugin} */
export const rawImports = {
  name: 'raw-imports',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: join(args.resolveDir, args.path.slice(0, -'?raw'.length)),
      namespace: 'raw',
    }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, async (args) => ({
      contents: await readFile(args.path, 'utf8'),
      loader: 'text',
      resolveDir: dirname(args.path),
    }));
  },
};
