// The job a PyTorch run trains holds exactly the split the built-in engine would train on.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { splitTrainVal } from '../data/split';
import { trainTokenizer } from '../data/train-tokenizer';
import { loadText } from '../train/setup';
import type { RunSpec } from '../train/setup';
import { microTrainConfig } from '../train/test-run';
import { prepareTorchJob } from './job';

const dir = mkdtempSync(join(tmpdir(), 'torch-job-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('prepareTorchJob', () => {
  it('writes the engine’s own tokenization and split as little-endian uint16 files, and job.json', async () => {
    const spec: RunSpec = {
      data: { kind: 'sample', seed: 1 },
      tokenizer: { kind: 'char' },
      model: { nLayer: 2, nHead: 2, nEmbd: 16, contextLength: 16 },
      train: microTrainConfig(),
      backend: 'wasm',
    };
    const prepared = await prepareTorchJob(spec, {
      workDir: join(dir, 'job'),
      checkpointDir: join(dir, 'ckpt'),
      device: 'cpu',
      resumeFrom: null,
      checkpoints: { every: 0, onBest: false, retention: { keepLast: 1, keepBest: true, keepEvery: 0 } },
      heartbeatMs: 1000,
      flushMs: 100,
      timeoutSeconds: 60,
    });
    const { text } = await loadText(spec.data);
    const tokenizer = trainTokenizer(spec.tokenizer, text);
    const split = splitTrainVal(
      tokenizer.encode(text),
      spec.train.batchSize,
      spec.train.seqLen,
      spec.train.valFraction,
    );
    const job = JSON.parse(readFileSync(prepared.path, 'utf8'));
    expect(job.tokens.dtype).toBe('uint16');
    for (const side of ['train', 'val'] as const) {
      const bytes = readFileSync(job.tokens[side]);
      const ids = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
      expect(Array.from(ids)).toEqual(Array.from(split[side]));
    }
    expect(job.modelConfig.vocabSize).toBe(tokenizer.vocabSize);
    expect(job.train).toEqual(spec.train);
    expect(job.tokenizer).toEqual(tokenizer.toJSON());
    expect(job).toMatchObject({ protocolVersion: 1, device: 'cpu', resumeFrom: null, timeoutSeconds: 60 });
    expect(prepared.step).toBe(0);
  });
});
