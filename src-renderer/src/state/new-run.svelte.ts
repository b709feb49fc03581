// The New run form: a run config being edited, checked by the service as it changes (each field's
// message; the parameter, memory and time-per-step estimate), and create (+ start).

import type {
  Estimate,
  FieldProblem,
  RunChoices,
  RunConfig,
  RunDetail,
  StepTimeEstimate,
  TorchEngineInfo,
} from '../../../src-main/api';
import { formatDuration } from '../lib/format';
import { runConfigWarnings } from '../lib/run-config-warnings';
import type { ConfigWarning } from '../lib/run-config-warnings';
import { ApiError, messageOf } from '../transport/api-error';
import { transport } from './api';

export type Preset = 'tiny' | 'small' | 'custom';

/**
 * A duration for an estimate, two significant digits below a minute so nothing real reads as zero:
 * 0.00042 → "0.42 ms", 0.0123 → "12 ms", 1.44 → "1.4 s", 45.2 → "45 s", 5400 → "1 h 30 min".
 */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds >= 59.5) return formatDuration(seconds);
  // 0.9996 s rounds to "1 s", not "1000 ms".
  const [value, unit] = seconds < 0.9995 ? [seconds * 1000, 'ms'] : [seconds, 's'];
  return `${value >= 10 ? Math.round(value) : Number(value.toPrecision(2))} ${unit}`;
}

/** Problems keyed by field path; several messages for one field are joined. */
export function problemsByField(problems: readonly FieldProblem[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of problems)
    out[p.field] = out[p.field] === undefined ? p.message : `${out[p.field]}; ${p.message}`;
  return out;
}

export type FormStatus = 'checking' | 'problems' | 'ready';

type OptimizerKind = RunConfig['train']['optimizer']['kind'];
type ScheduleKind = RunConfig['train']['schedule']['kind'];
/** The settings the form switches (to what runs.choices says). */
type SwitchedSetting = 'optimizer' | 'schedule' | 'earlyStopping' | 'samples';

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
  /** The person typed a name: it stays when the dataset or preset changes (until then it follows them). */
  nameEdited = $state(false);
  /** The PyTorch engine's environment check (asked when the engine is chosen), or null before it. */
  torch = $state<TorchEngineInfo | null>(null);
  checkingTorch = $state(false);
  /** The threads a builtin config had, given back when the engine goes from pytorch to builtin. */
  private builtinThreads = 1;
  private validateTimer: ReturnType<typeof setTimeout> | null = null;
  private validation = 0;
  /** Counts each setting's switches: one still waiting for the service gives way to a later one. */
  private switches: Record<SwitchedSetting, number> = {
    optimizer: 0,
    schedule: 0,
    earlyStopping: 0,
    samples: 0,
  };

  /** The time per step (the service's estimate), or null while there is no estimate. */
  get stepTime(): StepTimeEstimate | null {
    return this.estimate?.stepTime ?? null;
  }

  /** Legal values that are almost surely wrong; shown beside their fields, never blocking. */
  get warnings(): ConfigWarning[] {
    if (this.config === null) return [];
    const time = this.stepTime;
    return runConfigWarnings(this.config, {
      totalSeconds: time?.known === true ? time.totalSeconds : null,
      valTokens: this.estimate?.valTokens ?? null,
      trainTokens: this.estimate?.trainTokens ?? null,
    });
  }

  /** Fields with a problem (several messages for one field count once). */
  get problemCount(): number {
    return Object.keys(this.problems).length;
  }

  /** One answer for the whole form: a check under way hides the previous check's problems. */
  get status(): FormStatus {
    if (this.validating) return 'checking';
    return this.problemCount > 0 ? 'problems' : 'ready';
  }

  /** Starts from the defaults for a dataset, or from another run's config. */
  async begin(datasetId: number | null, fromRunId: number | null): Promise<void> {
    this.loading = true;
    this.loadError = null;
    this.submitError = null;
    this.problems = {};
    this.nameEdited = false;
    try {
      const t = transport();
      if (fromRunId !== null) {
        const run = await t.call('runs.get', { id: fromRunId });
        if (run.config === null)
          throw new Error(`Run "${run.name}" was started from a terminal and has no studio config to copy.`);
        this.config = { ...run.config, name: `${run.config.name} (copy)` };
        this.preset = 'custom';
        this.nameEdited = true; // the copy's name says whose copy it is, whatever it trains on
        if (this.config.engine === 'pytorch') void this.checkTorch(false);
      } else if (datasetId !== null) {
        this.config = await t.call('runs.defaults', { datasetId, preset: 'tiny' });
        this.preset = 'tiny';
      } else {
        this.config = null;
      }
      if (this.config !== null) this.validateNow();
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
    this.config = { ...defaults, name: this.nameEdited ? this.config.name : defaults.name };
    this.preset = preset;
    this.validateNow();
  }

  /**
   * Another dataset: a preset's shape and batch come from its defaults again (they depend on its
   * size); a custom config keeps its values. The name follows the dataset until it is edited.
   */
  async chooseDataset(datasetId: number): Promise<void> {
    if (this.config === null) return;
    if (this.preset !== 'custom') return this.applyDefaults(datasetId, this.preset);
    this.config.datasetId = datasetId;
    if (!this.nameEdited) {
      const defaults = await transport().call('runs.defaults', { datasetId, preset: 'tiny' });
      if (this.config !== null && !this.nameEdited)
        this.config.name = defaults.name.replace(/ · tiny$/, ' · custom');
    }
    this.validateNow();
  }

  /**
   * The engine: each keeps only its own settings (threads for builtin; device and processes for
   * pytorch), so the config never carries a setting its engine would refuse.
   */
  chooseEngine(engine: 'builtin' | 'pytorch'): void {
    const config = this.config;
    if (config === null || (config.engine ?? 'builtin') === engine) return;
    if (engine === 'pytorch') {
      this.builtinThreads = config.threads;
      config.threads = 1; // the default, which a pytorch run leaves alone (it runs processes instead)
      config.engine = 'pytorch';
      config.device = 'auto';
      void this.checkTorch(false);
    } else {
      delete config.engine;
      delete config.device;
      delete config.processes;
      config.threads = this.builtinThreads;
    }
    this.validateNow();
  }

  /** Another optimizer, with its default settings; the weight decay typed is kept. */
  async chooseOptimizer(kind: OptimizerKind): Promise<void> {
    await this.switchOn('optimizer', (config, choices) => {
      config.train.optimizer = {
        ...choices.optimizers[kind],
        weightDecay: config.train.optimizer.weightDecay,
      };
    });
  }

  /** Another schedule over the same range; step decay gets the default interval and factor. */
  async chooseSchedule(kind: ScheduleKind): Promise<void> {
    await this.switchOn('schedule', (config, choices) => {
      const { lr, minLr, warmupSteps, totalSteps } = config.train.schedule;
      const base = { lr, minLr, warmupSteps, totalSteps };
      config.train.schedule = kind === 'step' ? { kind, ...base, ...choices.stepDecay } : { kind, ...base };
    });
  }

  /** Early stopping on (with `patience`, or the default where null) or off. */
  async setEarlyStopping(on: boolean, patience: number | null): Promise<void> {
    if (!on) return this.switchOff('earlyStopping', (config) => (config.train.earlyStopping = null));
    await this.switchOn('earlyStopping', (config, choices) => {
      config.train.earlyStopping = {
        ...choices.earlyStopping,
        patience: patience ?? choices.earlyStopping.patience,
      };
    });
  }

  /** Samples while training: the dataset's default policy, or none. */
  async setSamples(on: boolean): Promise<void> {
    if (!on) return this.switchOff('samples', (config) => (config.samples = null));
    await this.switchOn('samples', (config, choices) => (config.samples = choices.samples));
  }

  /**
   * A switch to a setting the config does not have yet: what it starts from is the service's (the
   * run defaults, for this dataset and length), so the form writes no default of its own.
   */
  private async switchOn(
    setting: SwitchedSetting,
    apply: (config: RunConfig, choices: RunChoices) => void,
  ): Promise<void> {
    const config = this.config;
    if (config === null) return;
    const ticket = ++this.switches[setting];
    try {
      const choices = await transport().call('runs.choices', {
        datasetId: config.datasetId,
        steps: config.train.schedule.totalSteps,
      });
      if (ticket !== this.switches[setting] || this.config !== config) return;
      apply(config, choices);
      this.changed();
    } catch (err) {
      if (ticket === this.switches[setting]) this.submitError = messageOf(err);
    }
  }

  /** A switch that turns a setting off: nothing to ask, and a switch on still waiting is dropped. */
  private switchOff(setting: SwitchedSetting, apply: (config: RunConfig) => void): void {
    if (this.config === null) return;
    this.switches[setting]++;
    apply(this.config);
    this.changed();
  }

  /** Asks the studio whether Python with torch is there (fresh: again, after installing it). */
  async checkTorch(fresh: boolean): Promise<void> {
    this.checkingTorch = true;
    try {
      this.torch = await transport().call('engines.pytorch', { fresh });
    } catch (err) {
      this.torch = {
        available: false,
        python: '',
        summary: messageOf(err),
        devices: { cuda: [], mps: false },
      };
    } finally {
      this.checkingTorch = false;
    }
  }

  /** Called after every edit: checks the config a moment after the typing stops. */
  changed(): void {
    if (this.validateTimer !== null) clearTimeout(this.validateTimer);
    // A refusal counted the fields of the config before this edit; the check under way recounts.
    this.submitError = null;
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

  /**
   * Checks the config as it is now, in place of a check still waiting or under way, so the fields'
   * messages, the estimate and a refusal all describe this one config; then creates the run (and
   * starts it). Returns null, with each field's message shown, when the run was not created.
   */
  async submit(): Promise<RunDetail | null> {
    if (this.config === null) return null;
    if (this.validateTimer !== null) clearTimeout(this.validateTimer);
    this.validateTimer = null;
    this.validation++; // a check under way answers for an older config
    this.validating = false;
    this.submitting = true;
    this.submitError = null;
    const config = $state.snapshot(this.config);
    try {
      const t = transport();
      const report = await t.call('runs.validate', { config });
      this.problems = problemsByField(report.problems);
      this.estimate = report.estimate;
      if (report.problems.length > 0) return this.refused();
      const run = await t.call('runs.create', { config });
      if (this.startNow) await t.call('runs.start', { id: run.id });
      return run;
    } catch (err) {
      if (err instanceof ApiError && err.problems.length > 0) {
        this.problems = problemsByField(err.problems);
        return this.refused();
      }
      this.submitError = messageOf(err);
      return null;
    } finally {
      this.submitting = false;
    }
  }

  private refused(): null {
    const n = this.problemCount;
    this.submitError = `The run was not created: ${n} field${n === 1 ? ' needs' : 's need'} attention, each marked in the form.`;
    return null;
  }
}

export const newRun = new NewRunState();
