// The queue: with a limit of two, two runs train in parallel (two workers) and a third waits;
// when one ends, queued runs start in the order they were queued.

import { describe, expect, it } from 'vitest';
import type { RunDetail, RunSummary } from '../api';
import { importCorpus, microConfig, progressReaches, runReaches } from './test-support/fixtures';
import { useStudio } from './test-support/studio-harness';

const harness = useStudio('queue');

describe('the run queue', () => {
  it('trains two runs in parallel, queues a third, and starts queued runs in order', async () => {
    const { studio } = harness;
    expect((await studio.call('settings.get', {})) as { maxConcurrentRuns: number }).toMatchObject({
      maxConcurrentRuns: expect.any(Number),
    });
    await studio.call('settings.update', { maxConcurrentRuns: 2 });
    const d = await importCorpus(studio, harness.dir);
    const create = async (name: string): Promise<RunDetail> =>
      (await studio.call('runs.create', { config: { ...microConfig(d.id, 1_000_000), name } })) as RunDetail;
    const [a, b, c, e] = [await create('a'), await create('b'), await create('c'), await create('e')];

    await studio.call('runs.start', { id: a.id });
    await studio.call('runs.start', { id: b.id });
    await studio.call('runs.start', { id: e.id });
    const queued = (await studio.call('runs.start', { id: c.id })) as RunSummary;
    expect(queued.status).toBe('queued');

    // Both train at once: each reports progress while the other is running.
    await Promise.all([progressReaches(studio, a.id, 10), progressReaches(studio, b.id, 10)]);
    const statuses = async (): Promise<string[]> =>
      Promise.all(
        [a, b, e, c].map(async (r) => ((await studio.call('runs.get', { id: r.id })) as RunSummary).status),
      );
    expect(await statuses()).toEqual(['running', 'running', 'queued', 'queued']);

    // Stopping one starts the run queued first (e), not the one queued later (c).
    await studio.call('runs.stop', { id: a.id });
    await runReaches(studio, e.id, (r) => r.status === 'running', 'e running');
    expect(await statuses()).toEqual(['stopped', 'running', 'running', 'queued']);

    // A queued run leaves the queue when stopped; it never trained, so it is back to "created".
    const unqueued = (await studio.call('runs.stop', { id: c.id })) as RunSummary;
    expect(unqueued.status).toBe('created');
    await studio.call('runs.stop', { id: b.id });
    await studio.call('runs.stop', { id: e.id });
    expect(await statuses()).toEqual(['stopped', 'stopped', 'stopped', 'created']);
  });
});
