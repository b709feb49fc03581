// The data folder's log of unexpected errors: an API call that fails for a reason no one foresaw
// is written here with its stack trace under a short reference, and the caller gets a short
// message with that reference instead of the raw error. What a person caused is never logged here:
// it is answered as their error (a StudioError with a 4xx code).

import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { StudioError } from '../api';
import type { StudioErrorCode, StudioHandlers } from '../api';
import { CheckpointError } from '../../src-worker/checkpoint/errors';
import type { CheckpointErrorCode } from '../../src-worker/checkpoint/errors';
import { ModelExportError } from '../../src-worker/checkpoint/export';
import type { ModelExportErrorCode } from '../../src-worker/checkpoint/export';
import type { SerializedError } from '../../src-worker/protocol';

/** The log moves to studio.log.1 (one generation kept) once it reaches this size. */
const ROTATE_BYTES = 8 * 1024 * 1024;

/** The engine's typed errors say what is wrong in words already; these are their API codes. */
const CHECKPOINT_CODES: Record<CheckpointErrorCode, StudioErrorCode> = {
  NOT_FOUND: 'not-found',
  READ_FAILED: 'failed',
  NOT_A_CHECKPOINT: 'conflict',
  TRUNCATED: 'conflict',
  CHECKSUM_MISMATCH: 'conflict',
  FUTURE_VERSION: 'conflict',
  CORRUPT_HEADER: 'conflict',
  CONFIG_MISMATCH: 'conflict',
  INVALID_INPUT: 'invalid-input',
  DISK_FULL: 'failed',
  WRITE_FAILED: 'failed',
};
const EXPORT_CODES: Record<ModelExportErrorCode, StudioErrorCode> = {
  MISSING_TENSOR: 'conflict',
  WRONG_SHAPE: 'conflict',
  NON_FINITE: 'conflict',
  OUT_OF_RANGE: 'invalid-input',
  OUT_DIR_EXISTS: 'conflict',
  OUT_DIR_NOT_OURS: 'conflict',
  DISK_FULL: 'failed',
  WRITE_FAILED: 'failed',
};

/** An error whose message a person can act on, as the API's error; null for an unforeseen one. */
export function explainedError(err: unknown): StudioError | null {
  if (err instanceof StudioError) return err;
  if (err instanceof CheckpointError) return new StudioError(CHECKPOINT_CODES[err.code], err.message);
  if (err instanceof ModelExportError) return new StudioError(EXPORT_CODES[err.code], err.message);
  return null;
}

/**
 * A one-shot worker's error (serialized across the thread) as the API's: an engine error keeps its
 * code's meaning (an export into a folder it may not replace is a conflict), any other is `failed`.
 */
export function workerError(error: SerializedError): StudioError {
  const code = String(error.details.code ?? '');
  if (error.name === 'CheckpointError' && Object.hasOwn(CHECKPOINT_CODES, code)) {
    return new StudioError(CHECKPOINT_CODES[code as CheckpointErrorCode], error.message);
  }
  if (error.name === 'ModelExportError' && Object.hasOwn(EXPORT_CODES, code)) {
    return new StudioError(EXPORT_CODES[code as ModelExportErrorCode], error.message);
  }
  if (error.name === 'CorpusError') return new StudioError('invalid-input', error.message);
  return new StudioError('failed', error.message);
}

export class ErrorLog {
  constructor(readonly path: string) {}

  /** The log of a data folder: <root>/logs/studio.log. */
  static of(root: string): ErrorLog {
    return new ErrorLog(join(root, 'logs', 'studio.log'));
  }

  /** Writes the error with its stack under a new reference and returns the reference. */
  write(context: string, err: unknown): string {
    const reference = `E-${randomBytes(4).toString('hex')}`;
    const detail = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
    const entry = `${new Date().toISOString()} ${reference} ${context}\n${detail}\n\n`;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      if ((statSync(this.path, { throwIfNoEntry: false })?.size ?? 0) >= ROTATE_BYTES) {
        renameSync(this.path, `${this.path}.1`);
      }
      appendFileSync(this.path, entry);
    } catch {
      // A log that cannot be written (a full disk) must not hide the error it was to record.
      process.stderr.write(entry);
    }
    return reference;
  }

  /**
   * What the caller sees: an explained error as the API's (the person's error, or a failure already
   * put in words); anything else is logged and answered by a short message naming the reference.
   */
  answer(context: string, err: unknown): StudioError {
    const explained = explainedError(err);
    if (explained !== null) return explained;
    const reference = this.write(context, err);
    return new StudioError(
      'failed',
      `${context} failed unexpectedly (reference ${reference}); the details are in ${this.path}.`,
    );
  }
}

/**
 * The handlers with every error answered through the log: explained errors as they are, unforeseen
 * ones logged with their stack. `seen` looks at each error first (the store's fault check).
 */
export function answeredBy(
  handlers: StudioHandlers,
  log: ErrorLog,
  seen: (err: unknown) => void,
): StudioHandlers {
  const answered: Record<string, (input: never) => Promise<unknown>> = {};
  for (const [method, handler] of Object.entries(handlers) as [
    string,
    (input: never) => Promise<unknown>,
  ][]) {
    answered[method] = async (input) => {
      try {
        return await handler(input);
      } catch (err) {
        seen(err);
        throw log.answer(method, err);
      }
    };
  }
  return answered as unknown as StudioHandlers;
}
