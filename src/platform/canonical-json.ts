export type CanonicalValue = string | null | CanonicalValue[] | { [key: string]: CanonicalValue };

/**
 * Writes JSON text by hand rather than through an object, so that every own key counts
 * (including "__proto__", which a plain object would swallow) and keys are ordered by
 * UTF-16 code units (a plain object would put integer-like keys first).
 */
export function canonicalJson(value: CanonicalValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const v = value[key];
    if (v !== undefined) parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}
