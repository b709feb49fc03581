// The Compare view's config table: each run config flattened to dotted fields, one row per field,
// marked where the runs disagree.

export interface DiffRow {
  field: string;
  values: string[]; // one per run, '—' where a run has no such field
  differs: boolean;
}

/** Leaves of a JSON value as `a.b.c → text`; arrays count as leaves. */
export function flatten(
  value: unknown,
  prefix = '',
  out: Map<string, string> = new Map(),
): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value))
      flatten(inner, prefix === '' ? key : `${prefix}.${key}`, out);
  } else if (prefix !== '') {
    out.set(prefix, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return out;
}

/** Every field of any config, in first-seen order, with whether the configs disagree on it. */
export function diffConfigs(configs: readonly unknown[]): DiffRow[] {
  const flat = configs.map((c) => flatten(c));
  const fields: string[] = [];
  const seen = new Set<string>();
  for (const f of flat) {
    for (const key of f.keys()) {
      if (!seen.has(key)) {
        seen.add(key);
        fields.push(key);
      }
    }
  }
  return fields.map((field) => {
    const values = flat.map((f) => f.get(field) ?? '—');
    return { field, values, differs: values.some((v) => v !== values[0]) };
  });
}
