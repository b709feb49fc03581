// The Playground: pick a checkpoint (or the live model of a training run) for each of two panes,
// type a prompt, set the sampling, and watch the text stream in.

import type { CheckpointInfo, MethodInput, RunSummary, StudioEvent } from '../../../src-main/api';
import { messageOf } from '../transport/api-error';
import { transport } from './api';

/** "ckpt:12" for a checkpoint, "live:3" for a training run's current weights, "" for none. */
export type ModelChoice = string;

export interface Pane {
  choice: ModelChoice;
  generationId: string | null;
  text: string;
  tokens: number;
  running: boolean;
  error: string | null;
  startedAt: number;
  tokensPerSecond: number | null;
}

/** The sampling settings: what a generation takes besides the model it runs. */
export type Sampling = Omit<MethodInput<'generation.start'>, 'checkpointId' | 'runId' | 'generationId'>;

export function parseChoice(choice: ModelChoice): { checkpointId: number } | { runId: number } | null {
  const [kind, id] = choice.split(':');
  const n = Number(id);
  if (!Number.isInteger(n) || n <= 0) return null;
  if (kind === 'ckpt') return { checkpointId: n };
  if (kind === 'live') return { runId: n };
  return null;
}

const emptyPane = (): Pane => ({
  choice: '',
  generationId: null,
  text: '',
  tokens: 0,
  running: false,
  error: null,
  startedAt: 0,
  tokensPerSecond: null,
});

export class PlaygroundState {
  runs = $state<RunSummary[]>([]);
  checkpoints = $state<Record<number, CheckpointInfo[]>>({});
  loading = $state(false);
  error = $state<string | null>(null);
  sampling = $state<Sampling>({
    prompt: 'Chapter 1',
    maxTokens: 200,
    temperature: 0.8,
    topK: 40,
    topP: 0.95,
    seed: 1,
  });
  panes = $state<Pane[]>([emptyPane()]);
  private counter = 0;

  get liveRuns(): RunSummary[] {
    return this.runs.filter((r) => r.status === 'running');
  }

  async load(): Promise<void> {
    this.loading = true;
    try {
      const t = transport();
      const runs = await t.call('runs.list', {});
      const lists = await Promise.all(runs.map((r) => t.call('checkpoints.list', { runId: r.id })));
      this.runs = runs;
      this.checkpoints = Object.fromEntries(runs.map((r, i) => [r.id, lists[i].filter((c) => c.finite)]));
      for (const pane of this.panes) {
        if (pane.choice === '') pane.choice = this.defaultChoice();
      }
      this.error = null;
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.loading = false;
    }
  }

  /** The best checkpoint of the newest run that has one. */
  defaultChoice(): ModelChoice {
    for (const run of this.runs) {
      const list = this.checkpoints[run.id] ?? [];
      const pick = list.find((c) => c.best) ?? list.at(-1);
      if (pick !== undefined) return `ckpt:${pick.id}`;
    }
    const live = this.liveRuns[0];
    return live === undefined ? '' : `live:${live.id}`;
  }

  setSideBySide(on: boolean): void {
    if (on && this.panes.length === 1) this.panes.push({ ...emptyPane(), choice: this.panes[0].choice });
    if (!on && this.panes.length === 2) {
      void this.cancel(1);
      this.panes = this.panes.slice(0, 1);
    }
  }

  async generate(): Promise<void> {
    await Promise.all(this.panes.map((_, i) => this.generateIn(i)));
  }

  private async generateIn(index: number): Promise<void> {
    const pane = this.panes[index];
    const source = parseChoice(pane.choice);
    if (source === null) {
      pane.error = 'Choose a checkpoint or a training run first.';
      return;
    }
    if (pane.running) await this.cancel(index);
    const generationId = `gen-${Date.now()}-${++this.counter}`;
    Object.assign(pane, {
      ...emptyPane(),
      choice: pane.choice,
      generationId,
      running: true,
      startedAt: Date.now(),
    });
    try {
      await transport().call('generation.start', {
        ...$state.snapshot(this.sampling),
        ...source,
        generationId,
      });
    } catch (err) {
      if (pane.generationId === generationId) {
        pane.running = false;
        pane.error = messageOf(err);
      }
    }
  }

  async cancel(index: number): Promise<void> {
    const pane = this.panes[index];
    if (pane?.generationId === null || pane === undefined || !pane.running) return;
    await transport().call('generation.cancel', { generationId: pane.generationId });
  }

  handle(event: StudioEvent): void {
    if (event.type !== 'generation') return;
    const pane = this.panes.find((p) => p.generationId === event.generationId);
    if (pane === undefined) return;
    pane.text += event.text;
    // Each message carries the text since the last one but the count so far (and an error's
    // closing message a count of 0), so the count is the largest seen, not a sum.
    pane.tokens = Math.max(pane.tokens, event.tokens);
    const seconds = (Date.now() - pane.startedAt) / 1000;
    if (seconds > 0) pane.tokensPerSecond = pane.tokens / seconds;
    if (event.done) {
      pane.running = false;
      pane.error = event.error;
    }
  }
}

export const playground = new PlaygroundState();
