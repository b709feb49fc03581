// worker_threads entry of the engine: takes WorkerCommands from the studio's main process and runs
// one session — a training run (with live generations), a dataset import, or one generation —
// posting WorkerEvents back: batched training events, acknowledged state changes, heartbeats.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { exportCheckpoint } from './checkpoint/export-checkpoint';
import { importCorpus } from './data/corpus';
import type { Tokenizer } from './data/tokenizer';
import { tokenizerFromJSON } from './data/tokenizer-json';
import { trainTokenizer } from './data/train-tokenizer';
import { createBackend } from './math/backends';
import { generate, generateTokens } from './model/generate';
import type { Gpt } from './model/gpt';
import { PROTOCOL_VERSION, serializeError, unreachable } from './protocol';
import type {
  CheckpointTrigger,
  DatasetImportPhase,
  GenerateCommand,
  ImportDatasetCommand,
  StreamedTrainingEvent,
  TrainCommand,
  TrainState,
  WorkerBootData,
  WorkerCommand,
  WorkerEvent,
} from './protocol';
import { loadInferenceModel, resumeRun } from './train/checkpointing';
import type { EvalEvent } from './train/events';
import { runTraining } from './train/loop';
import { RunCheckpoints } from './train/run-checkpoints';
import { prepareRun } from './train/setup';
import type { PreparedRun } from './train/setup';

/** A generation posts what it has at most this often, so the UI gets text without a flood. */
const GENERATION_FLUSH_MS = 50;
/** How many of the dataset's most frequent tokens its statistics list. */
const TOP_TOKENS = 20;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Every message leaves through here. Training events wait in a batch posted every flushMs; any
 * other message first flushes the batch, so the main side sees events in the order they happened
 * (the evaluation of step N before the checkpoint of step N).
 */
class Outbox {
  private batch: StreamedTrainingEvent[] = [];
  private closed = false;

  constructor(private readonly port: MessagePort) {}

  push(event: StreamedTrainingEvent): void {
    this.batch.push(event);
  }

  flush(): void {
    if (this.batch.length === 0 || this.closed) return;
    const events = this.batch;
    this.batch = [];
    this.port.postMessage({ type: 'training-events', events } satisfies WorkerEvent);
  }

  post(event: WorkerEvent): void {
    if (this.closed) return;
    this.flush();
    this.port.postMessage(event);
  }

  close(): void {
    this.flush();
    this.closed = true;
  }
}

/** One training run: prepare or restore, train, and obey pause / resume / stop between steps. */
class TrainingSession {
  private prepared: PreparedRun | null = null;
  private checkpoints: RunCheckpoints | null = null;
  private state: TrainState = 'preparing';
  private pauseRequested = false;
  private stopRequested = false;
  /** Commands answered by the next state event. */
  private pendingAcks: number[] = [];
  private wake: (() => void) | null = null;
  private savedStep = -1;
  private savedTrigger: CheckpointTrigger | null = null;
  private lastEval: EvalEvent | null = null;
  private samplePrompt: Int32Array | null = null;

  constructor(
    private readonly cmd: TrainCommand,
    private readonly out: Outbox,
  ) {}

  get step(): number | null {
    return this.prepared?.trainer.step ?? null;
  }

  /** The live model and its tokenizer, once prepared. */
  get live(): { model: Gpt; tokenizer: Tokenizer } | null {
    return this.prepared === null
      ? null
      : { model: this.prepared.trainer.model, tokenizer: this.prepared.tokenizer };
  }

  async run(): Promise<void> {
    const cmd = this.cmd;
    this.postState([cmd.requestId]);
    const run = await this.prepare();
    this.prepared = run;
    try {
      await mkdir(cmd.checkpointDir, { recursive: true });
      const folder = await RunCheckpoints.open(cmd.checkpointDir, cmd.checkpoints.retention, {
        runId: run.runId,
        step: run.trainer.step,
      });
      this.checkpoints = folder.checkpoints;
      // A resumed run's checkpoint exists already: stopping at once must not write it again.
      if (cmd.resumeFrom !== null) this.savedStep = run.trainer.step;
      this.samplePrompt = this.encodeSamplePrompt(run.tokenizer);
      const trainer = run.trainer;
      this.out.post({
        type: 'started',
        info: {
          step: trainer.step,
          totalSteps: run.spec.train.steps,
          resumedFrom: cmd.resumeFrom,
          modelConfig: { ...run.modelConfig },
          parameters: trainer.model.parameterCount,
          trainTokens: run.trainTokens,
          valTokens: run.valTokens,
          corpus: run.corpus,
          tokenizer: { kind: run.tokenizer.kind, vocabSize: run.tokenizer.vocabSize },
          engineBytes: trainer.engineBytes,
        },
      });
      if (!this.stopRequested) this.setState('running');

      const done = await runTraining(trainer, {
        onEvent: (event) => {
          if (event.kind !== 'done') this.out.push(event);
        },
        shouldStop: () => this.stopRequested,
        waitIfPaused: () => this.waitIfPaused(),
        afterStep: async (report, evaluation) => {
          if (evaluation !== null) this.lastEval = evaluation;
          const policy = cmd.checkpoints;
          const periodic = policy.every > 0 && report.step % policy.every === 0;
          const best = policy.onBest && evaluation !== null && evaluation.best;
          if (periodic || best) await this.save(periodic ? 'periodic' : 'best');
          const samples = cmd.samples;
          if (samples !== null && samples.every > 0 && report.step % samples.every === 0) this.sample();
        },
        beforeDone: async (reason, finalEvaluation) => {
          if (finalEvaluation !== null) this.lastEval = finalEvaluation;
          // A run that ends on a step whose periodic or best checkpoint is already written writes it
          // again as the stop's or the final one (with the final evaluation's loss), so the list
          // shows where each run ended. A pause's checkpoint stays the pause's: a paused run that
          // the app stops on quitting comes back paused.
          const scheduledHere = this.savedTrigger === 'periodic' || this.savedTrigger === 'best';
          if (this.savedStep !== trainer.step || scheduledHere)
            await this.save(reason === 'stopped' ? 'stop' : 'final');
        },
      });
      this.out.post({ type: 'stopped', done });
    } finally {
      await run.release(); // the data-parallel replicas' threads end with the run
    }
  }

  pause(requestId: number): void {
    if (this.state === 'paused' || this.stopRequested) {
      this.postState([requestId]);
      return;
    }
    this.pauseRequested = true;
    this.pendingAcks.push(requestId);
  }

  resume(requestId: number): void {
    this.pauseRequested = false;
    this.pendingAcks.push(requestId);
    if (this.wake !== null) this.wake();
    // Not paused yet (the pause was still pending): nothing changes but both are answered.
    else this.postState(this.takeAcks());
  }

  stop(requestId: number): void {
    this.stopRequested = true;
    this.pendingAcks.push(requestId);
    this.setState('stopping');
    if (this.wake !== null) this.wake();
  }

  private async prepare(): Promise<PreparedRun> {
    const { spec, resumeFrom, tokenizerPath } = this.cmd;
    // The main side validated the spec; on resume it may change only what resuming allows.
    if (resumeFrom !== null) return resumeRun(resumeFrom, () => spec);
    if (tokenizerPath === null) return prepareRun(spec);
    const tokenizer = tokenizerFromJSON(await readFile(tokenizerPath, 'utf8'));
    return prepareRun(spec, { tokenizer });
  }

  private async waitIfPaused(): Promise<void> {
    if (!this.pauseRequested || this.stopRequested) return;
    const trainer = (this.prepared as PreparedRun).trainer;
    // Pausing writes a checkpoint, so a pause outlives the app: after a restart the run resumes here.
    if (this.savedStep !== trainer.step) await this.save('pause');
    if (!this.pauseRequested || this.stopRequested) return; // resumed or stopped during the write
    this.setState('paused');
    await new Promise<void>((resolve) => {
      this.wake = resolve;
    });
    this.wake = null;
    if (!this.stopRequested) this.setState('running');
  }

  private async save(trigger: CheckpointTrigger): Promise<void> {
    const run = this.prepared as PreparedRun;
    const step = run.trainer.step;
    const valLoss = this.lastEval !== null && this.lastEval.step === step ? this.lastEval.valLoss : null;
    const { saved, removed } = await (this.checkpoints as RunCheckpoints).save(run, valLoss);
    this.savedStep = step;
    this.savedTrigger = trigger;
    this.out.post({
      type: 'checkpoint-written',
      checkpoint: {
        path: saved.path,
        step: saved.step,
        bytes: saved.bytes,
        sha256: saved.sha256,
        valLoss: saved.valLoss,
        finite: saved.finite,
      },
      trigger,
      removed,
    });
  }

  /** The sample prompt's ids, or null (with a non-fatal error) when the tokenizer cannot encode it. */
  private encodeSamplePrompt(tokenizer: Tokenizer): Int32Array | null {
    const samples = this.cmd.samples;
    if (samples === null || samples.every === 0) return null;
    try {
      const ids = tokenizer.encode(samples.prompt);
      if (ids.length > 0) return ids;
      throw new RangeError('The sample prompt is empty; give it at least one character.');
    } catch (err) {
      this.out.post({ type: 'error', requestId: null, fatal: false, error: serializeError(err) });
      return null;
    }
  }

  private sample(): void {
    const samples = this.cmd.samples;
    const run = this.prepared;
    if (samples === null || run === null || this.samplePrompt === null) return;
    const decoder = run.tokenizer.streamDecoder();
    let text = '';
    const ids = generate(run.trainer.model, this.samplePrompt, samples, (id) => {
      text += decoder.push(id);
    });
    text += decoder.flush();
    this.out.post({
      type: 'sample',
      step: run.trainer.step,
      prompt: samples.prompt,
      text,
      tokens: ids.length,
    });
  }

  private setState(state: TrainState): void {
    this.state = state;
    this.postState(this.takeAcks());
  }

  private postState(acks: number[]): void {
    this.out.post({ type: 'state', state: this.state, step: this.step ?? 0, acks });
  }

  private takeAcks(): number[] {
    const acks = this.pendingAcks;
    this.pendingAcks = [];
    return acks;
  }
}

/** Streams generated text in chunks; stops early when its request id is cancelled. */
async function runGeneration(
  cmd: GenerateCommand,
  model: Gpt,
  tokenizer: Tokenizer,
  out: Outbox,
  cancelled: Set<number>,
): Promise<void> {
  const decoder = tokenizer.streamDecoder();
  const ids = generateTokens(model, tokenizer.encode(cmd.prompt), cmd.options);
  let text = '';
  let tokens = 0;
  let lastPost = performance.now();
  let stopped = false;
  for (const id of ids) {
    text += decoder.push(id);
    tokens += 1;
    if (performance.now() - lastPost >= GENERATION_FLUSH_MS) {
      out.post({ type: 'generation', requestId: cmd.requestId, text, tokens, done: false, cancelled: false });
      text = '';
      lastPost = performance.now();
      await yieldToEventLoop(); // lets a cancel (or a training step) in
      if (cancelled.has(cmd.requestId)) {
        stopped = true;
        break;
      }
    }
  }
  text += decoder.flush();
  cancelled.delete(cmd.requestId);
  out.post({ type: 'generation', requestId: cmd.requestId, text, tokens, done: true, cancelled: stopped });
}

/** Reads the corpus, builds its tokenizer, counts tokens and writes corpus.txt and tokenizer.json. */
async function importDataset(cmd: ImportDatasetCommand, out: Outbox): Promise<void> {
  const progress = (phase: DatasetImportPhase): void =>
    out.post({ type: 'dataset-progress', requestId: cmd.requestId, phase });
  progress('reading');
  const corpus = await importCorpus(cmd.source);
  progress('tokenizer');
  await yieldToEventLoop();
  const tokenizer = trainTokenizer(cmd.tokenizer, corpus.text);
  progress('encoding');
  await yieldToEventLoop();
  const ids = tokenizer.encode(corpus.text);
  const counts = new Float64Array(tokenizer.vocabSize);
  for (let i = 0; i < ids.length; i++) counts[ids[i]] += 1;
  const topTokens = Array.from(counts.keys())
    .filter((id) => counts[id] > 0)
    .sort((a, b) => counts[b] - counts[a] || a - b)
    .slice(0, TOP_TOKENS)
    .map((id) => ({ id, text: tokenizer.decodeToken(id), count: counts[id] }));
  progress('writing');
  await mkdir(cmd.outDir, { recursive: true });
  const corpusPath = join(cmd.outDir, 'corpus.txt');
  const tokenizerPath = join(cmd.outDir, 'tokenizer.json');
  await writeAtomically(corpusPath, corpus.text);
  await writeAtomically(tokenizerPath, JSON.stringify(tokenizer));
  out.post({
    type: 'dataset-imported',
    requestId: cmd.requestId,
    dataset: {
      stats: corpus.stats,
      tokenizer: { kind: tokenizer.kind, vocabSize: tokenizer.vocabSize },
      tokens: ids.length,
      corpusPath,
      tokenizerPath,
      topTokens,
    },
  });
}

/** A reader never sees half a file: the text goes to a temp name and is renamed into place. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}-${threadId}.tmp`;
  await writeFile(temp, text, { encoding: 'utf8', flush: true });
  await rename(temp, path);
}

function main(): void {
  if (parentPort === null) throw new Error('worker.ts runs only as a worker_threads worker.');
  const port = parentPort;
  const boot = workerData as WorkerBootData;
  const out = new Outbox(port);
  const cancelled = new Set<number>();
  let training: TrainingSession | null = null;
  let busy = false; // a one-shot session (import or generation) is running

  const flushTimer = setInterval(() => out.flush(), boot.flushMs);
  const heartbeatTimer = setInterval(
    () => out.post({ type: 'heartbeat', step: training?.step ?? null }),
    boot.heartbeatMs,
  );
  /** Ends the session: the last events go out, the timers stop and the thread exits. */
  const finish = (): void => {
    clearInterval(flushTimer);
    clearInterval(heartbeatTimer);
    out.close();
    port.close();
  };
  const fail = (requestId: number | null, fatal: boolean) => (err: unknown) => {
    out.post({ type: 'error', requestId, fatal, error: serializeError(err) });
    if (fatal) finish();
  };
  /** Runs a one-shot job; the worker exits after it unless it serves a training run. */
  const oneShot = (job: () => Promise<void>, requestId: number): void => {
    busy = true;
    job()
      .catch(fail(requestId, false))
      .finally(() => {
        busy = false;
        if (training === null) finish();
      });
  };
  const noRun = (requestId: number, what: string): void =>
    fail(requestId, false)(new Error(`Cannot ${what}: this worker is not training a run.`));

  const handle = (cmd: WorkerCommand): void => {
    switch (cmd.type) {
      case 'train': {
        if (training !== null || busy) {
          fail(
            cmd.requestId,
            false,
          )(new Error('This worker is busy; each run trains in a worker of its own.'));
          return;
        }
        const session = new TrainingSession(cmd, out);
        training = session;
        session.run().then(finish, fail(null, true));
        return;
      }
      case 'pause':
        if (training === null) noRun(cmd.requestId, 'pause');
        else training.pause(cmd.requestId);
        return;
      case 'resume':
        if (training === null) noRun(cmd.requestId, 'resume');
        else training.resume(cmd.requestId);
        return;
      case 'stop':
        if (training === null) noRun(cmd.requestId, 'stop');
        else training.stop(cmd.requestId);
        return;
      case 'generate': {
        const source = cmd.source;
        if (source.kind === 'live') {
          const live = training?.live ?? null;
          if (live === null) {
            noRun(cmd.requestId, 'generate from the live model');
            return;
          }
          runGeneration(cmd, live.model, live.tokenizer, out, cancelled).catch(fail(cmd.requestId, false));
          return;
        }
        oneShot(async () => {
          const loaded = await loadInferenceModel(source.path, await createBackend(source.backend));
          if (loaded.tokenizer === null) {
            throw new Error(
              `${source.path} has no tokenizer.json beside it, so its tokens cannot be turned into text.`,
            );
          }
          await runGeneration(cmd, loaded.model, loaded.tokenizer, out, cancelled);
        }, cmd.requestId);
        return;
      }
      case 'cancel-generation':
        cancelled.add(cmd.generationRequestId);
        return;
      case 'import-dataset':
        oneShot(() => importDataset(cmd, out), cmd.requestId);
        return;
      case 'export-checkpoint':
        oneShot(async () => {
          const result = await exportCheckpoint(cmd);
          out.post({ type: 'checkpoint-exported', requestId: cmd.requestId, result });
        }, cmd.requestId);
        return;
      default:
        unreachable(cmd, 'worker command');
    }
  };

  port.on('message', (cmd: WorkerCommand) => handle(cmd));
  out.post({ type: 'ready', protocolVersion: PROTOCOL_VERSION, threadId });
}

main();
