// Which errors are the user's input (exit code 2, like a bad flag) and which are failures (1), and
// how either is printed: one line, naming what is wrong.

import { CorpusError } from '../data/corpus';
import { SplitError } from '../data/split';
import { TokenizerError } from '../data/tokenizer';
import { TokenizerFormatError } from '../data/tokenizer-json';
import { ModelConfigError } from '../model/config';
import { ModelInputError } from '../model/errors';
import { ScheduleConfigError } from '../train/schedules';
import { TrainConfigError } from '../train/validate';
import { CheckpointError } from '../checkpoint/errors';
import { SafetensorsError } from '../checkpoint/safetensors';
import { ModelExportError } from '../checkpoint/export';
import { ModelImportError } from '../checkpoint/import';
import { SamplerError } from '../data/sampler';
import { RunFolderError } from '../train/run-checkpoints';
import { ThreadsUnsupportedError } from '../train/setup';
import { DeviceUnavailableError } from '../torch-launch/device';

/** A usage problem found by the CLI itself (a missing choice, conflicting flags). */
export class UsageError extends Error {
  override name = 'UsageError';
}

const INPUT_ERRORS = [
  UsageError,
  ThreadsUnsupportedError,
  DeviceUnavailableError,
  CorpusError,
  SplitError,
  TokenizerError,
  TokenizerFormatError,
  ModelConfigError,
  ModelInputError,
  ScheduleConfigError,
  TrainConfigError,
  CheckpointError,
  SafetensorsError,
  ModelExportError,
  ModelImportError,
  SamplerError,
  RunFolderError,
];

export function isInputError(err: unknown): boolean {
  return INPUT_ERRORS.some((cls) => err instanceof cls);
}

/** One line for the terminal: "crystalline: <message>". */
export function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return `crystalline: ${message.replace(/\s*\n\s*/g, ' ')}`;
}
