/**
 * Turns a model's raw score into a probability that means what it says, and a probability into
 * a risk level.
 *
 * A boosted forest's logistic output is rarely calibrated: negative subsampling, class weights,
 * early stopping and a shifted production population all bend it, yet rules, limits and the
 * analysts reading a case need "0.03" to mean "about 3 in 100 such payments are fraud". A
 * calibrator is fitted on (score, label) pairs from a validation period that the model did not
 * train on, and applied after the model:
 *
 * - Platt scaling fits `sigmoid(a · score + b)`. Two parameters, so it is stable on small
 *   validation sets and keeps the ranking; it suits margins (log-odds), whose miscalibration is
 *   usually a slope and an offset.
 * - Isotonic regression fits the best non-decreasing step function (pool-adjacent-violators),
 *   then interpolates linearly between the steps. It corrects any monotone distortion but needs
 *   more data and can tie scores that were distinct.
 *
 * Both serialise to plain JSON (`toJSON`, `calibratorFromJSON`) so a calibration is shipped and
 * versioned beside its forest.
 */

export const CALIBRATION_FORMAT = 'bulwark-calibration/1';

export type CalibratorKind = 'platt' | 'isotonic';

export interface Calibrator {
  readonly kind: CalibratorKind;
  /** Calibrated probability for one score; `NaN` in gives `NaN` out. */
  apply(x: number): number;
  /** A plain object that `calibratorFromJSON` reads back into an identical calibrator. */
  toJSON(): object;
}

export class CalibrationFormatError extends Error {
  constructor(
    /** The offending field, e.g. `a`, `y[3]`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'CalibrationFormatError';
  }
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** `log(1 + e^z)` without overflow for large `z` or loss of precision for very negative `z`. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** `sigmoid(a · x + b)`. */
export class PlattCalibrator implements Calibrator {
  readonly kind = 'platt';

  constructor(
    readonly a: number,
    readonly b: number,
  ) {
    if (!Number.isFinite(a)) throw new CalibrationFormatError('a', 'must be a finite number');
    if (!Number.isFinite(b)) throw new CalibrationFormatError('b', 'must be a finite number');
  }

  apply(x: number): number {
    return sigmoid(this.a * x + this.b);
  }

  toJSON(): { format: string; kind: 'platt'; a: number; b: number } {
    return { format: CALIBRATION_FORMAT, kind: 'platt', a: this.a, b: this.b };
  }
}

/**
 * A non-decreasing piecewise-linear map through the points (`x[i]`, `y[i]`): each point is a
 * block of pooled validation rows, `x` the block's weighted mean score (its centre) and `y` its
 * weighted positive rate. Between centres the output is interpolated, outside them it is held
 * at the first or last rate, so scores beyond anything seen in validation are not extrapolated.
 */
export class IsotonicCalibrator implements Calibrator {
  readonly kind = 'isotonic';

  constructor(
    /** Block centres, strictly increasing. */
    readonly x: Float64Array,
    /** Positive rate of each block, non-decreasing, within [0, 1]. */
    readonly y: Float64Array,
  ) {
    if (x.length === 0) throw new CalibrationFormatError('x', 'needs at least one point');
    if (y.length !== x.length)
      throw new CalibrationFormatError('y', `has ${y.length} entries, x has ${x.length}`);
    for (let i = 0; i < x.length; i++) {
      const xi = x[i] as number;
      const yi = y[i] as number;
      if (!Number.isFinite(xi)) throw new CalibrationFormatError(`x[${i}]`, 'must be a finite number');
      if (i > 0 && !(xi > (x[i - 1] as number)))
        throw new CalibrationFormatError(`x[${i}]`, 'block centres must be strictly increasing');
      if (!(yi >= 0 && yi <= 1))
        throw new CalibrationFormatError(`y[${i}]`, 'must be a probability in [0, 1]');
      if (i > 0 && yi < (y[i - 1] as number))
        throw new CalibrationFormatError(`y[${i}]`, 'positive rates must be non-decreasing');
    }
  }

  apply(s: number): number {
    const { x, y } = this;
    if (Number.isNaN(s)) return Number.NaN;
    const last = x.length - 1;
    if (s <= (x[0] as number)) return y[0] as number;
    if (s >= (x[last] as number)) return y[last] as number;
    // Largest i with x[i] <= s; the clamps above guarantee 0 <= i < last.
    let lo = 0;
    let hi = last;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if ((x[mid] as number) <= s) lo = mid;
      else hi = mid;
    }
    const x0 = x[lo] as number;
    const y0 = y[lo] as number;
    const t = (s - x0) / ((x[hi] as number) - x0);
    return y0 + t * ((y[hi] as number) - y0);
  }

  toJSON(): { format: string; kind: 'isotonic'; x: number[]; y: number[] } {
    return { format: CALIBRATION_FORMAT, kind: 'isotonic', x: Array.from(this.x), y: Array.from(this.y) };
  }
}

/** Checks the three fitting inputs agree and hold usable values; returns the weights to use. */
function checkInputs(scores: Float64Array, labels: Uint8Array, weights?: Float64Array): Float64Array {
  const n = scores.length;
  if (n === 0) throw new RangeError('cannot fit a calibrator on no rows');
  if (labels.length !== n) throw new RangeError(`labels has ${labels.length} entries, scores has ${n}`);
  if (weights !== undefined && weights.length !== n)
    throw new RangeError(`weights has ${weights.length} entries, scores has ${n}`);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(scores[i] as number)) throw new RangeError(`scores[${i}] is not a finite number`);
    if ((labels[i] as number) > 1)
      throw new RangeError(`labels[${i}] is ${labels[i]}, labels must be 0 or 1`);
    const w = weights === undefined ? 1 : (weights[i] as number);
    if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`weights[${i}] must be a finite number >= 0`);
    total += w;
  }
  if (!(total > 0)) throw new RangeError('the weights sum to zero');
  return weights ?? new Float64Array(n).fill(1);
}

/**
 * Platt scaling as refined by Lin, Lin and Weng (2007, "A note on Platt's probabilistic outputs
 * for support vector machines"): the labels are replaced by Platt's smoothed targets
 * `(N₊ + 1) / (N₊ + 2)` and `1 / (N₋ + 2)` (N the weighted class totals), which keeps the fit
 * finite when the classes separate, and the cross-entropy is minimised by Newton's method with a
 * backtracking line search, written in a form that cannot overflow.
 */
export function fitPlatt(scores: Float64Array, labels: Uint8Array, weights?: Float64Array): PlattCalibrator {
  const w = checkInputs(scores, labels, weights);
  const n = scores.length;
  let positives = 0;
  let negatives = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] === 1) positives += w[i] as number;
    else negatives += w[i] as number;
  }
  const hiTarget = (positives + 1) / (positives + 2);
  const loTarget = 1 / (negatives + 2);
  const target = (i: number) => (labels[i] === 1 ? hiTarget : loTarget);

  const objective = (a: number, b: number): number => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const z = a * (scores[i] as number) + b;
      // -t·log σ(z) - (1-t)·log(1-σ(z)) = softplus(z) - t·z
      f += (w[i] as number) * (softplus(z) - target(i) * z);
    }
    return f;
  };

  let a = 0;
  let b = Math.log((positives + 1) / (negatives + 1));
  let f = objective(a, b);
  const totalWeight = positives + negatives;
  // Newton converges quadratically; the tolerance scales with the data so it means the same
  // thing for 1,000 rows as for 10 million.
  const gradientTolerance = 1e-9 * totalWeight;
  const ridge = 1e-12;
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0;
    let gb = 0;
    let haa = ridge;
    let hbb = ridge;
    let hab = 0;
    for (let i = 0; i < n; i++) {
      const x = scores[i] as number;
      const wi = w[i] as number;
      const p = sigmoid(a * x + b);
      const d = wi * (p - target(i));
      const h = wi * p * (1 - p);
      ga += d * x;
      gb += d;
      haa += h * x * x;
      hbb += h;
      hab += h * x;
    }
    if (Math.abs(ga) < gradientTolerance && Math.abs(gb) < gradientTolerance) break;
    const det = haa * hbb - hab * hab;
    const da = -(hbb * ga - hab * gb) / det;
    const db = -(haa * gb - hab * ga) / det;
    const slope = ga * da + gb * db;
    let step = 1;
    let accepted = false;
    while (step >= 1e-10) {
      const na = a + step * da;
      const nb = b + step * db;
      const nf = objective(na, nb);
      if (nf <= f + 1e-4 * step * slope) {
        a = na;
        b = nb;
        f = nf;
        accepted = true;
        break;
      }
      step /= 2;
    }
    // No step decreases the objective: we are at the minimum to the precision doubles allow.
    if (!accepted) break;
  }
  return new PlattCalibrator(a, b);
}

/**
 * Isotonic regression by pool-adjacent-violators. Rows with equal scores are pooled first (one
 * score must map to one probability), then adjacent blocks are merged while a block's positive
 * rate is not below its predecessor's, which leaves strictly increasing rates and so the fewest
 * points to store. Rows with zero weight carry no information and are skipped.
 */
export function fitIsotonic(
  scores: Float64Array,
  labels: Uint8Array,
  weights?: Float64Array,
): IsotonicCalibrator {
  const w = checkInputs(scores, labels, weights);
  const n = scores.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort(
    (i, j) => (scores[i] as number) - (scores[j] as number),
  );
  // Block stack: weight, weighted label sum, weighted score sum.
  const blockWeight = new Float64Array(n);
  const blockPositive = new Float64Array(n);
  const blockScore = new Float64Array(n);
  let top = -1;
  const push = (weight: number, positive: number, score: number): void => {
    top++;
    blockWeight[top] = weight;
    blockPositive[top] = positive;
    blockScore[top] = score;
    while (
      top > 0 &&
      (blockPositive[top - 1] as number) / (blockWeight[top - 1] as number) >=
        (blockPositive[top] as number) / (blockWeight[top] as number)
    ) {
      blockWeight[top - 1] = (blockWeight[top - 1] as number) + (blockWeight[top] as number);
      blockPositive[top - 1] = (blockPositive[top - 1] as number) + (blockPositive[top] as number);
      blockScore[top - 1] = (blockScore[top - 1] as number) + (blockScore[top] as number);
      top--;
    }
  };
  // Rows with equal scores are pooled into one point before it enters the stack: adding them
  // one at a time could merge a block that the tie group as a whole would not violate.
  let groupWeight = 0;
  let groupPositive = 0;
  let groupScore = Number.NaN;
  for (let k = 0; k < n; k++) {
    const i = order[k] as number;
    const wi = w[i] as number;
    if (wi === 0) continue;
    const s = scores[i] as number;
    if (s !== groupScore) {
      if (groupWeight > 0) push(groupWeight, groupPositive, groupWeight * groupScore);
      groupWeight = 0;
      groupPositive = 0;
      groupScore = s;
    }
    groupWeight += wi;
    groupPositive += wi * (labels[i] as number);
  }
  push(groupWeight, groupPositive, groupWeight * groupScore);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let k = 0; k <= top; k++) {
    const centre = (blockScore[k] as number) / (blockWeight[k] as number);
    const rate = Math.min(1, Math.max(0, (blockPositive[k] as number) / (blockWeight[k] as number)));
    // Blocks cover disjoint score ranges, so centres increase; only rounding on scores one ulp
    // apart could break that, and then the two points are indistinguishable: keep the later rate.
    if (xs.length > 0 && centre <= (xs[xs.length - 1] as number)) {
      ys[ys.length - 1] = rate;
      continue;
    }
    xs.push(centre);
    ys.push(rate);
  }
  return new IsotonicCalibrator(Float64Array.from(xs), Float64Array.from(ys));
}

/** Fits a calibrator of the given kind on validation scores (margins or probabilities) and labels. */
export function fitCalibrator(
  kind: CalibratorKind,
  scores: Float64Array,
  labels: Uint8Array,
  weights?: Float64Array,
): Calibrator {
  if (kind === 'platt') return fitPlatt(scores, labels, weights);
  if (kind === 'isotonic') return fitIsotonic(scores, labels, weights);
  throw new RangeError(`unknown calibrator kind ${JSON.stringify(kind)}`);
}

function numberArray(raw: Record<string, unknown>, key: string): Float64Array {
  const v = raw[key];
  if (!Array.isArray(v))
    throw new CalibrationFormatError(key, v === undefined ? 'is missing' : 'must be an array');
  const out = new Float64Array(v.length);
  v.forEach((item, i) => {
    if (typeof item !== 'number') throw new CalibrationFormatError(`${key}[${i}]`, 'must be a number');
    out[i] = item;
  });
  return out;
}

function finiteNumber(raw: Record<string, unknown>, key: string): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new CalibrationFormatError(key, v === undefined ? 'is missing' : 'must be a finite number');
  return v;
}

/** Reads back what a calibrator's `toJSON` wrote; throws `CalibrationFormatError` naming the field. */
export function calibratorFromJSON(raw: unknown): Calibrator {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new CalibrationFormatError('(root)', 'a calibration is a JSON object');
  const obj = raw as Record<string, unknown>;
  if (obj.format !== CALIBRATION_FORMAT)
    throw new CalibrationFormatError(
      'format',
      `is ${JSON.stringify(obj.format)}, expected "${CALIBRATION_FORMAT}"`,
    );
  if (obj.kind === 'platt') return new PlattCalibrator(finiteNumber(obj, 'a'), finiteNumber(obj, 'b'));
  if (obj.kind === 'isotonic') return new IsotonicCalibrator(numberArray(obj, 'x'), numberArray(obj, 'y'));
  throw new CalibrationFormatError('kind', `is ${JSON.stringify(obj.kind)}, expected "platt" or "isotonic"`);
}

export type RiskLevel = 'low' | 'medium' | 'high';

/** Calibrated probabilities at and above which an event is `medium` or `high` risk. */
export interface RiskThresholds {
  medium: number;
  high: number;
}

/**
 * The risk level of a calibrated probability: `high` at or above `thresholds.high`, `medium` at
 * or above `thresholds.medium`, `low` below. A `NaN` probability throws rather than falling into
 * a level, because a broken score must not quietly become "low risk".
 */
export function levelOf(probability: number, thresholds: RiskThresholds): RiskLevel {
  if (Number.isNaN(probability)) throw new RangeError('probability is NaN');
  if (!(thresholds.medium <= thresholds.high))
    throw new RangeError(
      `thresholds.medium (${thresholds.medium}) must not exceed thresholds.high (${thresholds.high})`,
    );
  if (probability >= thresholds.high) return 'high';
  if (probability >= thresholds.medium) return 'medium';
  return 'low';
}

/** The smallest double greater than `x` (for a threshold nothing in the sample reaches). */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigInt64(0);
  view.setBigInt64(0, x > 0 ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

/** Threshold on an ascending-sorted sample so that at most `rate` of it lies at or above. */
function thresholdOnSorted(sorted: Float64Array, rate: number): number {
  const n = sorted.length;
  // The epsilon absorbs products such as 0.29 × 100 = 28.999999999999996.
  const allowed = Math.floor(rate * n + 1e-9);
  if (allowed >= n) return sorted[0] as number;
  if (allowed === 0) return nextUp(sorted[n - 1] as number);
  let t = sorted[n - allowed] as number;
  if ((sorted[n - allowed - 1] as number) === t) {
    // Ties straddle the cut: alerting on t would exceed the rate, so move to the next larger value.
    let lo = n - allowed;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as number) > t) hi = mid;
      else lo = mid + 1;
    }
    t = lo === n ? nextUp(t) : (sorted[lo] as number);
  }
  return t;
}

function sortedSample(probabilities: Float64Array): Float64Array {
  if (probabilities.length === 0) throw new RangeError('cannot choose a threshold from no probabilities');
  for (let i = 0; i < probabilities.length; i++)
    if (Number.isNaN(probabilities[i] as number)) throw new RangeError(`probabilities[${i}] is NaN`);
  return Float64Array.from(probabilities).sort();
}

function checkRate(name: string, rate: number): void {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`${name} must be a share between 0 and 1, got ${rate}`);
}

/**
 * The threshold that would have flagged at most `rate` of the events of a validation period
 * (e.g. 0.005 for "the 0.5 % riskiest"): the smallest observed probability `t` such that the
 * share of events with probability ≥ `t` does not exceed `rate`. Ties are never split, so the
 * realised share can be below `rate` when many events share a probability; when not even one
 * event fits, the threshold is just above the largest probability seen.
 */
export function thresholdForAlertRate(probabilities: Float64Array, rate: number): number {
  checkRate('rate', rate);
  return thresholdOnSorted(sortedSample(probabilities), rate);
}

/**
 * Both risk thresholds from target alert shares on a validation period, e.g.
 * `{ medium: 0.03, high: 0.005 }` sends the riskiest 0.5 % of events to `high` (typically a
 * block or step-up) and the next 2.5 % to `medium` (review). Use calibrated probabilities
 * from a recent period that reflects current traffic; re-derive when traffic shifts.
 */
export function thresholdsForAlertRates(probabilities: Float64Array, rates: RiskThresholds): RiskThresholds {
  checkRate('rates.medium', rates.medium);
  checkRate('rates.high', rates.high);
  if (rates.high > rates.medium)
    throw new RangeError(`rates.high (${rates.high}) must not exceed rates.medium (${rates.medium})`);
  const sorted = sortedSample(probabilities);
  return { medium: thresholdOnSorted(sorted, rates.medium), high: thresholdOnSorted(sorted, rates.high) };
}
