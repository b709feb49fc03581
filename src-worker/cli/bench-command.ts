// `crystalline bench`: training throughput (forward + backward + clip + AdamW) of the presets on
// each backend — the wasm backend on its native kernel path beside its WebAssembly-only one —
// median over timed steps after warm-up; with PyTorch present, the reference script's figures for
// the same presets measured in the same invocation, and the ratios.

import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { BackendName } from '../math/backend';
import { defaultKernelPath, defaultWasmKernelPath, type KernelPath } from '../math/wasm/kernel-path';
import { createWasmBackend, WasmBackend } from '../math/wasm/wasm-backend';
import { nativeStatus } from '../native/native-kernels';
import { engineMemory } from '../model/layout';
import { BACKEND_NAMES, createBackend } from '../math/backends';
import { MODEL_PRESETS, PRESET_BATCH } from '../model/config';
import type { ModelPresetName } from '../model/config';
import { Gpt } from '../model/gpt';
import { DataParallelGradients } from '../parallel/data-parallel';
import { replicaBytes } from '../parallel/replica-memory';
import { clipFactor } from '../train/clip';
import { LocalGradients } from '../train/gradients';
import { Optimizer } from '../train/optimizer';
import { DEFAULT_ADAMW } from '../train/run-defaults';
import { Rng } from '../util/rng';
import { measureMatmuls, measureTorchMatmuls } from './bench-matmul';
import { measureTorchEngine } from './bench-torch-engine';
import type { MatmulMeasurement } from './bench-matmul';
import { jsonLine } from './format';
import * as parse from './parse';

export interface BenchCommandOptions {
  preset: 'tiny' | 'small' | 'all';
  backend: BackendName | 'all';
  steps: number;
  warmup: number;
  vocab: number;
  torch: boolean;
  threads: number[];
  matmul: boolean;
  json?: boolean;
}

export function addBenchOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--preset <name>', 'preset to measure').choices(['tiny', 'small', 'all']).default('all'),
    )
    .addOption(
      new Option('--backend <name>', 'backend to measure').choices(['ts', 'wasm', 'all']).default('all'),
    )
    .option('--steps <n>', 'timed steps per measurement', parse.positiveInt, 10)
    .option('--warmup <n>', 'untimed steps first', parse.nonNegativeInt, 2)
    .option('--vocab <n>', 'vocabulary size (65 = character-level Shakespeare)', parse.positiveInt, 65)
    .option(
      '--threads <list>',
      'wasm thread counts to measure (data-parallel), e.g. 1,2 (default: 1 and one per core)',
      parse.positiveIntList,
      [...new Set([1, availableParallelism()])],
    )
    .option('--no-matmul', 'skip the matmul GFLOP/s measurements')
    .option('--no-torch', 'skip the PyTorch reference even when it is installed')
    .option('--json', 'one JSON object per line');
}

interface Measurement {
  preset: ModelPresetName;
  impl: string; // backend kernel path (×threads), or "pytorch-<threads>t"
  tokensPerSecond: number;
  stepMs: number;
  parameters?: number;
  engineBytes?: number; // what the engine really holds (for wasm: the whole committed memory)
  computedBytes?: number; // params + grads + optimizer state + activations, from the config
  peakRssBytes?: number;
}

/** Median step time of a full training step on random tokens, the way the trainer takes it. */
async function measureEngine(
  name: BackendName,
  kernelPath: KernelPath | null, // the wasm backend's; null: the backend's own
  threads: number,
  preset: ModelPresetName,
  vocab: number,
  steps: number,
  warmup: number,
): Promise<Measurement> {
  const shape = MODEL_PRESETS[preset];
  const B = PRESET_BATCH[preset];
  const T = shape.contextLength;
  const backend = kernelPath === null ? await createBackend(name) : await createWasmBackend({ kernelPath });
  const model = new Gpt(backend, { vocabSize: vocab, ...shape }, B, T);
  const rng = new Rng(1337);
  model.init(rng);
  const optimizer = new Optimizer(backend, DEFAULT_ADAMW, model.params, model.grads, model.layout.specs);
  const gradients =
    threads > 1 && backend instanceof WasmBackend
      ? await DataParallelGradients.start({
          backend,
          model,
          optimizer,
          workers: threads,
          batchSize: B,
          seqLen: T,
        })
      : new LocalGradients(backend, model, optimizer);
  try {
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    const times: number[] = [];
    for (let i = 0; i < warmup + steps; i++) {
      for (let j = 0; j < B * T; j++) {
        inputs[j] = rng.int(vocab);
        targets[j] = rng.int(vocab);
      }
      const t0 = performance.now();
      gradients.zeroGrad();
      gradients.accumulate(inputs, targets, B, T, 1);
      const norm = Math.sqrt(gradients.gather());
      gradients.update(3e-4, clipFactor(norm, 1));
      const ms = performance.now() - t0;
      if (i >= warmup) times.push(ms);
    }
    const stepMs = median(times);
    const config = model.config;
    const engineBytes =
      backend instanceof WasmBackend
        ? backend.heap.memory.buffer.byteLength
        : model.allocatedBytes + optimizer.stateBuffers.reduce((s, b) => s + b.byteLength, 0);
    const label = name === 'wasm' ? backend.kernelPath : name;
    return {
      preset,
      impl: gradients.workers > 1 ? `${label}×${gradients.workers}` : label,
      tokensPerSecond: (B * T) / (stepMs / 1000),
      stepMs,
      parameters: model.parameterCount,
      engineBytes,
      computedBytes:
        engineMemory(config, B, T, 'adamw').total + replicaBytes(config, B, T, gradients.workers),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  } finally {
    await gradients.close();
  }
}

/** The wasm backend's kernel paths to compare: the native one where the addon loads, and WebAssembly alone. */
function wasmKernelPaths(): KernelPath[] {
  return [...new Set<KernelPath>([defaultWasmKernelPath(), defaultKernelPath()])];
}

const PYTHON = '/usr/bin/python3';

/** The reference script's own figure, or null when PyTorch is not installed here. */
function measureTorch(
  preset: ModelPresetName,
  vocab: number,
  steps: number,
  warmup: number,
  threads: number,
): Measurement | null {
  const script = fileURLToPath(new URL('../../scripts/reference/gpt2_torch.py', import.meta.url));
  if (!existsSync(script) || !existsSync(PYTHON)) return null;
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
  if (probe.status !== 0) return null;
  const args = [script, 'bench', '--preset', preset, '--steps', String(steps)];
  args.push(
    '--warmup-steps',
    String(warmup),
    '--threads',
    String(threads),
    '--vocab',
    String(vocab),
    '--json',
  );
  const run = spawnSync(PYTHON, args, { encoding: 'utf8' });
  if (run.status !== 0)
    throw new Error(`PyTorch reference bench failed: ${run.stderr.trim().split('\n').pop()}`);
  const last = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { tokens_per_s?: number };
  if (typeof last.tokens_per_s !== 'number')
    throw new Error('PyTorch reference bench printed no tokens_per_s');
  return {
    preset,
    impl: `pytorch-${threads}t`,
    tokensPerSecond: last.tokens_per_s,
    stepMs: (PRESET_BATCH[preset] * MODEL_PRESETS[preset].contextLength * 1000) / last.tokens_per_s,
  };
}

export async function runBenchCommand(o: BenchCommandOptions): Promise<void> {
  const presets: ModelPresetName[] = o.preset === 'all' ? ['tiny', 'small'] : [o.preset];
  const backends: BackendName[] = o.backend === 'all' ? [...BACKEND_NAMES] : [o.backend];
  const paths = wasmKernelPaths();
  const print = (m: Measurement, ratios: { torch?: number; wasm?: number }): void => {
    if (o.json) {
      process.stdout.write(
        jsonLine({
          preset: m.preset,
          impl: m.impl,
          tokens_per_s: m.tokensPerSecond,
          step_ms: m.stepMs,
          parameters: m.parameters,
          engine_bytes: m.engineBytes,
          computed_bytes: m.computedBytes,
          peak_rss_bytes: m.peakRssBytes,
          ratio_to_pytorch: ratios.torch,
          ratio_to_wasm: ratios.wasm,
        }),
      );
    } else {
      const vsTorch = ratios.torch === undefined ? '' : `  ${ratios.torch.toFixed(3)}× PyTorch`;
      const vsWasm = ratios.wasm === undefined ? '' : `  ${ratios.wasm.toFixed(2)}× wasm`;
      const memory =
        m.engineBytes === undefined || m.computedBytes === undefined
          ? ''
          : `  engine ${mib(m.engineBytes)} MiB = ${(m.engineBytes / m.computedBytes).toFixed(2)}× computed ${mib(m.computedBytes)}`;
      process.stdout.write(
        `${m.preset.padEnd(6)} ${m.impl.padEnd(34)} ${Math.round(m.tokensPerSecond).toString().padStart(8)} tokens/s` +
          `  ${m.stepMs.toFixed(1).padStart(8)} ms/step${vsTorch}${vsWasm}${memory}\n`,
      );
    }
  };
  const printMatmul = (m: MatmulMeasurement, ceiling?: MatmulMeasurement): void => {
    const { name, N, C, OC } = m.shape;
    const forwardRatio = ceiling && m.forwardGflops / ceiling.forwardGflops;
    const backwardRatio = ceiling && m.backwardGflops / ceiling.backwardGflops;
    if (o.json) {
      process.stdout.write(
        jsonLine({
          preset: m.preset,
          matmul: name,
          impl: m.impl,
          n: N,
          c: C,
          oc: OC,
          forward_gflops: m.forwardGflops,
          backward_gflops: m.backwardGflops,
          forward_ratio_to_torch_mm_1t: forwardRatio,
          backward_ratio_to_torch_mm_1t: backwardRatio,
        }),
      );
    } else {
      const ratio = (r: number | undefined): string => (r === undefined ? '' : ` (${(100 * r).toFixed(0)}%)`);
      process.stdout.write(
        `${m.preset.padEnd(6)} matmul ${name.padEnd(12)} ${`${N}×${C}→${OC}`.padEnd(15)} ${m.impl.padEnd(34)}` +
          `  forward ${m.forwardGflops.toFixed(1).padStart(6)} GFLOP/s${ratio(forwardRatio)}` +
          `  backward ${m.backwardGflops.toFixed(1).padStart(6)} GFLOP/s${ratio(backwardRatio)}\n`,
      );
    }
  };
  if (!o.json) {
    const native = nativeStatus();
    process.stdout.write(
      native.loaded
        ? `native kernels: ${native.isas.join(', ') || 'none for this CPU'}; kernel paths measured: ${paths.join(', ')}\n`
        : `native kernels unavailable (${native.reason}); kernel paths measured: ${paths.join(', ')}\n`,
    );
  }
  for (const preset of presets) {
    if (o.matmul && backends.includes('wasm')) {
      // torch.mm on 1 and N threads is the ceiling; the engine's kernels run one per thread (each
      // data-parallel replica calls them on its own slice), so their figures are one thread's,
      // and the percentages compare them with torch.mm on one thread.
      const ceilings = new Map<number, MatmulMeasurement[]>();
      for (const threads of o.torch ? o.threads : []) {
        const torch = measureTorchMatmuls(preset, o.vocab, threads, 9);
        if (torch !== null) ceilings.set(threads, torch);
      }
      for (const torch of ceilings.values()) torch.forEach((m) => printMatmul(m));
      for (const kernelPath of paths) {
        const measured = await measureMatmuls(preset, o.vocab, kernelPath, 9);
        measured.forEach((m, i) => printMatmul(m, ceilings.get(1)?.[i]));
      }
    }
    // Interleaved per thread count: PyTorch with T threads, then the engine with T, so machine
    // noise hits both alike; ratios compare the same thread count.
    for (const threads of o.threads) {
      const torch = o.torch ? measureTorch(preset, o.vocab, o.steps, o.warmup, threads) : null;
      if (o.torch && torch === null && !o.json) {
        process.stdout.write(`${preset}: PyTorch reference skipped (no /usr/bin/python3 with torch).\n`);
      }
      if (torch) print(torch, {});
      for (const name of backends) {
        if (name !== 'wasm' && threads > 1) continue;
        let wasmOnly: Measurement | undefined;
        for (const kernelPath of name === 'wasm' ? paths : [null]) {
          const m = await measureEngine(name, kernelPath, threads, preset, o.vocab, o.steps, o.warmup);
          print(m, {
            torch: torch ? m.tokensPerSecond / torch.tokensPerSecond : undefined,
            wasm: wasmOnly && m.tokensPerSecond / wasmOnly.tokensPerSecond,
          });
          wasmOnly ??= kernelPath === defaultWasmKernelPath() ? m : undefined;
        }
      }
    }
    if (o.torch) {
      const engine = await measureTorchEngine(preset, o.steps, o.warmup);
      if (typeof engine === 'string') {
        if (!o.json) process.stdout.write(engine + '\n');
      } else engine.forEach((m) => print(m, {}));
    }
  }
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
