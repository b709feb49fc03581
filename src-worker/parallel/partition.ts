// How a data-parallel step divides its work: each replica's sequences of a micro-batch, and each
// thread's range of the parameters for summing gradients and updating.

/** Floats per shard boundary: 64 bytes, so no two threads write into one cache line. */
const SHARD_ALIGN = 16;

/**
 * Rows [first, end) of a B-sequence micro-batch for each of `parts` replicas: contiguous, in order,
 * sizes differing by at most one (the larger ones first, the coordinator's included).
 */
export function batchSlices(B: number, parts: number): [number, number][] {
  assertParts(B, parts, 'sequences');
  const base = Math.floor(B / parts);
  const extra = B % parts;
  const slices: [number, number][] = [];
  let first = 0;
  for (let p = 0; p < parts; p++) {
    const end = first + base + (p < extra ? 1 : 0);
    slices.push([first, end]);
    first = end;
  }
  return slices;
}

/** Parameters [from, to) of `count` for each of `parts` threads: contiguous, boundaries on 16 floats. */
export function paramShards(count: number, parts: number): [number, number][] {
  assertParts(count, parts, 'parameters');
  const shards: [number, number][] = [];
  let from = 0;
  for (let p = 1; p <= parts; p++) {
    const to =
      p === parts ? count : Math.min(count, Math.round((count * p) / parts / SHARD_ALIGN) * SHARD_ALIGN);
    shards.push([from, Math.max(from, to)]);
    from = Math.max(from, to);
  }
  return shards;
}

function assertParts(total: number, parts: number, what: string): void {
  if (!(Number.isInteger(parts) && parts >= 1 && Number.isInteger(total) && total >= parts)) {
    throw new RangeError(`cannot divide ${total} ${what} into ${parts} parts`);
  }
}
