/**
 * A forest as JSON, for the model registry and for files: the node arrays as plain number
 * arrays under the format tag `FOREST_FORMAT`. Reading one back trusts nothing: every field
 * is checked for presence, type and length before the forest is built, and the result must
 * pass `validateForest`, so a truncated upload or a hand-edited file fails with a
 * `ForestFormatError` naming the field instead of scoring garbage.
 *
 * JSON has no infinities, and a split that sends only missing values one way has the
 * threshold −∞ (every present value is ≥ it); non-finite thresholds are written as the
 * strings "Infinity" and "-Infinity".
 */
import { FOREST_FORMAT, type Forest, ForestFormatError, validateForest } from './forest.ts';

export interface ForestJson {
  format: typeof FOREST_FORMAT;
  features: string[];
  baseMargin: number;
  roots: number[];
  feature: number[];
  threshold: Array<number | 'Infinity' | '-Infinity'>;
  left: number[];
  right: number[];
  defaultLeft: number[];
  value: number[];
  cover: number[];
}

export function forestToJSON(f: Forest): ForestJson {
  return {
    format: FOREST_FORMAT,
    features: [...f.features],
    baseMargin: f.baseMargin,
    roots: Array.from(f.roots),
    feature: Array.from(f.feature),
    threshold: Array.from(f.threshold, (t) =>
      Number.isFinite(t) ? t : t > 0 ? ('Infinity' as const) : ('-Infinity' as const),
    ),
    left: Array.from(f.left),
    right: Array.from(f.right),
    defaultLeft: Array.from(f.defaultLeft),
    value: Array.from(f.value),
    cover: Array.from(f.cover),
  };
}

function field(raw: Record<string, unknown>, name: string): unknown {
  if (!(name in raw)) throw new ForestFormatError(name, 'is missing');
  return raw[name];
}

function numberArray(raw: Record<string, unknown>, name: string): unknown[] {
  const v = field(raw, name);
  if (!Array.isArray(v)) throw new ForestFormatError(name, 'must be an array of numbers');
  return v;
}

/** An array of integers in [lo, hi], as an Int32Array. */
function intArray(raw: Record<string, unknown>, name: string, lo: number, hi: number): Int32Array {
  const v = numberArray(raw, name);
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi)
      throw new ForestFormatError(
        `${name}[${i}]`,
        `must be an integer from ${lo} to ${hi}, got ${JSON.stringify(x)}`,
      );
    out[i] = x;
  }
  return out;
}

/** An array of finite numbers, as a Float64Array. */
function finiteArray(raw: Record<string, unknown>, name: string): Float64Array {
  const v = numberArray(raw, name);
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x))
      throw new ForestFormatError(`${name}[${i}]`, `must be a finite number, got ${JSON.stringify(x)}`);
    out[i] = x;
  }
  return out;
}

/**
 * Reads a forest written by `forestToJSON` (an object, or its JSON text already parsed).
 * Throws `ForestFormatError` naming the first wrong field.
 */
export function forestFromJSON(raw: unknown): Forest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ForestFormatError('forest', 'must be a JSON object');
  const o = raw as Record<string, unknown>;
  const format = field(o, 'format');
  if (format !== FOREST_FORMAT)
    throw new ForestFormatError('format', `must be "${FOREST_FORMAT}", got ${JSON.stringify(format)}`);
  const features = field(o, 'features');
  if (!Array.isArray(features) || features.some((x) => typeof x !== 'string'))
    throw new ForestFormatError('features', 'must be an array of feature names');
  const baseMargin = field(o, 'baseMargin');
  if (typeof baseMargin !== 'number' || !Number.isFinite(baseMargin))
    throw new ForestFormatError('baseMargin', 'must be a finite number');
  const maxIndex = 2 ** 31 - 1;
  const feature = intArray(o, 'feature', -1, features.length - 1);
  const thresholds = numberArray(o, 'threshold');
  const threshold = new Float64Array(thresholds.length);
  for (let i = 0; i < thresholds.length; i++) {
    const t = thresholds[i];
    if (t === 'Infinity') threshold[i] = Number.POSITIVE_INFINITY;
    else if (t === '-Infinity') threshold[i] = Number.NEGATIVE_INFINITY;
    else if (typeof t === 'number' && Number.isFinite(t)) threshold[i] = t;
    else
      throw new ForestFormatError(
        `threshold[${i}]`,
        `must be a finite number, "Infinity" or "-Infinity", got ${JSON.stringify(t)}`,
      );
  }
  const defaultLeft = Uint8Array.from(intArray(o, 'defaultLeft', 0, 1));
  const cover = finiteArray(o, 'cover');
  for (let i = 0; i < cover.length; i++) {
    if ((cover[i] as number) < 0) throw new ForestFormatError(`cover[${i}]`, 'must not be negative');
  }
  const forest: Forest = {
    features: [...(features as string[])],
    baseMargin,
    roots: intArray(o, 'roots', 0, maxIndex),
    feature,
    threshold,
    left: intArray(o, 'left', -1, maxIndex),
    right: intArray(o, 'right', -1, maxIndex),
    defaultLeft,
    value: finiteArray(o, 'value'),
    cover,
  };
  validateForest(forest);
  return forest;
}

/**
 * Checks that a forest was built for the features a caller will give it, in the same
 * order (a row is positional: the forest reads column i as its feature i). Throws
 * `ForestFormatError` listing the missing and the extra features, or the first position
 * where the order differs.
 */
export function assertFeatures(forest: Forest, expected: readonly string[]): void {
  const modelHas = new Set(forest.features);
  const callerHas = new Set(expected);
  // Missing: the model reads them, the caller does not give them. Extra: the other way round.
  const missing = forest.features.filter((f) => !callerHas.has(f));
  const extra = expected.filter((f) => !modelHas.has(f));
  if (missing.length > 0 || extra.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing: ${missing.join(', ')}`);
    if (extra.length > 0) parts.push(`extra: ${extra.join(', ')}`);
    throw new ForestFormatError('features', `the model was built for other features (${parts.join('; ')})`);
  }
  if (expected.length !== forest.features.length)
    throw new ForestFormatError('features', 'a feature name appears twice in the expected list');
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] !== forest.features[i])
      throw new ForestFormatError(
        'features',
        `the model reads "${forest.features[i]}" at position ${i}, the caller gives "${expected[i]}"`,
      );
  }
}
