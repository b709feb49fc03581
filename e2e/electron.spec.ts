// The same studio through Playwright's `_electron`, wherever an Electron binary is installed: the
// window opens on the Runs view with the preload's bridge and no Node in the page. Where there is
// no binary (this sandbox cannot download it), the test is skipped with the reason.

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { snap } from './studio';

/**
 * The binary `require('electron')` would start, found the way electron's index.js finds it but
 * without its fallback of downloading one (which cannot work offline and takes minutes to fail).
 */
function electronBinary(): { path: string | null; reason: string } {
  const pkg = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  const pathFile = join(pkg, 'path.txt');
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (!existsSync(pathFile) && override === undefined) {
    return { path: null, reason: `the Electron binary was never downloaded (${pathFile} is missing)` };
  }
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : 'electron';
  const path = override !== undefined ? join(override, name) : join(pkg, 'dist', name);
  return existsSync(path)
    ? { path, reason: '' }
    : { path: null, reason: `the Electron binary is not installed (${path} is missing)` };
}

const binary = electronBinary();

test('the desktop app opens a sandboxed window on the Runs view', async () => {
  if (binary.path === null) console.log(`electron.spec.ts skipped: ${binary.reason}.`);
  test.skip(binary.path === null, `Skipping the _electron specs: ${binary.reason}.`);
  const dataDir = mkdtempSync(join(tmpdir(), 'crystalline-electron-'));
  const app = await electron.launch({
    executablePath: binary.path ?? undefined,
    // --no-sandbox: CI runs as root, where Chromium's OS-level sandbox cannot start.
    args: ['out/main/index.js', `--data-dir=${dataDir}`, '--no-sandbox'],
  });
  const page = await app.firstWindow();
  await expect(page.getByRole('heading', { name: 'Runs', exact: true })).toBeVisible();
  expect(await page.evaluate('typeof window.require')).toBe('undefined'); // no Node in the page
  expect(await page.evaluate('typeof window.studio.methods["runs.list"]')).toBe('function');
  await page.getByRole('link', { name: /Datasets/ }).click();
  await expect(page.locator('[data-dataset="Sample corpus"]')).toBeVisible();
  await snap(page, 'electron-datasets');
  await app.close();
});
