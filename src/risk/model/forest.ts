/**
 * A trained tree ensemble in the one flat layout every part of the model pipeline shares:
 * the learner writes it, the XGBoost importer writes it, inference, explanations and the
 * registry read it. All trees' nodes live in the same typed arrays (no per-node objects),
 * so a forest is a handful of buffers that score without allocation.
 *
 * A row is a `Float64Array` of the forest's features in order; `NaN` is a missing value.
 * At an internal node `n`, a row goes left when `x[feature[n]] < threshold[n]`, right when
 * it is greater or equal, and to `defaultLeft[n] ? left : right` when it is missing. A
 * leaf has `feature[n] === -1` and contributes `value[n]`. The margin of a row is
 * `baseMargin` plus the sum of its leaves over all trees; the probability is the logistic
 * of the margin (binary log-loss).
 */

export const FOREST_FORMAT = 'bulwark-forest/1';

export interface Forest {
  /** Feature names, in the order of a row's columns. */
  readonly features: readonly string[];
  /** Added to the sum of the leaves (log-odds of the base rate, for log-loss). */
  readonly baseMargin: number;
  /** Index of each tree's root node in the node arrays; trees are stored one after the other. */
  readonly roots: Int32Array;
  /** Split feature of each node, or -1 for a leaf. */
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  /** Absolute node index of each internal node's children (-1 for a leaf). */
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** 1 when a missing value goes left. */
  readonly defaultLeft: Uint8Array;
  /** Leaf value (margin contribution); for internal nodes the cover-weighted mean of its leaves. */
  readonly value: Float64Array;
  /** Sum of hessians (for log-loss, p(1-p)) of the training rows that reached the node. */
  readonly cover: Float64Array;
}

export class ForestFormatError extends Error {
  constructor(
    /** Where the problem is: a field name, `feature[12]`, `tree 3`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ForestFormatError';
  }
}

/** Number of nodes in the forest. */
export function nodeCount(f: Forest): number {
  return f.feature.length;
}

/**
 * Checks a forest's structure: equal array lengths, children inside the forest and after
 * their parent within the same tree, split features that exist, finite leaves. Throws
 * `ForestFormatError` naming the first problem; a forest that passes cannot loop or read
 * outside its arrays when scored.
 */
export function validateForest(f: Forest): void {
  const n = f.feature.length;
  if (!Array.isArray(f.features) || f.features.length === 0)
    throw new ForestFormatError('features', 'at least one feature is required');
  const seen = new Set<string>();
  for (const name of f.features) {
    if (typeof name !== 'string' || name.length === 0)
      throw new ForestFormatError('features', 'feature names must be non-empty strings');
    if (seen.has(name)) throw new ForestFormatError('features', `feature "${name}" appears twice`);
    seen.add(name);
  }
  if (!Number.isFinite(f.baseMargin)) throw new ForestFormatError('baseMargin', 'must be a finite number');
  for (const [name, arr] of [
    ['threshold', f.threshold],
    ['left', f.left],
    ['right', f.right],
    ['defaultLeft', f.defaultLeft],
    ['value', f.value],
    ['cover', f.cover],
  ] as const) {
    if (arr.length !== n)
      throw new ForestFormatError(name, `has ${arr.length} entries, expected ${n} (one per node)`);
  }
  if (f.roots.length === 0) throw new ForestFormatError('roots', 'the forest has no trees');
  for (let t = 0; t < f.roots.length; t++) {
    const start = f.roots[t] ?? -1;
    const end = t + 1 < f.roots.length ? (f.roots[t + 1] ?? -1) : n;
    if (start < 0 || start >= n || end <= start || end > n)
      throw new ForestFormatError(
        `roots[${t}]`,
        `tree ${t} spans nodes ${start}..${end - 1}, outside 0..${n - 1}`,
      );
    for (let i = start; i < end; i++) {
      const feat = f.feature[i] ?? -1;
      if (feat === -1) {
        if (!Number.isFinite(f.value[i] ?? Number.NaN))
          throw new ForestFormatError(`value[${i}]`, `leaf of tree ${t} has no finite value`);
        continue;
      }
      if (feat < 0 || feat >= f.features.length)
        throw new ForestFormatError(
          `feature[${i}]`,
          `split on feature ${feat}, the forest has ${f.features.length}`,
        );
      if (Number.isNaN(f.threshold[i] ?? Number.NaN))
        throw new ForestFormatError(`threshold[${i}]`, 'split threshold is not a number');
      for (const [side, child] of [
        ['left', f.left[i] ?? -1],
        ['right', f.right[i] ?? -1],
      ] as const) {
        if (child <= i || child >= end)
          throw new ForestFormatError(
            `${side}[${i}]`,
            `child ${child} is not a later node of tree ${t} (${start}..${end - 1})`,
          );
      }
    }
  }
}

/** The margin (log-odds) of one row. */
export function predictMargin(f: Forest, x: Float64Array): number {
  const { roots, feature, threshold, left, right, defaultLeft, value } = f;
  let margin = f.baseMargin;
  for (let t = 0; t < roots.length; t++) {
    let n = roots[t] as number;
    let feat = feature[n] as number;
    while (feat !== -1) {
      const v = x[feat] as number;
      n =
        v < (threshold[n] as number)
          ? (left[n] as number)
          : v >= (threshold[n] as number)
            ? (right[n] as number)
            : defaultLeft[n]
              ? (left[n] as number)
              : (right[n] as number);
      feat = feature[n] as number;
    }
    margin += value[n] as number;
  }
  return margin;
}

export function sigmoid(margin: number): number {
  return 1 / (1 + Math.exp(-margin));
}

/** Probability of the positive class for one row (before calibration). */
export function predictProbability(f: Forest, x: Float64Array): number {
  return sigmoid(predictMargin(f, x));
}
