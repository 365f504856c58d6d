// Proves the gradient-boosted tree learner: it learns XOR (depth 2) and a monotone and a separable problem, is deterministic per seed, learns where missing values go, stops early at its best round, moves with class weights, refuses bad parameters, writes forests to JSON and reads them back (refusing truncated or mismatched ones), stops on an abort signal, and its compiled scoring agrees with the reference walk.
import { describe, expect, it } from 'vitest';
import { type Forest, ForestFormatError, predictMargin, sigmoid } from '../../../src/risk/model/forest.ts';
import { assertFeatures, forestFromJSON, forestToJSON } from '../../../src/risk/model/forest-json.ts';
import { type Dataset, type GbdtParams, Prng, train, trainSync } from '../../../src/risk/model/gbdt.ts';
import { compileForest, predictMargins } from '../../../src/risk/model/infer.ts';

/** A table from a row generator: `row(rng)` returns the features and the label. */
function table(n: number, seed: number, features: string[], row: (rng: Prng) => [number[], number]): Dataset {
  const rng = new Prng(seed);
  const columns = features.map(() => new Float64Array(n));
  const labels = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const [x, y] = row(rng);
    for (let f = 0; f < features.length; f++) (columns[f] as Float64Array)[r] = x[f] as number;
    labels[r] = y;
  }
  return { features, columns, labels };
}

function rowOf(d: Dataset, r: number): Float64Array {
  return Float64Array.from(d.columns, (c) => c[r] as number);
}

function probabilities(f: Forest, d: Dataset): Float64Array {
  const out = new Float64Array(d.labels.length);
  for (let r = 0; r < out.length; r++) out[r] = sigmoid(predictMargin(f, rowOf(d, r)));
  return out;
}

function accuracy(f: Forest, d: Dataset): number {
  const p = probabilities(f, d);
  let ok = 0;
  for (let r = 0; r < p.length; r++) if ((p[r] as number) > 0.5 === (d.labels[r] === 1)) ok++;
  return ok / p.length;
}

/** Area under the ROC curve by the rank statistic (ties count half). */
function auc(scores: Float64Array, labels: Uint8Array): number {
  let pos = 0;
  let neg = 0;
  let wins = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 1) continue;
    pos++;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] === 1) continue;
      const d = (scores[i] as number) - (scores[j] as number);
      wins += d > 0 ? 1 : d === 0 ? 0.5 : 0;
    }
  }
  for (const y of labels) if (y !== 1) neg++;
  return wins / (pos * neg);
}

function meanLogLoss(f: Forest, d: Dataset): number {
  const p = probabilities(f, d);
  let s = 0;
  for (let r = 0; r < p.length; r++)
    s -= d.labels[r] === 1 ? Math.log(p[r] as number) : Math.log(1 - (p[r] as number));
  return s / p.length;
}

const xor = (n: number, seed: number) =>
  table(n, seed, ['a', 'b'], (rng) => {
    const a = rng.next();
    const b = rng.next();
    return [[a, b], a > 0.5 !== b > 0.5 ? 1 : 0];
  });

describe('learning', () => {
  it('learns XOR with depth-2 trees, and cannot with stumps', () => {
    const data = xor(4000, 1);
    const test = xor(2000, 2);
    const deep = trainSync(data, { trees: 60, maxDepth: 2, learningRate: 0.3 }).forest;
    expect(accuracy(deep, test)).toBeGreaterThan(0.98);
    const stumps = trainSync(data, { trees: 60, maxDepth: 1, learningRate: 0.3 }).forest;
    expect(accuracy(stumps, test)).toBeLessThan(0.7);
  });

  it('learns a monotone problem: the probability rises with x on a grid', () => {
    // P(y = 1 | x) = x.
    const data = table(20_000, 3, ['x', 'noise'], (rng) => {
      const x = rng.next();
      return [[x, rng.next()], rng.next() < x ? 1 : 0];
    });
    const { forest } = trainSync(data, { trees: 60, maxDepth: 3, learningRate: 0.1 });
    const grid = Array.from({ length: 10 }, (_, i) => 0.05 + 0.1 * i);
    const p = grid.map((x) => sigmoid(predictMargin(forest, Float64Array.from([x, 0.5]))));
    for (let i = 1; i < p.length; i++) expect(p[i] as number).toBeGreaterThan(p[i - 1] as number);
    expect(p[0] as number).toBeLessThan(0.2);
    expect(p[9] as number).toBeGreaterThan(0.8);
  });

  it('separates linearly separable data (AUC ≈ 1)', () => {
    const data = table(3000, 4, ['a', 'b', 'c'], (rng) => {
      const a = rng.next();
      const b = rng.next();
      return [[a, b, rng.next()], a + 2 * b > 1.5 ? 1 : 0];
    });
    const test = table(1500, 5, ['a', 'b', 'c'], (rng) => {
      const a = rng.next();
      const b = rng.next();
      return [[a, b, rng.next()], a + 2 * b > 1.5 ? 1 : 0];
    });
    const { forest } = trainSync(data, { trees: 100, maxDepth: 4, learningRate: 0.2 });
    expect(auc(probabilities(forest, test), test.labels)).toBeGreaterThan(0.998);
  });

  it('learns where missing values go: NaN exactly on the positives', () => {
    const data = table(4000, 6, ['m', 'noise'], (rng) => {
      const y = rng.next() < 0.3 ? 1 : 0;
      return [[y === 1 ? Number.NaN : rng.next() * 10, rng.next()], y];
    });
    const { forest } = trainSync(data, { trees: 30, maxDepth: 3 });
    const p = probabilities(forest, data);
    for (let r = 0; r < p.length; r++) {
      if (data.labels[r] === 1) expect(p[r] as number).toBeGreaterThan(0.9);
      else expect(p[r] as number).toBeLessThan(0.1);
    }
    // The split that does it sends missing values alone to one side (threshold −∞, missing left).
    const root = forest.roots[0] as number;
    expect(forest.feature[root]).toBe(0);
    expect(forest.threshold[root]).toBe(Number.NEGATIVE_INFINITY);
    expect(forest.defaultLeft[root]).toBe(1);
  });

  it('is exact on its training rows: the thresholds reproduce the bins', () => {
    // Many distinct values (quantile bins), integers (one bin each) and missing values.
    const data = table(30_000, 7, ['u', 'k', 'm'], (rng) => {
      const u = rng.next() ** 3 * 1000;
      const k = Math.floor(rng.next() * 12);
      const m = rng.next() < 0.2 ? Number.NaN : rng.next() - 0.5;
      const z = Math.sin(u / 50) + (k % 3) - 1 + (Number.isNaN(m) ? 1 : m);
      return [[u, k, m], rng.next() < sigmoid(2 * z) ? 1 : 0];
    });
    const { forest, report } = trainSync(data, { trees: 20, maxDepth: 5, maxBin: 32 });
    // The learner's own loss comes from the binned rows; this one from the forest's thresholds.
    expect(meanLogLoss(forest, data)).toBeCloseTo(
      report.trainLoss[report.trainLoss.length - 1] as number,
      12,
    );
  });

  it('finds the best split by brute force, on flags and small counts that share histogram bytes', () => {
    // Six low-cardinality features with missing values: the learner bundles them, and its
    // first split must still be the exact best one over every feature, cut and direction.
    const features = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'];
    const data = table(6000, 20, features, (rng) => {
      const x = features.map((_, f) =>
        rng.next() < 0.1 * (f % 3) ? Number.NaN : Math.floor(rng.next() * (2 + f)),
      );
      const z = (x[2] ?? 1) * 0.4 + (Number.isNaN(x[4] as number) ? 1.1 : 0) + (x[5] === 3 ? 0.8 : 0) - 2;
      return [x, rng.next() < sigmoid(z) ? 1 : 0];
    });
    const lambda = 1;
    const { forest } = trainSync(data, { trees: 1, maxDepth: 1, lambda, learningRate: 1, minChildWeight: 0 });
    const n = data.labels.length;
    const base = sigmoid(forest.baseMargin);
    const g = Array.from(data.labels, (y) => base - y);
    const h = base * (1 - base);
    const score = (G: number, H: number) => (G * G) / (H + lambda);
    const G = g.reduce((a, b) => a + b, 0);
    let best = { gain: 0, goesLeft: (_: number) => false };
    for (let f = 0; f < features.length; f++) {
      const col = data.columns[f] as Float64Array;
      const values = [...new Set(Array.from(col).filter((v) => !Number.isNaN(v)))].sort((a, b) => a - b);
      // Every cut between present values, plus "missing alone", each with missing on either side.
      for (let c = 0; c <= values.length; c++) {
        for (const missingLeft of [false, true]) {
          const goesLeft = (r: number) => {
            const v = col[r] as number;
            return Number.isNaN(v)
              ? missingLeft
              : c > 0 && c < values.length
                ? v < (values[c] as number)
                : false;
          };
          if (c === values.length && !missingLeft) continue;
          let GL = 0;
          let nl = 0;
          for (let r = 0; r < n; r++) {
            if (goesLeft(r)) {
              GL += g[r] as number;
              nl++;
            }
          }
          if (nl === 0 || nl === n) continue;
          const gain = score(GL, nl * h) + score(G - GL, (n - nl) * h) - score(G, n * h);
          if (gain > best.gain + 1e-9) best = { gain, goesLeft };
        }
      }
    }
    const root = forest.roots[0] as number;
    const split = forest.feature[root] as number;
    expect(split).not.toBe(-1);
    const t = forest.threshold[root] as number;
    let disagreements = 0;
    let lefts = 0;
    for (let r = 0; r < n; r++) {
      const v = (data.columns[split] as Float64Array)[r] as number;
      const left = v < t ? true : v >= t ? false : forest.defaultLeft[root] === 1;
      if (left !== best.goesLeft(r)) disagreements++;
      if (left) lefts++;
    }
    expect(disagreements).toBe(0);
    expect(lefts).toBeGreaterThan(0);
    expect(lefts).toBeLessThan(n);
  });

  it('grows leaf-wise (lossguide) within maxLeaves, and depthwise within maxDepth', () => {
    const data = xor(4000, 8);
    const lossguide = trainSync(data, {
      trees: 20,
      growPolicy: 'lossguide',
      maxLeaves: 5,
      maxDepth: 0,
    }).forest;
    const depthwise = trainSync(data, { trees: 20, maxDepth: 3 }).forest;
    const leavesPerTree = (f: Forest) =>
      Array.from(f.roots, (root, t) => {
        const end = t + 1 < f.roots.length ? (f.roots[t + 1] as number) : f.feature.length;
        let leaves = 0;
        for (let i = root; i < end; i++) if (f.feature[i] === -1) leaves++;
        return leaves;
      });
    expect(Math.max(...leavesPerTree(lossguide))).toBe(5);
    expect(Math.max(...leavesPerTree(depthwise))).toBeLessThanOrEqual(8);
    expect(Math.max(...leavesPerTree(depthwise))).toBeGreaterThan(4);
    expect(accuracy(lossguide, xor(1000, 9))).toBeGreaterThan(0.95);
  });

  it('splits the best leaf first with lossguide, not the first one created', () => {
    // a splits the root; under a = 0 a tenth of the rows (b < 0.1) are positive, under
    // a = 1 most are (b > 0.3): both children have a clean split, the right one gains more.
    const data = table(6000, 21, ['a', 'b'], (rng) => {
      const a = rng.next() < 0.5 ? 0 : 1;
      const b = rng.next();
      return [[a, b], a === 0 ? (b < 0.1 ? 1 : 0) : b > 0.3 ? 1 : 0];
    });
    const params: Partial<GbdtParams> = { trees: 1, maxLeaves: 3, minChildWeight: 0 };
    const best = trainSync(data, { ...params, growPolicy: 'lossguide', maxDepth: 0 }).forest;
    const root = best.roots[0] as number;
    expect(best.feature[root]).toBe(0);
    // The right child (a = 1) is where the gain is: it is split, the left one stays a leaf.
    expect(best.feature[best.left[root] as number]).toBe(-1);
    expect(best.feature[best.right[root] as number]).toBe(1);
    // Level by level, the left child comes first and takes the last leaf.
    const levels = trainSync(data, { ...params, growPolicy: 'depthwise', maxDepth: 2 }).forest;
    const levelsRoot = levels.roots[0] as number;
    expect(levels.feature[levels.left[levelsRoot] as number]).toBe(1);
    expect(levels.feature[levels.right[levelsRoot] as number]).toBe(-1);
  });
});

describe('determinism and sampling', () => {
  const data = table(5000, 10, ['a', 'b', 'c', 'd'], (rng) => {
    const x = [rng.next(), rng.next(), rng.next(), rng.next() < 0.1 ? Number.NaN : rng.next()];
    return [x, rng.next() < sigmoid(3 * ((x[0] as number) - (x[1] as number))) ? 1 : 0];
  });
  const arrays = (f: Forest) => [
    f.roots,
    f.feature,
    f.threshold,
    f.left,
    f.right,
    f.defaultLeft,
    f.value,
    f.cover,
  ];

  it('gives identical forests for the same seed', () => {
    const params: Partial<GbdtParams> = { trees: 15, subsample: 0.7, colsampleByTree: 0.5, seed: 42 };
    const a = trainSync(data, params).forest;
    const b = trainSync(data, params).forest;
    expect(a.baseMargin).toBe(b.baseMargin);
    const bArrays = arrays(b);
    for (const [i, arr] of arrays(a).entries()) expect(arr).toEqual(bArrays[i]);
  });

  it('gives a different forest for another seed when sampling rows', () => {
    const a = trainSync(data, { trees: 15, subsample: 0.7, seed: 1 }).forest;
    const b = trainSync(data, { trees: 15, subsample: 0.7, seed: 2 }).forest;
    expect(a.value).not.toEqual(b.value);
  });

  it('ignores rows of weight zero', () => {
    const weights = new Float64Array(data.labels.length).fill(1);
    const flipped = Uint8Array.from(data.labels);
    for (let r = 0; r < weights.length; r += 3) {
      weights[r] = 0;
      flipped[r] = 1 - (flipped[r] as number);
    }
    const a = trainSync({ ...data, weights }, { trees: 5 }).forest;
    const b = trainSync({ ...data, labels: flipped, weights }, { trees: 5 }).forest;
    expect(a.value).toEqual(b.value);
    expect(a.threshold).toEqual(b.threshold);
  });
});

describe('early stopping and class weights', () => {
  it('stops before `trees` on a noisy problem and keeps its best round', () => {
    const noisy = (n: number, seed: number) =>
      table(n, seed, ['a', 'b', 'c'], (rng) => [
        [rng.next(), rng.next(), rng.next()],
        rng.next() < 0.3 ? 1 : 0,
      ]);
    const data = noisy(3000, 11);
    const validation = noisy(3000, 12);
    const { forest, report } = trainSync(
      data,
      { trees: 300, maxDepth: 6, learningRate: 0.3, earlyStoppingRounds: 10 },
      { validation },
    );
    expect(report.validLoss.length).toBeLessThan(300);
    expect(report.validLoss.length).toBe(report.bestIteration + 11);
    expect(forest.roots.length).toBe(report.bestIteration + 1);
    const best = Math.min(...report.validLoss);
    expect(report.validLoss[report.bestIteration]).toBe(best);
    // The forest handed back is the best round's: its validation loss is the best one.
    expect(meanLogLoss(forest, validation)).toBeCloseTo(best, 10);
    expect(report.trainLoss.length).toBe(report.validLoss.length);
  });

  it('moves the mean prediction up with scalePosWeight', () => {
    const data = table(5000, 13, ['a', 'b'], (rng) => {
      const a = rng.next();
      return [[a, rng.next()], rng.next() < 0.1 + 0.2 * a ? 1 : 0];
    });
    const mean = (f: Forest) => probabilities(f, data).reduce((s, p) => s + p, 0) / data.labels.length;
    const plain = mean(trainSync(data, { trees: 30 }).forest);
    const weighted = mean(trainSync(data, { trees: 30, scalePosWeight: 4 }).forest);
    expect(plain).toBeCloseTo(0.2, 1);
    expect(weighted).toBeGreaterThan(plain + 0.2);
  });
});

describe('parameters', () => {
  const data = xor(200, 14);

  it('honours gamma, minChildWeight, colsampleByTree and baseScore, and reports a falling loss', () => {
    const big = xor(3000, 22);
    const allLeaves = (f: Forest) => Array.from(f.feature).every((x) => x === -1);
    expect(allLeaves(trainSync(big, { trees: 3, gamma: 1e6 }).forest)).toBe(true);
    expect(allLeaves(trainSync(big, { trees: 3, minChildWeight: 1e6 }).forest)).toBe(true);
    expect(allLeaves(trainSync(big, { trees: 3 }).forest)).toBe(false);
    // Half of two features: each tree may split on one of them only.
    const sampled = trainSync(big, { trees: 12, colsampleByTree: 0.5, seed: 3 }).forest;
    const used = Array.from(sampled.roots, (root, t) => {
      const end = t + 1 < sampled.roots.length ? (sampled.roots[t + 1] as number) : sampled.feature.length;
      return new Set(Array.from(sampled.feature.subarray(root, end)).filter((x) => x !== -1));
    });
    expect(used.every((s) => s.size <= 1)).toBe(true);
    expect(new Set(used.flatMap((s) => [...s])).size).toBe(2);
    expect(trainSync(big, { trees: 1, baseScore: 0.2 }).forest.baseMargin).toBeCloseTo(
      Math.log(0.2 / 0.8),
      12,
    );
    const { report } = trainSync(big, { trees: 20, maxDepth: 2, learningRate: 0.3 });
    expect(report.trainLoss).toHaveLength(20);
    for (let i = 1; i < 20; i++)
      expect(report.trainLoss[i] as number).toBeLessThan(report.trainLoss[i - 1] as number);
    expect(report.validLoss).toEqual([]);
    expect(report.bestIteration).toBe(19);
  });
  const bad: Array<[Partial<GbdtParams> | Record<string, unknown>, string]> = [
    [{ trees: 0 }, 'trees'],
    [{ trees: 1.5 }, 'trees'],
    [{ learningRate: 0 }, 'learningRate'],
    [{ learningRate: 1.5 }, 'learningRate'],
    [{ maxDepth: -1 }, 'maxDepth'],
    [{ maxDepth: 0 }, 'maxDepth'],
    [{ maxLeaves: 1 }, 'maxLeaves'],
    [{ growPolicy: 'random' as 'depthwise' }, 'growPolicy'],
    [{ growPolicy: 'lossguide', maxDepth: 0 }, 'maxLeaves'],
    [{ minChildWeight: -1 }, 'minChildWeight'],
    [{ lambda: Number.NaN }, 'lambda'],
    [{ gamma: -0.1 }, 'gamma'],
    [{ subsample: 0 }, 'subsample'],
    [{ colsampleByTree: 1.5 }, 'colsampleByTree'],
    [{ scalePosWeight: 0 }, 'scalePosWeight'],
    [{ maxBin: 1 }, 'maxBin'],
    [{ maxBin: 70_000 }, 'maxBin'],
    [{ seed: 0.5 }, 'seed'],
    [{ earlyStoppingRounds: 5 }, 'earlyStoppingRounds'],
    [{ baseScore: 1 }, 'baseScore'],
    [{ max_depth: 3 }, 'max_depth'],
  ];
  it.each(bad)('refuses %o naming %s', (params, name) => {
    expect(() => trainSync(data, params as Partial<GbdtParams>)).toThrow(RangeError);
    expect(() => trainSync(data, params as Partial<GbdtParams>)).toThrow(new RegExp(`^${name}\\b`));
  });

  it('refuses malformed data', () => {
    expect(() => trainSync({ ...data, labels: Uint8Array.from(data.labels, (y) => y * 2) })).toThrow(
      /labels\[\d+\] is 2/,
    );
    expect(() => trainSync({ ...data, columns: [data.columns[0] as Float64Array] })).toThrow(
      /1 columns for 2 features/,
    );
    expect(() => trainSync({ ...data, features: ['a', 'a'] })).toThrow(/twice/);
    expect(() => trainSync(data, { trees: 2 }, { validation: { ...data, features: ['b', 'a'] } })).toThrow(
      /validation.features/,
    );
  });
});

describe('forest JSON', () => {
  // Missing values on the positives: the forest has −∞ thresholds, which JSON cannot hold as numbers.
  const data = table(2000, 15, ['m', 'x'], (rng) => {
    const y = rng.next() < 0.3 ? 1 : 0;
    return [[y === 1 && rng.next() < 0.8 ? Number.NaN : rng.next(), rng.next()], y];
  });
  const { forest } = trainSync(data, { trees: 10, maxDepth: 3 });

  it('round-trips through JSON text', () => {
    const text = JSON.stringify(forestToJSON(forest));
    const back = forestFromJSON(JSON.parse(text));
    expect(Array.from(forest.threshold)).toContain(Number.NEGATIVE_INFINITY);
    expect(back).toEqual({ ...forest, features: [...forest.features] });
    for (let r = 0; r < 200; r++)
      expect(predictMargin(back, rowOf(data, r))).toBe(predictMargin(forest, rowOf(data, r)));
  });

  const mutate = (change: (o: Record<string, unknown>) => void) => {
    const o = JSON.parse(JSON.stringify(forestToJSON(forest))) as Record<string, unknown>;
    change(o);
    return o;
  };
  const refusals: Array<[string, (o: Record<string, unknown>) => void, string]> = [
    ['a truncated value array', (o) => (o.value as number[]).pop(), 'value'],
    ['a truncated left array', (o) => (o.left as number[]).splice(3), 'left'],
    ['a missing field', (o) => delete o.cover, 'cover'],
    ['a wrong format tag', (o) => (o.format = 'xgboost/1'), 'format'],
    ['a threshold of the wrong type', (o) => ((o.threshold as unknown[])[0] = 'low'), 'threshold[0]'],
    ['a split on an unknown feature', (o) => ((o.feature as number[])[0] = 7), 'feature[0]'],
    ['a child pointing backwards', (o) => ((o.right as number[])[0] = 0), 'right[0]'],
    ['features that are not names', (o) => (o.features = [1, 2]), 'features'],
    ['a NaN leaf value', (o) => ((o.value as unknown[])[5] = null), 'value[5]'],
    ['an empty forest', (o) => (o.roots = []), 'roots'],
  ];
  it.each(refusals)('refuses %s', (_, change, fieldName) => {
    const o = mutate(change);
    let error: unknown;
    try {
      forestFromJSON(o);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ForestFormatError);
    expect((error as ForestFormatError).field).toBe(fieldName);
  });

  it('refuses what is not an object', () => {
    expect(() => forestFromJSON('forest')).toThrow(ForestFormatError);
    expect(() => forestFromJSON(null)).toThrow(ForestFormatError);
  });

  it('checks the features a model was built for', () => {
    expect(() => assertFeatures(forest, ['m', 'x'])).not.toThrow();
    expect(() => assertFeatures(forest, ['m', 'y', 'z'])).toThrow(/missing: x; extra: y, z/);
    expect(() => assertFeatures(forest, ['m', 'x', 'z'])).toThrow(/extra: z/);
    expect(() => assertFeatures(forest, ['m'])).toThrow(/missing: x/);
    expect(() => assertFeatures(forest, ['x', 'm'])).toThrow(/position 0/);
    try {
      assertFeatures(forest, ['m']);
    } catch (e) {
      expect(e).toBeInstanceOf(ForestFormatError);
      expect((e as ForestFormatError).field).toBe('features');
    }
  });
});

describe('abort and progress', () => {
  const data = xor(3000, 16);

  it('reports progress after every tree', async () => {
    const seen: number[] = [];
    await train(data, { trees: 7 }, { onProgress: (done, total) => seen.push(done * 100 + total) });
    expect(seen).toEqual([107, 207, 307, 407, 507, 607, 707]);
  });

  it('stops with an AbortError when the signal aborts during training', async () => {
    const controller = new AbortController();
    let last = 0;
    const run = train(
      data,
      { trees: 500 },
      {
        signal: controller.signal,
        onProgress: (done) => {
          last = done;
          if (done === 3) setTimeout(() => controller.abort(), 0);
        },
      },
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(last).toBeGreaterThanOrEqual(3);
    expect(last).toBeLessThan(500);
  });

  it('does not start when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    let progressed = false;
    await expect(
      train(data, { trees: 5 }, { signal: controller.signal, onProgress: () => (progressed = true) }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(progressed).toBe(false);
    expect(() => trainSync(data, { trees: 5 }, { signal: controller.signal })).toThrow(
      expect.objectContaining({ name: 'AbortError' }),
    );
  });
});

describe('compiled inference', () => {
  it('agrees with the reference walk on rows with missing values, by column and by row', () => {
    const data = table(3000, 17, ['a', 'b', 'c', 'd', 'e'], (rng) => {
      const x = [0, 1, 2, 3, 4].map(() => (rng.next() < 0.15 ? Number.NaN : rng.next()));
      return [
        x,
        rng.next() < sigmoid(4 * ((x[0] ?? 0.5) - (x[1] ?? 0.5)) + ((x[2] ?? 0) > 0.5 ? 1 : -1)) ? 1 : 0,
      ];
    });
    for (const params of [
      { trees: 40, maxDepth: 5 },
      { trees: 40, growPolicy: 'lossguide', maxLeaves: 40, maxDepth: 0 },
    ] as Array<Partial<GbdtParams>>) {
      const { forest } = trainSync(data, params);
      const compiled = compileForest(forest);
      const byColumn = predictMargins(forest, data.columns);
      const flat = new Float64Array(data.labels.length * 7);
      for (let r = 0; r < data.labels.length; r++) flat.set(rowOf(data, r), r * 7 + 1);
      const byRow = compiled.marginsRows(flat, data.labels.length, 7, 1);
      for (let r = 0; r < data.labels.length; r++) {
        const reference = predictMargin(forest, rowOf(data, r));
        expect(byColumn[r]).toBeCloseTo(reference, 12);
        expect(byRow[r]).toBeCloseTo(reference, 12);
        expect(compiled.margin(flat, r * 7 + 1)).toBeCloseTo(reference, 12);
      }
    }
  });
});
