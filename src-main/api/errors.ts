// The one error type the API raises: a code a binding maps to its transport (and the renderer
// switches on), a message a person can act on, and, for bad input, the problem of each field.
// Zod's issues become field problems here, and only here.

import type { z } from 'zod';

export type StudioErrorCode =
  | 'invalid-input' // the payload does not fit the method's schema
  | 'invalid-config' // a run config breaks a rule (per-field problems)
  | 'unknown-method'
  | 'not-found' // no dataset, run or checkpoint with that id
  | 'conflict' // not possible in the current state (delete a training run, pause a stopped one)
  | 'failed'; // the operation was attempted and failed (a worker error, a damaged file)

export interface FieldProblem {
  field: string; // dotted path, e.g. "train.schedule.lr"
  message: string;
}

export class StudioError extends Error {
  override name = 'StudioError';
  constructor(
    readonly code: StudioErrorCode,
    message: string,
    readonly problems: readonly FieldProblem[] = [],
  ) {
    super(message);
  }

  /** The error as plain data, for a transport. */
  toJSON(): { name: string; code: StudioErrorCode; message: string; problems: FieldProblem[] } {
    return { name: this.name, code: this.code, message: this.message, problems: [...this.problems] };
  }
}

/** "a: must …; b: must …" for a message that lists field problems. */
export function describeProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join('; ');
}

/** Zod's issues as field problems: the dotted path of each, or `root` for the value as a whole. */
export function problemsOf(error: z.ZodError, root: string): FieldProblem[] {
  return error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || root,
    message: issue.message,
  }));
}

/** `payload` parsed by `schema`, or an invalid-input StudioError naming `what` and each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, payload: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(payload ?? {});
  if (parsed.success) return parsed.data;
  const problems = problemsOf(parsed.error, '(input)');
  throw new StudioError(
    'invalid-input',
    `Invalid input for ${what}: ${describeProblems(problems)}`,
    problems,
  );
}
