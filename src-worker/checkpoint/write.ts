// Writes a checkpoint atomically: a temp file beside the target is written, fsynced and renamed
// over it, then the folder is fsynced. A crash or kill at any moment leaves the old complete file
// or the new complete one; a failure removes the temp and leaves the old file untouched.

import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CheckpointError } from './errors';
import {
  DATA_ALIGNMENT,
  END_MARKER,
  FORMAT_VERSION,
  MAGIC,
  MAX_HEADER_BYTES,
  PREAMBLE_BYTES,
  TRAILER_BYTES,
  alignUp,
  assertLittleEndianHost,
  elementCount,
  headerProblems,
  planTensorTable,
  type CheckpointHeader,
  type NamedTensor,
  type StoredHeader,
} from './format';
import {
  isDiskFull,
  nodeFs,
  syncDir,
  tempPathFor,
  writeAll,
  type DurableFileHandle,
  type DurableFs,
} from './durable-fs';

export interface WriteCheckpointOptions {
  /** File-system layer; tests inject failures here. */
  fs?: DurableFs;
}

export interface WriteCheckpointResult {
  path: string;
  /** Size of the file written. */
  bytes: number;
  /** Hex SHA-256 of everything before the trailer (the content checksum stored in the file). */
  sha256: string;
}

/**
 * Writes `header` and `tensors` (in the order given) to `path`, replacing any file there only once
 * the new one is complete on disk. The tensors' arrays must not change until the promise settles;
 * they are written from their own memory, without a copy.
 * Throws CheckpointError INVALID_INPUT (nothing touched), DISK_FULL or WRITE_FAILED (temp removed,
 * previous file intact).
 */
export async function writeCheckpoint(
  path: string,
  header: CheckpointHeader,
  tensors: readonly NamedTensor[],
  options: WriteCheckpointOptions = {},
): Promise<WriteCheckpointResult> {
  assertLittleEndianHost();
  const fs = options.fs ?? nodeFs;
  const problems = [...headerProblems(header), ...tensorProblems(tensors)];
  if (problems.length > 0) {
    throw new CheckpointError(
      'INVALID_INPUT',
      path,
      `Cannot write checkpoint ${path}: ${problems.join('; ')}. This is a bug in the caller; nothing was written.`,
    );
  }

  const { table, dataBytes } = planTensorTable(tensors);
  const stored: StoredHeader = { header, tensors: table };
  const json = Buffer.from(JSON.stringify(stored), 'utf8');
  if (json.length > MAX_HEADER_BYTES) {
    throw new CheckpointError(
      'INVALID_INPUT',
      path,
      `Cannot write checkpoint ${path}: its header is ${json.length} bytes, over the ${MAX_HEADER_BYTES}-byte limit. Nothing was written.`,
    );
  }
  const dataStart = alignUp(PREAMBLE_BYTES + json.length, DATA_ALIGNMENT);
  const head = Buffer.alloc(dataStart); // preamble + header + zero padding
  MAGIC.copy(head, 0);
  head.writeUInt32LE(FORMAT_VERSION, 8);
  head.writeUInt32LE(json.length, 12);
  json.copy(head, PREAMBLE_BYTES);

  const temp = tempPathFor(path);
  let handle: DurableFileHandle | null = null;
  let renamed = false;
  try {
    handle = await fs.open(temp, 'wx');
    const headerHash = createHash('sha256').update(head);
    const contentHash = createHash('sha256').update(head);
    await writeAll(handle, head);

    const padding = new Uint8Array(DATA_ALIGNMENT);
    let cursor = 0;
    for (let i = 0; i < tensors.length; i++) {
      const gap = table[i].offset - cursor;
      if (gap > 0) {
        contentHash.update(padding.subarray(0, gap));
        await writeAll(handle, padding.subarray(0, gap));
      }
      const { data } = tensors[i];
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      contentHash.update(bytes);
      await writeAll(handle, bytes);
      cursor = table[i].offset + table[i].length;
    }

    const content = contentHash.digest();
    await writeAll(handle, Buffer.concat([headerHash.digest(), content, END_MARKER]));
    await handle.sync();
    await handle.close();
    handle = null;
    await fs.rename(temp, path);
    renamed = true;
    await syncDir(fs, dirname(path));
    return { path, bytes: dataStart + dataBytes + TRAILER_BYTES, sha256: content.toString('hex') };
  } catch (err) {
    if (handle !== null) await handle.close().catch(() => undefined);
    if (!renamed) await fs.unlink(temp).catch(() => undefined);
    throw await writeError(path, err, renamed);
  }
}

/** Shape/data agreement and unique names: what the reader will insist on. */
function tensorProblems(tensors: readonly NamedTensor[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const t of tensors) {
    if (typeof t.name !== 'string' || t.name === '') problems.push('a tensor has an empty name');
    else if (seen.has(t.name)) problems.push(`tensor "${t.name}" is given twice`);
    seen.add(t.name);
    if (!(t.data instanceof Float32Array)) problems.push(`tensor "${t.name}" is not a Float32Array`);
    else if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      problems.push(`tensor "${t.name}" has shape [${t.shape.join(', ')}]; dimensions must be whole numbers`);
    } else if (elementCount(t.shape) !== t.data.length) {
      problems.push(
        `tensor "${t.name}" has shape [${t.shape.join(', ')}] (${elementCount(t.shape)} values) but ${t.data.length} values`,
      );
    }
  }
  return problems;
}

async function writeError(path: string, err: unknown, renamed: boolean): Promise<CheckpointError> {
  const reason = err instanceof Error ? err.message : String(err);
  if (renamed) {
    // The new file is in place, but the folder sync failed, so a power cut could still undo it.
    return new CheckpointError(
      'WRITE_FAILED',
      path,
      `Checkpoint ${path} was written but its folder could not be synced to disk (${reason}); it may not survive a power cut. Check the disk, then save again.`,
      { cause: err },
    );
  }
  const previous = await stat(path).then(
    () => `The previous checkpoint at ${path} is intact.`,
    () => `No file was left at ${path}.`,
  );
  if (isDiskFull(err)) {
    return new CheckpointError(
      'DISK_FULL',
      path,
      `Could not write checkpoint ${path}: the disk is full. ${previous} Free some disk space, then save again.`,
      { cause: err },
    );
  }
  return new CheckpointError(
    'WRITE_FAILED',
    path,
    `Could not write checkpoint ${path}: ${reason}. ${previous} Check that the folder exists and is writable, then save again.`,
    { cause: err },
  );
}
