// Datasets: import a text file or folder (tokenized in a one-shot engine worker, with progress
// events), list, describe, preview the text, and delete one no run uses.

import { randomUUID } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { splitSizes } from '../../../src-worker/data/split';
import { StudioError } from '../../api';
import type { DatasetInfo, DatasetPreview, DatasetStats, ValidInput } from '../../api';
import { requireDataset } from '../lookups';
import { datasetFiles } from '../run-config';
import { datasetInfo } from '../store';
import type { DatasetRecord } from '../store';
import type { HandlersOf, StudioContext } from './context';

export function datasetHandlers(ctx: StudioContext): HandlersOf<'datasets'> {
  const { store } = ctx;
  return {
    'datasets.import': (i) => importDataset(ctx, i),
    'datasets.list': async () => store.datasets.list().map(datasetInfo),
    'datasets.get': async ({ id }) => datasetInfo(requireDataset(store, id)),
    'datasets.stats': async (i) => datasetStats(requireDataset(store, i.id), i.valFraction ?? 0.1),
    'datasets.preview': (i) =>
      previewDataset(requireDataset(store, i.id), i.offset ?? 0, i.characters ?? 2000),
    'datasets.delete': (i) => deleteDataset(ctx, i.id),
  };
}

/** The first `count` characters of the dataset's text (UTF-8 decoded from its start). */
export async function readCorpusStart(dataset: DatasetRecord, count: number): Promise<string[]> {
  // UTF-8 needs at most 4 bytes a character: this many bytes from the start hold the window.
  const handle = await open(datasetFiles(dataset).corpus, 'r');
  try {
    const want = Math.min(dataset.bytes, count * 4);
    const buffer = Buffer.alloc(want);
    const { bytesRead } = await handle.read(buffer, 0, want, 0);
    return Array.from(new TextDecoder().decode(buffer.subarray(0, bytesRead), { stream: true })).slice(
      0,
      count,
    );
  } finally {
    await handle.close();
  }
}

async function importDataset(ctx: StudioContext, i: ValidInput<'datasets.import'>): Promise<DatasetInfo> {
  const jobId = i.jobId ?? randomUUID();
  const source = resolve(i.path);
  const dir = join(ctx.layout.datasets, randomUUID());
  const progress = (
    phase: 'failed' | 'reading' | 'tokenizer' | 'encoding' | 'writing',
    error: string | null = null,
  ): void => ctx.emit({ type: 'dataset-import', jobId, phase, dataset: null, error });
  try {
    const { dataset: d } = await ctx.workers.request(
      { type: 'import-dataset', source, tokenizer: i.tokenizer, outDir: dir },
      'dataset-imported',
      'import the dataset',
      (event) => {
        if (event.type === 'dataset-progress') progress(event.phase);
      },
    );
    const id = ctx.store.datasets.insert({
      name: i.name ?? basename(source, extname(source)),
      sourcePath: source,
      dir,
      files: d.stats.files,
      bytes: d.stats.bytes,
      characters: d.stats.characters,
      lines: d.stats.lines,
      sha256: d.stats.sha256,
      tokenizer: i.tokenizer,
      vocabSize: d.tokenizer.vocabSize,
      tokens: d.tokens,
      topTokens: d.topTokens,
    });
    const info = datasetInfo(requireDataset(ctx.store, id));
    ctx.emit({ type: 'dataset-import', jobId, phase: 'done', dataset: info, error: null });
    return info;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    const message = err instanceof Error ? err.message : String(err);
    progress('failed', message);
    throw err instanceof StudioError ? err : new StudioError('failed', message);
  }
}

function datasetStats(d: DatasetRecord, valFraction: number): DatasetStats {
  const split = splitSizes(d.tokens, valFraction);
  return {
    ...datasetInfo(d),
    valFraction,
    trainTokens: split.train,
    valTokens: split.val,
    charactersPerToken: d.tokens === 0 ? 0 : d.characters / d.tokens,
    topTokens: d.topTokens,
  };
}

async function previewDataset(d: DatasetRecord, offset: number, characters: number): Promise<DatasetPreview> {
  const chars = await readCorpusStart(d, offset + characters);
  return {
    datasetId: d.id,
    offset,
    text: chars.slice(offset).join(''),
    totalCharacters: d.characters,
  };
}

async function deleteDataset(ctx: StudioContext, id: number): Promise<{ deleted: true }> {
  const d = requireDataset(ctx.store, id);
  const users = ctx.store.datasets.runNames(id);
  if (users.length > 0) {
    throw new StudioError(
      'conflict',
      `Dataset "${d.name}" is used by ${users.length} run${users.length === 1 ? '' : 's'} ` +
        `(${users.slice(0, 5).join(', ')}${users.length > 5 ? ', …' : ''}); delete those runs first.`,
    );
  }
  ctx.store.datasets.delete(id);
  await rm(d.dir, { recursive: true, force: true });
  ctx.emit({ type: 'dataset-deleted', datasetId: id });
  return { deleted: true };
}
