/**
 * Exact per-feature contributions to a forest's margin: path-dependent TreeSHAP
 * (Lundberg, Erion & Lee, "Consistent individualized feature attribution for tree
 * ensembles", algorithm 2), in time proportional to leaves × depth² per tree.
 *
 * The value of a set S of known features is the tree's output when the features of S are
 * fixed to the row's values and the others are averaged out along the tree, each split on
 * an unknown feature weighing its two sides by their training cover. A feature's
 * contribution is its Shapley value for that game; the contributions plus the expected
 * value (the cover-weighted mean of the leaves) add up to the margin exactly. A missing
 * value is known too: it follows its split's default direction, as scoring does.
 *
 * Everything runs on preallocated typed arrays: one explanation allocates only its result.
 */
import type { Forest } from './forest.ts';

/** Rows of the algorithm's path stack: one per level of the deepest tree, plus the root's dummy. */
interface PathStack {
  feature: Int32Array;
  zero: Float64Array;
  one: Float64Array;
  weight: Float64Array;
}

function depthOf(f: Forest, node: number): number {
  if ((f.feature[node] as number) === -1) return 0;
  return 1 + Math.max(depthOf(f, f.left[node] as number), depthOf(f, f.right[node] as number));
}

/** A forest prepared for explanations: cover fractions per child and each tree's expected value. */
export class TreeExplainer {
  readonly forest: Forest;
  /** Share of its parent's cover that reached each node (1 for roots). */
  private readonly fraction: Float64Array;
  /** baseMargin plus every tree's expected value. */
  readonly expectedValue: number;
  private readonly stack: PathStack;
  private phi: Float64Array;

  constructor(forest: Forest) {
    this.forest = forest;
    const { feature, left, right, cover, value, roots } = forest;
    const n = feature.length;
    this.fraction = new Float64Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      if ((feature[i] as number) === -1) continue;
      const l = left[i] as number;
      const r = right[i] as number;
      // The children's covers, renormalised to add up to one: with the same fractions in
      // the expected value and in the walk, the contributions add up exactly even when a
      // cover is off (an imported model) or zero (a floor keeps unwinding from dividing by 0).
      const cl = Math.max(0, cover[l] as number);
      const cr = Math.max(0, cover[r] as number);
      const total = cl + cr;
      let fl = total > 0 && Number.isFinite(total) ? cl / total : 0.5;
      fl = Math.min(1 - 1e-12, Math.max(1e-12, fl));
      this.fraction[l] = fl;
      this.fraction[r] = 1 - fl;
    }
    let expected = forest.baseMargin;
    let maxDepth = 0;
    for (let t = 0; t < roots.length; t++) {
      const root = roots[t] as number;
      expected += this.expectation(root, value);
      maxDepth = Math.max(maxDepth, depthOf(forest, root));
    }
    this.expectedValue = expected;
    // The recursion keeps one copy of the path per level, each one longer than the last
    // (the same bound as shap's implementation).
    const size = ((maxDepth + 2) * (maxDepth + 3)) / 2;
    this.stack = {
      feature: new Int32Array(size),
      zero: new Float64Array(size),
      one: new Float64Array(size),
      weight: new Float64Array(size),
    };
    this.phi = new Float64Array(forest.features.length + 1);
  }

  /** The cover-weighted mean of the leaves under `node`, with the fractions the walk uses. */
  private expectation(node: number, value: Float64Array): number {
    const f = this.forest;
    if ((f.feature[node] as number) === -1) return value[node] as number;
    const l = f.left[node] as number;
    const r = f.right[node] as number;
    return (
      (this.fraction[l] as number) * this.expectation(l, value) +
      (this.fraction[r] as number) * this.expectation(r, value)
    );
  }

  /**
   * Contributions of every feature to the margin of row `x`, and the expected value last:
   * `sum(result) === predictMargin(forest, x)` up to rounding.
   */
  contributions(x: Float64Array): Float64Array {
    const phi = new Float64Array(this.forest.features.length + 1);
    this.phi = phi;
    const roots = this.forest.roots;
    for (let t = 0; t < roots.length; t++) this.recurse(x, roots[t] as number, -1, 0, 1, 1, -1);
    phi[phi.length - 1] = this.expectedValue;
    return phi;
  }

  /**
   * One node of the walk (shap's `tree_shap_recursive`). The parent's path starts at
   * `parentAt` in the stack and has `depth` entries; this level's copy is written right
   * after it, so the recursion allocates nothing.
   */
  private recurse(
    x: Float64Array,
    node: number,
    parentAt: number,
    depth: number,
    zeroFraction: number,
    oneFraction: number,
    featureIndex: number,
  ): void {
    const f = this.forest;
    const { feature: pf, zero: pz, one: po, weight: pw } = this.stack;
    const at = parentAt + depth + 1;
    // A plain loop: paths are a handful of entries, too short for copyWithin's call to pay.
    for (let i = 0; i < depth; i++) {
      pf[at + i] = pf[parentAt + i] as number;
      pz[at + i] = pz[parentAt + i] as number;
      po[at + i] = po[parentAt + i] as number;
      pw[at + i] = pw[parentAt + i] as number;
    }
    extendPath(this.stack, at, depth, zeroFraction, oneFraction, featureIndex);
    const split = f.feature[node] as number;
    if (split === -1) {
      const v = f.value[node] as number;
      const phi = this.phi;
      for (let i = 1; i <= depth; i++) {
        const w = unwoundPathSum(this.stack, at, depth, i);
        const k = pf[at + i] as number;
        phi[k] = (phi[k] as number) + w * ((po[at + i] as number) - (pz[at + i] as number)) * v;
      }
      return;
    }
    const xv = x[split] as number;
    const thr = f.threshold[node] as number;
    const left = f.left[node] as number;
    const right = f.right[node] as number;
    const goLeft = xv < thr ? true : xv >= thr ? false : f.defaultLeft[node] === 1;
    const hot = goLeft ? left : right;
    const cold = goLeft ? right : left;
    let incomingZero = 1;
    let incomingOne = 1;
    let d = depth;
    // A feature already on the path is undone first, so it counts once with both splits'
    // effect. Entry 0 is the root's placeholder (feature −1) and never matches.
    let k = 0;
    while (k <= d && (pf[at + k] as number) !== split) k++;
    if (k <= d) {
      incomingZero = pz[at + k] as number;
      incomingOne = po[at + k] as number;
      unwindPath(this.stack, at, d, k);
      d -= 1;
    }
    this.recurse(x, hot, at, d + 1, (this.fraction[hot] as number) * incomingZero, incomingOne, split);
    this.recurse(x, cold, at, d + 1, (this.fraction[cold] as number) * incomingZero, 0, split);
  }
}

/**
 * 1/n for n = 0..64: the path arithmetic divides by small integers in its inner loops, and a
 * multiplication by a reciprocal costs a fraction of a division on the chain of dependent
 * operations those loops are.
 */
const RECIPROCAL = Float64Array.from({ length: 65 }, (_, n) => (n === 0 ? 0 : 1 / n));

function reciprocal(n: number): number {
  return n < RECIPROCAL.length ? (RECIPROCAL[n] as number) : 1 / n;
}

/** Adds an element to the path at `at` (length `depth` + 1 afterwards) and updates the permutation weights. */
function extendPath(
  s: PathStack,
  at: number,
  depth: number,
  zero: number,
  one: number,
  featureIndex: number,
): void {
  const { feature: pf, zero: pz, one: po, weight: pw } = s;
  pf[at + depth] = featureIndex;
  pz[at + depth] = zero;
  po[at + depth] = one;
  pw[at + depth] = depth === 0 ? 1 : 0;
  const r = reciprocal(depth + 1);
  for (let i = depth - 1; i >= 0; i--) {
    const w = pw[at + i] as number;
    pw[at + i + 1] = (pw[at + i + 1] as number) + one * w * (i + 1) * r;
    pw[at + i] = zero * w * (depth - i) * r;
  }
}

/** Removes element `index` from the path (undoing `extendPath`). */
function unwindPath(s: PathStack, at: number, depth: number, index: number): void {
  const { feature: pf, zero: pz, one: po, weight: pw } = s;
  const one = po[at + index] as number;
  const zero = pz[at + index] as number;
  let next = pw[at + depth] as number;
  if (one !== 0) {
    const invOne = 1 / one;
    const r = reciprocal(depth + 1);
    for (let i = depth - 1; i >= 0; i--) {
      const tmp = pw[at + i] as number;
      const w = next * (depth + 1) * invOne * reciprocal(i + 1);
      pw[at + i] = w;
      next = tmp - w * zero * (depth - i) * r;
    }
  } else {
    const invZero = 1 / zero;
    for (let i = depth - 1; i >= 0; i--)
      pw[at + i] = (pw[at + i] as number) * (depth + 1) * invZero * reciprocal(depth - i);
  }
  for (let i = index; i < depth; i++) {
    pf[at + i] = pf[at + i + 1] as number;
    pz[at + i] = pz[at + i + 1] as number;
    po[at + i] = po[at + i + 1] as number;
  }
}

/** The total permutation weight of the path if element `index` were unwound. */
function unwoundPathSum(s: PathStack, at: number, depth: number, index: number): number {
  const { zero: pz, one: po, weight: pw } = s;
  const one = po[at + index] as number;
  const zero = pz[at + index] as number;
  let next = pw[at + depth] as number;
  let total = 0;
  if (one !== 0) {
    const invOne = 1 / one;
    for (let i = depth - 1; i >= 0; i--) {
      const tmp = next * invOne * reciprocal(i + 1);
      total += tmp;
      next = (pw[at + i] as number) - tmp * zero * (depth - i);
    }
  } else {
    const invZero = 1 / zero;
    for (let i = depth - 1; i >= 0; i--) total += (pw[at + i] as number) * invZero * reciprocal(depth - i);
  }
  return total * (depth + 1);
}
const explainers = new WeakMap<Forest, TreeExplainer>();

function explainerOf(forest: Forest): TreeExplainer {
  let e = explainers.get(forest);
  if (e === undefined) {
    e = new TreeExplainer(forest);
    explainers.set(forest, e);
  }
  return e;
}

/**
 * Exact contributions of every feature to the margin of row `x` (length features + 1, the
 * expected value last); they add up to `predictMargin(forest, x)`.
 */
export function contributions(forest: Forest, x: Float64Array): Float64Array {
  if (x.length < forest.features.length)
    throw new RangeError(
      `the row has ${x.length} values, the forest reads ${forest.features.length} features`,
    );
  return explainerOf(forest).contributions(x);
}

/** The `k` largest contributions by magnitude (ties: the feature listed first), largest first. */
export function topContributions(
  forest: Forest,
  x: Float64Array,
  k: number,
): Array<{ feature: string; value: number }> {
  const phi = contributions(forest, x);
  const out: Array<{ feature: string; value: number; index: number }> = [];
  for (let i = 0; i < forest.features.length; i++)
    out.push({ feature: forest.features[i] as string, value: phi[i] as number, index: i });
  out.sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.index - b.index);
  return out.slice(0, Math.max(0, k)).map(({ feature, value }) => ({ feature, value }));
}
