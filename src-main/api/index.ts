// The API contract's public surface: methods with their schemas, result and event types, errors,
// and run-config validation. The renderer imports types from here; bindings import `dispatch`.

export * from './contract';
export * from './errors';
export * from './schemas';
export * from './types';
export * from './validate-run-config';
export * from './transport';
