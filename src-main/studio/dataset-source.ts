// What a dataset import is given, checked before and after the engine reads it: a single file must
// be plain text (.txt or .md) and the text long enough to train on; a file uploaded in serve mode
// is named as the person named it (never by the upload folder it waits in), and that folder is
// removed once the import is done or refused, so nothing half-written stays on disk.

import { stat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { TEXT_EXTENSIONS } from '../../src-worker/data/corpus';
import { StudioError } from '../api';

/**
 * The least text a dataset may hold: with the default 10 % validation split, 1,000 characters
 * leave 100 for validation, one context window (64) of the tiny preset with a character tokenizer.
 */
export const MIN_DATASET_CHARACTERS = 1000;

export interface DatasetSource {
  /** The absolute path the engine reads. */
  path: string;
  /** How messages name it: the path, or for an upload the file's name as it was uploaded. */
  shown: string;
  /** The upload's folder, removed when the import ends; null for a path on this machine. */
  uploadFolder: string | null;
}

/** Where an import reads from, and how to name it to the person who chose it. */
export function datasetSource(path: string, uploadsDir: string): DatasetSource {
  const inside = relative(uploadsDir, path);
  if (inside === '' || inside.startsWith('..') || inside.startsWith(sep)) {
    return { path, shown: path, uploadFolder: null };
  }
  const [id, ...rest] = inside.split(sep);
  return {
    path,
    shown: rest.length === 0 ? 'the uploaded files' : rest.join('/'),
    uploadFolder: `${uploadsDir}${sep}${id}`,
  };
}

/** Whether a file name is one of the plain-text kinds the studio trains on. */
export function isTextFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return TEXT_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Refuses a single file that is not .txt or .md (a folder picks out its .txt and .md files). */
export async function checkSourceKind(source: DatasetSource): Promise<void> {
  const info = await stat(source.path).catch(() => null);
  if (info === null || !info.isFile() || isTextFileName(source.path)) return; // the engine reports the rest
  throw new StudioError(
    'invalid-input',
    `${source.shown} is not a .txt or .md file; the studio trains on plain text. ` +
      `Save it as UTF-8 text with one of those extensions, or choose another file.`,
    [{ field: 'path', message: 'must be a .txt or .md file, or a folder of them' }],
  );
}

/** Refuses text too short to train on, naming the minimum. */
export function checkLongEnough(source: DatasetSource, characters: number): void {
  if (characters >= MIN_DATASET_CHARACTERS) return;
  throw new StudioError(
    'invalid-input',
    `${source.shown} holds ${characters} character${characters === 1 ? '' : 's'} of text; a dataset needs at ` +
      `least ${MIN_DATASET_CHARACTERS.toLocaleString('en-US')} to train on (its validation split must hold ` +
      `a context window). Add more text, or choose a longer file.`,
    [{ field: 'path', message: `must hold at least ${MIN_DATASET_CHARACTERS} characters of text` }],
  );
}

/** A message of the engine about the source, with the upload folder's path replaced by the name shown. */
export function shownMessage(source: DatasetSource, message: string): string {
  if (source.uploadFolder === null) return message;
  return message
    .split(source.path)
    .join(source.shown)
    .split(source.uploadFolder + sep)
    .join('');
}
