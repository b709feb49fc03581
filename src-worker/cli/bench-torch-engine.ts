// The bench's figures for the PyTorch engine: the studio's own launch path (job, ranks, events)
// trains each preset on the sample corpus for a few steps, on the CPU and, where torch sees one,
// on CUDA; tokens/s is the batch over the median wall time of the steps after warm-up, as rank 0
// reports it. Kept apart from bench-command.ts, which only calls measureTorchEngine.

import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODEL_PRESETS, PRESET_BATCH } from '../model/config';
import type { ModelPresetName } from '../model/config';
import type { ProgressEvent } from '../train/events';
import { defaultSchedule, presetTrainConfig } from '../train/run-defaults';
import { defaultProcesses } from '../torch-launch/device';
import { checkTorchEnvironment } from '../torch-launch/environment';
import { prepareTorchJob } from '../torch-launch/job';
import type { TorchDevice } from '../torch-launch/job';
import { DEFAULT_PYTHON, torchProgramPath } from '../torch-launch/program';
import { TorchRanks } from '../torch-launch/ranks';

export interface TorchEngineMeasurement {
  preset: ModelPresetName;
  impl: string; // "pytorch-engine-cpu-1p2t": device, processes, threads per process
  tokensPerSecond: number;
  stepMs: number;
}

/** Each device's figure for `preset`, or a line saying why there is none. */
export async function measureTorchEngine(
  preset: ModelPresetName,
  steps: number,
  warmup: number,
): Promise<TorchEngineMeasurement[] | string> {
  const python = process.env.CRYSTALLINE_PYTHON ?? DEFAULT_PYTHON;
  const env = await checkTorchEnvironment(python, torchProgramPath());
  if (!env.ok) return `${preset}: PyTorch engine skipped (${env.summary})`;
  const devices: TorchDevice[] = env.report.cuda.available ? ['cpu', 'cuda'] : ['cpu'];
  const out: TorchEngineMeasurement[] = [];
  for (const device of devices) {
    const processes = defaultProcesses(device, env.report);
    const stepMs = await timeSteps(python, preset, device, processes, steps, warmup);
    const tokens = PRESET_BATCH[preset] * MODEL_PRESETS[preset].contextLength;
    out.push({
      preset,
      impl: `pytorch-engine-${device}-${processes}p${Math.max(1, Math.floor(availableParallelism() / processes))}t`,
      tokensPerSecond: (tokens * 1000) / stepMs,
      stepMs,
    });
  }
  return out;
}

/** The median step time of a short run after `warmup` steps. */
async function timeSteps(
  python: string,
  preset: ModelPresetName,
  device: TorchDevice,
  processes: number,
  steps: number,
  warmup: number,
): Promise<number> {
  const workDir = await mkdtemp(join(tmpdir(), 'crystalline-bench-torch-'));
  try {
    const shape = MODEL_PRESETS[preset];
    const total = warmup + steps;
    const job = await prepareTorchJob(
      {
        data: { kind: 'sample', seed: 1 },
        tokenizer: { kind: 'char' },
        model: { ...shape },
        train: presetTrainConfig(preset, total, {
          schedule: defaultSchedule('constant', total, { lr: 3e-4, minLr: 3e-4, warmupSteps: 0 }),
          evalEvery: 0,
          evalBatches: 1,
          logEvery: 1, // every step's wall time
          histogramEvery: 0,
        }),
        backend: 'wasm',
      },
      {
        workDir,
        checkpointDir: join(workDir, 'checkpoints'),
        device,
        resumeFrom: null,
        checkpoints: { every: 0, onBest: false, retention: { keepLast: 1, keepBest: false, keepEvery: 0 } },
        heartbeatMs: 2000,
        flushMs: 250,
        timeoutSeconds: 60,
      },
    );
    const stepMs: number[] = [];
    const ranks = await TorchRanks.start({
      python,
      program: torchProgramPath(),
      jobPath: job.path,
      processes,
      nnodes: 1,
      nodeRank: 0,
      master: null,
      threadsPerRank: Math.max(1, Math.floor(availableParallelism() / processes)),
      onEvent: (event) => {
        if (event.type !== 'training-events') return;
        for (const e of event.events) {
          if (e.kind === 'progress' && e.step > warmup) stepMs.push((e as ProgressEvent).stepMs);
        }
      },
      onExit: () => undefined,
    });
    const exit = await ranks.exited;
    if (exit.failure !== null || stepMs.length === 0) {
      throw new Error(`PyTorch engine bench failed: ${exit.failure ?? 'no step was reported'}`);
    }
    const sorted = stepMs.sort((a, b) => a - b);
    return sorted[sorted.length >> 1];
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
