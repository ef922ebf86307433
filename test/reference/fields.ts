/**
 * Reading fields of a parsed CloudTrail record for the reference evaluator (CloudTrail User Guide, "CloudTrail record
 * contents"): nested paths, presence, and the JSON-valued fields that exports sometimes hold as text.
 */

export type CloudTrailEvent = Record<string, unknown>;

export function at(event: unknown, ...path: string[]): unknown {
  let v: unknown = event;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** A field is present when it is neither missing, null nor the empty string (exports write "" for absent fields). */
export function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

/** The field as text when present, else null (numbers and booleans as their JSON text, as a string column holds them). */
function text(v: unknown): string | null {
  if (!present(v)) return null;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export const str = (event: CloudTrailEvent, ...path: string[]): string | null => text(at(event, ...path));

/** requestParameters etc. are JSON objects in the record, or JSON text in exports that flattened them. */
export function objectOf(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** Every string (and number) value anywhere inside a JSON value: what "the request names X" looks at. */
function leaves(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
  else if (Array.isArray(v)) for (const x of v) leaves(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) leaves(x, out);
  return out;
}

export const names = (v: unknown, needle: string): boolean => leaves(objectOf(v)).some((s) => s.includes(needle));
