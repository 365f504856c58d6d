/**
 * Fast scoring of a forest: a compiled copy of its trees laid out for speed, scoring one
 * event without allocating and large tables a block of rows at a time.
 *
 * Layout: each tree of depth D ≤ MAX_COMPLETE_DEPTH becomes a complete binary tree, its
 * 2^D − 1 split nodes in heap order (the children of node i are 2i + 1 and 2i + 2) and its
 * 2^D leaves in an array of their own. A shallower branch is padded down to depth D with
 * splits whose two sides lead to copies of the same leaf. Every row then takes exactly D
 * steps, and a step computes the next node from the comparison instead of branching on it:
 *
 *   i = 2i + 1 + (x ≥ t) + (x is NaN and the node sends missing values right)
 *
 * A branch on a comparison of real data goes the wrong way about half the time, and a
 * plain traversal pays for each wrong guess. Deeper trees (leaf-wise growth) would be too
 * large complete, and keep the plain node-by-node walk.
 *
 * A walk is a chain of dependent loads, so independent walks are interleaved: one row
 * walks four trees side by side, a batch walks each tree for four rows side by side. A
 * batch goes tree by tree over a block of rows, so the tree stays in the first-level cache
 * while the block's rows stream past it.
 *
 * Margins equal `predictMargin`'s up to rounding: the leaves are added in another order.
 */
import type { Forest } from './forest.ts';

/**
 * Deepest tree laid out complete: 2^10 leaves, 24 KB per tree. All complete trees share
 * the forest's largest depth, so a deep outlier costs every tree its size.
 */
export const MAX_COMPLETE_DEPTH = 10;
/** Rows per block in batch scoring: 256 rows × 25 features × 8 bytes is 50 KB. */
const BLOCK_ROWS = 256;

/** Depth of the subtree under `node` (0 for a leaf). */
function depthOf(f: Forest, node: number): number {
  // Recursion is bounded: validateForest guarantees children come after their parent.
  const feat = f.feature[node] as number;
  if (feat === -1) return 0;
  return 1 + Math.max(depthOf(f, f.left[node] as number), depthOf(f, f.right[node] as number));
}

export class CompiledForest {
  readonly features: readonly string[];
  readonly featureCount: number;
  readonly baseMargin: number;
  /** Trees in the complete layout, all padded to the same depth. */
  private readonly completeTrees: number;
  private readonly depth: number;
  /** Split nodes per tree (2^depth − 1) and leaves per tree (2^depth). */
  private readonly innerPerTree: number;
  private readonly splitFeature: Int32Array;
  private readonly splitThreshold: Float64Array;
  /** 1 when a missing value goes right at this split. */
  private readonly missingRight: Int32Array;
  /** Leaves of tree t at `leaf[t * 2^depth + i − (2^depth − 1)]` for the final heap index i. */
  private readonly leaf: Float64Array;
  /** Roots of the trees too deep for the complete layout, walked on the forest's own arrays. */
  private readonly deepRoots: Int32Array;
  private readonly forest: Forest;
  private readonly block: Float64Array;

  constructor(forest: Forest) {
    this.forest = forest;
    this.features = forest.features;
    this.featureCount = forest.features.length;
    this.baseMargin = forest.baseMargin;
    const complete: number[] = [];
    const deep: number[] = [];
    let depth = 0;
    for (let t = 0; t < forest.roots.length; t++) {
      const root = forest.roots[t] as number;
      const d = depthOf(forest, root);
      if (d <= MAX_COMPLETE_DEPTH) {
        complete.push(root);
        depth = Math.max(depth, d);
      } else deep.push(root);
    }
    // One depth for all: the walks of several trees or rows then run in lockstep, which is
    // what lets them overlap. Depthwise forests have (nearly) all their trees at maxDepth.
    const trees = complete.length;
    this.completeTrees = trees;
    this.depth = depth;
    const inner = 2 ** depth - 1;
    this.innerPerTree = inner;
    this.splitFeature = new Int32Array(trees * inner);
    this.splitThreshold = new Float64Array(trees * inner);
    this.missingRight = new Int32Array(trees * inner);
    this.leaf = new Float64Array(trees * (inner + 1));
    for (let t = 0; t < trees; t++)
      this.fill(forest, complete[t] as number, 0, 0, t * inner, t * (inner + 1));
    this.deepRoots = Int32Array.from(deep);
    this.block = new Float64Array(BLOCK_ROWS * this.featureCount);
  }

  /** Lays the subtree under `node` at heap index `i` (level `level`) of the complete tree whose arrays start at `innerStart`/`leafStart`. */
  private fill(
    f: Forest,
    node: number,
    i: number,
    level: number,
    innerStart: number,
    leafStart: number,
  ): void {
    const d = this.depth;
    if (level === d) {
      this.leaf[leafStart + i - this.innerPerTree] = f.value[node] as number;
      return;
    }
    const feat = f.feature[node] as number;
    if (feat === -1) {
      // Padding: both sides lead to this same leaf, whatever the row holds.
      this.splitFeature[innerStart + i] = 0;
      this.splitThreshold[innerStart + i] = 0;
      this.missingRight[innerStart + i] = 0;
      this.fill(f, node, 2 * i + 1, level + 1, innerStart, leafStart);
      this.fill(f, node, 2 * i + 2, level + 1, innerStart, leafStart);
      return;
    }
    this.splitFeature[innerStart + i] = feat;
    this.splitThreshold[innerStart + i] = f.threshold[node] as number;
    this.missingRight[innerStart + i] = f.defaultLeft[node] ? 0 : 1;
    this.fill(f, f.left[node] as number, 2 * i + 1, level + 1, innerStart, leafStart);
    this.fill(f, f.right[node] as number, 2 * i + 2, level + 1, innerStart, leafStart);
  }

  /**
   * The margin of one row (`x[offset + f]` is feature f); allocates nothing. Four trees are
   * walked side by side: each walk is a chain of dependent loads, four chains overlap.
   */
  margin(x: Float64Array, offset = 0): number {
    const { splitFeature: sf, splitThreshold: st, missingRight: mr, leaf } = this;
    const d = this.depth;
    const inner = this.innerPerTree;
    const trees = this.completeTrees;
    let m = this.baseMargin;
    let t = 0;
    for (; t + 3 < trees; t += 4) {
      const b0 = t * inner;
      const b1 = b0 + inner;
      const b2 = b1 + inner;
      const b3 = b2 + inner;
      let i0 = 0;
      let i1 = 0;
      let i2 = 0;
      let i3 = 0;
      for (let level = 0; level < d; level++) {
        const v0 = x[offset + (sf[b0 + i0] as number)] as number;
        const v1 = x[offset + (sf[b1 + i1] as number)] as number;
        const v2 = x[offset + (sf[b2 + i2] as number)] as number;
        const v3 = x[offset + (sf[b3 + i3] as number)] as number;
        i0 = 2 * i0 + 1 + +(v0 >= (st[b0 + i0] as number)) + (+Number.isNaN(v0) & (mr[b0 + i0] as number));
        i1 = 2 * i1 + 1 + +(v1 >= (st[b1 + i1] as number)) + (+Number.isNaN(v1) & (mr[b1 + i1] as number));
        i2 = 2 * i2 + 1 + +(v2 >= (st[b2 + i2] as number)) + (+Number.isNaN(v2) & (mr[b2 + i2] as number));
        i3 = 2 * i3 + 1 + +(v3 >= (st[b3 + i3] as number)) + (+Number.isNaN(v3) & (mr[b3 + i3] as number));
      }
      const l0 = t * (inner + 1) - inner;
      m +=
        (leaf[l0 + i0] as number) +
        (leaf[l0 + inner + 1 + i1] as number) +
        (leaf[l0 + 2 * (inner + 1) + i2] as number) +
        (leaf[l0 + 3 * (inner + 1) + i3] as number);
    }
    for (; t < trees; t++) {
      const b = t * inner;
      let i = 0;
      for (let level = 0; level < d; level++) {
        const v = x[offset + (sf[b + i] as number)] as number;
        i = 2 * i + 1 + +(v >= (st[b + i] as number)) + (+Number.isNaN(v) & (mr[b + i] as number));
      }
      m += leaf[t * (inner + 1) - inner + i] as number;
    }
    if (this.deepRoots.length > 0) m += this.deepMargin(x, offset);
    return m;
  }

  /** The trees too deep for the complete layout, walked node by node. */
  private deepMargin(x: Float64Array, offset: number): number {
    const { feature, threshold, left, right, defaultLeft, value } = this.forest;
    let m = 0;
    for (let t = 0; t < this.deepRoots.length; t++) {
      let n = this.deepRoots[t] as number;
      let feat = feature[n] as number;
      while (feat !== -1) {
        const v = x[offset + feat] as number;
        const thr = threshold[n] as number;
        n =
          v < thr
            ? (left[n] as number)
            : v >= thr
              ? (right[n] as number)
              : defaultLeft[n]
                ? (left[n] as number)
                : (right[n] as number);
        feat = feature[n] as number;
      }
      m += value[n] as number;
    }
    return m;
  }

  /**
   * Margins of `rows` rows stored row-major in `data`: feature f of row r at
   * `data[start + r * stride + f]`. Written to `out` (allocated when absent).
   */
  marginsRows(data: Float64Array, rows: number, stride: number, start = 0, out?: Float64Array): Float64Array {
    if (stride < this.featureCount)
      throw new RangeError(`stride ${stride} is less than the ${this.featureCount} features`);
    if (rows > 0 && start + (rows - 1) * stride + this.featureCount > data.length)
      throw new RangeError(`data holds fewer than ${rows} rows of stride ${stride}`);
    const result = out ?? new Float64Array(rows);
    if (result.length < rows) throw new RangeError(`out has room for ${result.length} rows, not ${rows}`);
    for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
      const n = Math.min(BLOCK_ROWS, rows - r0);
      this.scoreBlock(data, start + r0 * stride, stride, n, result, r0);
    }
    return result;
  }

  /** Margins of every row of a column-major table (one Float64Array per feature, in the forest's order). */
  marginsColumns(columns: readonly Float64Array[], out?: Float64Array): Float64Array {
    const fc = this.featureCount;
    if (columns.length !== fc)
      throw new RangeError(`${columns.length} columns for a forest of ${fc} features`);
    const rows = columns[0]?.length ?? 0;
    for (let f = 0; f < fc; f++) {
      if ((columns[f] as Float64Array).length !== rows)
        throw new RangeError(
          `column ${f} has ${(columns[f] as Float64Array).length} rows, column 0 has ${rows}`,
        );
    }
    const result = out ?? new Float64Array(rows);
    if (result.length < rows) throw new RangeError(`out has room for ${result.length} rows, not ${rows}`);
    const block = this.block;
    for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
      const n = Math.min(BLOCK_ROWS, rows - r0);
      // A block of rows turned row-major: each walk then reads one row's features side by side.
      for (let f = 0; f < fc; f++) {
        const col = columns[f] as Float64Array;
        for (let r = 0, p = f; r < n; r++, p += fc) block[p] = col[r0 + r] as number;
      }
      this.scoreBlock(block, 0, fc, n, result, r0);
    }
    return result;
  }

  /** Scores `n` rows (row r at `data[start + r * stride]`) into `out[outStart + r]`, tree by tree, four rows at a time. */
  private scoreBlock(
    data: Float64Array,
    start: number,
    stride: number,
    n: number,
    out: Float64Array,
    outStart: number,
  ): void {
    const { splitFeature: sf, splitThreshold: st, missingRight: mr, leaf } = this;
    const d = this.depth;
    const inner = this.innerPerTree;
    const bm = this.baseMargin;
    for (let r = 0; r < n; r++) out[outStart + r] = bm;
    for (let t = 0; t < this.completeTrees; t++) {
      const b = t * inner;
      const lb = t * (inner + 1) - inner;
      let r = 0;
      for (; r + 3 < n; r += 4) {
        const x0 = start + r * stride;
        const x1 = x0 + stride;
        const x2 = x1 + stride;
        const x3 = x2 + stride;
        let i0 = 0;
        let i1 = 0;
        let i2 = 0;
        let i3 = 0;
        for (let level = 0; level < d; level++) {
          const v0 = data[x0 + (sf[b + i0] as number)] as number;
          const v1 = data[x1 + (sf[b + i1] as number)] as number;
          const v2 = data[x2 + (sf[b + i2] as number)] as number;
          const v3 = data[x3 + (sf[b + i3] as number)] as number;
          i0 = 2 * i0 + 1 + +(v0 >= (st[b + i0] as number)) + (+Number.isNaN(v0) & (mr[b + i0] as number));
          i1 = 2 * i1 + 1 + +(v1 >= (st[b + i1] as number)) + (+Number.isNaN(v1) & (mr[b + i1] as number));
          i2 = 2 * i2 + 1 + +(v2 >= (st[b + i2] as number)) + (+Number.isNaN(v2) & (mr[b + i2] as number));
          i3 = 2 * i3 + 1 + +(v3 >= (st[b + i3] as number)) + (+Number.isNaN(v3) & (mr[b + i3] as number));
        }
        const o = outStart + r;
        out[o] = (out[o] as number) + (leaf[lb + i0] as number);
        out[o + 1] = (out[o + 1] as number) + (leaf[lb + i1] as number);
        out[o + 2] = (out[o + 2] as number) + (leaf[lb + i2] as number);
        out[o + 3] = (out[o + 3] as number) + (leaf[lb + i3] as number);
      }
      for (; r < n; r++) {
        const x0 = start + r * stride;
        let i = 0;
        for (let level = 0; level < d; level++) {
          const v = data[x0 + (sf[b + i] as number)] as number;
          i = 2 * i + 1 + +(v >= (st[b + i] as number)) + (+Number.isNaN(v) & (mr[b + i] as number));
        }
        out[outStart + r] = (out[outStart + r] as number) + (leaf[lb + i] as number);
      }
    }
    if (this.deepRoots.length > 0) {
      for (let r = 0; r < n; r++)
        out[outStart + r] = (out[outStart + r] as number) + this.deepMargin(data, start + r * stride);
    }
  }
}

const compiled = new WeakMap<Forest, CompiledForest>();

/** The compiled form of a forest, built once per forest object and cached. */
export function compileForest(forest: Forest): CompiledForest {
  let c = compiled.get(forest);
  if (c === undefined) {
    c = new CompiledForest(forest);
    compiled.set(forest, c);
  }
  return c;
}

/** Margins of every row of a column-major table. */
export function predictMargins(
  forest: Forest,
  columns: readonly Float64Array[],
  out?: Float64Array,
): Float64Array {
  return compileForest(forest).marginsColumns(columns, out);
}

/** Probabilities (logistic of the margins) of every row of a column-major table. */
export function predictProbabilities(
  forest: Forest,
  columns: readonly Float64Array[],
  out?: Float64Array,
): Float64Array {
  const m = compileForest(forest).marginsColumns(columns, out);
  for (let i = 0; i < m.length; i++) m[i] = 1 / (1 + Math.exp(-(m[i] as number)));
  return m;
}
