// The `train` command's options and how they become a RunSpec: preset first, then each explicit
// flag overrides one field; every value was already range-checked by its parser.

import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import type { TokenizerSpec } from '../data/train-tokenizer';
import type { BackendName } from '../math/backend';
import { MODEL_PRESETS, PRESET_BATCH } from '../model/config';
import type { ModelPresetName } from '../model/config';
import { DEFAULT_RETENTION } from '../train/retention';
import type { ScheduleKind } from '../train/schedules';
import { SCHEDULE_KINDS } from '../train/schedules';
import {
  BACKENDS,
  DEVICE_CHOICES,
  ENGINES,
  defaultThreads,
  engineSettingProblems,
  threadsProblems,
} from '../train/run-rules';
import type { DeviceChoice, EngineName, EngineSetting } from '../train/run-rules';
import {
  CLI_DEFAULTS,
  DEFAULT_ADAMW,
  DEFAULT_EARLY_STOPPING,
  DEFAULT_GAMMA,
  DEFAULT_LR,
  DEFAULT_SGD,
  TRAIN_DEFAULTS,
  defaultSchedule,
  defaultTrainConfig,
} from '../train/run-defaults';
import type { RunSpec } from '../train/setup';
import { UsageError } from './errors';
import * as parse from './parse';

export interface TrainOptions {
  sample?: boolean;
  data?: string;
  tokenizer: TokenizerSpec;
  preset: ModelPresetName;
  layers?: number;
  heads?: number;
  embd?: number;
  ctx?: number;
  batch?: number;
  accum: number;
  steps: number;
  optimizer: 'adamw' | 'sgd';
  lr: number;
  minLr?: number;
  warmup?: number;
  schedule: ScheduleKind;
  stepSize?: number;
  gamma: number;
  clip: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  momentum: number;
  evalEvery: number;
  evalBatches: number;
  patience?: number;
  minDelta: number;
  seed: number;
  valFraction: number;
  logEvery: number;
  histogramEvery: number;
  backend: BackendName;
  threads?: number;
  engine: EngineName;
  device?: DeviceChoice;
  processes?: number;
  nnodes?: number;
  nodeRank?: number;
  master?: string;
  python?: string;
  out?: string;
  checkpointEvery: number;
  keepLast: number;
  keepEvery: number;
  resume?: string;
  initFrom?: string;
  json?: boolean;
}

/** What `--resume` may change; everything else comes from the checkpoint. */
export const RESUME_OPTIONS: readonly (keyof TrainOptions)[] = [
  'steps',
  'out',
  'checkpointEvery',
  'keepLast',
  'keepEvery',
  'logEvery',
  'backend',
  'threads',
  'engine',
  'device',
  'processes',
  'nnodes',
  'nodeRank',
  'master',
  'python',
  'json',
  'resume',
];

/**
 * The training threads of a run on `backend` with a batch of `batchSize`: as given, or by default
 * one per core on wasm (run-rules.ts). A count the rules refuse is a usage error naming the flags.
 */
export function threadsFor(backend: BackendName, threads: number | undefined, batchSize: number): number {
  if (threads === undefined) return defaultThreads(backend, availableParallelism(), batchSize);
  const [problem] = threadsProblems({ backend, threads, batchSize }, (field) => `--${field}`);
  if (problem !== undefined) throw new UsageError(`${problem}.`);
  return threads;
}

/** Declares the `train` options on `cmd`. */
export function addTrainOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--sample', 'train on the built-in sample corpus').conflicts('data'))
    .option('--data <path>', 'a .txt/.md file or a folder of them (UTF-8)')
    .addOption(
      new Option('--tokenizer <kind>', 'char, byte or bpe:N (BPE trained to N tokens)')
        .argParser(parse.tokenizerSpec)
        .default({ kind: 'char' } as TokenizerSpec, 'char'),
    )
    .addOption(
      new Option('--preset <name>', 'model shape and batch size').choices(['tiny', 'small']).default('tiny'),
    )
    .option('--layers <n>', 'transformer blocks (overrides the preset)', parse.positiveInt)
    .option('--heads <n>', 'attention heads; must divide --embd', parse.positiveInt)
    .option('--embd <n>', 'width of the residual stream', parse.positiveInt)
    .option('--ctx <n>', 'context length in tokens', parse.positiveInt)
    .option('--batch <n>', 'sequences per micro-batch', parse.positiveInt)
    .option(
      '--accum <n>',
      'micro-batches per optimizer step (gradient accumulation)',
      parse.positiveInt,
      TRAIN_DEFAULTS.gradAccumSteps,
    )
    .option('--steps <n>', 'optimizer steps', parse.positiveInt, CLI_DEFAULTS.steps)
    .addOption(new Option('--optimizer <kind>', 'optimizer').choices(['adamw', 'sgd']).default('adamw'))
    .option('--lr <x>', 'peak learning rate', parse.positiveNumber, DEFAULT_LR)
    .option('--min-lr <x>', 'floor of the decay (default: lr/10)', parse.nonNegativeNumber)
    .option('--warmup <n>', 'linear warmup steps (default: 5% of steps)', parse.nonNegativeInt)
    .option(
      '--schedule <kind>',
      `LR schedule: ${SCHEDULE_KINDS.join(', ')}`,
      parse.oneOf(SCHEDULE_KINDS),
      'cosine',
    )
    .option('--step-size <n>', 'steps between decays (step schedule; default: steps/4)', parse.positiveInt)
    .option('--gamma <x>', 'decay factor (step schedule)', parse.positiveNumber, DEFAULT_GAMMA)
    .option(
      '--clip <x>',
      'max global gradient norm; 0 turns clipping off',
      parse.nonNegativeNumber,
      TRAIN_DEFAULTS.clipNorm,
    )
    .option(
      '--weight-decay <x>',
      'weight decay on 2-D tensors',
      parse.nonNegativeNumber,
      DEFAULT_ADAMW.weightDecay,
    )
    .option('--beta1 <x>', 'AdamW β1', parse.unitInterval, DEFAULT_ADAMW.beta1)
    .option('--beta2 <x>', 'AdamW β2', parse.unitInterval, DEFAULT_ADAMW.beta2)
    .option('--momentum <x>', 'SGD momentum', parse.unitInterval, DEFAULT_SGD.momentum)
    .option(
      '--eval-every <n>',
      'validate every N steps (0: only at the end)',
      parse.nonNegativeInt,
      TRAIN_DEFAULTS.evalEvery,
    )
    .option(
      '--eval-batches <n>',
      'fixed validation batches per evaluation',
      parse.positiveInt,
      TRAIN_DEFAULTS.evalBatches,
    )
    .option('--patience <n>', 'early stopping: evaluations without improvement', parse.positiveInt)
    .option(
      '--min-delta <x>',
      'early stopping: smallest improvement that counts',
      parse.nonNegativeNumber,
      DEFAULT_EARLY_STOPPING.minDelta,
    )
    .option('--seed <n>', 'random seed (model init, batches)', parse.seed, TRAIN_DEFAULTS.seed)
    .option(
      '--val-fraction <x>',
      'share of the text held out for validation',
      parse.openUnitInterval,
      TRAIN_DEFAULTS.valFraction,
    )
    .option('--log-every <n>', 'report metrics every N steps', parse.positiveInt, TRAIN_DEFAULTS.logEvery)
    .option(
      '--histogram-every <n>',
      'gradient/weight histograms every N steps (0: never)',
      parse.nonNegativeInt,
      CLI_DEFAULTS.histogramEvery,
    )
    .addOption(
      new Option('--backend <name>', 'numeric backend (wasm: SIMD, fast; ts: the readable reference)')
        .choices(BACKENDS)
        .default('wasm'),
    )
    .option(
      '--threads <n>',
      'training threads, data-parallel (wasm backend; default: one per core, ts: 1)',
      parse.positiveInt,
    )
    .addOption(
      new Option(
        '--engine <name>',
        'training engine (pytorch: the PyTorch program, CPU/CUDA/MPS, several processes)',
      )
        .choices(ENGINES)
        .default('builtin'),
    )
    .addOption(
      new Option('--device <name>', 'pytorch: torch device (auto: CUDA, else MPS, else CPU)').choices(
        DEVICE_CHOICES,
      ),
    )
    .option(
      '--processes <n>',
      'pytorch: ranks on this machine (default: 1, or one per GPU on CUDA)',
      parse.positiveInt,
    )
    .option('--nnodes <n>', 'pytorch: machines training the run together', parse.positiveInt)
    .option(
      '--node-rank <r>',
      "pytorch: this machine's number, 0 to nnodes − 1 (0 records the run)",
      parse.nonNegativeInt,
    )
    .option(
      '--master <host:port>',
      'pytorch: where the machine with node rank 0 listens (the same on every machine)',
      parse.hostPort,
    )
    .option(
      '--python <path>',
      'pytorch: the Python interpreter with torch (default: $CRYSTALLINE_PYTHON or python3)',
    )
    .option('--out <dir>', 'folder for checkpoints', parse.outFolder)
    .option(
      '--checkpoint-every <n>',
      'with --out: a checkpoint every N steps (and at the end)',
      parse.positiveInt,
      CLI_DEFAULTS.checkpointEvery,
    )
    .option(
      '--keep-last <n>',
      'with --out: keep the N newest checkpoints (plus the best)',
      parse.positiveInt,
      DEFAULT_RETENTION.keepLast,
    )
    .option(
      '--keep-every <n>',
      'with --out: also keep every checkpoint whose step is a multiple of N',
      parse.nonNegativeInt,
      DEFAULT_RETENTION.keepEvery,
    )
    .option(
      '--init-from <path>',
      'fine-tune: start from the weights and tokenizer of a checkpoint or exported Hugging Face folder',
    )
    .addOption(
      new Option(
        '--resume <file>',
        'continue the run saved in a checkpoint; --steps is the run total',
      ).conflicts(['sample', 'data']),
    )
    .option('--json', 'one JSON object per line on stdout instead of a progress bar');
}

/** The option's flag as typed: nodeRank → --node-rank. */
export function flagOf(option: string): string {
  return '--' + option.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/**
 * Refuses an engine setting the chosen engine lacks (given on the command line) and an impossible
 * machine layout, with one line naming the flags (train/run-rules.ts holds the rules).
 */
export function checkEngineFlags(o: TrainOptions, cmd: Command): void {
  const given = <K extends EngineSetting>(k: K): TrainOptions[K] | undefined =>
    cmd.getOptionValueSource(k) === 'cli' ? o[k] : undefined;
  const problems = engineSettingProblems(
    {
      engine: o.engine,
      device: given('device'),
      processes: given('processes'),
      threads: given('threads'),
      backend: given('backend'),
      nnodes: given('nnodes'),
      nodeRank: given('nodeRank'),
      master: given('master'),
    },
    flagOf,
  );
  if (problems.length > 0) throw new UsageError(problems.map((p) => p.message).join('; ') + '.');
  if (o.python !== undefined && o.engine !== 'pytorch') {
    throw new UsageError(
      '--python is a setting of the pytorch engine (choose --engine pytorch, or leave it out).',
    );
  }
}

/** A RunSpec from parsed options. */
export function runSpecFromOptions(o: TrainOptions): RunSpec {
  const preset = MODEL_PRESETS[o.preset];
  const contextLength = o.ctx ?? preset.contextLength;
  const steps = o.steps;
  const train = defaultTrainConfig(
    { batchSize: o.batch ?? PRESET_BATCH[o.preset], seqLen: contextLength, steps },
    {
      gradAccumSteps: o.accum,
      optimizer:
        o.optimizer === 'adamw'
          ? { ...DEFAULT_ADAMW, beta1: o.beta1, beta2: o.beta2, weightDecay: o.weightDecay }
          : { kind: 'sgd', momentum: o.momentum, weightDecay: o.weightDecay },
      schedule: defaultSchedule(o.schedule, steps, {
        lr: o.lr,
        minLr: o.minLr,
        warmupSteps: o.warmup,
        stepSize: o.stepSize,
        gamma: o.gamma,
      }),
      clipNorm: o.clip,
      evalEvery: o.evalEvery,
      evalBatches: o.evalBatches,
      earlyStopping: o.patience === undefined ? null : { patience: o.patience, minDelta: o.minDelta },
      logEvery: o.logEvery,
      histogramEvery: o.histogramEvery,
      seed: o.seed,
      valFraction: o.valFraction,
    },
  );
  return {
    data: o.data === undefined ? { kind: 'sample', seed: 1 } : { kind: 'path', path: o.data },
    tokenizer: o.tokenizer,
    model: {
      nLayer: o.layers ?? preset.nLayer,
      nHead: o.heads ?? preset.nHead,
      nEmbd: o.embd ?? preset.nEmbd,
      contextLength,
    },
    train,
    ...(o.engine === 'pytorch'
      ? { backend: o.backend, engine: 'pytorch', device: o.device ?? 'auto', processes: o.processes }
      : { backend: o.backend, threads: threadsFor(o.backend, o.threads, train.batchSize) }),
  };
}
