// What the PyTorch engine's test files share beyond starting ranks (torch-run.ts): skipping where
// torch is missing, and waiting for a run to be under way.

import { describe } from 'vitest';
import { torchMissing, waitForEvent, type Rank } from './torch-run';

const missing = torchMissing();

/** `describe` for tests that start the engine program; skipped, saying why, where torch is missing. */
export function describeWithTorch(name: string, body: () => void): void {
  if (missing !== null) console.warn(`Skipping "${name}": ${missing}.`);
  describe.skipIf(missing !== null)(name, body);
}

/** Resolves once rank 0 has reported progress at step `step` or later. */
export async function progressed(rank: Rank, step = 0): Promise<void> {
  await waitForEvent(
    rank,
    (e) => e.type === 'training-events' && e.events.some((t) => t.kind === 'progress' && t.step >= step),
  );
}
