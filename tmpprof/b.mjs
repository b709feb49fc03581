import { build } from 'esbuild';
import { rawImports } from '/work/wt/native/scripts/esbuild-raw-plugin.mjs';
await build({ absWorkingDir: '/work/wt/native', entryPoints: ['tmpprof/prof.ts'], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', plugins: [rawImports], outfile: 'out/engine/prof.mjs', logLevel: 'warning' });
