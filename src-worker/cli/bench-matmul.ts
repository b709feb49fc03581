// Matmul throughput at the shapes a preset's training step runs: GFLOP/s of the forward product
// and of the backward pair (dinp and dweight), per kernel path on one thread, beside PyTorch's
// torch.mm on the same shapes (the BLAS ceiling this machine offers) on 1 and N threads.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KernelPath } from '../math/wasm/kernel-path';
import { createWasmBackend } from '../math/wasm/wasm-backend';
import type { WasmBackend } from '../math/wasm/wasm-backend';
import { MODEL_PRESETS, PRESET_BATCH } from '../model/config';
import type { ModelPresetName } from '../model/config';
import { Rng } from '../util/rng';

export interface MatmulShape {
  name: string; // the GPT-2 layer it stands for
  N: number; // rows = B·T
  C: number; // in
  OC: number; // out
  transposed: boolean; // the tied LM head: weight stored (OC, C)
}

export interface MatmulMeasurement {
  preset: ModelPresetName;
  shape: MatmulShape;
  impl: string; // a kernel path, or "torch.mm-<threads>t"
  forwardGflops: number;
  backwardGflops: number;
}

/** The five matmul shapes of a preset's step, at its batch. */
export function presetMatmulShapes(preset: ModelPresetName, vocab: number): MatmulShape[] {
  const { nEmbd: C, contextLength: T } = MODEL_PRESETS[preset];
  const N = PRESET_BATCH[preset] * T;
  return [
    { name: 'attn.c_attn', N, C, OC: 3 * C, transposed: false },
    { name: 'attn.c_proj', N, C, OC: C, transposed: false },
    { name: 'mlp.c_fc', N, C, OC: 4 * C, transposed: false },
    { name: 'mlp.c_proj', N, C: 4 * C, OC: C, transposed: false },
    { name: 'lm_head', N, C, OC: vocab, transposed: true },
  ];
}

/** Median GFLOP/s of the engine's kernels on `kernelPath`, one thread, over `reps` timed repetitions. */
export async function measureMatmuls(
  preset: ModelPresetName,
  vocab: number,
  kernelPath: KernelPath,
  reps: number,
): Promise<MatmulMeasurement[]> {
  const backend = await createWasmBackend({ kernelPath });
  return presetMatmulShapes(preset, vocab).map((shape) => ({
    preset,
    shape,
    impl: kernelPath,
    ...measureShape(backend, shape, reps),
  }));
}

const PYTHON = '/usr/bin/python3';

/** torch.mm's GFLOP/s on the same shapes with `threads` threads; null without PyTorch. */
export function measureTorchMatmuls(
  preset: ModelPresetName,
  vocab: number,
  threads: number,
  reps: number,
): MatmulMeasurement[] | null {
  const script = fileURLToPath(new URL('../../scripts/reference/torch_mm.py', import.meta.url));
  if (!existsSync(script) || !existsSync(PYTHON)) return null;
  const shapes = presetMatmulShapes(preset, vocab);
  const spec = JSON.stringify(shapes.map((s) => [s.N, s.C, s.OC, s.transposed]));
  const run = spawnSync(PYTHON, [script, '--threads', String(threads), '--reps', String(reps), spec], {
    encoding: 'utf8',
  });
  if (run.error !== undefined || (run.status !== 0 && /No module named 'torch'/.test(run.stderr)))
    return null;
  if (run.status !== 0) throw new Error(`torch.mm bench failed: ${run.stderr.trim().split('\n').pop()}`);
  const lines = run.stdout.trim().split('\n');
  return shapes.map((shape, i) => {
    const r = JSON.parse(lines[i] ?? '{}') as { forward_gflops?: number; backward_gflops?: number };
    if (typeof r.forward_gflops !== 'number' || typeof r.backward_gflops !== 'number')
      throw new Error(`torch.mm bench printed no figures for ${shape.name}`);
    return {
      preset,
      shape,
      impl: `torch.mm-${threads}t`,
      forwardGflops: r.forward_gflops,
      backwardGflops: r.backward_gflops,
    };
  });
}

function measureShape(
  k: WasmBackend,
  { N, C, OC, transposed }: MatmulShape,
  reps: number,
): { forwardGflops: number; backwardGflops: number } {
  const rng = new Rng(5);
  const fill = (n: number): Float32Array => {
    const x = k.allocF32(n);
    for (let i = 0; i < n; i++) x[i] = rng.normal() * 0.1;
    return x;
  };
  const inp = fill(N * C);
  const weight = fill(C * OC);
  const bias = fill(OC);
  const dout = fill(N * OC);
  const out = k.allocF32(N * OC);
  const dinp = k.allocF32(N * C);
  const dweight = k.allocF32(C * OC);
  const dbias = k.allocF32(OC);
  const forward = (): void =>
    transposed
      ? k.matmulTransposedForward(out, inp, weight, N, C, OC)
      : k.matmulForward(out, inp, weight, bias, N, C, OC);
  const backward = (): void =>
    transposed
      ? k.matmulTransposedBackward(dinp, dweight, dout, inp, weight, N, C, OC)
      : k.matmulBackward(dinp, dweight, dbias, dout, inp, weight, N, C, OC);
  const flops = 2 * N * C * OC;
  return {
    forwardGflops: flops / 1e9 / (medianSeconds(forward, reps) || Number.MIN_VALUE),
    backwardGflops: (2 * flops) / 1e9 / (medianSeconds(backward, reps) || Number.MIN_VALUE),
  };
}

function medianSeconds(run: () => void, reps: number): number {
  run();
  run();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    run();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}
