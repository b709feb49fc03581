// Several processes (DistributedDataParallel over gloo on 127.0.0.1): a 2-process run stopped and
// resumed lands on the same weights, bit for bit, as a straight one; two "nodes" started apart
// train one run together; a rank killed with SIGKILL takes the other down within the time-out.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { readCheckpoint } from '../checkpoint/read';
import type { WorkerEvent } from '../protocol';
import {
  freePort,
  microSpec,
  startRank,
  startRun,
  trainToEnd,
  trainingEvents,
  waitForEvent,
  writeJob,
} from './test-support/torch-run';
import { describeWithTorch, progressed } from './test-support/with-torch';

const STEPS = 40;
const spec = microSpec({ steps: STEPS, evalEvery: 10, histogramEvery: 0, logEvery: 1 });

type Checkpoint = Awaited<ReturnType<typeof readCheckpoint>>;

/** Every tensor of `a` equals `b`'s bit for bit (parameters and optimizer moments). */
function expectSameTensors(a: Checkpoint, b: Checkpoint): void {
  expect([...a.tensors.keys()]).toEqual([...b.tensors.keys()]);
  for (const [name, t] of a.tensors) {
    const u = b.tensors.get(name);
    const same =
      u !== undefined &&
      Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(
        Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength),
      );
    expect(same, `tensor ${name} differs`).toBe(true);
  }
}

function finalCheckpoint(events: readonly WorkerEvent[]): string {
  const written = events.filter((e) => e.type === 'checkpoint-written');
  const last = written.at(-1);
  if (last?.type !== 'checkpoint-written') throw new Error('no checkpoint was written');
  return last.checkpoint.path;
}

describeWithTorch('PyTorch engine on several processes', () => {
  const root = mkdtempSync(join(tmpdir(), 'torch-ddp-'));
  let straight: Checkpoint;

  beforeAll(async () => {
    const job = await writeJob({ spec, dir: join(root, 'straight') });
    const events = await trainToEnd(job.path, 2);
    straight = await readCheckpoint(finalCheckpoint(events));
    expect(straight.header.step).toBe(STEPS);
    expect(straight.header.backend).toEqual({
      name: 'pytorch',
      kernelPath: expect.stringMatching(/-cpu-2x$/),
    });
  });

  it('stopped at step k and resumed, reaches the straight run’s weights bit for bit', async () => {
    const dir = join(root, 'stopped');
    const job = await writeJob({ spec, dir });
    const ranks = await startRun(job.path, 2);
    await waitForEvent(ranks[0], (e) => e.type === 'state' && e.state === 'running');
    await progressed(ranks[0], 3);
    ranks[0].child.stdin.write(JSON.stringify({ type: 'stop', requestId: 7 }) + '\n');
    expect(await Promise.all(ranks.map((r) => r.exited))).toEqual([0, 0]);
    const events = ranks[0].events;
    const stopping = events.find((e) => e.type === 'state' && e.state === 'stopping');
    expect(stopping).toMatchObject({ acks: [7] });
    const stopped = events.at(-1) as Extract<WorkerEvent, { type: 'stopped' }>;
    expect(stopped.done.reason).toBe('stopped');
    const k = stopped.done.step;
    expect(k).toBeGreaterThanOrEqual(3);
    expect(k).toBeLessThan(STEPS);
    const stopCheckpoint = finalCheckpoint(events);

    const resumed = await writeJob({ spec, dir, resumeFrom: stopCheckpoint });
    const after = await trainToEnd(resumed.path, 2);
    const started = after.find((e) => e.type === 'started');
    expect(started).toMatchObject({ info: { step: k, resumedFrom: stopCheckpoint } });
    expectSameTensors(await readCheckpoint(finalCheckpoint(after)), straight);
  });

  it('trains one run on two "nodes" started apart (nnodes=2 on 127.0.0.1)', async () => {
    const job = await writeJob({ spec, dir: join(root, 'nodes') });
    const port = await freePort();
    // Each node runs one rank as its local rank 0, as `--nnodes 2 --node-rank R` launches it.
    const node0 = startRank(job.path, 0, 2, port, 0);
    const node1 = startRank(job.path, 1, 2, port, 0);
    expect(await Promise.all([node0.exited, node1.exited])).toEqual([0, 0]);
    expect(node1.events).toEqual([]); // only rank 0 writes events
    expectSameTensors(await readCheckpoint(finalCheckpoint(node0.events)), straight);
  });

  it.each([1, 0])('a SIGKILLed rank %i makes the other exit within the time-out', async (victim) => {
    const job = await writeJob({
      spec: microSpec({ steps: 100_000, evalEvery: 0, logEvery: 1 }),
      dir: join(root, `killed-${victim}`),
      timeoutSeconds: 15,
    });
    const ranks = await startRun(job.path, 2);
    await progressed(ranks[0]);
    const killedAt = Date.now();
    ranks[victim].child.kill('SIGKILL');
    const survivor = ranks[1 - victim];
    const code = await survivor.exited;
    expect(Date.now() - killedAt).toBeLessThan(20_000);
    expect(code).not.toBe(0);
    expect(survivor.child.exitCode ?? survivor.child.signalCode).not.toBeNull();
    if (victim === 1) {
      const error = ranks[0].events.find((e) => e.type === 'error');
      expect(error).toMatchObject({ fatal: true });
    }
    expect(trainingEvents(ranks[0].events).length).toBeGreaterThan(0);
  });
});
