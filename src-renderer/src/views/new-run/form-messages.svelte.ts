// What the new-run form says at its inputs and lists beside the estimate: the last check's problems
// in the form's words (each at its input where it has one) and the warnings.

import type { FormProblem } from '../../lib/run-config-wording';
import { formProblems } from '../../lib/run-config-wording';
import { newRun } from '../../state/new-run.svelte';
import { INPUT_IDS, emptyAt } from './form-inputs';

export class FormMessages {
  /** Every problem of the last check, each at its input where it has one. */
  problems = $derived.by<FormProblem[]>(() => {
    const config = newRun.config;
    if (config === null) return [];
    return formProblems(
      Object.entries(newRun.problems).map(([field, message]) => ({ field, message })),
      INPUT_IDS,
      (field) => emptyAt(config, field),
    );
  });
  warnings = $derived(newRun.warnings);

  /** The messages shown at an input (its own problems and those shown there), or undefined. */
  error(input: string): string | undefined {
    const messages = this.problems.filter((q) => q.input === input).map((q) => q.message);
    return messages.length === 0 ? undefined : messages.join('; ');
  }

  warning(input: string): string | undefined {
    return this.warnings.find((w) => w.input === input)?.message;
  }
}
