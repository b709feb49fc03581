// One line of the PyTorch engine's stdout as the WorkerEvent it stands for (PROTOCOL.md): the same
// shapes a built-in worker posts, so the studio and the CLI feed them to the same code. JSON has no
// NaN or Infinity: the program writes them as null, and this is the one place that reads them back.

import type { StreamedTrainingEvent, WorkerEvent } from '../protocol';
import type { DoneEvent } from '../train/events';

/** A line that is not one event of the protocol (the program and the studio disagree). */
export class EngineLineError extends Error {
  override name = 'EngineLineError';
}

const EVENT_TYPES = new Set<WorkerEvent['type']>([
  'ready',
  'state',
  'started',
  'training-events',
  'checkpoint-written',
  'sample',
  'generation',
  'dataset-progress',
  'dataset-imported',
  'heartbeat',
  'error',
  'stopped',
]);

/**
 * Training events and the DoneEvent hold no nullable field: every null in them is a number that
 * was NaN or ±Infinity (read back as NaN). Lists of numbers that the built-in engine keeps in typed
 * arrays (histograms, the confusion matrix) become typed arrays again.
 */
function numbersBack(value: unknown, key: string): unknown {
  if (value === null) return NaN;
  if (Array.isArray(value)) {
    const items = value.map((v) => numbersBack(v, ''));
    if (key === 'counts' || key === 'edges') return Float64Array.from(items as number[]);
    if (key === 'tokens') return Int32Array.from(items as number[]);
    return items;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = numbersBack(v, k);
    return out;
  }
  return value;
}

/** Histograms count in Uint32Array; the confusion matrix in Float64Array (set above). */
function withHistogramCounts(event: StreamedTrainingEvent): StreamedTrainingEvent {
  if (event.kind !== 'histogram') return event;
  return {
    ...event,
    gradients: { ...event.gradients, counts: Uint32Array.from(event.gradients.counts) },
    weights: { ...event.weights, counts: Uint32Array.from(event.weights.counts) },
  };
}

/** Parses one stdout line of the engine; throws EngineLineError naming what is wrong. */
export function parseEngineLine(line: string): WorkerEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new EngineLineError(`The PyTorch engine wrote a line that is not JSON: ${line.slice(0, 200)}`);
  }
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof value !== 'object' || Array.isArray(value) || !EVENT_TYPES.has(type as WorkerEvent['type'])) {
    throw new EngineLineError(`The PyTorch engine wrote an unknown event: ${line.slice(0, 200)}`);
  }
  const event = value as WorkerEvent;
  switch (event.type) {
    case 'training-events': {
      if (!Array.isArray(event.events)) throw new EngineLineError(`training-events without events: ${line}`);
      const events = event.events.map((e) =>
        withHistogramCounts(numbersBack(e, '') as StreamedTrainingEvent),
      );
      return { type: 'training-events', events };
    }
    case 'stopped':
      return { type: 'stopped', done: numbersBack(event.done, '') as DoneEvent };
    default:
      return event;
  }
}
