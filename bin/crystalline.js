#!/usr/bin/env node
// `npx crystalline …`: runs the bundled engine CLI (built by `npm install` / `npm run build:engine`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = fileURLToPath(new URL('../out/engine/cli.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('crystalline: the engine is not built yet; run `npm run build:engine` first.');
  process.exit(1);
}
await import(pathToFileURL(cli).href);
