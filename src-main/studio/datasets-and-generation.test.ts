// Datasets through the service (import a file or a folder with progress, stats, preview, refusals,
// delete) and text generation streamed from a checkpoint or from a training run's live model.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type {
  CheckpointInfo,
  DatasetInfo,
  DatasetPreview,
  DatasetStats,
  RunDetail,
  StudioEvent,
} from '../api';
import {
  completedRun,
  importCorpus,
  microConfig,
  nextEvent,
  progressReaches,
  writeCorpus,
} from './test-support/fixtures';
import { refusal, useStudio } from './test-support/studio-harness';

const harness = useStudio('datasets', { dataDir: 'data' });

type Generation = Extract<StudioEvent, { type: 'generation' }>;

/** Collects a generation's text until its last event. */
function collect(generationId: string): Promise<{ text: string; last: Generation; counts: number[] }> {
  return new Promise((resolve) => {
    let text = '';
    const counts: number[] = [];
    const unsubscribe = harness.studio.subscribe((e) => {
      if (e.type !== 'generation' || e.generationId !== generationId) return;
      text += e.text;
      counts.push(e.tokens);
      if (!e.done) return;
      unsubscribe();
      resolve({ text, last: e, counts });
    });
  });
}

describe('datasets', () => {
  it('imports a folder of text files with a BPE tokenizer, with stats and a preview', async () => {
    const { studio, dir } = harness;
    const folder = join(dir, 'books');
    mkdirSync(join(folder, 'more'), { recursive: true });
    writeCorpus(folder, 6_000, 1, 'a.txt');
    writeCorpus(join(folder, 'more'), 6_000, 2, 'b.md');
    writeFileSync(join(folder, 'notes.pdf'), 'not text');
    const d = (await studio.call('datasets.import', {
      path: folder,
      tokenizer: { kind: 'bpe', vocabSize: 300 },
      name: 'books',
    })) as DatasetInfo;
    expect(d).toMatchObject({
      name: 'books',
      files: 2,
      vocabSize: 300,
      tokenizer: { kind: 'bpe', vocabSize: 300 },
      runs: 0,
    });
    expect(d.tokens).toBeLessThan(d.characters); // merges make tokens longer than a character
    const stats = (await studio.call('datasets.stats', { id: d.id, valFraction: 0.2 })) as DatasetStats;
    expect(stats.trainTokens + stats.valTokens).toBe(d.tokens);
    expect(stats.valTokens).toBe(d.tokens - Math.floor(d.tokens * 0.8));
    expect(stats.topTokens).toHaveLength(20);
    const preview = (await studio.call('datasets.preview', {
      id: d.id,
      offset: 5,
      characters: 40,
    })) as DatasetPreview;
    expect(Array.from(preview.text)).toHaveLength(40);
    expect(preview.totalCharacters).toBe(d.characters);
    expect(await studio.call('datasets.list', {})).toEqual([d]);
  });

  it('refuses a path without text, reporting the reason, and leaves nothing behind', async () => {
    const { studio, dir } = harness;
    const jobs: string[] = [];
    studio.subscribe((e) => {
      if (e.type === 'dataset-import') jobs.push(`${e.phase}${e.error === null ? '' : ': ' + e.error}`);
    });
    const missing = join(dir, 'nowhere.txt');
    await expect(
      studio.call('datasets.import', { path: missing, tokenizer: { kind: 'char' } }),
    ).rejects.toThrow(/There is no file or folder at .*nowhere\.txt/);
    expect(jobs[jobs.length - 1]).toMatch(/^failed: There is no file or folder/);
    expect(await studio.call('datasets.list', {})).toEqual([]);
  });

  it('refuses to delete a dataset runs train on, and deletes its folder otherwise', async () => {
    const { studio, dir } = harness;
    const d = await importCorpus(studio, dir);
    const run = (await studio.call('runs.create', {
      config: { ...microConfig(d.id, 10), name: 'user' },
    })) as RunDetail;
    const refused = await refusal(studio.call('datasets.delete', { id: d.id }));
    expect(refused).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/used by 1 run \(user\)/),
    });
    await studio.call('runs.delete', { id: run.id });
    const folder = studio.store.datasets.get(d.id)?.dir as string;
    await studio.call('datasets.delete', { id: d.id });
    expect(existsSync(folder)).toBe(false);
    await expect(studio.call('datasets.get', { id: d.id })).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('generation', () => {
  it('streams text from a checkpoint, and can be cancelled', async () => {
    const { studio, dir } = harness;
    const d = await importCorpus(studio, dir);
    const run = await completedRun(studio, microConfig(d.id, 20));
    const [checkpoint] = (await studio.call('checkpoints.list', { runId: run.id })) as CheckpointInfo[];

    const request = {
      checkpointId: checkpoint.id,
      prompt: 'The ',
      maxTokens: 40,
      temperature: 0,
      topK: 0,
      topP: 1,
      seed: 1,
    };
    const first = collect('g1');
    await studio.call('generation.start', { ...request, generationId: 'g1' });
    const { text, last } = await first;
    expect(last).toMatchObject({ done: true, cancelled: false, error: null, tokens: 40 });
    expect(Array.from(text)).toHaveLength(40); // char tokenizer: one character a token
    // Greedy decoding from the same weights gives the same text.
    const again = collect('g2');
    await studio.call('generation.start', { ...request, generationId: 'g2' });
    expect((await again).text).toBe(text);

    // The same checkpoint exported as a Hugging Face folder, with the run's metrics.
    const exported = (await studio.call('checkpoints.export', {
      id: checkpoint.id,
      dir: join(dir, 'export'),
    })) as {
      files: string[];
    };
    expect(exported.files).toEqual(
      expect.arrayContaining(['model.safetensors', 'config.json', 'tokenizer.json', 'metrics.csv']),
    );
    expect(readFileSync(join(dir, 'export', 'metrics.csv'), 'utf8')).toMatch(/^step,.*train\/loss/);

    const long = collect('g3');
    await studio.call('generation.start', { ...request, maxTokens: 4096, generationId: 'g3' });
    await nextEvent(studio, (e): e is Generation => e.type === 'generation' && e.generationId === 'g3');
    expect(await studio.call('generation.cancel', { generationId: 'g3' })).toEqual({ cancelled: true });
    const cancelled = await long;
    expect(cancelled.last).toMatchObject({ done: true, cancelled: true });
    expect(cancelled.last.tokens).toBeLessThan(4096);
    // Each event counts the tokens generated so far (a counter shows the last, never the sum).
    expect(cancelled.counts.length).toBeGreaterThan(1);
    expect(cancelled.counts).toEqual([...cancelled.counts].sort((a, b) => a - b));
    expect(cancelled.last.tokens).toBe(Array.from(cancelled.text).length);
  });

  it('generates from the live model of a run that is training, and reports a prompt it cannot encode', async () => {
    const { studio, dir } = harness;
    const d = await importCorpus(studio, dir);
    const run = (await studio.call('runs.create', { config: microConfig(d.id, 1_000_000) })) as RunDetail;
    await studio.call('runs.start', { id: run.id });
    await progressReaches(studio, run.id, 5);
    // Both sample the run's live weights at temperature 1 with seed 2; what differs is on each call.
    type Sampling = { prompt: string; maxTokens: number; topK: number; topP: number };
    const fromRun = (generationId: string, sampling: Sampling): Promise<unknown> =>
      studio.call('generation.start', { runId: run.id, temperature: 1, seed: 2, generationId, ...sampling });
    const live = collect('live');
    await fromRun('live', { prompt: 'a', maxTokens: 15, topK: 5, topP: 0.9 });
    expect((await live).last).toMatchObject({ done: true, tokens: 15, error: null });
    const bad = collect('bad');
    await fromRun('bad', { prompt: '☃', maxTokens: 5, topK: 0, topP: 1 });
    expect((await bad).last.error).toMatch(/not in this character tokenizer's vocabulary/);
    await studio.call('runs.stop', { id: run.id });
  });
});
