// Proves TreeSHAP: the contributions plus the expected value add up to the margin on random forests and rows with missing values, they equal Shapley values computed by brute force over every feature subset on hand-built trees (repeated features, missing values), and the top contributions come sorted by magnitude.
import { describe, expect, it } from 'vitest';
import { type Forest, predictMargin, validateForest } from '../../../src/risk/model/forest.ts';
import { Prng, trainSync } from '../../../src/risk/model/gbdt.ts';
import { contributions, topContributions } from '../../../src/risk/model/shap.ts';

interface NodeSpec {
  feature: number;
  threshold: number;
  defaultLeft: boolean;
  left?: NodeSpec;
  right?: NodeSpec;
  value: number;
  cover: number;
}

/** Flattens trees (preorder, children after their parent) into a Forest. */
function forestOf(features: string[], baseMargin: number, trees: NodeSpec[]): Forest {
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const defaultLeft: number[] = [];
  const value: number[] = [];
  const cover: number[] = [];
  const roots: number[] = [];
  const add = (n: NodeSpec): number => {
    const i = feature.length;
    const leaf = n.left === undefined || n.right === undefined;
    feature.push(leaf ? -1 : n.feature);
    threshold.push(leaf ? 0 : n.threshold);
    defaultLeft.push(n.defaultLeft ? 1 : 0);
    value.push(n.value);
    cover.push(n.cover);
    left.push(-1);
    right.push(-1);
    if (!leaf && n.left && n.right) {
      left[i] = add(n.left);
      right[i] = add(n.right);
    }
    return i;
  };
  for (const t of trees) roots.push(add(t));
  const f: Forest = {
    features,
    baseMargin,
    roots: Int32Array.from(roots),
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    defaultLeft: Uint8Array.from(defaultLeft),
    value: Float64Array.from(value),
    cover: Float64Array.from(cover),
  };
  validateForest(f);
  return f;
}

/** A random tree: features may repeat along a path, covers add up, values are the cover-weighted means. */
function randomTree(rng: Prng, features: number, depth: number): NodeSpec {
  if (depth === 0 || rng.next() < 0.15) {
    return {
      feature: -1,
      threshold: 0,
      defaultLeft: false,
      value: rng.next() * 2 - 1,
      cover: 1 + rng.next() * 20,
    };
  }
  const l = randomTree(rng, features, depth - 1);
  const r = randomTree(rng, features, depth - 1);
  const cover = l.cover + r.cover;
  return {
    feature: Math.floor(rng.next() * features),
    threshold: rng.next(),
    defaultLeft: rng.next() < 0.5,
    left: l,
    right: r,
    value: (l.value * l.cover + r.value * r.cover) / cover,
    cover,
  };
}

function randomRow(rng: Prng, features: number, missing: number): Float64Array {
  return Float64Array.from({ length: features }, () => (rng.next() < missing ? Number.NaN : rng.next()));
}

/**
 * The value of a set of known features for one tree: the tree's output with the features
 * of `known` set to the row's values and the others averaged out by cover (the paper's
 * EXPVALUE, whose Shapley values TreeSHAP computes).
 */
function conditional(f: Forest, node: number, x: Float64Array, known: Set<number>): number {
  const feat = f.feature[node] as number;
  if (feat === -1) return f.value[node] as number;
  const l = f.left[node] as number;
  const r = f.right[node] as number;
  if (known.has(feat)) {
    const v = x[feat] as number;
    const t = f.threshold[node] as number;
    const goLeft = v < t ? true : v >= t ? false : f.defaultLeft[node] === 1;
    return conditional(f, goLeft ? l : r, x, known);
  }
  const cl = f.cover[l] as number;
  const cr = f.cover[r] as number;
  return (cl * conditional(f, l, x, known) + cr * conditional(f, r, x, known)) / (cl + cr);
}

/** Shapley values of `conditional` summed over the trees, by enumerating every subset of the other features. */
function bruteForceShapley(f: Forest, x: Float64Array): Float64Array {
  const m = f.features.length;
  const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
  const gameValue = (known: Set<number>) => {
    let s = 0;
    for (const root of f.roots) s += conditional(f, root, x, known);
    return s;
  };
  const phi = new Float64Array(m + 1);
  for (let i = 0; i < m; i++) {
    const others = Array.from({ length: m }, (_, k) => k).filter((k) => k !== i);
    for (let mask = 0; mask < 1 << others.length; mask++) {
      const s = new Set(others.filter((_, b) => (mask >> b) & 1));
      const weight = (factorial(s.size) * factorial(m - s.size - 1)) / factorial(m);
      const without = gameValue(s);
      s.add(i);
      phi[i] = (phi[i] as number) + weight * (gameValue(s) - without);
    }
  }
  phi[m] = f.baseMargin + gameValue(new Set());
  return phi;
}

const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);

describe('TreeSHAP', () => {
  it('adds up to the margin on random forests and rows with missing values', () => {
    const rng = new Prng(1);
    for (let k = 0; k < 20; k++) {
      const features = 2 + Math.floor(rng.next() * 8);
      const trees = Array.from({ length: 1 + Math.floor(rng.next() * 10) }, () =>
        randomTree(rng, features, 7),
      );
      const f = forestOf(
        Array.from({ length: features }, (_, i) => `f${i}`),
        rng.next() - 0.5,
        trees,
      );
      for (let r = 0; r < 30; r++) {
        const x = randomRow(rng, features, 0.2);
        const phi = contributions(f, x);
        expect(phi.length).toBe(features + 1);
        const margin = predictMargin(f, x);
        expect(Math.abs(sum(phi) - margin)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(margin)));
      }
    }
  });

  it('still adds up when covers do not (an imported model, a zero cover)', () => {
    const rng = new Prng(5);
    const trees = Array.from({ length: 6 }, () => randomTree(rng, 5, 6));
    const f = forestOf(['a', 'b', 'c', 'd', 'e'], 0.2, trees);
    const cover = f.cover as Float64Array;
    for (let i = 0; i < cover.length; i++)
      cover[i] = i % 7 === 0 ? 0 : (cover[i] as number) * (0.5 + rng.next());
    for (let r = 0; r < 50; r++) {
      const x = randomRow(rng, 5, 0.2);
      const margin = predictMargin(f, x);
      const phi = contributions(f, x);
      expect(phi.every(Number.isFinite)).toBe(true);
      expect(Math.abs(sum(phi) - margin)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(margin)));
    }
  });

  it('adds up to the margin on a trained forest', () => {
    const rng = new Prng(2);
    const n = 3000;
    const columns = [0, 1, 2, 3].map(() => new Float64Array(n));
    const labels = new Uint8Array(n);
    for (let r = 0; r < n; r++) {
      for (const c of columns) c[r] = rng.next() < 0.1 ? Number.NaN : rng.next();
      labels[r] = rng.next() < ((columns[0]?.[r] ?? 0.5) > 0.5 ? 0.7 : 0.2) ? 1 : 0;
    }
    const { forest } = trainSync(
      { features: ['a', 'b', 'c', 'd'], columns, labels },
      { trees: 50, maxDepth: 6 },
    );
    for (let r = 0; r < 200; r++) {
      const x = Float64Array.from(columns, (c) => c[r] as number);
      const margin = predictMargin(forest, x);
      expect(Math.abs(sum(contributions(forest, x)) - margin)).toBeLessThanOrEqual(
        1e-9 * Math.max(1, Math.abs(margin)),
      );
    }
  });

  it('equals brute-force Shapley values on a hand-built tree with a repeated feature and missing values', () => {
    // f0 is split on twice along the left path, so the algorithm must undo and redo it.
    const leaf = (value: number, cover: number): NodeSpec => ({
      feature: -1,
      threshold: 0,
      defaultLeft: false,
      value,
      cover,
    });
    const split = (
      feature: number,
      threshold: number,
      defaultLeft: boolean,
      l: NodeSpec,
      r: NodeSpec,
    ): NodeSpec => ({
      feature,
      threshold,
      defaultLeft,
      left: l,
      right: r,
      value: (l.value * l.cover + r.value * r.cover) / (l.cover + r.cover),
      cover: l.cover + r.cover,
    });
    const tree = split(
      0,
      0.5,
      true,
      split(1, 0.3, false, split(0, 0.2, false, leaf(-1.5, 10), leaf(0.25, 30)), leaf(2, 15)),
      split(2, 0.7, true, leaf(0.5, 40), split(3, 0.1, false, leaf(-0.75, 5), leaf(1.25, 25))),
    );
    const f = forestOf(['f0', 'f1', 'f2', 'f3'], -0.3, [tree]);
    const rows = [
      [0.1, 0.2, 0.9, 0.05],
      [0.3, 0.9, 0.1, 0.5],
      [0.9, 0.1, 0.8, 0.5],
      [0.9, 0.1, 0.8, 0.01],
      [Number.NaN, 0.1, Number.NaN, 0.5],
      [0.15, Number.NaN, 0.95, Number.NaN],
    ].map((r) => Float64Array.from(r));
    for (const x of rows) {
      const fast = contributions(f, x);
      const slow = bruteForceShapley(f, x);
      for (let i = 0; i < fast.length; i++) expect(fast[i]).toBeCloseTo(slow[i] as number, 12);
    }
  });

  it('equals brute-force Shapley values on random small forests', () => {
    const rng = new Prng(3);
    for (let k = 0; k < 10; k++) {
      const f = forestOf(['a', 'b', 'c', 'd', 'e'], 0.1, [randomTree(rng, 5, 5), randomTree(rng, 5, 4)]);
      for (let r = 0; r < 5; r++) {
        const x = randomRow(rng, 5, 0.25);
        const fast = contributions(f, x);
        const slow = bruteForceShapley(f, x);
        for (let i = 0; i < fast.length; i++) expect(fast[i]).toBeCloseTo(slow[i] as number, 10);
      }
    }
  });

  it('lists the top contributions by magnitude', () => {
    const rng = new Prng(4);
    const f = forestOf(
      ['a', 'b', 'c', 'd', 'e', 'f'],
      0,
      Array.from({ length: 5 }, () => randomTree(rng, 6, 6)),
    );
    const x = randomRow(rng, 6, 0);
    const phi = contributions(f, x);
    const top = topContributions(f, x, 3);
    expect(top).toHaveLength(3);
    for (let i = 1; i < top.length; i++)
      expect(Math.abs(top[i - 1]?.value ?? 0)).toBeGreaterThanOrEqual(Math.abs(top[i]?.value ?? 0));
    const byMagnitude = Array.from(phi.subarray(0, 6), (v, i) => ({ feature: f.features[i], value: v })).sort(
      (p, q) => Math.abs(q.value) - Math.abs(p.value),
    );
    expect(top).toEqual(byMagnitude.slice(0, 3));
    expect(topContributions(f, x, 10)).toHaveLength(6);
  });
});
