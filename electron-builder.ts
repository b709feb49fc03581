// electron-builder's configuration for `npm run dist`: installers for Linux (AppImage, deb), macOS
// (dmg) and Windows (nsis) from the built app in out/. Checked by scripts/electron-builder.test.ts.

import type { Configuration } from 'electron-builder';

const config: Configuration = {
  appId: 'dev.crystalline.studio',
  productName: 'Crystalline Studio', // package.json's, which names userData: the default data folder
  directories: { output: 'dist', buildResources: 'resources' },
  // The app is out/ (main, preload, renderer, engine) and package.json; electron-builder adds the
  // production dependencies' node_modules itself. Source maps, the tests' bundle and out/native
  // (better-sqlite3 for the app run unpackaged; packaged, it loads node_modules') stay behind.
  files: ['out/**/*', '!out/**/*.map', '!out/test/**', '!out/native/**', 'package.json'],
  // worker_threads cannot start a script inside app.asar, so the engine (worker.js and the
  // replicas it starts beside itself) is unpacked; main.ts points the worker there. Native
  // addons (better-sqlite3) load from real files too.
  asarUnpack: ['out/engine/**', '**/*.node'],
  // The PyTorch engine's program runs under the user's Python, which reads real files only: it goes
  // beside app.asar, in resources/pytorch/ (src-worker/torch-launch/program.ts looks there first):
  // the entry script and its cllm package, sources only (no __pycache__ from runs in the repository).
  extraResources: [{ from: 'src-worker/pytorch', to: 'pytorch', filter: ['cllm_torch.py', 'cllm/**/*.py'] }],
  // At packaging time only, @electron/rebuild builds better-sqlite3 against Electron's headers
  // for each target's ABI; `npm install` builds it for Node and never fetches Electron's headers.
  npmRebuild: true,
  buildDependenciesFromSource: false, // use better-sqlite3's Electron prebuilds where they exist
  icon: 'resources/icon.png',
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Development',
    maintainer: 'Crystalline Studio',
    synopsis: 'Train small GPT-style language models on your own text, offline.',
  },
  mac: {
    target: ['dmg'],
    category: 'public.app-category.developer-tools',
  },
  win: {
    target: ['nsis'],
  },
  nsis: {
    oneClick: false,
    allowToChangeInstallationDirectory: true,
  },
};

export default config;
