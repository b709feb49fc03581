// `crystalline bench`: training throughput (forward + backward + clip + AdamW) of the presets on
// each backend, median over timed steps after warm-up; with PyTorch present, the reference
// script's figures for the same presets measured in the same invocation, and the ratio.

import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import type { BackendName } from '../math/backend';
import { MatmulPool } from '../math/wasm/parallel';
import { WasmBackend } from '../math/wasm/wasm-backend';
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
import { Rng } from '../util/rng';
import { measureMatmuls } from './bench-matmul';
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
  parallel: ParallelMode[];
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
      'wasm thread counts to measure, e.g. 1,2 (default: 1 and one per core)',
      parse.positiveIntList,
      [...new Set([1, availableParallelism()])],
    )
    .addOption(
      new Option(
        '--parallel <modes>',
        'how several threads split a step: data (batch slices), rows (matmul rows)',
      )
        .argParser(parseModes)
        .default(['data', 'rows']),
    )
    .option('--no-matmul', 'skip the matmul GFLOP/s measurements')
    .option('--no-torch', 'skip the PyTorch reference even when it is installed')
    .option('--json', 'one JSON object per line');
}

interface Measurement {
  preset: ModelPresetName;
  impl: string; // backend kernel path, or "pytorch-<threads>t"
  tokensPerSecond: number;
  stepMs: number;
  parameters?: number;
  engineBytes?: number; // what the engine really holds (for wasm: the whole committed memory)
  computedBytes?: number; // params + grads + optimizer state + activations, from the config
  peakRssBytes?: number;
}

/** How a multi-threaded measurement splits the work: batch slices per thread, or each matmul's rows. */
export type ParallelMode = 'data' | 'rows';

/** Median step time of a full training step on random tokens, the way the trainer takes it. */
async function measureEngine(
  name: BackendName,
  threads: number,
  mode: ParallelMode,
  preset: ModelPresetName,
  vocab: number,
  steps: number,
  warmup: number,
): Promise<Measurement> {
  const shape = MODEL_PRESETS[preset];
  const B = PRESET_BATCH[preset];
  const T = shape.contextLength;
  const pool = threads > 1 && mode === 'rows' ? await MatmulPool.start(threads) : null;
  const backend = pool?.backend ?? (await createBackend(name));
  const model = new Gpt(backend, { vocabSize: vocab, ...shape }, B, T);
  const rng = new Rng(1337);
  model.init(rng);
  const optimizer = new Optimizer(backend, BENCH_ADAMW, model.params, model.grads, model.layout.specs);
  const gradients =
    threads > 1 && mode === 'data' && backend instanceof WasmBackend
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
      impl:
        pool !== null
          ? `${label}×${threads} rows`
          : gradients.workers > 1
            ? `${label}×${gradients.workers} data`
            : label,
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
    await pool?.close();
  }
}

function parseModes(value: string): ParallelMode[] {
  const modes = value.split(',').map((s) => s.trim());
  const bad = modes.filter((m) => m !== 'data' && m !== 'rows');
  if (bad.length > 0)
    throw new InvalidArgumentError(`unknown mode(s) ${bad.join(', ')}: expected data, rows or data,rows.`);
  return modes as ParallelMode[];
}

const BENCH_ADAMW = { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 } as const;

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
  const print = (m: Measurement, ratio?: number): void => {
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
          ratio_to_pytorch: ratio,
        }),
      );
    } else {
      const vsTorch = ratio === undefined ? '' : `  ${ratio.toFixed(3)}× PyTorch (same run)`;
      const memory =
        m.engineBytes === undefined || m.computedBytes === undefined
          ? ''
          : `  engine ${mib(m.engineBytes)} MiB = ${(m.engineBytes / m.computedBytes).toFixed(2)}× computed ${mib(m.computedBytes)}`;
      const extra = vsTorch + memory;
      process.stdout.write(
        `${m.preset.padEnd(6)} ${m.impl.padEnd(20)} ${Math.round(m.tokensPerSecond).toString().padStart(8)} tokens/s` +
          `  ${m.stepMs.toFixed(1).padStart(8)} ms/step${extra}\n`,
      );
    }
  };
  const printMatmul = (m: MatmulMeasurement): void => {
    const { name, N, C, OC } = m.shape;
    if (o.json) {
      process.stdout.write(
        jsonLine({
          preset: m.preset,
          matmul: name,
          n: N,
          c: C,
          oc: OC,
          threads: m.threads,
          forward_gflops: m.forwardGflops,
          backward_gflops: m.backwardGflops,
        }),
      );
    } else {
      process.stdout.write(
        `${m.preset.padEnd(6)} matmul ${name.padEnd(12)} ${`${N}×${C}→${OC}`.padEnd(15)} ${m.threads} thread${m.threads > 1 ? 's' : ' '}` +
          `  forward ${m.forwardGflops.toFixed(1).padStart(6)} GFLOP/s  backward ${m.backwardGflops.toFixed(1).padStart(6)} GFLOP/s\n`,
      );
    }
  };
  for (const preset of presets) {
    if (o.matmul && backends.includes('wasm')) {
      for (const threads of o.threads) {
        for (const m of await measureMatmuls(preset, o.vocab, threads, 9)) printMatmul(m);
      }
    }
    // Interleaved per thread count: PyTorch with T threads, then the engine with T, so machine
    // noise hits both alike; ratios compare the same thread count.
    for (const threads of o.threads) {
      const torch = o.torch ? measureTorch(preset, o.vocab, o.steps, o.warmup, threads) : null;
      if (o.torch && torch === null && !o.json) {
        process.stdout.write(`${preset}: PyTorch reference skipped (no /usr/bin/python3 with torch).\n`);
      }
      if (torch) print(torch);
      for (const name of backends) {
        if (name !== 'wasm' && threads > 1) continue;
        for (const mode of threads > 1 ? o.parallel : ['data' as const]) {
          const m = await measureEngine(name, threads, mode, preset, o.vocab, o.steps, o.warmup);
          print(m, torch ? m.tokensPerSecond / torch.tokensPerSecond : undefined);
        }
      }
    }
    if (o.torch) {
      const engine = await measureTorchEngine(preset, o.steps, o.warmup);
      if (typeof engine === 'string') {
        if (!o.json) process.stdout.write(engine + '\n');
      } else engine.forEach((m) => print(m));
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
