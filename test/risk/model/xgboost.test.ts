// Proves the XGBoost importer: the imported forest scores exactly as XGBoost 1.7.4 did on the
// fixture rows (including rows sitting on split thresholds), and malformed models are refused
// with an error naming the field. Fixtures come from scripts/xgboost-fixture.py.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForestFormatError, predictMargin, predictProbability } from '../../../src/risk/model/forest.ts';
import { importXgboostFile, importXgboostJson } from '../../../src/risk/model/xgboost.ts';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'xgboost');
const MODEL_PATH = join(FIXTURES, 'model.json');

interface FixtureRow {
  x: Array<number | null>;
  margin: number;
  probability: number;
}

interface XgbTree {
  left_children: number[];
  right_children: number[];
  split_indices: number[];
  split_conditions: number[];
  split_type: number[];
  categories_nodes: number[];
  tree_param: { num_nodes: string };
}

interface XgbModel {
  learner: {
    feature_names: string[];
    objective: { name: string };
    gradient_booster: { name: string; model: { trees: XgbTree[] } };
  };
}

let modelText = '';
let rows: FixtureRow[] = [];
let featureNames: string[] = [];
let tmp = '';

/** A fresh deep copy of the fixture model, to break one field at a time. */
function model(): XgbModel {
  return JSON.parse(modelText) as XgbModel;
}

function tree0(m: XgbModel): XgbTree {
  const t = m.learner.gradient_booster.model.trees[0];
  if (t === undefined) throw new Error('fixture has no trees');
  return t;
}

function errorOf(fn: () => unknown): ForestFormatError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ForestFormatError) return err;
    throw err;
  }
  throw new Error('expected a ForestFormatError');
}

beforeAll(async () => {
  modelText = await readFile(MODEL_PATH, 'utf8');
  const fixture = JSON.parse(await readFile(join(FIXTURES, 'rows.json'), 'utf8')) as {
    features: string[];
    rows: FixtureRow[];
  };
  rows = fixture.rows;
  featureNames = fixture.features;
  tmp = await mkdtemp(join(tmpdir(), 'bulwark-xgb-'));
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('importXgboostJson', () => {
  it('reproduces the margins and probabilities XGBoost printed', async () => {
    const forest = await importXgboostFile(MODEL_PATH);
    expect(forest.features).toEqual(featureNames);
    expect(forest.roots.length).toBe(20);
    // base_score 8.85E-2 is a probability; the forest starts from its logit.
    expect(forest.baseMargin).toBeCloseTo(Math.log(0.0885 / (1 - 0.0885)), 6);
    expect(rows.length).toBeGreaterThanOrEqual(50);
    let worstMargin = 0;
    let worstProbability = 0;
    for (const row of rows) {
      // Fixture values are float32 already; fround documents that parity needs float32 inputs.
      const x = Float64Array.from(row.x, (v) => (v === null ? Number.NaN : Math.fround(v)));
      worstMargin = Math.max(worstMargin, Math.abs(predictMargin(forest, x) - row.margin));
      worstProbability = Math.max(
        worstProbability,
        Math.abs(predictProbability(forest, x) - row.probability),
      );
    }
    expect(worstMargin).toBeLessThan(1e-5);
    expect(worstProbability).toBeLessThan(1e-6);
  });

  it('gives internal nodes the cover-weighted mean of their children and keeps children after parents', () => {
    const f = importXgboostJson(JSON.parse(modelText));
    for (let i = 0; i < f.feature.length; i++) {
      // Thresholds are the float32 values XGBoost compares against; without this, fixture rows
      // sitting exactly on a threshold printed as a longer-or-shorter decimal take the wrong branch.
      expect(Math.fround(f.threshold[i] as number)).toBe(f.threshold[i]);
      if (f.feature[i] === -1) continue;
      const l = f.left[i] as number;
      const r = f.right[i] as number;
      expect(l).toBeGreaterThan(i);
      expect(r).toBeGreaterThan(i);
      const cl = f.cover[l] as number;
      const cr = f.cover[r] as number;
      const mean = (cl * (f.value[l] as number) + cr * (f.value[r] as number)) / (cl + cr);
      // The value weights leaves by their own cover; XGBoost's float32 covers of a parent and its
      // children agree only to float32 precision, hence the tolerance.
      expect(f.value[i]).toBeCloseTo(mean, 6);
    }
  });

  it('accepts feature names from the caller when the file has none, and checks them when it has', () => {
    const m = model();
    m.learner.feature_names = [];
    const err = errorOf(() => importXgboostJson(m));
    expect(err.field).toBe('learner.feature_names');
    expect(err.message).toMatch(/no feature names/);
    const f = importXgboostJson(m, { featureNames: ['a', 'b', 'c', 'd', 'e', 'f'] });
    expect(f.features).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(errorOf(() => importXgboostJson(m, { featureNames: ['a', 'b'] })).field).toBe(
      'options.featureNames',
    );
    const swapped = [...featureNames];
    [swapped[0], swapped[1]] = [swapped[1] as string, swapped[0] as string];
    const mismatch = errorOf(() => importXgboostJson(model(), { featureNames: swapped }));
    expect(mismatch.field).toBe('options.featureNames');
    expect(mismatch.message).toMatch(/column 0/);
  });

  it('reports a truncated file as invalid JSON naming the file', async () => {
    const path = join(tmp, 'truncated.json');
    await writeFile(path, modelText.slice(0, Math.floor(modelText.length / 2)));
    const err = await importXgboostFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForestFormatError);
    expect((err as ForestFormatError).field).toBe(path);
    expect((err as ForestFormatError).message).toMatch(/not valid JSON.*truncated/);
  });

  it('refuses an objective other than binary:logistic', () => {
    const m = model();
    m.learner.objective.name = 'reg:squarederror';
    const err = errorOf(() => importXgboostJson(m));
    expect(err.field).toBe('learner.objective.name');
    expect(err.message).toMatch(/reg:squarederror/);
  });

  it('refuses a booster other than gbtree', () => {
    const m = model();
    m.learner.gradient_booster.name = 'dart';
    expect(errorOf(() => importXgboostJson(m)).field).toBe('learner.gradient_booster.name');
  });

  it('refuses per-node arrays whose length differs from num_nodes', () => {
    const m = model();
    tree0(m).split_conditions.pop();
    const err = errorOf(() => importXgboostJson(m));
    expect(err.field).toBe('trees[0].split_conditions');
    expect(err.message).toMatch(/num_nodes/);

    const m2 = model();
    m2.learner.gradient_booster.model.trees.pop();
    expect(errorOf(() => importXgboostJson(m2)).field).toBe(
      'learner.gradient_booster.model.gbtree_model_param.num_trees',
    );
  });

  it('refuses categorical splits', () => {
    const m = model();
    const t = tree0(m);
    t.split_type[0] = 1;
    const err = errorOf(() => importXgboostJson(m));
    expect(err.field).toBe('trees[0].split_type[0]');
    expect(err.message).toMatch(/categorical/);

    const m2 = model();
    tree0(m2).categories_nodes = [0];
    expect(errorOf(() => importXgboostJson(m2)).field).toBe('trees[0].categories_nodes');
  });

  it('refuses a split on a feature the model does not have, and bad child links', () => {
    const m = model();
    tree0(m).split_indices[0] = 6;
    const err = errorOf(() => importXgboostJson(m));
    expect(err.field).toBe('trees[0].split_indices[0]');
    expect(err.message).toMatch(/feature 6/);

    const m2 = model();
    const t = tree0(m2);
    t.left_children[0] = Number(t.tree_param.num_nodes);
    expect(errorOf(() => importXgboostJson(m2)).field).toBe('trees[0].left_children[0]');

    // Pointing both children at the same node would make the tree a graph.
    const m3 = model();
    const t3 = tree0(m3);
    t3.right_children[0] = t3.left_children[0] as number;
    expect(errorOf(() => importXgboostJson(m3)).field).toBe('trees[0].right_children[0]');
  });

  it('refuses input that is not an XGBoost model at all', () => {
    expect(errorOf(() => importXgboostJson(null)).field).toBe('(root)');
    expect(errorOf(() => importXgboostJson({})).field).toBe('learner');
    expect(
      errorOf(() => importXgboostJson({ learner: { objective: { name: 'binary:logistic' } } })).field,
    ).toBe('learner.gradient_booster');
  });
});
