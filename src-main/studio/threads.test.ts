// Training threads as a studio run setting: the default shares the cores among the runs that may
// train at once, a run trains data-parallel with the count it was given and its checkpoints record
// it, and a count the backend or batch cannot honour is refused on its field.

import { describe, expect, it } from 'vitest';
import type { CheckpointInfo, RunConfig, RunDetail } from '../api';
import { readCheckpoint } from '../../src-worker/checkpoint/read';
import { storedRunOf } from '../../src-worker/train/checkpointing';
import { join } from 'node:path';
import { importCorpus, microConfig, openStudio, runReaches } from './test-support/fixtures';
import { useStudio } from './test-support/studio-harness';

// A machine of 4 cores.
const harness = useStudio('threads', { options: { cores: 4 }, corpus: true });

describe('training threads of a studio run', () => {
  it('default to the cores shared among the runs allowed at once', async () => {
    const { studio, dataset } = harness;
    await studio.call('settings.update', { maxConcurrentRuns: 2, defaultBackend: 'wasm' });
    const defaults = (await studio.call('runs.defaults', {
      datasetId: dataset.id,
      preset: 'tiny',
    })) as RunConfig;
    expect(defaults.threads).toBe(2); // 4 cores, 2 runs
    await studio.call('settings.update', { maxConcurrentRuns: 1 });
    const alone = (await studio.call('runs.defaults', {
      datasetId: dataset.id,
      preset: 'tiny',
    })) as RunConfig;
    expect(alone.threads).toBe(4);
  });

  it('default to at most one per sequence of the batch', async () => {
    // A second studio, in a folder of its own inside this test's, on a machine of 100 cores.
    const folder = join(harness.dir, 'many');
    const many = await openStudio(folder, { cores: 100 });
    try {
      await many.call('settings.update', { maxConcurrentRuns: 1, defaultBackend: 'wasm' });
      const d = await importCorpus(many, folder);
      const defaults = (await many.call('runs.defaults', { datasetId: d.id, preset: 'tiny' })) as RunConfig;
      expect(defaults.threads).toBe(defaults.train.batchSize);
      expect(defaults.threads).toBeLessThan(100);
    } finally {
      await many.close();
    }
  });

  it('train the run data-parallel, and its checkpoint records the count', async () => {
    const { studio, dataset } = harness;
    const config = microConfig(dataset.id, 20, { backend: 'wasm', threads: 2 });
    const run = (await studio.call('runs.create', { config })) as RunDetail;
    await studio.call('runs.start', { id: run.id });
    const done = await runReaches(
      studio,
      run.id,
      (r) => r.status === 'completed' || r.status === 'failed',
      'end',
    );
    expect(done.status).toBe('completed');
    const [last] = ((await studio.call('checkpoints.list', { runId: run.id })) as CheckpointInfo[]).slice(-1);
    const stored = storedRunOf(await readCheckpoint(last.path), last.path);
    expect(stored.spec.threads).toBe(2);
    expect(stored.spec.backend).toBe('wasm');
  });

  it('are refused on the ts backend and beyond the batch, on the threads field', async () => {
    const { studio, dataset } = harness;
    const refusal = async (overrides: Partial<RunConfig>): Promise<string> => {
      try {
        await studio.call('runs.create', { config: microConfig(dataset.id, 20, overrides) });
      } catch (error) {
        return JSON.stringify(error, Object.getOwnPropertyNames(error));
      }
      throw new Error('the config was accepted');
    };
    expect(await refusal({ backend: 'ts', threads: 2 })).toMatch(/threads.*ts backend trains on one thread/);
    expect(await refusal({ backend: 'wasm', threads: 5 })).toMatch(/5 threads need a batch of at least 5/);
  });
});
