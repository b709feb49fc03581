// The one error the metrics throw: an argument out of its allowed range. It names the argument,
// the value received and what is allowed, so the caller's bug is found from the message alone.

export class MetricArgumentError extends Error {
  override name = 'MetricArgumentError';
  constructor(
    readonly argument: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`${argument} = ${String(value)}; allowed: ${allowed}`);
  }
}

/** Throws MetricArgumentError unless `ok`. */
export function ensure(ok: boolean, argument: string, value: unknown, allowed: string): void {
  if (!ok) throw new MetricArgumentError(argument, value, allowed);
}
