/**
 * Bulwark's gradient-boosted tree learner: histogram-based boosting of binary log-loss,
 * written for one core and large tables (a million rows, a few dozen features).
 *
 * The shape follows XGBoost's `hist` method, so its parameters mean what a fraud team
 * expects them to mean:
 *  - every feature is cut into at most `maxBin` quantile bins, computed once from a sample;
 *    missing values get a bin of their own;
 *  - each tree is grown from histograms of (sum of gradients, sum of hessians) per bin; a
 *    node's histogram is built only for the smaller child of a split, the larger one is the
 *    parent's histogram minus the smaller (the subtraction trick). Bins keep no row count:
 *    the split rules use hessian sums (as XGBoost's do), a node's row count comes from its
 *    partition, and a count per bin cost a third more time in the hottest loop;
 *  - every split learns where missing values go (it tries them on both sides);
 *  - the gain is XGBoost's: G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ), a split must beat
 *    `gamma` and leave at least `minChildWeight` of hessian on both sides, and a leaf is
 *    worth −G/(H+λ) times the learning rate.
 * The output is the shared `Forest` layout, whose thresholds are the bins' real-valued
 * boundaries, so `x < threshold` sends every training row exactly where its bin went.
 *
 * Memory layout, for speed: every feature's bins as a column (what splits read) and again
 * row-major, low-cardinality features bundled into shared bytes (what histograms read); a
 * node owns a contiguous range of one row-index array; histograms are flat Float64Arrays
 * of (g, h) pairs per slot. Nothing in the hot loops allocates or calls a closure.
 */
import { type Forest, validateForest } from './forest.ts';

/** A column-major table: one Float64Array per feature (NaN is missing) and a 0/1 label per row. */
export interface Dataset {
  readonly features: readonly string[];
  readonly columns: readonly Float64Array[];
  readonly labels: Uint8Array;
  /** Sample weights (≥ 0), one per row; every row weighs 1 when absent. */
  readonly weights?: Float64Array | undefined;
}

export type GrowPolicy = 'depthwise' | 'lossguide';

export interface GbdtParams {
  /** Boosting rounds: one tree each. */
  trees: number;
  /** Shrinkage of every leaf, in (0, 1]. */
  learningRate: number;
  /** Deepest split level (a depth-6 tree has at most 64 leaves); 0 means no limit (lossguide only). */
  maxDepth: number;
  /** Most leaves per tree; 0 means no limit. */
  maxLeaves: number;
  /** Level by level (XGBoost's default), or best split first (LightGBM's leaf-wise growth). */
  growPolicy: GrowPolicy;
  /** Least hessian sum on each side of a split. */
  minChildWeight: number;
  /** L2 penalty on leaf values. */
  lambda: number;
  /** Least gain of a split (XGBoost's min_split_loss). */
  gamma: number;
  /** Share of the rows each tree learns from, drawn anew per tree. */
  subsample: number;
  /** Share of the features each tree may split on, drawn anew per tree. */
  colsampleByTree: number;
  /** Weight of every positive row relative to the negatives (class weighting). */
  scalePosWeight: number;
  /** Most bins per feature, not counting the bin of missing values. */
  maxBin: number;
  /** Seed of the row and feature sampling: the same seed and data give the same forest. */
  seed: number;
  /** Stop when the validation log-loss has not improved for this many rounds (0: never). */
  earlyStoppingRounds: number;
  /** Probability the forest starts from; the weighted positive rate when undefined. */
  baseScore: number | undefined;
}

export const DEFAULT_PARAMS: Readonly<GbdtParams> = Object.freeze({
  trees: 100,
  learningRate: 0.1,
  maxDepth: 6,
  maxLeaves: 0,
  growPolicy: 'depthwise',
  minChildWeight: 1,
  lambda: 1,
  gamma: 0,
  subsample: 1,
  colsampleByTree: 1,
  scalePosWeight: 1,
  maxBin: 255,
  seed: 0,
  earlyStoppingRounds: 0,
  baseScore: undefined,
});

export interface TrainReport {
  /** Index (0-based) of the last tree kept: the best round on the validation set, else the last round. */
  bestIteration: number;
  /** Weighted mean log-loss on the training rows after each round. */
  trainLoss: number[];
  /** Weighted mean log-loss on the validation rows after each round (empty without validation). */
  validLoss: number[];
  /** Wall time of the training, binning included. */
  seconds: number;
}

export interface TrainResult {
  forest: Forest;
  report: TrainReport;
}

export interface TrainOptions {
  /** Rows for early stopping and the validation loss; same features, same order. */
  validation?: Dataset | undefined;
  /** Called after every tree. */
  onProgress?: ((done: number, total: number) => void) | undefined;
  /** Aborting stops the training between two trees with an error named `AbortError`. */
  signal?: AbortSignal | undefined;
}

/** Thrown when the signal aborts a training; nothing of the half-trained forest escapes. */
export class TrainingAbortedError extends Error {
  constructor(cause: unknown) {
    super('the training was aborted', { cause });
    this.name = 'AbortError';
  }
}

const PARAM_KEYS = new Set<string>(Object.keys(DEFAULT_PARAMS).concat('baseScore'));

function requireNumber(name: string, v: unknown, ok: (n: number) => boolean, rule: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new RangeError(`${name} must be ${rule}, got ${String(v)}`);
  return v;
}

const isInt = (lo: number, hi: number) => (n: number) => Number.isInteger(n) && n >= lo && n <= hi;
const isFiniteAtLeast = (lo: number) => (n: number) => Number.isFinite(n) && n >= lo;
const isShare = (n: number) => n > 0 && n <= 1;

/**
 * The parameters with defaults filled in, checked one by one: a bad value throws a
 * RangeError whose message starts with the parameter's name, and an unknown name (a typo
 * such as `max_depth`) is refused rather than silently ignored.
 */
export function resolveParams(params: Partial<GbdtParams> = {}): GbdtParams {
  for (const key of Object.keys(params)) {
    if (!PARAM_KEYS.has(key)) throw new RangeError(`${key} is not a parameter of the learner`);
  }
  const p: GbdtParams = { ...DEFAULT_PARAMS };
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) (p as unknown as Record<string, unknown>)[key] = value;
  }
  requireNumber('trees', p.trees, isInt(1, 100_000), 'an integer from 1 to 100000');
  requireNumber('learningRate', p.learningRate, isShare, 'in (0, 1]');
  // Node buffers are sized for a complete tree of this depth: 2^21 nodes at most.
  requireNumber('maxDepth', p.maxDepth, isInt(0, 20), 'an integer from 0 to 20');
  requireNumber('maxLeaves', p.maxLeaves, (n) => n === 0 || isInt(2, 1 << 20)(n), '0 or an integer ≥ 2');
  if (p.growPolicy !== 'depthwise' && p.growPolicy !== 'lossguide')
    throw new RangeError(`growPolicy must be 'depthwise' or 'lossguide', got ${String(p.growPolicy)}`);
  if (p.growPolicy === 'depthwise' && p.maxDepth === 0)
    throw new RangeError('maxDepth must be at least 1 with the depthwise growth policy');
  if (p.maxDepth === 0 && p.maxLeaves === 0)
    throw new RangeError('maxLeaves must be set (≥ 2) when maxDepth is 0, or trees grow without bound');
  requireNumber('minChildWeight', p.minChildWeight, isFiniteAtLeast(0), 'a finite number ≥ 0');
  requireNumber('lambda', p.lambda, isFiniteAtLeast(0), 'a finite number ≥ 0');
  requireNumber('gamma', p.gamma, isFiniteAtLeast(0), 'a finite number ≥ 0');
  requireNumber('subsample', p.subsample, isShare, 'in (0, 1]');
  requireNumber('colsampleByTree', p.colsampleByTree, isShare, 'in (0, 1]');
  requireNumber(
    'scalePosWeight',
    p.scalePosWeight,
    (n) => Number.isFinite(n) && n > 0,
    'a finite number > 0',
  );
  requireNumber('maxBin', p.maxBin, isInt(2, 65_535), 'an integer from 2 to 65535');
  requireNumber('seed', p.seed, Number.isSafeInteger, 'a safe integer');
  requireNumber('earlyStoppingRounds', p.earlyStoppingRounds, isInt(0, 100_000), 'an integer ≥ 0');
  if (p.baseScore !== undefined)
    requireNumber('baseScore', p.baseScore, (n) => n > 0 && n < 1, 'a probability in (0, 1)');
  return p;
}

/**
 * A small seeded generator (mulberry32): the learner's only source of randomness, so a
 * seed fixes the forest. Its quality is ample for drawing rows and features.
 */
export class Prng {
  private state: number;
  constructor(seed: number) {
    // Mixing the high part in keeps seeds above 2^32 distinct.
    this.state = (seed ^ Math.floor(seed / 4294967296) ^ 0x9e3779b9) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

function checkDataset(d: Dataset, name: string): number {
  if (!Array.isArray(d.features) || d.features.length === 0)
    throw new RangeError(`${name}.features must name at least one feature`);
  if (new Set(d.features).size !== d.features.length)
    throw new RangeError(`${name}.features has a name twice`);
  if (d.columns.length !== d.features.length)
    throw new RangeError(`${name}.columns has ${d.columns.length} columns for ${d.features.length} features`);
  if (!(d.labels instanceof Uint8Array)) throw new RangeError(`${name}.labels must be a Uint8Array`);
  const n = d.labels.length;
  if (n === 0) throw new RangeError(`${name}.labels is empty: there is nothing to learn from`);
  for (let f = 0; f < d.columns.length; f++) {
    const c = d.columns[f];
    if (!(c instanceof Float64Array)) throw new RangeError(`${name}.columns[${f}] must be a Float64Array`);
    if (c.length !== n) throw new RangeError(`${name}.columns[${f}] has ${c.length} rows, labels has ${n}`);
  }
  for (let i = 0; i < n; i++) {
    const y = d.labels[i] as number;
    if (y > 1) throw new RangeError(`${name}.labels[${i}] is ${y}, labels must be 0 or 1`);
  }
  if (d.weights !== undefined) {
    if (!(d.weights instanceof Float64Array) || d.weights.length !== n)
      throw new RangeError(`${name}.weights must be a Float64Array of ${n} entries`);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const w = d.weights[i] as number;
      if (!(w >= 0) || !Number.isFinite(w))
        throw new RangeError(`${name}.weights[${i}] must be a finite number ≥ 0`);
      total += w;
    }
    if (!(total > 0)) throw new RangeError(`${name}.weights sum to zero`);
  }
  return n;
}

// ---------------------------------------------------------------------------------------
// Binning

/** Rows the bin boundaries are computed from; quantiles of 200k rows are as good as of all. */
const BINNING_SAMPLE_ROWS = 200_000;

export interface BinnedTable {
  readonly rows: number;
  readonly featureCount: number;
  /**
   * Sorted boundaries of each feature: a value falls in bin j when exactly j boundaries are
   * ≤ it, so "bins below j" is exactly `x < cuts[j - 1]`, the forest's own comparison.
   */
  readonly cuts: readonly Float64Array[];
  /** Bins of non-missing values per feature (`cuts.length + 1`); the missing bin is `binCount[f]`. */
  readonly binCount: Int32Array;
  /** Each feature's bin of every row (Uint8 when `maxBin` ≤ 255, else Uint16): what splits read. */
  readonly bins: ReadonlyArray<Uint8Array | Uint16Array>;
  /**
   * What histograms read: the bins again, row-major, one row's features side by side in
   * memory. Features are gathered in groups (see `groupFeatures`): a group is one feature,
   * or several low-cardinality ones sharing one code (their bins in mixed radix), so a row
   * costs one histogram update per group rather than per feature.
   * `codes[row * groupCount + g]` is the code of group g, and `groupOffset[g] + code` its
   * slot in a node histogram (a slot holds a gradient sum and a hessian sum).
   */
  readonly groupCount: number;
  readonly groupOffset: Int32Array;
  readonly codes: Uint8Array | Uint16Array;
  /**
   * Slot of each feature's bin 0 in a node histogram (its missing bin at `+ binCount[f]`).
   * A feature alone in its group reads its group's slots; a bundled one reads slots after
   * all the groups', filled from its group's slots by `marginalize`.
   */
  readonly featureSlot: Int32Array;
  readonly bundles: readonly Bundle[];
  /** Slots in a node histogram: the groups' and the bundled features' own. */
  readonly histSlots: number;
}

/** A group of several features, and where each of its codes adds to its members' own slots. */
export interface Bundle {
  readonly firstSlot: number;
  readonly size: number;
  readonly members: number;
  /** `target[code * members + m]`: the slot of member m's bin within that code. */
  readonly target: Int32Array;
  /** The members' own slots, `[derivedStart, derivedEnd)`. */
  readonly derivedStart: number;
  readonly derivedEnd: number;
}

/** Most codes of a bundle: one byte. */
const MAX_BUNDLE_CODES = 256;

/**
 * Packs features into groups for the histogram layout: every feature of at most 128 bins
 * (missing included) goes, largest first, into the fullest group it still fits in without
 * the product of the members' bins passing 256, so two, three or four flags and small
 * counts share one byte. This is exact: a bundle's histogram over its joint codes, summed
 * over the other members' bins, is each member's own histogram. Fraud features are mostly
 * such counts and flags, and every feature folded into a bundle is one update less per row.
 */
export function groupFeatures(binCount: Int32Array): number[][] {
  const width = (f: number) => (binCount[f] as number) + 1;
  const order = Array.from(binCount.keys()).sort((a, b) => width(b) - width(a) || a - b);
  const groups: Array<{ members: number[]; size: number }> = [];
  for (const f of order) {
    const w = width(f);
    let best = -1;
    if (w <= MAX_BUNDLE_CODES / 2) {
      for (let g = 0; g < groups.length; g++) {
        const size = (groups[g] as { size: number }).size;
        if (size * w <= MAX_BUNDLE_CODES && (best === -1 || size > (groups[best] as { size: number }).size))
          best = g;
      }
    }
    if (best === -1) groups.push({ members: [f], size: w });
    else {
      const g = groups[best] as { members: number[]; size: number };
      g.members.push(f);
      g.size *= w;
    }
  }
  // In feature order, so the layout reads like the table.
  return groups
    .map((g) => g.members.sort((a, b) => a - b))
    .sort((a, b) => (a[0] as number) - (b[0] as number));
}

/** A boundary between two consecutive distinct values a < b, as a midpoint that still separates them. */
function boundary(a: number, b: number): number {
  const mid = a / 2 + b / 2;
  return mid > a && mid <= b ? mid : b;
}

/** The boundaries of one feature from its sorted non-missing sample values. */
export function quantileCuts(sorted: Float64Array, maxBin: number): Float64Array {
  const n = sorted.length;
  if (n === 0) return new Float64Array(0);
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = sorted[i] as number;
    if (distinct.length > 0 && distinct[distinct.length - 1] === v)
      counts[counts.length - 1] = (counts[counts.length - 1] as number) + 1;
    else {
      distinct.push(v);
      counts.push(1);
    }
  }
  const m = distinct.length;
  const cuts: number[] = [];
  if (m <= maxBin) {
    for (let i = 0; i + 1 < m; i++) cuts.push(boundary(distinct[i] as number, distinct[i + 1] as number));
    return Float64Array.from(cuts);
  }
  // Equal-frequency bins, walked greedily over the distinct values: a bin closes once it
  // holds its share of the remaining rows, or just before a value that alone fills one,
  // so a heavy value (a count of 0, a default) gets a bin of its own.
  let restRows = n;
  let restBins = maxBin;
  let share = restRows / restBins;
  let inBin = 0;
  for (let i = 0; i + 1 < m && restBins > 1; i++) {
    const c = counts[i] as number;
    inBin += c;
    restRows -= c;
    if (inBin >= share || (counts[i + 1] as number) >= share) {
      cuts.push(boundary(distinct[i] as number, distinct[i + 1] as number));
      restBins--;
      inBin = 0;
      share = restRows / restBins;
    }
  }
  return Float64Array.from(cuts);
}

/**
 * Runs a hot loop once on a few rows before the real call. V8 compiles a long loop while it
 * runs (on-stack replacement) from what the function has executed so far; code it has not
 * seen yet (the tail of a four-at-a-time loop, the lines after the loop) is compiled as
 * "deoptimize here", and the cached loop code then bails out on every later call. A short
 * run first, with the very array types of the real one, lets every line record its types.
 */
function warmUp(run: () => void): void {
  run();
  run();
}

/**
 * The bin of every value of a column: the number of boundaries ≤ it, `cuts.length + 1`
 * (the missing bin) for NaN. A binary search whose steps add 0 or 1 times the half
 * instead of branching, four values at a time: the CPU cannot predict a search's turns,
 * and four independent searches keep it busy while each one waits for its loads.
 */
function binColumn(col: Float64Array, cuts: Float64Array, out: Uint8Array | Uint16Array): void {
  const n = col.length;
  const nc = cuts.length;
  const missing = nc + 1;
  if (nc === 0) {
    for (let r = 0; r < n; r++) {
      const v = col[r] as number;
      out[r] = Number.isNaN(v) ? 1 : 0;
    }
    return;
  }
  let r = 0;
  for (; r + 3 < n; r += 4) {
    const x0 = col[r] as number;
    const x1 = col[r + 1] as number;
    const x2 = col[r + 2] as number;
    const x3 = col[r + 3] as number;
    let b0 = 0;
    let b1 = 0;
    let b2 = 0;
    let b3 = 0;
    for (let len = nc; len > 1; ) {
      const half = len >>> 1;
      b0 += half * +((cuts[b0 + half] as number) <= x0);
      b1 += half * +((cuts[b1 + half] as number) <= x1);
      b2 += half * +((cuts[b2 + half] as number) <= x2);
      b3 += half * +((cuts[b3 + half] as number) <= x3);
      len -= half;
    }
    b0 += +((cuts[b0] as number) <= x0);
    b1 += +((cuts[b1] as number) <= x1);
    b2 += +((cuts[b2] as number) <= x2);
    b3 += +((cuts[b3] as number) <= x3);
    // NaN compares false everywhere (bin 0 so far); it belongs in the missing bin.
    out[r] = b0 + (missing - b0) * +Number.isNaN(x0);
    out[r + 1] = b1 + (missing - b1) * +Number.isNaN(x1);
    out[r + 2] = b2 + (missing - b2) * +Number.isNaN(x2);
    out[r + 3] = b3 + (missing - b3) * +Number.isNaN(x3);
  }
  for (; r < n; r++) {
    const x = col[r] as number;
    let b = 0;
    for (let len = nc; len > 1; ) {
      const half = len >>> 1;
      b += half * +((cuts[b + half] as number) <= x);
      len -= half;
    }
    b += +((cuts[b] as number) <= x);
    out[r] = Number.isNaN(x) ? missing : b;
  }
}

/** Cuts every feature into quantile bins and writes both bin layouts. */
export function binTable(data: Dataset, maxBin: number): BinnedTable {
  const n = data.labels.length;
  const featureCount = data.columns.length;
  // A stratified sample (one row drawn in each of `sampleSize` equal stretches) with a fixed
  // seed: deterministic, spread over the whole table, and blind to any period in the rows.
  const sampleSize = Math.min(n, BINNING_SAMPLE_ROWS);
  const sample = new Uint32Array(sampleSize);
  if (sampleSize === n) for (let i = 0; i < n; i++) sample[i] = i;
  else {
    const rng = new Prng(0x5eed);
    const stretch = n / sampleSize;
    for (let i = 0; i < sampleSize; i++) sample[i] = Math.min(n - 1, Math.floor((i + rng.next()) * stretch));
  }
  const cuts: Float64Array[] = [];
  const bins: Array<Uint8Array | Uint16Array> = [];
  const binCount = new Int32Array(featureCount);
  const values = new Float64Array(sampleSize);
  for (let f = 0; f < featureCount; f++) {
    const col = data.columns[f] as Float64Array;
    let k = 0;
    for (let i = 0; i < sampleSize; i++) {
      const v = col[sample[i] as number] as number;
      if (!Number.isNaN(v)) values[k++] = v;
    }
    const c = quantileCuts(values.subarray(0, k).sort(), maxBin);
    cuts.push(c);
    binCount[f] = c.length + 1;
    const out = maxBin <= 255 ? new Uint8Array(n) : new Uint16Array(n);
    if (f === 0) warmUp(() => binColumn(col.subarray(0, 7), c, out.subarray(0, 7)));
    binColumn(col, c, out);
    bins.push(out);
  }
  const groups = groupFeatures(binCount);
  const groupCount = groups.length;
  const groupOffset = new Int32Array(groupCount + 1);
  const featureSlot = new Int32Array(featureCount);
  let widest = 0;
  for (let g = 0; g < groupCount; g++) {
    let size = 1;
    for (const f of groups[g] as number[]) size *= (binCount[f] as number) + 1;
    groupOffset[g + 1] = (groupOffset[g] as number) + size;
    widest = Math.max(widest, size);
  }
  // Bundled features get slots of their own after the groups'.
  let derived = groupOffset[groupCount] as number;
  const bundles: Bundle[] = [];
  const strides: Int32Array[] = [];
  for (let g = 0; g < groupCount; g++) {
    const members = groups[g] as number[];
    const stride = new Int32Array(members.length);
    let radix = 1;
    for (let m = 0; m < members.length; m++) {
      stride[m] = radix;
      radix *= (binCount[members[m] as number] as number) + 1;
    }
    strides.push(stride);
    if (members.length === 1) {
      featureSlot[members[0] as number] = groupOffset[g] as number;
      continue;
    }
    const derivedStart = derived;
    for (const f of members) {
      featureSlot[f] = derived;
      derived += (binCount[f] as number) + 1;
    }
    const size = radix;
    const target = new Int32Array(size * members.length);
    for (let code = 0; code < size; code++) {
      for (let m = 0; m < members.length; m++) {
        const f = members[m] as number;
        const bin = Math.floor(code / (stride[m] as number)) % ((binCount[f] as number) + 1);
        target[code * members.length + m] = (featureSlot[f] as number) + bin;
      }
    }
    bundles.push({
      firstSlot: groupOffset[g] as number,
      size,
      members: members.length,
      target,
      derivedStart,
      derivedEnd: derived,
    });
  }
  const codes = widest <= 256 ? new Uint8Array(n * groupCount) : new Uint16Array(n * groupCount);
  // Transposed a block of rows at a time, so the block's part of the row-major table stays
  // in cache while every feature adds its part to each row's codes.
  const BLOCK = 2048;
  for (let r0 = 0; r0 < n; r0 += BLOCK) {
    const r1 = Math.min(n, r0 + BLOCK);
    for (let g = 0; g < groupCount; g++) {
      const members = groups[g] as number[];
      const stride = strides[g] as Int32Array;
      for (let m = 0; m < members.length; m++) {
        const col = bins[members[m] as number] as Uint8Array | Uint16Array;
        const k = stride[m] as number;
        for (let r = r0, p = r0 * groupCount + g; r < r1; r++, p += groupCount)
          codes[p] = (codes[p] as number) + k * (col[r] as number);
      }
    }
  }
  return {
    rows: n,
    featureCount,
    cuts,
    binCount,
    bins,
    groupCount,
    groupOffset,
    codes,
    featureSlot,
    bundles,
    histSlots: derived,
  };
}

/** Fills the bundled features' own slots of a node histogram from their groups' slots. */
function marginalize(hist: Float64Array, bundles: readonly Bundle[]): void {
  for (const b of bundles) {
    hist.fill(0, 2 * b.derivedStart, 2 * b.derivedEnd);
    const { target, members, firstSlot, size } = b;
    for (let code = 0; code < size; code++) {
      const g = hist[2 * (firstSlot + code)] as number;
      const h = hist[2 * (firstSlot + code) + 1] as number;
      if (g === 0 && h === 0) continue;
      for (let m = 0; m < members; m++) {
        const t = 2 * (target[code * members + m] as number);
        hist[t] = (hist[t] as number) + g;
        hist[t + 1] = (hist[t + 1] as number) + h;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Hot loops. They take everything as arguments (typed arrays and integers), so V8 compiles
// each one once for the types it sees, and they never allocate.

/**
 * Histogram copies a build spreads consecutive rows over. Two rows landing in the same bin
 * of a feature one after the other make the second add wait for the first one's store;
 * with four interleaved copies the adds of four rows are independent and overlap. The
 * copies are summed into the node's histogram at the end (a few thousand adds).
 */
const HIST_COPIES = 4;

/**
 * Adds the gradient pairs of `rows[start..end)` into `scratch` (HIST_COPIES copies of the
 * groups' slots, copy-major, two doubles a slot) and folds the copies into the start of
 * `hist`; the bundled features' slots are `marginalize`'s. The gradient pairs are float32
 * (as XGBoost stores them): half the memory to fetch for the scattered rows of a deep node,
 * summed in float64.
 */
function buildHistogram(
  hist: Float64Array,
  scratch: Float64Array,
  codes: Uint8Array | Uint16Array,
  groupCount: number,
  groupOffset: Int32Array,
  gh: Float32Array,
  rows: Uint32Array,
  start: number,
  end: number,
): void {
  const copy = 2 * (groupOffset[groupCount] as number);
  scratch.fill(0, 0, HIST_COPIES * copy);
  const c1 = copy;
  const c2 = 2 * copy;
  const c3 = 3 * copy;
  let k = start;
  for (; k + 3 < end; k += 4) {
    const r0 = rows[k] as number;
    const r1 = rows[k + 1] as number;
    const r2 = rows[k + 2] as number;
    const r3 = rows[k + 3] as number;
    const g0 = gh[2 * r0] as number;
    const h0 = gh[2 * r0 + 1] as number;
    const g1 = gh[2 * r1] as number;
    const h1 = gh[2 * r1 + 1] as number;
    const g2 = gh[2 * r2] as number;
    const h2 = gh[2 * r2 + 1] as number;
    const g3 = gh[2 * r3] as number;
    const h3 = gh[2 * r3 + 1] as number;
    const p0 = r0 * groupCount;
    const p1 = r1 * groupCount;
    const p2 = r2 * groupCount;
    const p3 = r3 * groupCount;
    for (let g = 0; g < groupCount; g++) {
      const o = groupOffset[g] as number;
      const i0 = (o + (codes[p0 + g] as number)) << 1;
      scratch[i0] = (scratch[i0] as number) + g0;
      scratch[i0 + 1] = (scratch[i0 + 1] as number) + h0;
      const i1 = ((o + (codes[p1 + g] as number)) << 1) + c1;
      scratch[i1] = (scratch[i1] as number) + g1;
      scratch[i1 + 1] = (scratch[i1 + 1] as number) + h1;
      const i2 = ((o + (codes[p2 + g] as number)) << 1) + c2;
      scratch[i2] = (scratch[i2] as number) + g2;
      scratch[i2 + 1] = (scratch[i2 + 1] as number) + h2;
      const i3 = ((o + (codes[p3 + g] as number)) << 1) + c3;
      scratch[i3] = (scratch[i3] as number) + g3;
      scratch[i3 + 1] = (scratch[i3 + 1] as number) + h3;
    }
  }
  for (; k < end; k++) {
    const r = rows[k] as number;
    const gr = gh[2 * r] as number;
    const hr = gh[2 * r + 1] as number;
    const p = r * groupCount;
    for (let g = 0; g < groupCount; g++) {
      const i = ((groupOffset[g] as number) + (codes[p + g] as number)) << 1;
      scratch[i] = (scratch[i] as number) + gr;
      scratch[i + 1] = (scratch[i + 1] as number) + hr;
    }
  }
  for (let i = 0; i < copy; i++) {
    hist[i] =
      (scratch[i] as number) +
      (scratch[i + c1] as number) +
      (scratch[i + c2] as number) +
      (scratch[i + c3] as number);
  }
}

/**
 * Splits `rows[start..end)` in place, stably (rows keep ascending order, so later passes
 * read memory forward): first the rows whose bin is below `limitBin`, or is the missing bin
 * when `missingLeft` is 1. Returns the number of left rows. It reads the split feature's
 * own column of bins, a megabyte that stays in cache, rather than the row-major table.
 * Branch-free: each row is written to both sides and each side's counter advances by a
 * 0/1 computed with integer arithmetic, because where a row goes is a coin flip the CPU
 * cannot predict.
 */
function partitionRows(
  rows: Uint32Array,
  scratch: Uint32Array,
  start: number,
  end: number,
  bins: Uint8Array | Uint16Array,
  limitBin: number,
  missingBin: number,
  missingLeft: number,
): number {
  let nl = 0;
  let nr = 0;
  for (let k = start; k < end; k++) {
    const r = rows[k] as number;
    const b = bins[r] as number;
    // (a - b) >>> 31 is 1 exactly when a < b, for bins (small non-negative integers).
    const isLeft = ((b - limitBin) >>> 31) | ((((b ^ missingBin) - 1) >>> 31) & missingLeft);
    rows[start + nl] = r;
    scratch[nr] = r;
    nl += isLeft;
    nr += 1 - isLeft;
  }
  rows.set(scratch.subarray(0, nr), start + nl);
  return nl;
}

/**
 * Gradients and hessians of the log-loss at the current margins, interleaved in `gh`,
 * and the summed log-loss of those margins (sample weights only, no class weighting).
 *
 * `expNeg` holds e^−m of every row, kept up to date by multiplying in e^−v when a leaf adds
 * v to the margin (one `Math.exp` per leaf instead of one per row and round); a value that
 * drifted out of range (a margin beyond ±575) is recomputed from the margin.
 * The loss of a row is log(1 + e^−m) for a positive and log(1 + e^−m) + m for a negative;
 * the logarithms are summed as the logarithm of a running product (flushed before it can
 * overflow), which turns a million `Math.log` calls per round into a few dozen. With
 * sample weights the product trick does not apply and each row takes its own logarithm.
 */
function gradients(
  margins: Float64Array,
  expNeg: Float64Array,
  labels: Uint8Array,
  classWeight: Float64Array,
  sampleWeight: Float64Array | undefined,
  gh: Float32Array,
): number {
  const n = margins.length;
  let logSum = 0;
  let linear = 0;
  let product = 1;
  for (let r = 0; r < n; r++) {
    let e = expNeg[r] as number;
    if (!(e > 1e-250 && e < 1e250)) {
      e = Math.exp(-(margins[r] as number));
      expNeg[r] = e;
    }
    const p = 1 / (1 + e);
    const y = labels[r] as number;
    const w = classWeight[r] as number;
    const h = p * (1 - p);
    gh[2 * r] = (p - y) * w;
    gh[2 * r + 1] = (h > 1e-16 ? h : 1e-16) * w;
    if (sampleWeight === undefined) {
      const a = 1 + e;
      if (a < 1e100) {
        product *= a;
        if (product > 1e200) {
          logSum += Math.log(product);
          product = 1;
        }
      } else logSum -= margins[r] as number;
      if (y === 0) linear += margins[r] as number;
    } else {
      const m = margins[r] as number;
      logSum += (sampleWeight[r] as number) * ((1 + e < 1e100 ? Math.log1p(e) : -m) + (y === 0 ? m : 0));
    }
  }
  return logSum + Math.log(product) + linear;
}

/** Summed log-loss of margins, without gradients (the last round, validation rows). */
function logLossSum(margins: Float64Array, labels: Uint8Array, weights: Float64Array | undefined): number {
  let sum = 0;
  for (let r = 0; r < margins.length; r++) {
    const m = margins[r] as number;
    // log(1 + e^−m) computed stably on both sides of 0.
    const l = m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m));
    const loss = labels[r] === 1 ? l : l + m;
    sum += weights === undefined ? loss : (weights[r] as number) * loss;
  }
  return sum;
}

// ---------------------------------------------------------------------------------------
// Growing one tree

/** One tree as grown: node arrays in creation order (a child always after its parent). */
interface GrownTree {
  nodes: number;
  feature: Int32Array;
  /** Bin below which a row goes left; the threshold is the matching boundary. */
  limitBin: Int32Array;
  threshold: Float64Array;
  missingLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
  cover: Float64Array;
}

/**
 * Grows trees on a binned table. All per-node and per-row buffers are allocated once and
 * reused by every tree; histograms come from a small pool.
 */
class TreeGrower {
  private readonly capacity: number;
  // Per node.
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  private readonly depth: Int32Array;
  private readonly sumG: Float64Array;
  private readonly sumH: Float64Array;
  private readonly histOf: Int32Array;
  private readonly bestGain: Float64Array;
  private readonly bestFeature: Int32Array;
  private readonly bestBin: Int32Array;
  private readonly bestMissingLeft: Uint8Array;
  private readonly bestGL: Float64Array;
  private readonly bestHL: Float64Array;
  readonly tree: GrownTree;
  // Per row.
  readonly rows: Uint32Array;
  private readonly rowScratch: Uint32Array;
  // Histograms.
  private readonly histSize: number;
  private readonly pool: Float64Array[] = [];
  private readonly freeHists: number[] = [];
  private readonly histScratch: Float64Array;
  private readonly candidates: number[] = [];
  private readonly rootSums = new Float64Array(2);

  constructor(
    private readonly table: BinnedTable,
    private readonly p: GbdtParams,
  ) {
    const byDepth = p.maxDepth > 0 ? 2 ** (p.maxDepth + 1) - 1 : Number.POSITIVE_INFINITY;
    const byLeaves = p.maxLeaves > 0 ? 2 * p.maxLeaves - 1 : Number.POSITIVE_INFINITY;
    // A tree cannot have more leaves than rows either.
    this.capacity = Math.min(byDepth, byLeaves, 2 * table.rows - 1);
    const c = this.capacity;
    this.start = new Int32Array(c);
    this.end = new Int32Array(c);
    this.depth = new Int32Array(c);
    this.sumG = new Float64Array(c);
    this.sumH = new Float64Array(c);
    this.histOf = new Int32Array(c);
    this.bestGain = new Float64Array(c);
    this.bestFeature = new Int32Array(c);
    this.bestBin = new Int32Array(c);
    this.bestMissingLeft = new Uint8Array(c);
    this.bestGL = new Float64Array(c);
    this.bestHL = new Float64Array(c);
    this.tree = {
      nodes: 0,
      feature: new Int32Array(c),
      limitBin: new Int32Array(c),
      threshold: new Float64Array(c),
      missingLeft: new Uint8Array(c),
      left: new Int32Array(c),
      right: new Int32Array(c),
      value: new Float64Array(c),
      cover: new Float64Array(c),
    };
    this.rows = new Uint32Array(table.rows);
    this.rowScratch = new Uint32Array(table.rows);
    this.histSize = 2 * table.histSlots;
    this.histScratch = new Float64Array(HIST_COPIES * 2 * (table.groupOffset[table.groupCount] as number));
    const k = Math.min(table.rows, 7);
    const probe = new Uint32Array(k);
    for (let i = 0; i < k; i++) probe[i] = i;
    const hist = new Float64Array(this.histSize);
    const gh = new Float32Array(2 * k);
    warmUp(() => {
      buildHistogram(
        hist,
        this.histScratch,
        table.codes,
        table.groupCount,
        table.groupOffset,
        gh,
        probe,
        0,
        k,
      );
      marginalize(hist, table.bundles);
    });
    const bins = table.bins[0] as Uint8Array | Uint16Array;
    warmUp(() => partitionRows(probe, this.rowScratch, 0, k, bins, 1, table.binCount[0] as number, 1));
  }

  private takeHist(): number {
    const free = this.freeHists.pop();
    if (free !== undefined) return free;
    this.pool.push(new Float64Array(this.histSize));
    return this.pool.length - 1;
  }

  private releaseHist(node: number): void {
    const h = this.histOf[node] as number;
    if (h >= 0) this.freeHists.push(h);
    this.histOf[node] = -1;
  }

  private newNode(start: number, end: number, depth: number, g: number, h: number): number {
    const t = this.tree;
    const id = t.nodes++;
    this.start[id] = start;
    this.end[id] = end;
    this.depth[id] = depth;
    this.sumG[id] = g;
    this.sumH[id] = h;
    this.histOf[id] = -1;
    this.bestFeature[id] = -1;
    t.feature[id] = -1;
    t.left[id] = -1;
    t.right[id] = -1;
    t.missingLeft[id] = 0;
    t.threshold[id] = 0;
    t.limitBin[id] = 0;
    return id;
  }

  /** Whether a node could still be split: depth, enough hessian for two children, two rows. */
  private mayGrow(node: number): boolean {
    const p = this.p;
    if (p.maxDepth > 0 && (this.depth[node] as number) >= p.maxDepth) return false;
    if ((this.end[node] as number) - (this.start[node] as number) < 2) return false;
    return (this.sumH[node] as number) >= 2 * p.minChildWeight;
  }

  /** The best split of a node from its histogram, over the features this tree may use. */
  private findSplit(node: number, featureMask: Uint8Array): void {
    const hist = this.pool[this.histOf[node] as number] as Float64Array;
    const { binCount, featureSlot, featureCount } = this.table;
    const lambda = this.p.lambda;
    const mcw = this.p.minChildWeight;
    const G = this.sumG[node] as number;
    const H = this.sumH[node] as number;
    const parentScore = (G * G) / (H + lambda);
    // A split must gain more than gamma, and more than rounding noise.
    let bestGain = Math.max(this.p.gamma, 1e-12 * Math.abs(parentScore), 1e-15);
    let bestFeature = -1;
    let bestBin = 0;
    let bestMissingLeft = 0;
    let bestGL = 0;
    let bestHL = 0;
    for (let f = 0; f < featureCount; f++) {
      if (featureMask[f] === 0) continue;
      const o = featureSlot[f] as number;
      const nb = binCount[f] as number;
      const ms = 2 * (o + nb);
      const Gm = hist[ms] as number;
      const Hm = hist[ms + 1] as number;
      const hasMissing = Hm > 0;
      if (hasMissing) {
        // Missing values alone on the left, every present value on the right.
        const GR = G - Gm;
        const HR = H - Hm;
        if (Hm >= mcw && HR >= mcw && HR > 0) {
          const gain = (Gm * Gm) / (Hm + lambda) + (GR * GR) / (HR + lambda) - parentScore;
          if (gain > bestGain) {
            bestGain = gain;
            bestFeature = f;
            bestBin = 0;
            bestMissingLeft = 1;
            bestGL = Gm;
            bestHL = Hm;
          }
        }
      }
      let GL = 0;
      let HL = 0;
      for (let j = 1; j < nb; j++) {
        const i = 2 * (o + j - 1);
        GL += hist[i] as number;
        HL += hist[i + 1] as number;
        // Missing values on the right.
        let GR = G - GL;
        let HR = H - HL;
        if (HL >= mcw && HR >= mcw && HL > 0 && HR > 0) {
          const gain = (GL * GL) / (HL + lambda) + (GR * GR) / (HR + lambda) - parentScore;
          if (gain > bestGain) {
            bestGain = gain;
            bestFeature = f;
            bestBin = j;
            // With no missing value at this node, an unseen one follows the heavier side.
            bestMissingLeft = hasMissing ? 0 : HL > HR ? 1 : 0;
            bestGL = GL;
            bestHL = HL;
          }
        }
        if (!hasMissing) continue;
        // Missing values on the left.
        const GLm = GL + Gm;
        const HLm = HL + Hm;
        GR = G - GLm;
        HR = H - HLm;
        if (HLm >= mcw && HR >= mcw && HR > 0) {
          const gain = (GLm * GLm) / (HLm + lambda) + (GR * GR) / (HR + lambda) - parentScore;
          if (gain > bestGain) {
            bestGain = gain;
            bestFeature = f;
            bestBin = j;
            bestMissingLeft = 1;
            bestGL = GLm;
            bestHL = HLm;
          }
        }
      }
    }
    this.bestFeature[node] = bestFeature;
    this.bestGain[node] = bestGain;
    this.bestBin[node] = bestBin;
    this.bestMissingLeft[node] = bestMissingLeft;
    this.bestGL[node] = bestGL;
    this.bestHL[node] = bestHL;
  }

  /**
   * Grows one tree over `rows[0..sampleRows)` with the gradients in `gh`, then writes every
   * leaf's value (from exact sums over its rows, not the histograms' differences) and every
   * node's cover and cover-weighted mean value.
   */
  grow(gh: Float32Array, sampleRows: number, featureMask: Uint8Array): GrownTree {
    const { table, p, tree, rows } = this;
    const { codes, groupCount, groupOffset, bundles, binCount, cuts, bins } = table;
    tree.nodes = 0;
    this.freeHists.length = 0;
    for (let i = 0; i < this.pool.length; i++) this.freeHists.push(i);
    sumGradients(gh, rows, sampleRows, this.rootSums);
    const root = this.newNode(0, sampleRows, 0, this.rootSums[0] as number, this.rootSums[1] as number);
    const candidates = this.candidates;
    candidates.length = 0;
    if (this.mayGrow(root)) {
      this.histOf[root] = this.takeHist();
      const rootHist = this.pool[this.histOf[root] as number] as Float64Array;
      buildHistogram(rootHist, this.histScratch, codes, groupCount, groupOffset, gh, rows, 0, sampleRows);
      marginalize(rootHist, bundles);
      this.findSplit(root, featureMask);
      if ((this.bestFeature[root] as number) >= 0) candidates.push(root);
      else this.releaseHist(root);
    }
    let leaves = 1;
    const lossguide = p.growPolicy === 'lossguide';
    let head = 0;
    while (head < candidates.length) {
      if (p.maxLeaves > 0 && leaves >= p.maxLeaves) break;
      // Depthwise: first come, first split (level by level). Lossguide: the best gain
      // first, the earlier node on a tie so the result does not depend on anything else.
      let pick = head;
      if (lossguide) {
        for (let i = head + 1; i < candidates.length; i++) {
          if (
            (this.bestGain[candidates[i] as number] as number) >
            (this.bestGain[candidates[pick] as number] as number)
          )
            pick = i;
        }
      }
      const node = candidates[pick] as number;
      candidates[pick] = candidates[head] as number;
      candidates[head] = node;
      head++;
      if (lossguide) {
        // Keep the remaining candidates in creation order, for the tie rule.
        for (let i = pick; i > head; i--) {
          if ((candidates[i] as number) < (candidates[i - 1] as number)) {
            const t = candidates[i] as number;
            candidates[i] = candidates[i - 1] as number;
            candidates[i - 1] = t;
          }
        }
      }

      const f = this.bestFeature[node] as number;
      const j = this.bestBin[node] as number;
      const ml = this.bestMissingLeft[node] as number;
      const s = this.start[node] as number;
      const e = this.end[node] as number;
      const nl = partitionRows(
        rows,
        this.rowScratch,
        s,
        e,
        bins[f] as Uint8Array | Uint16Array,
        j,
        binCount[f] as number,
        ml,
      );
      if (nl === 0 || nl === e - s) {
        // Rounding let a split through with an empty side: the node stays a leaf.
        this.releaseHist(node);
        continue;
      }
      const GL = this.bestGL[node] as number;
      const HL = this.bestHL[node] as number;
      const d = (this.depth[node] as number) + 1;
      const l = this.newNode(s, s + nl, d, GL, HL);
      const r = this.newNode(
        s + nl,
        e,
        d,
        (this.sumG[node] as number) - GL,
        (this.sumH[node] as number) - HL,
      );
      tree.feature[node] = f;
      tree.limitBin[node] = j;
      tree.threshold[node] =
        j === 0 ? Number.NEGATIVE_INFINITY : ((cuts[f] as Float64Array)[j - 1] as number);
      tree.missingLeft[node] = ml;
      tree.left[node] = l;
      tree.right[node] = r;
      leaves++;

      const room = p.maxLeaves === 0 || leaves < p.maxLeaves;
      const growL = room && this.mayGrow(l);
      const growR = room && this.mayGrow(r);
      if (growL || growR) {
        // Build the smaller child's histogram; the parent's minus it is the larger's.
        const small = nl <= e - s - nl ? l : r;
        const large = small === l ? r : l;
        const parentHist = this.pool[this.histOf[node] as number] as Float64Array;
        const smallSlot = this.takeHist();
        const smallHist = this.pool[smallSlot] as Float64Array;
        const from = this.start[small] as number;
        const to = this.end[small] as number;
        buildHistogram(smallHist, this.histScratch, codes, groupCount, groupOffset, gh, rows, from, to);
        marginalize(smallHist, bundles);
        for (let i = 0; i < parentHist.length; i++)
          parentHist[i] = (parentHist[i] as number) - (smallHist[i] as number);
        this.histOf[large] = this.histOf[node] as number;
        this.histOf[node] = -1;
        this.histOf[small] = smallSlot;
        for (const child of [l, r]) {
          if (child === l ? growL : growR) {
            this.findSplit(child, featureMask);
            if ((this.bestFeature[child] as number) >= 0) {
              candidates.push(child);
              continue;
            }
          }
          this.releaseHist(child);
        }
      } else this.releaseHist(node);
    }
    this.finish();
    return tree;
  }

  /**
   * Leaf values from their gradient sums (as the splits left them, XGBoost's way: summing
   * the rows again would cost a pass over scattered memory per tree), then every internal
   * node's cover and cover-weighted mean value, bottom-up.
   */
  private finish(): void {
    const { tree, p } = this;
    const eta = p.learningRate;
    for (let n = tree.nodes - 1; n >= 0; n--) {
      if (tree.feature[n] === -1) {
        const h = this.sumH[n] as number;
        const denominator = h + p.lambda;
        tree.value[n] = denominator > 0 ? (-(this.sumG[n] as number) / denominator) * eta : 0;
        tree.cover[n] = h;
      } else {
        const l = tree.left[n] as number;
        const r = tree.right[n] as number;
        const cl = tree.cover[l] as number;
        const cr = tree.cover[r] as number;
        const c = cl + cr;
        tree.cover[n] = c;
        tree.value[n] =
          c > 0
            ? ((tree.value[l] as number) * cl + (tree.value[r] as number) * cr) / c
            : ((tree.value[l] as number) + (tree.value[r] as number)) / 2;
      }
    }
  }

  /** Adds each leaf's value to the margins of the (sampled) rows it holds, and e^−v to their e^−m. */
  addLeavesToMargins(margins: Float64Array, expNeg: Float64Array): void {
    const { tree, rows } = this;
    for (let n = 0; n < tree.nodes; n++) {
      if (tree.feature[n] !== -1) continue;
      const v = tree.value[n] as number;
      const factor = Math.exp(-v);
      const e = this.end[n] as number;
      for (let k = this.start[n] as number; k < e; k++) {
        const r = rows[k] as number;
        margins[r] = (margins[r] as number) + v;
        expNeg[r] = (expNeg[r] as number) * factor;
      }
    }
  }
}

/** Sums of the gradients and hessians of `rows[0..count)` into `out`. */
function sumGradients(gh: Float32Array, rows: Uint32Array, count: number, out: Float64Array): void {
  let g = 0;
  let h = 0;
  for (let k = 0; k < count; k++) {
    const r = rows[k] as number;
    g += gh[2 * r] as number;
    h += gh[2 * r + 1] as number;
  }
  out[0] = g;
  out[1] = h;
}

/** Routes one binned row down a grown tree: the leaf it reaches. */
function leafOfBinned(
  tree: GrownTree,
  bins: ReadonlyArray<Uint8Array | Uint16Array>,
  r: number,
  binCount: Int32Array,
): number {
  let n = 0;
  let f = tree.feature[0] as number;
  while (f !== -1) {
    const b = (bins[f] as Uint8Array | Uint16Array)[r] as number;
    const goLeft =
      b === (binCount[f] as number) ? tree.missingLeft[n] === 1 : b < (tree.limitBin[n] as number);
    n = goLeft ? (tree.left[n] as number) : (tree.right[n] as number);
    f = tree.feature[n] as number;
  }
  return n;
}

/** Routes one raw row (a column-major table's row r) down a grown tree. */
function leafOfRaw(tree: GrownTree, columns: readonly Float64Array[], r: number): number {
  let n = 0;
  let f = tree.feature[0] as number;
  while (f !== -1) {
    const v = (columns[f] as Float64Array)[r] as number;
    const t = tree.threshold[n] as number;
    n =
      v < t
        ? (tree.left[n] as number)
        : v >= t
          ? (tree.right[n] as number)
          : tree.missingLeft[n]
            ? (tree.left[n] as number)
            : (tree.right[n] as number);
    f = tree.feature[n] as number;
  }
  return n;
}

/**
 * The rows a tree learns from, in ascending order in `rows`: all of them, or a Bernoulli
 * draw of `subsample` of them (flagged in `inSample`). Returns how many.
 */
function drawRows(rows: Uint32Array, inSample: Uint8Array, subsample: number, rng: Prng): number {
  const n = rows.length;
  if (subsample >= 1) {
    for (let r = 0; r < n; r++) rows[r] = r;
    return n;
  }
  let k = 0;
  for (let r = 0; r < n; r++) {
    const take = rng.next() < subsample ? 1 : 0;
    inSample[r] = take;
    rows[k] = r;
    k += take;
  }
  return k;
}

/** Adds a tree to the rows it did not learn from: they walk it on their bins. */
function addTreeOutsideSample(
  tree: GrownTree,
  table: BinnedTable,
  inSample: Uint8Array,
  margins: Float64Array,
  expNeg: Float64Array,
): void {
  const { bins, binCount } = table;
  for (let r = 0; r < margins.length; r++) {
    if (inSample[r] === 1) continue;
    const m = (margins[r] as number) + (tree.value[leafOfBinned(tree, bins, r, binCount)] as number);
    margins[r] = m;
    expNeg[r] = Math.exp(-m);
  }
}

/** Adds a tree to the margins of a raw column-major table (the validation rows). */
function addTreeRaw(tree: GrownTree, columns: readonly Float64Array[], margins: Float64Array): void {
  for (let r = 0; r < margins.length; r++)
    margins[r] = (margins[r] as number) + (tree.value[leafOfRaw(tree, columns, r)] as number);
}

/**
 * Exercises every branch of `gradients` and `logLossSum` (margins far out on both sides, a
 * product to flush, with and without sample weights) on eight rows of the same array
 * types as the real ones: see `warmUp`.
 */
function warmUpGradients(): void {
  const margins = Float64Array.from([0, -700, 700, -300, 300, -240, -240, -240]);
  const expNeg = new Float64Array(8);
  for (let i = 0; i < 8; i++) expNeg[i] = Math.exp(-(margins[i] as number));
  expNeg[1] = 0;
  const labels = Uint8Array.from([0, 1, 0, 1, 0, 1, 1, 1]);
  const weight = new Float64Array(8).fill(1);
  const gh = new Float32Array(16);
  warmUp(() => {
    gradients(margins, expNeg, labels, weight, undefined, gh);
    gradients(margins, expNeg, labels, weight, weight, gh);
    logLossSum(margins, labels, undefined);
    logLossSum(margins, labels, weight);
  });
}

// ---------------------------------------------------------------------------------------
// Boosting

/** The forest's node arrays, grown tree by tree. */
class ForestBuilder {
  private readonly roots: number[] = [];
  private feature = new Int32Array(1024);
  private threshold = new Float64Array(1024);
  private left = new Int32Array(1024);
  private right = new Int32Array(1024);
  private defaultLeft = new Uint8Array(1024);
  private value = new Float64Array(1024);
  private cover = new Float64Array(1024);
  private size = 0;
  /** Node count after each tree, to cut the forest back to its best round. */
  private readonly sizes: number[] = [];

  add(tree: GrownTree): void {
    const need = this.size + tree.nodes;
    if (need > this.feature.length) this.grow(Math.max(need, 2 * this.feature.length));
    const base = this.size;
    this.roots.push(base);
    for (let n = 0; n < tree.nodes; n++) {
      const i = base + n;
      const leaf = tree.feature[n] === -1;
      this.feature[i] = tree.feature[n] as number;
      this.threshold[i] = leaf ? 0 : (tree.threshold[n] as number);
      this.left[i] = leaf ? -1 : base + (tree.left[n] as number);
      this.right[i] = leaf ? -1 : base + (tree.right[n] as number);
      this.defaultLeft[i] = leaf ? 0 : (tree.missingLeft[n] as number);
      this.value[i] = tree.value[n] as number;
      this.cover[i] = tree.cover[n] as number;
    }
    this.size = need;
    this.sizes.push(need);
  }

  private grow(capacity: number): void {
    const copy = <T extends Int32Array | Float64Array | Uint8Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.feature = copy(this.feature, new Int32Array(capacity));
    this.threshold = copy(this.threshold, new Float64Array(capacity));
    this.left = copy(this.left, new Int32Array(capacity));
    this.right = copy(this.right, new Int32Array(capacity));
    this.defaultLeft = copy(this.defaultLeft, new Uint8Array(capacity));
    this.value = copy(this.value, new Float64Array(capacity));
    this.cover = copy(this.cover, new Float64Array(capacity));
  }

  /** The forest of the first `trees` trees. */
  build(features: readonly string[], baseMargin: number, trees: number): Forest {
    const n = trees === 0 ? 0 : (this.sizes[trees - 1] as number);
    return {
      features: [...features],
      baseMargin,
      roots: Int32Array.from(this.roots.slice(0, trees)),
      feature: this.feature.slice(0, n),
      threshold: this.threshold.slice(0, n),
      left: this.left.slice(0, n),
      right: this.right.slice(0, n),
      defaultLeft: this.defaultLeft.slice(0, n),
      value: this.value.slice(0, n),
      cover: this.cover.slice(0, n),
    };
  }
}

/**
 * One training run, a round at a time, so the synchronous and the asynchronous drivers
 * share every line of it.
 */
class Booster {
  readonly params: GbdtParams;
  private readonly table: BinnedTable;
  private readonly grower: TreeGrower;
  private readonly rng: Prng;
  private readonly n: number;
  private readonly margins: Float64Array;
  /** e^−margin of every row, kept in step with `margins` (see `gradients`). */
  private readonly expNeg: Float64Array;
  private readonly gh: Float32Array;
  private readonly classWeight: Float64Array;
  private readonly sampleWeight: Float64Array | undefined;
  private readonly sampleWeightTotal: number;
  private readonly inSample: Uint8Array;
  private readonly featureMask: Uint8Array;
  private readonly validMargins: Float64Array | undefined;
  private readonly validWeightTotal: number;
  private readonly forest = new ForestBuilder();
  readonly baseMargin: number;
  readonly trainLoss: number[] = [];
  readonly validLoss: number[] = [];
  bestIteration = -1;
  private bestValidLoss = Number.POSITIVE_INFINITY;
  done = 0;
  stopped = false;

  constructor(
    private readonly data: Dataset,
    params: Partial<GbdtParams>,
    private readonly validation: Dataset | undefined,
  ) {
    this.params = resolveParams(params);
    const p = this.params;
    this.n = checkDataset(data, 'dataset');
    if (validation !== undefined) {
      checkDataset(validation, 'validation');
      if (
        validation.features.length !== data.features.length ||
        validation.features.some((f, i) => f !== data.features[i])
      )
        throw new RangeError('validation.features must be the dataset features, in the same order');
    } else if (p.earlyStoppingRounds > 0) {
      throw new RangeError('earlyStoppingRounds needs a validation dataset');
    }
    const n = this.n;
    this.sampleWeight = data.weights;
    this.classWeight = new Float64Array(n);
    let positive = 0;
    let total = 0;
    let plain = 0;
    for (let r = 0; r < n; r++) {
      const w = (data.weights?.[r] ?? 1) * (data.labels[r] === 1 ? p.scalePosWeight : 1);
      this.classWeight[r] = w;
      total += w;
      if (data.labels[r] === 1) positive += w;
      plain += data.weights?.[r] ?? 1;
    }
    this.sampleWeightTotal = plain;
    // The best constant under the weighted objective is its weighted positive rate; kept
    // away from 0 and 1 so a one-class table still has a finite margin.
    const base = p.baseScore ?? Math.min(1 - 1e-7, Math.max(1e-7, positive / total));
    this.baseMargin = Math.log(base / (1 - base));
    this.table = binTable(data, p.maxBin);
    this.grower = new TreeGrower(this.table, p);
    this.rng = new Prng(p.seed);
    this.margins = new Float64Array(n).fill(this.baseMargin);
    this.expNeg = new Float64Array(n).fill(Math.exp(-this.baseMargin));
    this.gh = new Float32Array(2 * n);
    this.inSample = new Uint8Array(n);
    this.featureMask = new Uint8Array(data.columns.length);
    warmUpGradients();
    if (validation !== undefined) {
      this.validMargins = new Float64Array(validation.labels.length).fill(this.baseMargin);
      let vw = 0;
      for (let r = 0; r < validation.labels.length; r++) vw += validation.weights?.[r] ?? 1;
      this.validWeightTotal = vw;
    } else {
      this.validMargins = undefined;
      this.validWeightTotal = 0;
    }
  }

  /** Trains one more tree; sets `stopped` when early stopping ends the run. */
  round(): void {
    const p = this.params;
    const { n, grower, rng } = this;
    const lossSum = gradients(
      this.margins,
      this.expNeg,
      this.data.labels,
      this.classWeight,
      this.sampleWeight,
      this.gh,
    );
    // The gradient pass measured the loss of the forest so far: that is the previous round's.
    if (this.done > 0) this.trainLoss.push(lossSum / this.sampleWeightTotal);

    const sampleRows = drawRows(grower.rows, this.inSample, p.subsample, rng);
    // Features of this tree: a partial Fisher–Yates shuffle draws them without bias.
    const featureCount = this.featureMask.length;
    const k = Math.max(1, Math.round(featureCount * p.colsampleByTree));
    if (k >= featureCount) this.featureMask.fill(1);
    else {
      const order = Array.from({ length: featureCount }, (_, i) => i);
      this.featureMask.fill(0);
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(rng.next() * (featureCount - i));
        const t = order[i] as number;
        order[i] = order[j] as number;
        order[j] = t;
        this.featureMask[order[i] as number] = 1;
      }
    }

    const tree = grower.grow(this.gh, sampleRows, this.featureMask);
    grower.addLeavesToMargins(this.margins, this.expNeg);
    if (sampleRows < n) addTreeOutsideSample(tree, this.table, this.inSample, this.margins, this.expNeg);
    this.forest.add(tree);
    this.done++;

    if (this.validation !== undefined && this.validMargins !== undefined) {
      const vm = this.validMargins;
      addTreeRaw(tree, this.validation.columns, vm);
      const loss = logLossSum(vm, this.validation.labels, this.validation.weights) / this.validWeightTotal;
      this.validLoss.push(loss);
      if (loss < this.bestValidLoss) {
        this.bestValidLoss = loss;
        this.bestIteration = this.done - 1;
      } else if (p.earlyStoppingRounds > 0 && this.done - 1 - this.bestIteration >= p.earlyStoppingRounds) {
        this.stopped = true;
      }
    } else {
      this.bestIteration = this.done - 1;
    }
  }

  /** Closes the run: the last loss, the forest cut back to the best round. */
  finish(seconds: number): TrainResult {
    this.trainLoss.push(
      logLossSum(this.margins, this.data.labels, this.sampleWeight) / this.sampleWeightTotal,
    );
    const trees = this.bestIteration + 1;
    const forest = this.forest.build(this.data.features, this.baseMargin, trees);
    validateForest(forest);
    return {
      forest,
      report: {
        bestIteration: this.bestIteration,
        trainLoss: this.trainLoss,
        validLoss: this.validLoss,
        seconds,
      },
    };
  }
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new TrainingAbortedError(signal.reason);
}

/**
 * Trains a forest, yielding to the event loop between trees so a server stays responsive
 * and an abort signal is heard (the binning before the first tree runs in one go: about a
 * second for a million rows). Rejects with an error named `AbortError` when aborted.
 */
export async function train(
  data: Dataset,
  params: Partial<GbdtParams> = {},
  options: TrainOptions = {},
): Promise<TrainResult> {
  const startedAt = performance.now();
  checkAbort(options.signal);
  const booster = new Booster(data, params, options.validation);
  const total = booster.params.trees;
  while (booster.done < total && !booster.stopped) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    checkAbort(options.signal);
    booster.round();
    options.onProgress?.(booster.done, total);
  }
  checkAbort(options.signal);
  return booster.finish((performance.now() - startedAt) / 1000);
}

/**
 * The same training without yielding (a worker thread, a script). The signal is still
 * checked between trees, so an abort from `onProgress` stops it.
 */
export function trainSync(
  data: Dataset,
  params: Partial<GbdtParams> = {},
  options: TrainOptions = {},
): TrainResult {
  const startedAt = performance.now();
  checkAbort(options.signal);
  const booster = new Booster(data, params, options.validation);
  const total = booster.params.trees;
  while (booster.done < total && !booster.stopped) {
    checkAbort(options.signal);
    booster.round();
    options.onProgress?.(booster.done, total);
  }
  checkAbort(options.signal);
  return booster.finish((performance.now() - startedAt) / 1000);
}
