// JSON value types for the parts of a checkpoint header the trainer owns, and a runtime check
// that turns any plain object (an interface-typed config, say) into a JsonObject or says why not.

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Returns `value` typed as a JsonObject after checking that JSON keeps it exactly: plain objects,
 * arrays, strings, booleans, null and finite numbers only. TypeScript interfaces are not
 * assignable to an index-signature type, so the trainer passes its configs through this; the
 * check also stops NaN (which JSON.stringify silently turns into null) from reaching a file.
 * Throws a TypeError naming the first offending path, e.g. `trainConfig.schedule.lr`.
 */
export function toJsonObject(value: object, what: string): JsonObject {
  const problem = jsonProblem(value, what);
  if (problem !== null) throw new TypeError(problem);
  return value as JsonObject;
}

/** The first reason `value` would not survive JSON.stringify → JSON.parse unchanged, or null. */
export function jsonProblem(value: unknown, path: string): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : `${path} is ${value}; JSON can only hold finite numbers`;
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const p = jsonProblem(value[i], `${path}[${i}]`);
          if (p !== null) return p;
        }
        return null;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        return `${path} is a ${value.constructor.name}, not a plain object; JSON would not keep it`;
      }
      for (const [key, v] of Object.entries(value)) {
        const p = jsonProblem(v, `${path}.${key}`);
        if (p !== null) return p;
      }
      return null;
    }
    default:
      return `${path} is ${typeof value}; JSON cannot hold it`;
  }
}
