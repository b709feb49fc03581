// A writer SIGKILLed at random moments, many times, never leaves a damaged checkpoint: the target
// always verifies and holds the last completed write (or the one being renamed), and the temp
// files the killed writers leave are recognised and cleaned up.

import { spawn } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { bundleForNode } from '../test-support/bundle';
import { useTempDir } from '../test-support/temp-dir';
import { Rng } from '../util/rng';
import { isTempName, removeStaleTemps } from './durable-fs';
import { verifyCheckpoint } from './read';
import { sampleHeader, sampleTensors } from './test-support/sample';
import { writeCheckpoint } from './write';

const dir = useTempDir('ckpt-kill-', 'file');
let childScript: string;

beforeAll(async () => {
  // The child runs the real writer.
  childScript = join(dir.path, 'write-loop-child.mjs');
  await bundleForNode(new URL('./test-support/write-loop-child.ts', import.meta.url), childScript);
});

/** Runs the child until it is ready, lets it write for `delayMs`, SIGKILLs it; returns its last reported step. */
async function killWriterAfter(target: string, firstStep: number, delayMs: number): Promise<number | null> {
  const child = spawn(process.execPath, [childScript, target, String(firstStep)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n')) resolve();
    });
    child.on('exit', () => reject(new Error(`child exited before it was ready: ${err}`)));
  });
  await new Promise((r) => setTimeout(r, delayMs));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  const steps = [...out.matchAll(/^wrote (\d+)$/gm)].map((m) => Number(m[1]));
  return steps.length > 0 ? steps[steps.length - 1] : null;
}

/** One lane: its own folder and target, killed `kills` times; returns how many kills hit mid-write. */
async function killLane(laneDir: string, seed: number, kills: number): Promise<number> {
  const target = join(laneDir, 'latest.ckpt');
  await writeCheckpoint(target, sampleHeader(0), sampleTensors(0, { w: [4] }));
  const rng = new Rng(seed);
  let step = 0;
  let killsMidWrite = 0;
  for (let i = 0; i < kills; i++) {
    const reported = await killWriterAfter(target, step + 1, rng.int(120));

    const result = await verifyCheckpoint(target);
    if (!result.ok) throw result.error;
    // The file holds the last write the child reported, or the next one if the kill came
    // between its rename and its report; never an older one.
    const floor = reported ?? step;
    expect([floor, floor + 1]).toContain(result.step);
    step = result.step;

    const temps = (await readdir(laneDir)).filter(isTempName);
    if (temps.length > 0) killsMidWrite++;
    expect(temps.length).toBeLessThanOrEqual(1);
    expect((await removeStaleTemps(laneDir)).sort()).toEqual(temps.sort());
  }
  expect(await readdir(laneDir)).toEqual(['latest.ckpt']);
  return killsMidWrite;
}

it('leaves a checkpoint that verifies after each of 24 kills at random moments', async () => {
  // Four lanes run side by side so the children's start-up times overlap.
  const lanes = [0, 1, 2, 3].map(async (lane) => {
    const laneDir = join(dir.path, `lane-${lane}`);
    await mkdir(laneDir);
    return killLane(laneDir, 20250101 + lane, 6);
  });
  const midWrite = (await Promise.all(lanes)).reduce((a, b) => a + b, 0);
  // About half the kills land between opening and renaming a temp (the rest mostly during the
  // folder fsync after a rename); if hardly any did, the test proved little about torn writes.
  expect(midWrite).toBeGreaterThanOrEqual(3);
});
