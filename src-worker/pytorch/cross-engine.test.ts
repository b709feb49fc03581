// Checkpoints between the engines: a PyTorch checkpoint resumes on the built-in engine from the
// same weights and moments and exports to a Hugging Face folder whose logits match; a built-in
// checkpoint resumes on the PyTorch engine.

import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readCheckpoint } from '../checkpoint/read';
import type { WorkerEvent } from '../protocol';
import { resumeRun, saveTrainerCheckpoint } from '../train/checkpointing';
import { runTraining } from '../train/loop';
import { prepareRun } from '../train/setup';
import type { RunSpec } from '../train/setup';
import { PYTHON, microSpec, trainToEnd, writeJob } from './test-support/torch-run';
import { describeWithTorch } from './test-support/with-torch';

const REPO = join(__dirname, '../..');
const BIN = join(REPO, 'bin/crystalline.js');
const ORACLE = join(REPO, 'scripts/reference/gpt2_torch.py');
const TOKENS = '3,1,4,1,5,9,2,6,5,3';

function exec(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The spec with the run (and its schedule) `steps` long: what `--steps` does on resume. */
function withSteps(spec: RunSpec, steps: number): RunSpec {
  return {
    ...spec,
    train: { ...spec.train, steps, schedule: { ...spec.train.schedule, totalSteps: steps } },
  };
}

function finalCheckpoint(events: readonly WorkerEvent[]): string {
  const last = events.filter((e) => e.type === 'checkpoint-written').at(-1);
  if (last?.type !== 'checkpoint-written') throw new Error('no checkpoint was written');
  return last.checkpoint.path;
}

describeWithTorch('checkpoints across the engines', () => {
  it('a PyTorch checkpoint resumes on the built-in engine and exports with matching logits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'torch-to-builtin-'));
    const spec = microSpec({ steps: 8 });
    const job = await writeJob({ spec, dir });
    const path = finalCheckpoint(await trainToEnd(job.path, 1));
    const ckpt = await readCheckpoint(path);

    const run = await resumeRun(path, (s) => withSteps(s, 12));
    expect(run.runId).toBe(job.runId);
    expect(run.trainer.step).toBe(8);
    for (const { spec: p, view } of run.trainer.model.tensors.values())
      expect(view, p.name).toEqual(ckpt.tensors.get(`param/${p.name}`)?.data);
    const [m, v] = run.trainer.optimizer.stateBuffers;
    const firstName = run.trainer.model.layout.specs[0].name;
    expect(m.subarray(0, 8)).toEqual(ckpt.tensors.get(`adamw.m/${firstName}`)?.data.subarray(0, 8));
    expect(v.subarray(0, 8)).toEqual(ckpt.tensors.get(`adamw.v/${firstName}`)?.data.subarray(0, 8));
    const done = await runTraining(run.trainer, { onEvent: () => undefined });
    await run.release();
    expect(done).toMatchObject({ reason: 'completed', step: 12 });
    expect(Number.isFinite(done.valLoss)).toBe(true);

    const hf = join(dir, 'hf');
    exec(process.execPath, [BIN, 'export', '--checkpoint', path, '--out', hf]);
    const fromCheckpoint = JSON.parse(
      exec(process.execPath, [BIN, 'logits', '--checkpoint', path, '--tokens', TOKENS]),
    ) as number[];
    const fromExport = JSON.parse(
      exec(process.execPath, [BIN, 'logits', '--checkpoint', hf, '--tokens', TOKENS]),
    ) as number[];
    const inPyTorch = JSON.parse(
      exec(PYTHON, [ORACLE, 'logits', '--model-dir', hf, '--tokens', TOKENS]),
    ) as number[];
    expect(fromExport).toEqual(fromCheckpoint);
    const maxDiff = inPyTorch.reduce((d, x, i) => Math.max(d, Math.abs(x - fromCheckpoint[i])), 0);
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('a built-in checkpoint resumes on the PyTorch engine from its step', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'builtin-to-torch-'));
    const spec = microSpec({ steps: 8 });
    const run = await prepareRun(withSteps(spec, 4));
    await runTraining(run.trainer, { onEvent: () => undefined });
    await run.release();
    const path = join(dir, 'builtin-step-4.ckpt');
    await saveTrainerCheckpoint(path, run, { valLoss: null, finite: true });

    const job = await writeJob({ spec, dir: join(dir, 'torch'), resumeFrom: path });
    const events = await trainToEnd(job.path, 1);
    expect(events.find((e) => e.type === 'started')).toMatchObject({ info: { step: 4, resumedFrom: path } });
    expect(events.at(-1)).toMatchObject({ type: 'stopped', done: { reason: 'completed', step: 8 } });
    const resumed = await readCheckpoint(finalCheckpoint(events));
    expect(resumed.header.optimizer).toMatchObject({ kind: 'adamw', t: 8 });
    expect(resumed.header.backend.name).toBe('pytorch');
  });
});
