// The New run form: a run config being edited, checked by the service as it changes (each field's
// message, the parameter and memory estimate), a time-per-step estimate measured on this machine,
// and create (+ start).

import type { Estimate, FieldProblem, RunConfig, RunDetail } from '../../../src-main/api';
import { ApiError, messageOf } from '../transport/api-error';
import { transport } from './api';

export type Preset = 'tiny' | 'small' | 'custom';

/** A measured training speed: floating-point operations per second of a past run here. */
export interface SpeedReference {
  runName: string;
  flopsPerSecond: number;
}

/** Forward + backward cost of one optimizer step: about 6 · parameters · tokens (Kaplan et al.). */
export function stepFlops(parameters: number, config: RunConfig): number {
  const t = config.train;
  return 6 * parameters * t.batchSize * t.seqLen * t.gradAccumSteps;
}

/** Problems keyed by field path; several messages for one field are joined. */
export function problemsByField(problems: readonly FieldProblem[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of problems)
    out[p.field] = out[p.field] === undefined ? p.message : `${out[p.field]}; ${p.message}`;
  return out;
}

export class NewRunState {
  config = $state<RunConfig | null>(null);
  preset = $state<Preset>('tiny');
  loading = $state(false);
  loadError = $state<string | null>(null);
  problems = $state<Record<string, string>>({});
  estimate = $state<Estimate | null>(null);
  validating = $state(false);
  submitting = $state(false);
  submitError = $state<string | null>(null);
  startNow = $state(true);
  speed = $state<SpeedReference | null>(null);
  private validateTimer: ReturnType<typeof setTimeout> | null = null;
  private validation = 0;

  get secondsPerStep(): number | null {
    if (this.speed === null || this.estimate === null || this.config === null) return null;
    return stepFlops(this.estimate.parameters, this.config) / this.speed.flopsPerSecond;
  }

  get valid(): boolean {
    return Object.keys(this.problems).length === 0 && !this.validating;
  }

  /** Starts from the defaults for a dataset, or from another run's config. */
  async begin(datasetId: number | null, fromRunId: number | null): Promise<void> {
    this.loading = true;
    this.loadError = null;
    this.submitError = null;
    this.problems = {};
    try {
      const t = transport();
      if (fromRunId !== null) {
        const run = await t.call('runs.get', { id: fromRunId });
        if (run.config === null)
          throw new Error(`Run "${run.name}" was started from a terminal and has no studio config to copy.`);
        this.config = { ...run.config, name: `${run.config.name} (copy)` };
        this.preset = 'custom';
      } else if (datasetId !== null) {
        this.config = await t.call('runs.defaults', { datasetId, preset: 'tiny' });
        this.preset = 'tiny';
      } else {
        this.config = null;
      }
      if (this.config !== null) this.validateNow();
      void this.measureSpeed();
    } catch (err) {
      this.loadError = messageOf(err);
    } finally {
      this.loading = false;
    }
  }

  /** A preset or another dataset: the model shape and batch come from the service's defaults. */
  async applyDefaults(datasetId: number, preset: 'tiny' | 'small'): Promise<void> {
    if (this.config === null) return;
    const defaults = await transport().call('runs.defaults', { datasetId, preset });
    this.config = {
      ...defaults,
      name: this.config.name.startsWith(defaults.name.split(' · ')[0]) ? defaults.name : this.config.name,
    };
    this.preset = preset;
    this.validateNow();
  }

  /** Called after every edit: checks the config a moment after the typing stops. */
  changed(): void {
    if (this.validateTimer !== null) clearTimeout(this.validateTimer);
    this.validating = true;
    this.validateTimer = setTimeout(() => this.validateNow(), 250);
  }

  validateNow(): void {
    if (this.validateTimer !== null) clearTimeout(this.validateTimer);
    this.validateTimer = null;
    const config = this.config;
    if (config === null) return;
    const ticket = ++this.validation;
    this.validating = true;
    transport()
      .call('runs.validate', { config: $state.snapshot(config) })
      .then((report) => {
        if (ticket !== this.validation) return;
        this.problems = problemsByField(report.problems);
        this.estimate = report.estimate;
      })
      .catch((err: unknown) => {
        if (ticket === this.validation) this.submitError = messageOf(err);
      })
      .finally(() => {
        if (ticket === this.validation) this.validating = false;
      });
  }

  /** Creates the run (and starts it); on invalid input shows each field's message and returns null. */
  async submit(): Promise<RunDetail | null> {
    if (this.config === null) return null;
    this.submitting = true;
    this.submitError = null;
    try {
      const t = transport();
      const run = await t.call('runs.create', { config: $state.snapshot(this.config) });
      if (this.startNow) await t.call('runs.start', { id: run.id });
      return run;
    } catch (err) {
      if (err instanceof ApiError && err.problems.length > 0) {
        this.problems = problemsByField(err.problems);
        this.submitError = `The run was not created: ${err.problems.length} field${err.problems.length === 1 ? ' needs' : 's need'} attention.`;
      } else {
        this.submitError = messageOf(err);
      }
      return null;
    } finally {
      this.submitting = false;
    }
  }

  /** The newest run here with a studio config and a recorded speed gives the FLOP rate. */
  private async measureSpeed(): Promise<void> {
    try {
      const t = transport();
      const recent = await t.call('runs.list', { limit: 10 });
      for (const run of recent) {
        if (run.step === 0) continue;
        const [detail, series] = await Promise.all([
          t.call('runs.get', { id: run.id }),
          t.call('metrics.series', { runIds: [run.id], keys: ['perf/tokens_per_second'], maxPoints: 16 }),
        ]);
        const points = series[0]?.points ?? [];
        const tokensPerSecond = points.at(-1)?.value;
        if (detail.config === null || tokensPerSecond === undefined || !(tokensPerSecond > 0)) continue;
        const report = await t.call('runs.validate', { config: detail.config });
        if (report.estimate === null) continue;
        this.speed = { runName: run.name, flopsPerSecond: 6 * report.estimate.parameters * tokensPerSecond };
        return;
      }
    } catch {
      // No measurement: the form says the time per step is not known yet.
    }
  }
}

export const newRun = new NewRunState();
