// The PyTorch engine program against the built-in engine: the same batches, the same initial
// weights, the same events and checkpoints. Runs where /usr/bin/python3 imports torch.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchSampler, fixedBatches } from '../data/sampler';
import { splitTrainVal } from '../data/split';
import { trainTokenizer } from '../data/train-tokenizer';
import { createBackend } from '../math/backends';
import { Gpt } from '../model/gpt';
import type { WorkerEvent } from '../protocol';
import type { TrainingEvent } from '../train/events';
import { runTraining } from '../train/loop';
import { loadText, prepareRun } from '../train/setup';
import { Rng } from '../util/rng';
import {
  PROGRAM,
  PYTHON,
  microSpec,
  startRun,
  torchMissing,
  trainToEnd,
  trainingEvents,
  waitForEvent,
  writeJob,
} from './test-support/torch-run';

const missing = torchMissing();
if (missing !== null) console.warn(`Skipping the PyTorch engine tests: ${missing}.`);

function python(args: string[]): string {
  const r = spawnSync(PYTHON, [PROGRAM, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cllm_torch.py ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

describe.skipIf(missing !== null)('PyTorch engine program', () => {
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

  it('trains a micro run step for step with the built-in engine, reporting the same events', async () => {
    const spec = microSpec();
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
        trainTokens: job.trainTokens,
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
  });
});

describe.skipIf(missing !== null)('PyTorch engine commands on stdin', () => {
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

  it('saves and exits when stdin closes (the studio went away)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'torch-eof-'));
    const job = await writeJob({ spec: microSpec({ steps: 100_000, evalEvery: 0 }), dir });
    const [rank] = await startRun(job.path, 1);
    await waitForEvent(
      rank,
      (e) => e.type === 'training-events' && e.events.some((t) => t.kind === 'progress'),
    );
    rank.child.stdin.end();
    expect(await rank.exited).toBe(0);
    expect(rank.events.at(-1)).toMatchObject({ type: 'stopped', done: { reason: 'stopped' } });
    expect(rank.events.filter((e) => e.type === 'checkpoint-written').at(-1)).toMatchObject({
      trigger: 'stop',
    });
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
