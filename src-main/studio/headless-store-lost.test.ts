// A terminal run whose database stops taking writes (the disk under the data folder fills up) goes
// on training: its checkpoints are written and each is named on the terminal, and once space is
// back its end is recorded, so the run is not left `running`. The data folder is a small tmpfs
// that the test fills; where mounting is not allowed the test is skipped and says why.

import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runTraining } from '../../src-worker/train/loop';
import { RunCheckpoints } from '../../src-worker/train/run-checkpoints';
import { prepareRun } from '../../src-worker/train/setup';
import type { RunSpec } from '../../src-worker/train/setup';
import { listRecordedRuns, recordHeadlessRun } from './headless';
import { fillDisk, mountTmpfs, tmpfsProblem, unmountTmpfs } from './test-support/tmpfs';
import { useTempDir } from '../../src-worker/test-support/temp-dir';
import { microConfig, writeCorpus } from './test-support/fixtures';

const problem = tmpfsProblem();
const title =
  problem === null ? 'a terminal run on a full disk' : `a terminal run on a full disk (skipped: ${problem})`;

describe.skipIf(problem !== null)(title, () => {
  // Registered first, so the folder is removed after the tmpfs is unmounted.
  const dir = useTempDir('crystalline-store-lost-');
  let dataDir: string;
  beforeEach(() => {
    dataDir = join(dir.path, 'data');
    mkdirSync(dataDir);
    mountTmpfs(dataDir, '2m');
  });
  afterEach(() => {
    unmountTmpfs(dataDir);
  });

  it('keeps training and checkpointing, names each checkpoint, and records its end once space is back', async () => {
    const { model, train } = microConfig(1, 300);
    const spec: RunSpec = {
      data: { kind: 'path', path: writeCorpus(dir.path) },
      tokenizer: { kind: 'char' },
      model,
      train: { ...train, logEvery: 1 },
      backend: 'ts',
    };
    const said: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
      said.push(String(text));
      return true;
    });
    const filler = join(dataDir, 'filler.bin');
    try {
      const recorder = recordHeadlessRun({ dataDir, spec });
      const out = join(dir.path, 'out'); // --out: the checkpoints' disk has room
      mkdirSync(out);
      const run = await prepareRun(spec);
      const { checkpoints } = await RunCheckpoints.open(
        out,
        { keepLast: 100, keepBest: true, keepEvery: 0 },
        { runId: run.runId, step: 0 },
      );
      const done = await runTraining(run.trainer, {
        onEvent: (e) => recorder.onEvent(e),
        afterStep: async (r) => {
          if (r.step === 10) {
            fillDisk(filler); // the disk under the database is full now
          }
          if (r.step === 280) rmSync(filler); // space is back before the end
          if (r.step % 20 === 0) {
            const { saved, removed } = await checkpoints.save(run, null);
            recorder.onCheckpoint(saved, removed);
          }
        },
      });
      recorder.finish(done);
      await run.release();
    } finally {
      stderr.mockRestore();
    }
    const text = said.join('');
    expect(text).toMatch(
      /can no longer be recorded in .*studio\.db \(database or disk is full\); it trains on/,
    );
    expect(text).toContain(`checkpoint of step 300 written to ${join(dir.path, 'out', 'step-0000300.ckpt')}`);
    expect(existsSync(join(dir.path, 'out', 'step-0000300.ckpt'))).toBe(true);
    const [recorded] = await listRecordedRuns(dataDir);
    expect(recorded).toMatchObject({ status: 'completed', step: 300 });
  });
});
