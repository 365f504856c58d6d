/**
 * Answers from the API are untrusted input: each page states the shape it expects with
 * these decoders and gets typed values, or a DecodeError naming the first field that
 * does not fit. Nothing is cast.
 */
export type Decoder<T> = (value: unknown, path: string) => T;

export class DecodeError extends Error {
  constructor(
    readonly path: string,
    expected: string,
  ) {
    super(`${path || 'answer'}: expected ${expected}`);
    this.name = 'DecodeError';
  }
}

export function decode<T>(decoder: Decoder<T>, value: unknown): T {
  return decoder(value, '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const str: Decoder<string> = (v, path) => {
  if (typeof v !== 'string') throw new DecodeError(path, 'a string');
  return v;
};

export const num: Decoder<number> = (v, path) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new DecodeError(path, 'a number');
  return v;
};

export const bool: Decoder<boolean> = (v, path) => {
  if (typeof v !== 'boolean') throw new DecodeError(path, 'true or false');
  return v;
};

/** An integer amount of minor units as a string (may be negative for balances of some accounts). */
export const minor: Decoder<string> = (v, path) => {
  if (typeof v !== 'string' || !/^-?[0-9]{1,30}$/.test(v)) throw new DecodeError(path, 'minor units');
  return v;
};

/** A count: a number, or an integer string (64-bit counters travel as strings). */
export const count: Decoder<number> = (v, path) => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^[0-9]{1,15}$/.test(v)) return Number(v);
  throw new DecodeError(path, 'a count');
};

/** A missing member and null both read as null. */
export function nullable<T>(d: Decoder<T>): Decoder<T | null> {
  return (v, path) => (v === null || v === undefined ? null : d(v, path));
}

export function withDefault<T>(d: Decoder<T>, fallback: T): Decoder<T> {
  return (v, path) => (v === null || v === undefined ? fallback : d(v, path));
}

export function array<T>(d: Decoder<T>): Decoder<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) throw new DecodeError(path, 'a list');
    return v.map((item, i) => d(item, `${path}[${i}]`));
  };
}

type Shape = Record<string, Decoder<unknown>>;
/** A shape key "a|b" reads member a, or b when a is absent, into a. */
type FirstName<K> = K extends `${infer F}|${string}` ? F : K;
type Decoded<S extends Shape> = { [K in keyof S as FirstName<K>]: ReturnType<S[K]> };

export function object<S extends Shape>(shape: S): Decoder<Decoded<S>> {
  const fields = Object.entries(shape).map(([key, d]) => ({ names: key.split('|'), d }));
  return (v, path) => {
    if (!isRecord(v)) throw new DecodeError(path, 'an object');
    const out: Record<string, unknown> = {};
    for (const { names, d } of fields) {
      const name = names.find((n) => v[n] !== undefined && v[n] !== null) ?? names[0] ?? '';
      out[names[0] ?? ''] = d(v[name], path ? `${path}.${name}` : name);
    }
    return out as Decoded<S>;
  };
}

/** String values of an object (metadata); members of other types are left out. */
export const stringRecord: Decoder<Record<string, string>> = (v, path) => {
  if (!isRecord(v)) throw new DecodeError(path, 'an object');
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out[k] = String(value);
    }
  }
  return out;
};

export function oneOf<const T extends readonly string[]>(values: T): Decoder<T[number]> {
  return (v, path) => {
    if (typeof v !== 'string' || !values.includes(v)) throw new DecodeError(path, values.join(' | '));
    return v as T[number];
  };
}

/** The first alternative that decodes (for members a later API version renames). */
export function firstOf<T>(...decoders: Decoder<T>[]): Decoder<T> {
  return (v, path) => {
    let last: unknown;
    for (const d of decoders) {
      try {
        return d(v, path);
      } catch (err) {
        last = err;
      }
    }
    throw last instanceof DecodeError ? last : new DecodeError(path, 'a known shape');
  };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A page of a list under `key` ("items", or "a|b" for either name) with the server's cursor. */
export function page<T>(key: string, item: Decoder<T>): Decoder<Page<T>> {
  const names = key.split('|');
  return (v, path) => {
    if (!isRecord(v)) throw new DecodeError(path, 'an object');
    const name = names.find((n) => Array.isArray(v[n])) ?? names[0] ?? '';
    return {
      items: array(item)(v[name], path ? `${path}.${name}` : name),
      nextCursor: nullable(str)(v.nextCursor, path ? `${path}.nextCursor` : 'nextCursor'),
    };
  };
}
