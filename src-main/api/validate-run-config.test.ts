// Every field of a run config that can be wrong is refused with its own field name and a message
// saying what is allowed — before anything is written or any worker starts.

import { describe, expect, it } from 'vitest';
import { splitTrainVal } from '../../src-worker/data/split';
import { runConfigEditsSchema } from './schemas';
import type { RunConfig, RunConfigInput } from './schemas';
import { splitSizes } from '../../src-worker/data/split';
import { replicaBytes } from '../../src-worker/parallel/replica-memory';
import {
  DEFAULT_CHECKPOINTS,
  DEFAULT_TRAINING_THREADS,
  TRAIN_DEFAULTS,
  defaultSamples,
  defaultTrainConfig,
} from '../../src-worker/train/run-defaults';
import { validateRunConfig } from './validate-run-config';
import type { RunConfigContext } from './validate-run-config';

const GiB = 1024 ** 3;
const ctx: RunConfigContext = { dataset: { tokens: 50_000, vocabSize: 60 }, freeMemoryBytes: 4 * GiB };

/** A config input that says its checkpoint policy (the cases below edit it). */
type ConfigInput = RunConfigInput & Pick<RunConfig, 'checkpoints'>;

function config(): ConfigInput {
  return {
    name: 'a run',
    datasetId: 1,
    model: { nLayer: 2, nHead: 4, nEmbd: 32, contextLength: 32 },
    train: defaultTrainConfig(
      { batchSize: 8, seqLen: 32, steps: 100 },
      {
        evalEvery: 10,
        evalBatches: 2,
        earlyStopping: { patience: 3, minDelta: 0 },
        logEvery: 1,
        histogramEvery: 0,
        seed: 1,
      },
    ),
    backend: 'ts',
    checkpoints: { ...DEFAULT_CHECKPOINTS, every: 50 },
    samples: { ...defaultSamples('a', 50), maxTokens: 20, temperature: 1 },
  };
}

type Edit = (c: ConfigInput) => void;

/** One bad value per field, the field it must be reported under, and words its message must hold. */
const CASES: [string, Edit, string, RegExp][] = [
  ['empty name', (c) => (c.name = '  '), 'name', /must not be empty/],
  ['layers not whole', (c) => (c.model.nLayer = 1.5), 'model.nLayer', /positive integer/],
  ['heads do not divide width', (c) => (c.model.nHead = 3), 'model.nHead', /must divide nEmbd \(32\)/],
  ['width zero', (c) => (c.model.nEmbd = 0), 'model.nEmbd', /positive integer/],
  [
    'context above the limit',
    (c) => (c.model.contextLength = 100_000),
    'model.contextLength',
    /at most 8192/,
  ],
  ['batch zero', (c) => (c.train.batchSize = 0), 'train.batchSize', /≥ 1/],
  ['sequence longer than the context', (c) => (c.train.seqLen = 64), 'train.seqLen', /context length \(32\)/],
  ['accumulation zero', (c) => (c.train.gradAccumSteps = 0), 'train.gradAccumSteps', /≥ 1/],
  ['steps negative', (c) => (c.train.steps = -1), 'train.steps', /≥ 1/],
  ['learning rate zero', (c) => (c.train.schedule.lr = 0), 'train.schedule.lr', /finite number > 0/],
  ['learning rate infinite', (c) => (c.train.schedule.lr = Infinity), 'train.schedule.lr', /finite number/],
  ['learning rate NaN', (c) => (c.train.schedule.lr = NaN), 'train.schedule.lr', /finite number/],
  ['floor above the peak', (c) => (c.train.schedule.minLr = 1), 'train.schedule.minLr', /≤ lr/],
  [
    'warmup past the end',
    (c) => (c.train.schedule.warmupSteps = 500),
    'train.schedule.warmupSteps',
    /≤ totalSteps/,
  ],
  [
    'schedule ends elsewhere',
    (c) => (c.train.schedule.totalSteps = 50),
    'train.schedule.totalSteps',
    /equal steps/,
  ],
  [
    'beta1 of 1',
    (c) => ((c.train.optimizer as { beta1: number }).beta1 = 1),
    'train.optimizer.beta1',
    /\[0, 1\)/,
  ],
  [
    'beta2 negative',
    (c) => ((c.train.optimizer as { beta2: number }).beta2 = -0.1),
    'train.optimizer.beta2',
    /\[0, 1\)/,
  ],
  ['eps zero', (c) => ((c.train.optimizer as { eps: number }).eps = 0), 'train.optimizer.eps', /> 0/],
  [
    'negative weight decay',
    (c) => (c.train.optimizer.weightDecay = -1),
    'train.optimizer.weightDecay',
    /≥ 0/,
  ],
  [
    'unknown optimizer',
    (c) => ((c.train.optimizer as { kind: string }).kind = 'lion'),
    'train.optimizer.kind',
    /adamw/,
  ],
  ['negative clip', (c) => (c.train.clipNorm = -1), 'train.clipNorm', /≥ 0/],
  ['negative eval interval', (c) => (c.train.evalEvery = -5), 'train.evalEvery', /≥ 0/],
  ['no eval batches', (c) => (c.train.evalBatches = 0), 'train.evalBatches', /≥ 1/],
  [
    'patience zero',
    (c) => ((c.train.earlyStopping as { patience: number }).patience = 0),
    'train.earlyStopping.patience',
    /≥ 1/,
  ],
  [
    'negative min delta',
    (c) => ((c.train.earlyStopping as { minDelta: number }).minDelta = -1),
    'train.earlyStopping.minDelta',
    /≥ 0/,
  ],
  ['bad-step limit zero', (c) => (c.train.maxBadSteps = 0), 'train.maxBadSteps', /≥ 1/],
  ['log interval zero', (c) => (c.train.logEvery = 0), 'train.logEvery', /≥ 1/],
  ['negative histogram interval', (c) => (c.train.histogramEvery = -1), 'train.histogramEvery', /≥ 0/],
  ['seed too large', (c) => (c.train.seed = 2 ** 33), 'train.seed', /4294967295/],
  ['validation fraction of 1', (c) => (c.train.valFraction = 1), 'train.valFraction', /between 0 and 1/],
  ['unknown backend', (c) => ((c as { backend: string }).backend = 'cuda'), 'backend', /"ts" or "wasm"/],
  ['zero threads', (c) => (c.threads = 0), 'threads', /≥ 1/],
  ['threads on the ts backend', (c) => (c.threads = 2), 'threads', /ts backend trains on one thread/],
  [
    'more threads than sequences',
    (c) => ((c.backend = 'wasm'), (c.threads = 9)),
    'threads',
    /9 threads need a batch of at least 9 sequences \(it is 8\)/,
  ],
  ['negative checkpoint interval', (c) => (c.checkpoints.every = -1), 'checkpoints.every', /≥ 0/],
  ['keep no checkpoint', (c) => (c.checkpoints.keepLast = 0), 'checkpoints.keepLast', /≥ 1/],
  [
    'empty sample prompt',
    (c) => ((c.samples as { prompt: string }).prompt = ''),
    'samples.prompt',
    /must not be empty/,
  ],
  ['sample top-p zero', (c) => ((c.samples as { topP: number }).topP = 0), 'samples.topP', /\(0, 1\]/],
  [
    'a number as text',
    (c) => ((c.train as { batchSize: unknown }).batchSize = '8'),
    'train.batchSize',
    /finite number/,
  ],
  [
    'a missing field',
    (c) => delete (c.model as Partial<RunConfigInput['model']>).nLayer,
    'model.nLayer',
    /is required/,
  ],
  [
    'an unknown field',
    (c) => ((c.train as Record<string, unknown>).learningRate = 1),
    'train',
    /learningRate/,
  ],
  [
    'unknown engine',
    (c) => ((c as { engine: string }).engine = 'jax'),
    'engine',
    /must be "builtin" or "pytorch"/,
  ],
  [
    'unknown device',
    (c) => ((c as { device: string }).device = 'tpu'),
    'device',
    /"auto", "cpu", "cuda" or "mps"/,
  ],
  ['no processes', (c) => Object.assign(c, { engine: 'pytorch', processes: 0 }), 'processes', /≥ 1/],
  [
    'device on the builtin engine',
    (c) => (c.device = 'cuda'),
    'device',
    /device is a setting of the pytorch engine; the builtin engine trains on this machine's CPU/,
  ],
  [
    'processes on the builtin engine',
    (c) => Object.assign(c, { engine: 'builtin', processes: 2 }),
    'processes',
    /processes is a setting of the pytorch engine/,
  ],
  [
    'threads on the pytorch engine',
    (c) => Object.assign(c, { engine: 'pytorch', backend: 'wasm', threads: 2 }),
    'threads',
    /threads is a setting of the builtin engine; the pytorch engine runs processes ranks instead/,
  ],
];

describe('validateRunConfig', () => {
  it('accepts a valid config and estimates its size', () => {
    const check = validateRunConfig(config(), ctx);
    expect(check.problems).toEqual([]);
    expect(check.config).not.toBeNull();
    expect(check.estimate?.parameters).toBeGreaterThan(0);
    expect(check.estimate?.trainTokens).toBe(45_000);
  });

  it.each(CASES)('rejects %s under its field with its message', (_what, edit, field, message) => {
    const c = config();
    edit(c);
    const check = validateRunConfig(c, ctx);
    expect(check.config).toBeNull();
    const problem = check.problems.find((p) => p.field === field);
    expect(problem, JSON.stringify(check.problems)).toBeDefined();
    expect(problem?.message).toMatch(message);
  });

  it('rejects a config whose dataset does not exist', () => {
    const check = validateRunConfig(config(), { ...ctx, dataset: null });
    expect(check.problems).toContainEqual({
      field: 'datasetId',
      message: expect.stringMatching(/no dataset with id 1/),
    });
  });

  it('rejects a batch larger than the training split', () => {
    const c = config();
    c.train.valFraction = 0.9;
    const check = validateRunConfig(c, { ...ctx, dataset: { tokens: 2_000, vocabSize: 60 } });
    expect(check.problems.map((p) => p.field)).toEqual(['train.batchSize']);
    expect(check.problems[0].message).toMatch(
      /training split holds 200 tokens.*needs at least B·T \+ 1 = 257/,
    );
  });

  it('rejects a validation split smaller than one batch', () => {
    const check = validateRunConfig(config(), { ...ctx, dataset: { tokens: 2_000, vocabSize: 60 } });
    expect(check.problems.map((p) => p.field)).toEqual(['train.valFraction']);
    expect(check.problems[0].message).toMatch(
      /validation split holds 200 tokens.*needs at least B·T \+ 1 = 257/,
    );
  });

  it('rejects a model larger than the free memory, with both sizes', () => {
    const c = config();
    c.model = { nLayer: 12, nHead: 12, nEmbd: 768, contextLength: 1024 };
    c.train.seqLen = 1024;
    c.train.batchSize = 8;
    const check = validateRunConfig(c, {
      dataset: { tokens: 10_000_000, vocabSize: 50_257 },
      freeMemoryBytes: GiB,
    });
    const problem = check.problems.find((p) => p.field === 'memory');
    expect(problem?.message).toMatch(/needs about \d+ MiB .* only 1024 MiB of memory is free/);
    expect(check.estimate?.memoryBytes).toBeGreaterThan(GiB);
  });

  it("counts every training thread's activations and gradients in the memory estimate", () => {
    const one = config();
    one.backend = 'wasm';
    const two = { ...one, threads: 2 };
    const [a, b] = [validateRunConfig(one, ctx), validateRunConfig(two, ctx)];
    const modelConfig = { vocabSize: ctx.dataset?.vocabSize ?? 0, ...one.model };
    const extra = replicaBytes(modelConfig, one.train.batchSize, one.train.seqLen, 2);
    expect(extra).toBeGreaterThan(0);
    expect((b.estimate?.memoryBytes ?? 0) - (a.estimate?.memoryBytes ?? 0)).toBe(extra);
  });

  it('reports every problem at once', () => {
    const c = config();
    c.model.nHead = 3;
    c.train.batchSize = 0;
    c.train.schedule.lr = -1;
    const fields = validateRunConfig(c, ctx).problems.map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['model.nHead', 'train.batchSize', 'train.schedule.lr']));
  });

  it('reports only the root problem while a field another is compared with is itself wrong', () => {
    const c = config();
    c.backend = 'wasm';
    c.threads = 2;
    c.train.batchSize = 0; // the threads are compared with the batch
    c.train.schedule.lr = -0.5; // minLr (1e-4) is compared with lr
    const problems = validateRunConfig(c, ctx).problems;
    expect(problems.map((p) => p.field).sort()).toEqual(['train.batchSize', 'train.schedule.lr']);
    expect(problems.find((p) => p.field === 'train.schedule.lr')?.message).toMatch(/finite number > 0/);
  });

  it('still reports what is wrong with minLr itself while lr is wrong', () => {
    const c = config();
    c.train.schedule.lr = 0;
    c.train.schedule.minLr = -1;
    const problems = validateRunConfig(c, ctx).problems;
    expect(problems).toEqual([
      { field: 'train.schedule.lr', message: 'must be a finite number > 0' },
      { field: 'train.schedule.minLr', message: 'must be a finite number ≥ 0' },
    ]);
  });

  it('compares minLr and the threads once lr and the batch are valid', () => {
    const c = config();
    c.backend = 'wasm';
    c.threads = 4;
    c.train.batchSize = 2;
    c.train.schedule.minLr = 0.01;
    const fields = validateRunConfig(c, ctx).problems.map((p) => p.field);
    expect(fields.sort()).toEqual(['threads', 'train.schedule.minLr']);
  });
});

describe('splitSizes', () => {
  it('cuts where the engine cuts', () => {
    for (const n of [1000, 1001, 4097, 12_345]) {
      for (const f of [0.1, 0.2, 0.05, 0.333]) {
        const split = splitTrainVal(new Int32Array(n), 1, 1, f);
        expect(splitSizes(n, f)).toEqual({ train: split.train.length, val: split.val.length });
      }
    }
  });
});

describe('every problem at once', () => {
  it('reports the model and training values beside a shape problem elsewhere', () => {
    const c = config();
    c.name = '';
    c.samples = { ...c.samples!, prompt: '' };
    c.model.nEmbd = 10_000;
    c.train.schedule.lr = -0.5;
    const fields = validateRunConfig(c, ctx).problems.map((p) => p.field);
    expect(fields).toEqual(['name', 'samples.prompt', 'model.nEmbd', 'train.schedule.lr']);
  });

  it('checks the values beside an emptied one, and reports each field once', () => {
    const c = config() as unknown as { model: Record<string, unknown>; train: Record<string, unknown> };
    c.model.nEmbd = null; // an emptied input
    c.model.nLayer = 0;
    c.train.steps = null;
    c.train.batchSize = 0;
    const problems = validateRunConfig(c, ctx).problems;
    expect(problems.map((p) => p.field).sort()).toEqual(
      ['model.nEmbd', 'model.nLayer', 'train.batchSize', 'train.steps'].sort(),
    );
  });

  it('skips a section whose structure the engine cannot walk', () => {
    const c = config() as unknown as { name: string; train: Record<string, unknown> };
    c.name = '';
    c.train.optimizer = null;
    c.train.batchSize = 0;
    const fields = validateRunConfig(c, ctx).problems.map((p) => p.field);
    expect(fields).toContain('train.optimizer');
    expect(fields).not.toContain('train.batchSize');
  });
});

describe('engine settings', () => {
  it('a pytorch config with a device and processes is valid', () => {
    const check = validateRunConfig({ ...config(), engine: 'pytorch', device: 'cpu', processes: 2 }, ctx);
    expect(check.problems).toEqual([]);
    expect(check.config).toMatchObject({ engine: 'pytorch', device: 'cpu', processes: 2 });
  });
});

describe('defaults applied when parsing', () => {
  it('gives a config that leaves out the fields with a default those of run-defaults.ts', () => {
    const full = config();
    const train: Record<string, unknown> = { ...full.train };
    for (const key of Object.keys(TRAIN_DEFAULTS)) delete train[key];
    const { checkpoints: _, ...rest } = full;
    const check = validateRunConfig({ ...rest, train }, ctx);
    expect(check.problems).toEqual([]);
    expect(check.config).toEqual({
      ...full,
      train: { ...full.train, ...TRAIN_DEFAULTS },
      threads: DEFAULT_TRAINING_THREADS,
      checkpoints: DEFAULT_CHECKPOINTS,
    });
  });

  it('fills nothing into a run’s edits: an edit changes only the fields it names', () => {
    const edits = { train: { steps: 500 }, checkpoints: { every: 10 } };
    expect(runConfigEditsSchema.parse(edits)).toEqual(edits);
  });
});
