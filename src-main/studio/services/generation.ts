// Text generation: from a training run's live worker, or from a checkpoint in a one-shot worker.
// Each generation has an id; its text streams to subscribers as `generation` events until done,
// cancelled, or ended by an error.

import { randomUUID } from 'node:crypto';
import { StudioError } from '../../api';
import type { ValidInput } from '../../api';
import type { GenerateCommand } from '../../../src-worker/protocol';
import { requireCheckpoint, requireRun } from '../lookups';
import type { GenerationEvent, RequestErrorEvent } from '../run-manager';
import type { EngineHandle } from '../engine-handle';
import type { HandlersOf, StudioContext } from './context';

interface GenerationJob {
  generationId: string;
  client: EngineHandle;
  requestId: number;
  tokens: number; // generated so far, for the event that ends it with an error
}

/** What a generation samples from: exactly one of a training run and a checkpoint. */
function generationTarget({
  checkpointId,
  runId,
}: ValidInput<'generation.start'>):
  { kind: 'run'; runId: number } | { kind: 'checkpoint'; checkpointId: number } {
  if (runId !== undefined && checkpointId === undefined) return { kind: 'run', runId };
  if (checkpointId !== undefined && runId === undefined) return { kind: 'checkpoint', checkpointId };
  throw new StudioError(
    'invalid-input',
    'Give either checkpointId (a checkpoint) or runId (a training run).',
    [{ field: 'checkpointId', message: 'give exactly one of checkpointId and runId' }],
  );
}

export class Generations {
  readonly handlers: HandlersOf<'generation'>;
  private readonly jobs = new Map<string, GenerationJob>();

  constructor(private readonly ctx: StudioContext) {
    this.handlers = {
      'generation.start': async (i) => this.start(i),
      'generation.cancel': async ({ generationId }) => {
        const job = this.jobs.get(generationId);
        if (job === undefined) return { cancelled: false };
        job.client.send({ type: 'cancel-generation', generationRequestId: job.requestId });
        return { cancelled: true };
      },
    };
  }

  /** Routes a worker's generation text (or a request's error) to its generation; false if unknown. */
  route(client: EngineHandle, event: GenerationEvent | RequestErrorEvent): boolean {
    const job = [...this.jobs.values()].find((j) => j.client === client && j.requestId === event.requestId);
    if (job === undefined) return false;
    if (event.type === 'error') {
      this.end(job.generationId, event.error.message);
      return true;
    }
    if (event.done) this.jobs.delete(job.generationId);
    job.tokens = event.tokens;
    this.ctx.emit({
      type: 'generation',
      generationId: job.generationId,
      text: event.text,
      tokens: event.tokens,
      done: event.done,
      cancelled: event.cancelled,
      error: null,
    });
    return true;
  }

  private start(i: ValidInput<'generation.start'>): { generationId: string } {
    const target = generationTarget(i);
    const generationId = i.generationId ?? randomUUID();
    if (this.jobs.has(generationId)) {
      throw new StudioError('conflict', `A generation with id ${generationId} is running already.`);
    }
    const options = {
      maxTokens: i.maxTokens,
      seed: i.seed,
      temperature: i.temperature,
      topK: i.topK,
      topP: i.topP,
    };
    let client: EngineHandle;
    let source: GenerateCommand['source'];
    if (target.kind === 'run') {
      const live = this.ctx.manager.liveClient(target.runId);
      if (live === null) {
        throw new StudioError(
          'conflict',
          `Run ${target.runId} is not training now; generate from one of its checkpoints.`,
        );
      }
      client = live;
      source = { kind: 'live' };
    } else {
      const c = requireCheckpoint(this.ctx.store, target.checkpointId);
      const worker = this.ctx.workers.start(
        (event) => {
          if (event.type === 'generation' || event.type === 'error') this.route(worker, event);
        },
        () => this.end(generationId, 'The generation worker ended before it finished.'),
      );
      client = worker;
      source = {
        kind: 'checkpoint',
        path: c.path,
        backend: requireRun(this.ctx.store, c.runId).spec.backend,
      };
    }
    const requestId = client.send({ type: 'generate', source, prompt: i.prompt, options });
    this.jobs.set(generationId, { generationId, client, requestId, tokens: 0 });
    return { generationId };
  }

  private end(generationId: string, error: string): void {
    const job = this.jobs.get(generationId);
    if (job === undefined) return;
    this.jobs.delete(generationId);
    this.ctx.emit({
      type: 'generation',
      generationId,
      text: '',
      tokens: job.tokens,
      done: true,
      cancelled: false,
      error,
    });
  }
}
