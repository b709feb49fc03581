// Typed errors of the model: bad arguments (with the field, the value and what is allowed) and
// calls made in an order the model cannot serve.

export class ModelInputError extends Error {
  override name = 'ModelInputError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`${field} = ${String(value)} is not allowed: ${allowed}`);
  }
}

export class ModelStateError extends Error {
  override name = 'ModelStateError';
}
