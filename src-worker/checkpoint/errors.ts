// The one error type of checkpoint reading and writing, and the base it shares with the errors of
// the other model files: a code a program can switch on, the file it concerns, and a message a
// person can act on.

export type CheckpointErrorCode =
  | 'NOT_FOUND' // no file at the path
  | 'READ_FAILED' // the file exists but the system could not read it (permissions, I/O error)
  | 'NOT_A_CHECKPOINT' // empty, or does not start with the magic bytes
  | 'TRUNCATED' // ends before the end marker: the write was cut short
  | 'CHECKSUM_MISMATCH' // tensor data does not match its SHA-256
  | 'FUTURE_VERSION' // written by a newer app in a format this one cannot read
  | 'CORRUPT_HEADER' // header damaged (checksum) or inconsistent with the file
  | 'CONFIG_MISMATCH' // the model shape differs from the run it is loaded into
  | 'INVALID_INPUT' // the writer was given a header or tensors it cannot store faithfully
  | 'DISK_FULL' // the disk ran out of space while writing; the previous file is intact
  | 'WRITE_FAILED'; // any other failure while writing; the previous file is intact

/** One field of the model config that differs between a checkpoint and the run. */
export interface ConfigDifference {
  field: string;
  checkpoint: number;
  run: number;
}

/**
 * What the errors of the model files (checkpoint, safetensors, export, import) have in common: a
 * code a program can switch on, the file or folder concerned, a message a person can act on, and
 * the system error behind it when there is one.
 */
export abstract class ModelFileError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    readonly path: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

export class CheckpointError extends ModelFileError<CheckpointErrorCode> {
  override name = 'CheckpointError';
  constructor(
    code: CheckpointErrorCode,
    /** The checkpoint file concerned. */
    path: string,
    message: string,
    options: { cause?: unknown; differences?: readonly ConfigDifference[] } = {},
  ) {
    super(code, path, message, options);
    this.differences = options.differences ?? [];
  }

  /** Filled for CONFIG_MISMATCH: every differing field. */
  readonly differences: readonly ConfigDifference[];
}
