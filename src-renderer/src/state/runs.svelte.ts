// Every run, for the Runs table: loaded once, then kept current by run events (a training run's
// step, losses and throughput follow its progress reports); search, status filter and the row actions.

import type { RunStatus, RunSummary, StudioEvent } from '../../../src-main/api';
import { transport } from './api';
import { LoadedList } from './loaded-list.svelte';

export type RunAction = 'start' | 'pause' | 'resume' | 'stop' | 'delete' | 'duplicate';
export type StatusFilter = 'all' | 'active' | RunStatus;

/** How each action reads on its button, in the runs table and on the run's page. */
export const ACTION_LABEL: Record<RunAction, string> = {
  start: 'Start',
  pause: 'Pause',
  resume: 'Resume',
  stop: 'Stop',
  duplicate: 'Duplicate…',
  delete: 'Delete',
};

const ACTIVE: readonly RunStatus[] = ['created', 'queued', 'running', 'paused', 'stopping'];

/** Which actions make sense for a run in this status (the service refuses the others). */
export function actionsFor(status: RunStatus): RunAction[] {
  switch (status) {
    case 'created':
      return ['start', 'duplicate', 'delete'];
    case 'queued':
      return ['stop', 'duplicate'];
    case 'running':
      return ['pause', 'stop', 'duplicate'];
    case 'paused':
      return ['resume', 'stop', 'duplicate'];
    case 'stopping':
      return ['duplicate'];
    case 'stopped':
    case 'failed':
    case 'interrupted':
      return ['resume', 'duplicate', 'delete'];
    case 'completed':
      return ['duplicate', 'delete'];
  }
}

export function matches(run: RunSummary, search: string, status: StatusFilter): boolean {
  if (status === 'active' ? !ACTIVE.includes(run.status) : status !== 'all' && run.status !== status)
    return false;
  const q = search.trim().toLowerCase();
  if (q === '') return true;
  return run.name.toLowerCase().includes(q) || run.tags.some((t) => t.toLowerCase().includes(q));
}

export class RunsState extends LoadedList<RunSummary> {
  search = $state('');
  status = $state<StatusFilter>('all');
  busy = $state<Record<number, boolean>>({});

  get filtered(): RunSummary[] {
    return this.items.filter((r) => matches(r, this.search, this.status));
  }

  protected fetchItems(): Promise<RunSummary[]> {
    return transport().call('runs.list', {});
  }

  handle(event: StudioEvent): void {
    switch (event.type) {
      case 'run-changed': {
        const i = this.items.findIndex((r) => r.id === event.run.id);
        if (i >= 0) this.items[i] = event.run;
        else this.items.unshift(event.run);
        return;
      }
      case 'run-deleted':
        this.items = this.items.filter((r) => r.id !== event.runId);
        return;
      case 'run-update': {
        const progress = event.update.progress;
        if (progress === null) return;
        const run = this.items.find((r) => r.id === event.runId);
        // An action's answer (HTTP) can overtake events the WebSocket still holds: a report older
        // than the step already shown is stale, and the step never runs backwards on screen.
        if (run !== undefined && progress.step >= run.step) {
          run.step = progress.step;
          run.tokensSeen = progress.tokensSeen;
          // A null (not finite) value keeps the last one, as the stored run does.
          if (progress.loss !== null) run.lastTrainLoss = progress.loss;
          if (progress.tokensPerSecond !== null) run.tokensPerSecond = progress.tokensPerSecond;
        }
        for (const e of event.update.evals) {
          if (run !== undefined && e.valLoss !== null) {
            run.lastValLoss = e.valLoss;
            if (run.bestValLoss === null || e.valLoss < run.bestValLoss) run.bestValLoss = e.valLoss;
          }
        }
        return;
      }
      case 'dataset-import':
      case 'dataset-deleted':
      case 'generation':
        return;
    }
  }

  /**
   * Runs an action on a run and applies its answer at once (the event that follows says the same).
   * Returns the run as it now is, or null after delete. Throws the API's error. Duplicate is no
   * call: it opens the New-run form filled from the run, to change before anything is created.
   */
  async act(id: number, action: Exclude<RunAction, 'duplicate'>): Promise<RunSummary | null> {
    this.busy[id] = true;
    try {
      if (action === 'delete') {
        await transport().call('runs.delete', { id });
        this.handle({ type: 'run-deleted', runId: id });
        return null;
      }
      const run = await transport().call(`runs.${action}`, { id });
      this.handle({ type: 'run-changed', run });
      return run;
    } finally {
      delete this.busy[id];
    }
  }
}

export const runs = new RunsState();
