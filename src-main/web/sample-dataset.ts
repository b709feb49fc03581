// The built-in sample corpus as a studio dataset, so a new run has something to train on before the
// person imports their own text. Shared by serve mode and the Electron app.

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetInfo, MethodInput, MethodName, MethodResult } from '../api';
import { generateSampleCorpus } from '../../src-worker/data/sample-corpus';

export const SAMPLE_DATASET_NAME = 'Sample corpus';
export const SAMPLE_FILE_NAME = 'sample-corpus.txt';

/** The one call this needs from the service (the Studio's `call` fits). */
export type CallStudio = <M extends MethodName>(method: M, input: MethodInput<M>) => Promise<MethodResult<M>>;

/**
 * The dataset imported from the sample corpus file in `dataDir`, importing it (character
 * tokenizer, like `crystalline train --sample`) when no dataset was made from that file yet.
 */
export async function ensureSampleDataset(call: CallStudio, dataDir: string): Promise<DatasetInfo> {
  const file = join(dataDir, SAMPLE_FILE_NAME);
  const existing = (await call('datasets.list', {})).find((d) => d.sourcePath === file);
  if (existing !== undefined) return existing;
  if (!existsSync(file)) await writeFile(file, generateSampleCorpus());
  return call('datasets.import', { path: file, name: SAMPLE_DATASET_NAME, tokenizer: { kind: 'char' } });
}
