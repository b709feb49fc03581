// Dotted paths to the number and text values of a run config ("train.schedule.lr"), the names the
// service reports a field's problems under, and reading and writing the value a path names.

import type { RunConfig } from '../../../src-main/api';

/** Whether T is exactly V: a literal union such as 'ts' | 'wasm' is not any string. */
type Same<T, V> = [T] extends [V] ? ([V] extends [T] ? true : false) : false;

/**
 * The dotted paths to the values of type V inside T. They go through nested objects, sections that
 * may be null included (a form shows their fields only while the section is there), and through a
 * union of objects only by the keys every member has, so a path names a value in each of them.
 */
export type PathTo<T, V> = {
  [K in keyof T & string]: Same<T[K], V> extends true
    ? K
    : NonNullable<T[K]> extends readonly unknown[]
      ? never
      : NonNullable<T[K]> extends object
        ? `${K}.${PathTo<NonNullable<T[K]>, V>}`
        : never;
}[keyof T & string];

export type NumberPath = PathTo<RunConfig, number>;
export type TextPath = PathTo<RunConfig, string>;
export type ConfigPath = NumberPath | TextPath;

/** The object that holds the value `path` names, and the value's key in it. */
function holderOf(config: RunConfig, path: ConfigPath): { holder: Record<string, unknown>; key: string } {
  const keys = path.split('.');
  let holder: Record<string, unknown> = config;
  for (const key of keys.slice(0, -1)) {
    const section = holder[key];
    if (typeof section !== 'object' || section === null)
      throw new Error(`The run config has no "${key}" section to hold ${path}.`);
    holder = section as Record<string, unknown>;
  }
  return { holder, key: keys[keys.length - 1] };
}

/** The value at `path`: a number (null while its input is empty) or a string. */
export function valueAt(config: RunConfig, path: ConfigPath): number | string | null {
  const { holder, key } = holderOf(config, path);
  return holder[key] as number | string | null;
}

/**
 * Writes what an input bound to `path` holds. An emptied number input holds null, which is kept so
 * the service reports the field as required rather than the form inventing a number.
 */
export function setValueAt(config: RunConfig, path: ConfigPath, value: number | string | null): void {
  const { holder, key } = holderOf(config, path);
  holder[key] = value;
}
