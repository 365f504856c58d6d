/**
 * Imports a binary classifier trained with XGBoost and saved as JSON (`booster.save_model('m.json')`,
 * objective `binary:logistic`, booster `gbtree`) into the shared flat `Forest` layout, so a model
 * trained offline by a data-science team scores with the same code as our own learner's.
 *
 * The importer is strict: a model file is an input from outside the process, and a silently
 * wrong import would score every transaction wrongly. Anything it does not understand (another
 * objective, DART, multi-class, categorical splits, inconsistent arrays) is refused with a
 * `ForestFormatError` that names the field, tree and node.
 *
 * Where XGBoost's JSON lives (1.x and 2.x):
 * - `learner.objective.name` — must be `binary:logistic`;
 * - `learner.learner_model_param.base_score` — for `binary:logistic` a probability, so the
 *   forest's `baseMargin` is its logit; `num_feature` is the row width;
 * - `learner.feature_names` — may be empty when the model was trained on a bare matrix;
 * - `learner.gradient_booster.model.trees[t]` — per-node parallel arrays `left_children`,
 *   `right_children`, `split_indices`, `split_conditions`, `default_left`, `base_weights`,
 *   `sum_hessian`, with `tree_param.num_nodes`. A leaf has `left_children = -1` and its weight
 *   (already multiplied by the learning rate) in `split_conditions`.
 *
 * Numerics. XGBoost stores thresholds and leaf weights as float32 and casts every feature
 * value to float32 before comparing `x < threshold`. The JSON prints each float32 as the
 * shortest decimal that reads back to it, so the importer converts every threshold and leaf
 * weight back to that exact float32 value (`Math.fround`), which is the number XGBoost holds.
 * The forest then compares the row's doubles against it. For inputs that are representable in
 * float32 (counts, small integers, anything that went through `Math.fround`) the path taken is
 * identical to XGBoost's; a double that is not a float32 and lies within half a float32 step
 * below a threshold can go left here where XGBoost, after rounding it up to the threshold,
 * goes right. Margins then differ from XGBoost's only by its float32 summation (around 1e-6).
 */

import { readFile } from 'node:fs/promises';
import { type Forest, ForestFormatError, validateForest } from './forest.ts';

export interface XgboostImportOptions {
  /**
   * Feature names in column order. Required when the model file has none (a model trained on a
   * bare matrix); when the file has names these must be identical, which catches a caller whose
   * columns are in a different order from the training data.
   */
  featureNames?: string[];
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function objectAt(parent: Json, key: string, path: string): Json {
  const v = parent[key];
  if (!isObject(v)) throw new ForestFormatError(path, v === undefined ? 'is missing' : 'must be an object');
  return v;
}

function arrayAt(parent: Json, key: string, path: string): unknown[] {
  const v = parent[key];
  if (!Array.isArray(v))
    throw new ForestFormatError(path, v === undefined ? 'is missing' : 'must be an array');
  return v;
}

/**
 * XGBoost writes the model parameters as strings (`"num_feature": "6"`, `"base_score": "8.85E-2"`);
 * XGBoost 3 writes `base_score` as a one-element vector (`"[8.85E-2]"`). Numbers are accepted too.
 */
function numberParam(parent: Json, key: string, path: string): number {
  let v = parent[key];
  if (typeof v === 'string') {
    const text = v.trim().replace(/^\[(.*)\]$/, '$1');
    v = text.length === 0 || text.includes(',') ? Number.NaN : Number(text);
  }
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ForestFormatError(
      path,
      parent[key] === undefined ? 'is missing' : `is not a number (${String(parent[key])})`,
    );
  return v;
}

function integerParam(parent: Json, key: string, path: string, min: number): number {
  const v = numberParam(parent, key, path);
  if (!Number.isInteger(v) || v < min)
    throw new ForestFormatError(path, `must be an integer >= ${min}, got ${v}`);
  return v;
}

/** The per-node arrays of one tree, checked for length and element type. */
interface RawTree {
  left: Int32Array;
  right: Int32Array;
  splitIndex: Int32Array;
  splitCondition: Float64Array;
  defaultLeft: Uint8Array;
  sumHessian: Float64Array;
}

function intArray(tree: Json, key: string, path: string, n: number): Int32Array {
  const arr = arrayAt(tree, key, path);
  if (arr.length !== n)
    throw new ForestFormatError(path, `has ${arr.length} entries, tree_param.num_nodes is ${n}`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = arr[i];
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw new ForestFormatError(`${path}[${i}]`, 'must be an integer');
    out[i] = v;
  }
  return out;
}

function floatArray(tree: Json, key: string, path: string, n: number): Float64Array {
  const arr = arrayAt(tree, key, path);
  if (arr.length !== n)
    throw new ForestFormatError(path, `has ${arr.length} entries, tree_param.num_nodes is ${n}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = arr[i];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ForestFormatError(`${path}[${i}]`, 'must be a finite number');
    // Every number in the file is a float32 printed as a decimal; recover that exact float32.
    out[i] = Math.fround(v);
  }
  return out;
}

function readTree(raw: unknown, t: number, numFeature: number): RawTree {
  const at = `trees[${t}]`;
  if (!isObject(raw)) throw new ForestFormatError(at, 'must be an object');
  const param = objectAt(raw, 'tree_param', `${at}.tree_param`);
  const n = integerParam(param, 'num_nodes', `${at}.tree_param.num_nodes`, 1);

  // Categorical splits test set membership, which the forest's `x < threshold` cannot express.
  // Older files (before 1.6) have no `split_type`; every split in them is numeric.
  if (raw.split_type !== undefined) {
    const types = intArray(raw, 'split_type', `${at}.split_type`, n);
    const cat = types.findIndex((v) => v !== 0);
    if (cat >= 0)
      throw new ForestFormatError(
        `${at}.split_type[${cat}]`,
        'categorical split; only numeric splits can be imported (retrain with one-hot or ordinal encoding)',
      );
  }
  if (
    raw.categories_nodes !== undefined &&
    arrayAt(raw, 'categories_nodes', `${at}.categories_nodes`).length > 0
  )
    throw new ForestFormatError(
      `${at}.categories_nodes`,
      'the tree has categorical splits; only numeric splits can be imported',
    );

  const tree: RawTree = {
    left: intArray(raw, 'left_children', `${at}.left_children`, n),
    right: intArray(raw, 'right_children', `${at}.right_children`, n),
    splitIndex: intArray(raw, 'split_indices', `${at}.split_indices`, n),
    splitCondition: floatArray(raw, 'split_conditions', `${at}.split_conditions`, n),
    defaultLeft: new Uint8Array(n),
    sumHessian: floatArray(raw, 'sum_hessian', `${at}.sum_hessian`, n),
  };
  // Not used for scoring (the leaf weight is in split_conditions), but a length mismatch here
  // means the file was edited or produced by something that does not follow the format.
  floatArray(raw, 'base_weights', `${at}.base_weights`, n);

  const dl = arrayAt(raw, 'default_left', `${at}.default_left`);
  if (dl.length !== n)
    throw new ForestFormatError(
      `${at}.default_left`,
      `has ${dl.length} entries, tree_param.num_nodes is ${n}`,
    );
  for (let i = 0; i < n; i++) {
    const v = dl[i];
    if (v === 1 || v === true) tree.defaultLeft[i] = 1;
    else if (v !== 0 && v !== false)
      throw new ForestFormatError(`${at}.default_left[${i}]`, 'must be 0 or 1');
  }

  for (let i = 0; i < n; i++) {
    const l = tree.left[i] as number;
    const r = tree.right[i] as number;
    if (l === -1) {
      if (r !== -1) throw new ForestFormatError(`${at}.right_children[${i}]`, `leaf has a right child ${r}`);
      continue;
    }
    for (const [name, child] of [
      ['left_children', l],
      ['right_children', r],
    ] as const) {
      if (child < 0 || child >= n || child === i)
        throw new ForestFormatError(
          `${at}.${name}[${i}]`,
          `child ${child} is outside the tree's nodes 0..${n - 1}`,
        );
    }
    const f = tree.splitIndex[i] as number;
    if (f < 0 || f >= numFeature)
      throw new ForestFormatError(
        `${at}.split_indices[${i}]`,
        `split on feature ${f}, the model has ${numFeature}`,
      );
  }
  return tree;
}

function featureNamesOf(learner: Json, numFeature: number, options: XgboostImportOptions): string[] {
  const inFile =
    learner.feature_names === undefined ? [] : arrayAt(learner, 'feature_names', 'learner.feature_names');
  const given = options.featureNames;
  if (inFile.length === 0) {
    if (given === undefined)
      throw new ForestFormatError(
        'learner.feature_names',
        'the model has no feature names; pass options.featureNames in column order',
      );
    if (given.length !== numFeature)
      throw new ForestFormatError(
        'options.featureNames',
        `has ${given.length} names, the model has ${numFeature} features (learner_model_param.num_feature)`,
      );
    return [...given];
  }
  if (inFile.length !== numFeature)
    throw new ForestFormatError(
      'learner.feature_names',
      `has ${inFile.length} names, learner_model_param.num_feature is ${numFeature}`,
    );
  const names = inFile.map((v, i) => {
    if (typeof v !== 'string') throw new ForestFormatError(`learner.feature_names[${i}]`, 'must be a string');
    return v;
  });
  if (given !== undefined) {
    const i = names.findIndex((name, k) => given[k] !== name);
    if (i >= 0 || given.length !== names.length)
      throw new ForestFormatError(
        'options.featureNames',
        `differ from the model's learner.feature_names at column ${i >= 0 ? i : names.length} ` +
          `(model: ${names.join(', ')})`,
      );
  }
  return names;
}

/**
 * Converts a parsed XGBoost JSON model into a validated `Forest`. Throws `ForestFormatError`
 * naming the offending field for anything that is not a numeric `gbtree` `binary:logistic`
 * model with consistent arrays. Nodes no path from the root reaches (XGBoost keeps pruned
 * nodes in its arrays) are dropped; the others are laid out breadth-first per tree, so
 * children always follow their parent as the forest requires.
 */
export function importXgboostJson(raw: unknown, options: XgboostImportOptions = {}): Forest {
  if (!isObject(raw)) throw new ForestFormatError('(root)', 'an XGBoost JSON model is an object');
  const learner = objectAt(raw, 'learner', 'learner');

  const objective = objectAt(learner, 'objective', 'learner.objective');
  if (objective.name !== 'binary:logistic')
    throw new ForestFormatError(
      'learner.objective.name',
      `is ${JSON.stringify(objective.name)}; only binary:logistic models can be imported`,
    );

  const booster = objectAt(learner, 'gradient_booster', 'learner.gradient_booster');
  if (booster.name !== 'gbtree')
    throw new ForestFormatError(
      'learner.gradient_booster.name',
      `is ${JSON.stringify(booster.name)}; only gbtree models can be imported (DART and linear boosters are not trees summed as-is)`,
    );

  const modelParam = objectAt(learner, 'learner_model_param', 'learner.learner_model_param');
  const numFeature = integerParam(modelParam, 'num_feature', 'learner.learner_model_param.num_feature', 1);
  if (modelParam.num_class !== undefined) {
    const numClass = integerParam(modelParam, 'num_class', 'learner.learner_model_param.num_class', 0);
    if (numClass > 1)
      throw new ForestFormatError(
        'learner.learner_model_param.num_class',
        `is ${numClass}; only binary models can be imported`,
      );
  }
  if (modelParam.num_target !== undefined) {
    const numTarget = integerParam(modelParam, 'num_target', 'learner.learner_model_param.num_target', 1);
    if (numTarget !== 1)
      throw new ForestFormatError(
        'learner.learner_model_param.num_target',
        `is ${numTarget}; only one target is supported`,
      );
  }
  // For binary:logistic the base score is a probability; XGBoost holds it as a float32.
  const baseScore = Math.fround(
    numberParam(modelParam, 'base_score', 'learner.learner_model_param.base_score'),
  );
  if (!(baseScore > 0 && baseScore < 1))
    throw new ForestFormatError(
      'learner.learner_model_param.base_score',
      `is ${baseScore}; for binary:logistic it must be a probability strictly between 0 and 1`,
    );
  const baseMargin = Math.log(baseScore / (1 - baseScore));

  const features = featureNamesOf(learner, numFeature, options);

  const model = objectAt(booster, 'model', 'learner.gradient_booster.model');
  const rawTrees = arrayAt(model, 'trees', 'learner.gradient_booster.model.trees');
  if (rawTrees.length === 0)
    throw new ForestFormatError('learner.gradient_booster.model.trees', 'the model has no trees');
  if (isObject(model.gbtree_model_param) && model.gbtree_model_param.num_trees !== undefined) {
    const declared = integerParam(
      model.gbtree_model_param,
      'num_trees',
      'learner.gradient_booster.model.gbtree_model_param.num_trees',
      0,
    );
    if (declared !== rawTrees.length)
      throw new ForestFormatError(
        'learner.gradient_booster.model.gbtree_model_param.num_trees',
        `is ${declared} but trees has ${rawTrees.length} entries (truncated or edited file?)`,
      );
  }
  if (model.tree_info !== undefined) {
    const info = arrayAt(model, 'tree_info', 'learner.gradient_booster.model.tree_info');
    if (info.length !== rawTrees.length)
      throw new ForestFormatError(
        'learner.gradient_booster.model.tree_info',
        `has ${info.length} entries, trees has ${rawTrees.length}`,
      );
    const other = info.findIndex((g) => g !== 0);
    if (other >= 0)
      throw new ForestFormatError(
        `learner.gradient_booster.model.tree_info[${other}]`,
        'tree belongs to an output group other than 0; only single-output models can be imported',
      );
  }

  const trees = rawTrees.map((t, i) => readTree(t, i, numFeature));
  return toForest(trees, features, baseMargin);
}

/** Lays the trees out one after the other, breadth-first from each root. */
function toForest(trees: RawTree[], features: string[], baseMargin: number): Forest {
  // First pass: the breadth-first order of the reachable nodes of each tree.
  const orders: Int32Array[] = [];
  let total = 0;
  trees.forEach((tree, t) => {
    const n = tree.left.length;
    const order = new Int32Array(n);
    const seen = new Uint8Array(n);
    let head = 0;
    let tail = 0;
    order[tail++] = 0;
    seen[0] = 1;
    while (head < tail) {
      const node = order[head++] as number;
      if (tree.left[node] === -1) continue;
      for (const [name, child] of [
        ['left_children', tree.left[node] as number],
        ['right_children', tree.right[node] as number],
      ] as const) {
        // A node reached twice would make the tree a graph (and could loop when scored).
        if (seen[child])
          throw new ForestFormatError(
            `trees[${t}].${name}[${node}]`,
            `node ${child} has more than one parent`,
          );
        seen[child] = 1;
        order[tail++] = child;
      }
    }
    orders.push(order.subarray(0, tail));
    total += tail;
  });

  const roots = new Int32Array(trees.length);
  const feature = new Int32Array(total);
  const threshold = new Float64Array(total);
  const left = new Int32Array(total);
  const right = new Int32Array(total);
  const defaultLeft = new Uint8Array(total);
  const value = new Float64Array(total);
  const cover = new Float64Array(total);

  let offset = 0;
  trees.forEach((tree, t) => {
    const order = orders[t] as Int32Array;
    roots[t] = offset;
    const position = new Int32Array(tree.left.length).fill(-1);
    order.forEach((node, k) => {
      position[node] = offset + k;
    });
    order.forEach((node, k) => {
      const at = offset + k;
      cover[at] = tree.sumHessian[node] as number;
      if (tree.left[node] === -1) {
        feature[at] = -1;
        left[at] = -1;
        right[at] = -1;
        value[at] = tree.splitCondition[node] as number;
        return;
      }
      feature[at] = tree.splitIndex[node] as number;
      threshold[at] = tree.splitCondition[node] as number;
      left[at] = position[tree.left[node] as number] as number;
      right[at] = position[tree.right[node] as number] as number;
      defaultLeft[at] = tree.defaultLeft[node] as number;
    });
    fillInternalValues(offset, order.length, feature, left, right, value, cover);
    offset += order.length;
  });

  const forest: Forest = {
    features,
    baseMargin,
    roots,
    feature,
    threshold,
    left,
    right,
    defaultLeft,
    value,
    cover,
  };
  validateForest(forest);
  return forest;
}

/**
 * Gives each internal node the cover-weighted mean of its leaves, as the forest layout defines
 * (explanations use it as the expected value below a node). Children follow their parent, so
 * walking a tree backwards sees both children before the parent. XGBoost's `base_weights` are
 * not used: for internal nodes they are the unshrunk Newton step, not a mean of the leaves.
 */
function fillInternalValues(
  start: number,
  count: number,
  feature: Int32Array,
  left: Int32Array,
  right: Int32Array,
  value: Float64Array,
  cover: Float64Array,
): void {
  // Sums over each subtree's leaves: cover-weighted value, cover, plain value and leaf count
  // (the plain mean is the fallback when every leaf below has zero cover).
  const weighted = new Float64Array(count);
  const weight = new Float64Array(count);
  const plain = new Float64Array(count);
  const leaves = new Float64Array(count);
  for (let k = count - 1; k >= 0; k--) {
    const at = start + k;
    if (feature[at] === -1) {
      const c = cover[at] as number;
      weighted[k] = c * (value[at] as number);
      weight[k] = c;
      plain[k] = value[at] as number;
      leaves[k] = 1;
      continue;
    }
    const l = (left[at] as number) - start;
    const r = (right[at] as number) - start;
    weighted[k] = (weighted[l] as number) + (weighted[r] as number);
    weight[k] = (weight[l] as number) + (weight[r] as number);
    plain[k] = (plain[l] as number) + (plain[r] as number);
    leaves[k] = (leaves[l] as number) + (leaves[r] as number);
    value[at] =
      (weight[k] as number) > 0
        ? (weighted[k] as number) / (weight[k] as number)
        : (plain[k] as number) / (leaves[k] as number);
  }
}

/**
 * Reads, parses and imports an XGBoost JSON model file. A file that is not valid JSON (most
 * often one cut short by an interrupted copy) is reported as a `ForestFormatError` naming the
 * path rather than as a bare `SyntaxError`.
 */
export async function importXgboostFile(path: string, options: XgboostImportOptions = {}): Promise<Forest> {
  const text = await readFile(path, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new ForestFormatError(
      path,
      `is not valid JSON (${text.length} characters; a truncated file looks like this): ${detail}`,
    );
  }
  return importXgboostJson(raw, options);
}
