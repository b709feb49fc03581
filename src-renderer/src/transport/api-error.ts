// An API failure as the renderer sees it, whichever transport carried it: the contract's error
// code, the message, and for bad input the problem of each field.

import type { FieldProblem, StudioErrorCode } from '../../../src-main/api';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: StudioErrorCode | 'unreachable',
    message: string,
    readonly problems: readonly FieldProblem[] = [],
  ) {
    super(message);
  }
}

/** A message for any thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
