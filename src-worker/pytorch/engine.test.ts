// The PyTorch engine program against the built-in engine: the same batches, the same initial
// weights, the same events and checkpoints. Runs where /usr/bin/python3 imports torch.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { verifyCheckpoint } from '../checkpoint/read';
import { BatchSampler, fixedBatches } from '../data/sampler';
import { splitTrainVal } from '../data/split';
import { trainTokenizer } from '../data/train-tokenizer';
import { createBackend } from '../math/backends';
import { Gpt } from '../model/gpt';
import type { WorkerEvent } from '../protocol';
import type { TrainConfig } from '../train/config';
import type { TrainingEvent } from '../train/events';
import { runTraining } from '../train/loop';
import { loadText, prepareRun } from '../train/setup';
import { Rng } from '../util/rng';
import {
  PROGRAM,
  PYTHON,
  microSpec,
  startRun,
  type Rank,
  trainToEnd,
  trainingEvents,
  waitForEvent,
  writeJob,
} from './test-support/torch-run';
import { describeWithTorch, progressed } from './test-support/with-torch';

function python(args: string[]): string {
  const r = spawnSync(PYTHON, [PROGRAM, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cllm_torch.py ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

describeWithTorch('PyTorch engine program', () => {
  it('reports its environment as one JSON line', () => {
    const env = JSON.parse(python(['env'])) as { torch: string; backends: { gloo: boolean } };
    expect(env.torch).toMatch(/^\d+\.\d+/);
    expect(env.backends.gloo).toBe(true);
  });

  it('draws the built-in sampler’s batches and starts from the built-in init', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'torch-inspect-'));
    const spec = microSpec();
    const job = await writeJob({ spec, dir });
    const paramsPath = join(dir, 'init.f32');
    const theirs = JSON.parse(
      python(['inspect', '--job', job.path, '--batches', '3', '--params-out', paramsPath]),
    ) as {
      train: [number[], number[]][];
      val: [number[], number[]][];
    };

    const { text } = await loadText(spec.data);
    const tokens = trainTokenizer(spec.tokenizer, text).encode(text);
    const { batchSize: B, seqLen: T, seed } = spec.train;
    const split = splitTrainVal(tokens, B, T, spec.train.valFraction);
    const sampler = new BatchSampler(split.train, B, T, (seed ^ 0x243f6a88) >>> 0);
    for (const [inputs, targets] of theirs.train) {
      const batch = { inputs: new Int32Array(B * T), targets: new Int32Array(B * T) };
      sampler.next(batch.inputs, batch.targets);
      expect(inputs).toEqual([...batch.inputs]);
      expect(targets).toEqual([...batch.targets]);
    }
    const val = fixedBatches(split.val, B, T, spec.train.evalBatches, (seed ^ 0x85a308d3) >>> 0);
    expect(theirs.val).toEqual(val.map((b) => [[...b.inputs], [...b.targets]]));

    const model = new Gpt(await createBackend('ts'), { vocabSize: job.vocabSize, ...spec.model }, B, T);
    model.init(new Rng(seed));
    const init = new Float32Array(readFileSync(paramsPath).buffer.slice(0));
    expect(init.length).toBe(model.params.length);
    // Same Rng stream, same float32 rounding: bit for bit the built-in engine's initial weights.
    let differing = 0;
    for (let i = 0; i < init.length; i++) if (init[i] !== model.params[i]) differing++;
    expect(differing).toBe(0);
  });

  const variants: [string, Partial<TrainConfig>][] = [
    ['AdamW, cosine', {}],
    [
      'SGD, step decay',
      {
        optimizer: { kind: 'sgd', momentum: 0.9, weightDecay: 0.1 },
        schedule: {
          kind: 'step',
          lr: 0.1,
          minLr: 0.01,
          warmupSteps: 2,
          totalSteps: 8,
          stepSize: 3,
          gamma: 0.5,
        },
      },
    ],
    [
      'AdamW, inverse-sqrt, no clipping',
      {
        clipNorm: 0,
        schedule: { kind: 'inverse-sqrt', lr: 3e-3, minLr: 1e-4, warmupSteps: 2, totalSteps: 8 },
      },
    ],
  ];
  it.each(variants)(
    'trains a micro run (%s) step for step with the built-in engine, reporting the same events',
    async (_, train) => {
      const spec = microSpec(train);
      const run = await prepareRun(spec);
      const builtin: TrainingEvent[] = [];
      const builtinDone = await runTraining(run.trainer, { onEvent: (e) => builtin.push(e) });
      await run.release();

      const dir = mkdtempSync(join(tmpdir(), 'torch-micro-'));
      const job = await writeJob({ spec, dir });
      const events = await trainToEnd(job.path, 1);
      expect(events.map((e) => e.type).slice(0, 4)).toEqual(['ready', 'state', 'started', 'state']);
      const started = events.find((e) => e.type === 'started');
      expect(started).toMatchObject({
        info: {
          step: 0,
          totalSteps: 8,
          parameters: run.trainer.model.parameterCount,
          trainTokens: run.trainTokens,
        },
      });
      const stopped = events.at(-1);
      expect(stopped).toMatchObject({ type: 'stopped', done: { reason: 'completed', step: 8 } });

      // Same init, same batches, the same update arithmetic: the same run to float32 rounding.
      const ours = trainingEvents(events);
      const theirs = builtin.filter((e) => e.kind !== 'done');
      expect(ours.map((e) => `${e.kind}@${e.step}`)).toEqual(theirs.map((e) => `${e.kind}@${e.step}`));
      ours.forEach((e, i) => {
        const b = theirs[i];
        const keys = (x: object): string[] => Object.keys(x).sort();
        expect(keys(e), e.kind).toEqual(keys(b));
        if (e.kind === 'progress' && b.kind === 'progress') {
          expect(e.loss).toBeCloseTo(b.loss, 3);
          expect(e.gradNorm).toBeCloseTo(b.gradNorm, 3);
          expect(e.lr).toBe(b.lr);
          expect(keys(e.memory)).toEqual(keys(b.memory));
        }
        if (e.kind === 'eval' && b.kind === 'eval') {
          expect(e.valLoss).toBeCloseTo(b.valLoss, 3);
          expect(e.accuracy).toBeCloseTo(b.accuracy, 2);
          expect(e.confusion.tokens).toEqual([...b.confusion.tokens]);
        }
        if (e.kind === 'gradients' && b.kind === 'gradients') {
          expect(e.tensors.map((t) => t.name)).toEqual(b.tensors.map((t) => t.name));
          e.layers.forEach((norm, l) => expect(norm).toBeCloseTo(b.layers[l], 3));
        }
        if (e.kind === 'histogram' && b.kind === 'histogram') {
          expect(e.gradients.counts).toHaveLength(b.gradients.counts.length);
        }
      });
      const done = (stopped as Extract<WorkerEvent, { type: 'stopped' }>).done;
      expect(done.valLoss).toBeCloseTo(builtinDone.valLoss, 3);
    },
  );
});

describeWithTorch('PyTorch engine run policies', () => {
  it('stops early with the built-in engine’s reason and message', async () => {
    const spec = microSpec({ steps: 40, evalEvery: 4, earlyStopping: { patience: 2, minDelta: 10 } });
    const run = await prepareRun(spec);
    const builtin = await runTraining(run.trainer, { onEvent: () => undefined });
    await run.release();
    const job = await writeJob({ spec, dir: mkdtempSync(join(tmpdir(), 'torch-early-')) });
    const events = await trainToEnd(job.path, 1);
    const done = (events.at(-1) as Extract<WorkerEvent, { type: 'stopped' }>).done;
    expect(builtin.reason).toBe('early-stopped');
    expect(done).toMatchObject({ reason: 'early-stopped', step: builtin.step });
    // The message quotes the best loss to four decimals; both engines agree on it.
    expect(done.message).toBe(builtin.message);
  });

  it('keeps checkpoints by the retention policy and never deletes a pinned one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'torch-retention-'));
    const checkpoints = {
      every: 2,
      onBest: false,
      retention: { keepLast: 2, keepBest: false, keepEvery: 0 },
    };
    const job = await writeJob({ spec: microSpec({ steps: 10 }), dir, checkpoints });
    mkdirSync(job.checkpointDir, { recursive: true });
    writeFileSync(join(job.checkpointDir, 'pins.json'), JSON.stringify({ pinned: ['step-0000004.ckpt'] }));
    const events = await trainToEnd(job.path, 1);
    const written = events.flatMap((e) => (e.type === 'checkpoint-written' ? [e] : []));
    expect(written.map((e) => [e.trigger, e.checkpoint.step])).toEqual([
      ['periodic', 2],
      ['periodic', 4],
      ['periodic', 6],
      ['periodic', 8],
      ['periodic', 10],
      ['final', 10],
    ]);
    const files = readdirSync(job.checkpointDir).filter((f) => f.endsWith('.ckpt'));
    expect(files.sort()).toEqual(['step-0000004.ckpt', 'step-0000008.ckpt', 'step-0000010.ckpt']);
    for (const f of files) expect((await verifyCheckpoint(join(job.checkpointDir, f))).ok).toBe(true);
  });
});

describeWithTorch('PyTorch engine commands on stdin', () => {
  it('pauses with a checkpoint, saves on request, resumes and stops, acknowledging each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'torch-commands-'));
    const job = await writeJob({ spec: microSpec({ steps: 100_000, evalEvery: 0 }), dir });
    const [rank] = await startRun(job.path, 1);
    const send = (cmd: object): boolean => rank.child.stdin.write(JSON.stringify(cmd) + '\n');
    const state = (name: string, ack: number) => (e: WorkerEvent) =>
      e.type === 'state' && e.state === name && e.acks.includes(ack);

    await waitForEvent(rank, (e) => e.type === 'state' && e.state === 'running');
    send({ type: 'pause', requestId: 1 });
    const paused = await waitForEvent(rank, state('paused', 1));
    const pauseCheckpoint = rank.events.find((e) => e.type === 'checkpoint-written');
    expect(pauseCheckpoint).toMatchObject({
      trigger: 'pause',
      checkpoint: { step: (paused as { step: number }).step },
    });

    send({ type: 'resume', requestId: 2 });
    await waitForEvent(rank, state('running', 2));
    send({ type: 'checkpoint', requestId: 3 });
    await waitForEvent(rank, (e) => e.type === 'checkpoint-written' && e.trigger === 'manual');
    await waitForEvent(rank, (e) => e.type === 'state' && e.acks.includes(3));
    send({ type: 'stop', requestId: 4 });
    await waitForEvent(rank, state('stopping', 4));
    expect(await rank.exited).toBe(0);
    const last = rank.events.at(-1);
    expect(last).toMatchObject({ type: 'stopped', done: { reason: 'stopped' } });
    const written = rank.events.filter((e) => e.type === 'checkpoint-written');
    expect(written.at(-1)).toMatchObject({ trigger: 'stop' });
  });

  /** A long run ended by `end` once under way saves a checkpoint and exits cleanly. */
  async function expectSavedExit(tag: string, end: (rank: Rank) => void): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), `torch-${tag}-`));
    const job = await writeJob({ spec: microSpec({ steps: 100_000, evalEvery: 0 }), dir });
    const [rank] = await startRun(job.path, 1);
    await progressed(rank);
    end(rank);
    expect(await rank.exited).toBe(0);
    expect(rank.events.at(-1)).toMatchObject({ type: 'stopped', done: { reason: 'stopped' } });
    expect(rank.events.filter((e) => e.type === 'checkpoint-written').at(-1)).toMatchObject({
      trigger: 'stop',
    });
  }

  it('saves and exits when stdin closes (the studio went away)', () =>
    expectSavedExit('eof', (rank) => rank.child.stdin.end()));

  it('saves and exits on SIGTERM', () => expectSavedExit('sigterm', (rank) => rank.child.kill('SIGTERM')));

  it('halts after maxBadSteps non-finite steps in a row, as the built-in engine does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'torch-halt-'));
    const spec = microSpec({ clipNorm: 0, maxBadSteps: 2, steps: 50 });
    const diverging = { ...spec.train.schedule, lr: 1e30, minLr: 1e29 };
    const job = await writeJob({ spec: { ...spec, train: { ...spec.train, schedule: diverging } }, dir });
    const events = await trainToEnd(job.path, 1);
    expect(events.at(-1)).toMatchObject({ type: 'stopped', done: { reason: 'halted' } });
    const alerts = trainingEvents(events).flatMap((e) => (e.kind === 'alert' ? [e.code] : []));
    expect(alerts.filter((c) => c === 'skipped-step')).toHaveLength(2);
    expect(alerts.at(-1)).toBe('halted');
  });

  it('refuses a bad job file with exit code 2 and a message naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'torch-badjob-'));
    const path = join(dir, 'job.json');
    writeFileSync(
      path,
      JSON.stringify({ protocolVersion: 1, runId: 'x', modelConfig: { vocabSize: 'many' } }),
    );
    const r = spawnSync(PYTHON, [PROGRAM, 'train', '--job', path], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('modelConfig.vocabSize');
  });
});
