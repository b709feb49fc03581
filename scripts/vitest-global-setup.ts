// Vitest global setup: bundles the engine (CLI and training worker) once before the tests, so
// tests that spawn `bin/crystalline.js` or a worker_threads Worker run the current sources.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build-engine.mjs'], { stdio: 'inherit' });
}
