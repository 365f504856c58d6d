/**
 * How a fraud model is judged. Fraud is rare and investigators are few, so besides the usual
 * ranking metrics (ROC AUC, average precision) the numbers a fraud team acts on are the share
 * of real fraud among the alerts it can afford to review each day, how many fraudulent
 * customers those alerts reach, how much money a threshold stops or lets through, and whether
 * the score's population has drifted since validation.
 *
 * Every function is pure, takes typed arrays (one entry per scored event), runs in
 * O(n log n), and throws a `RangeError` for mismatched lengths, labels other than 0/1 or `NaN`
 * scores — a metric computed over silently broken input is worse than none.
 */

function checkScored(scores: Float64Array, labels: Uint8Array, scoreName = 'scores'): void {
  if (labels.length !== scores.length)
    throw new RangeError(`labels has ${labels.length} entries, ${scoreName} has ${scores.length}`);
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i] as number)) throw new RangeError(`${scoreName}[${i}] is NaN`);
    if ((labels[i] as number) > 1)
      throw new RangeError(`labels[${i}] is ${labels[i]}, labels must be 0 or 1`);
  }
}

/** Row indices ordered by score, highest first; ties keep row order so results are reproducible. */
function descendingOrder(scores: Float64Array): Uint32Array {
  return Uint32Array.from({ length: scores.length }, (_, i) => i).sort(
    (i, j) => (scores[j] as number) - (scores[i] as number) || i - j,
  );
}

function countPositives(labels: Uint8Array): number {
  let p = 0;
  for (let i = 0; i < labels.length; i++) p += labels[i] as number;
  return p;
}

/**
 * Area under the ROC curve: the probability that a random fraud scores above a random
 * legitimate event, ties counting one half. Computed as the Mann–Whitney statistic with
 * average ranks for tied scores, which is exactly the trapezoidal area scikit-learn reports.
 * `NaN` when either class is absent.
 */
export function rocAuc(scores: Float64Array, labels: Uint8Array): number {
  checkScored(scores, labels);
  const n = scores.length;
  const positives = countPositives(labels);
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  const order = descendingOrder(scores);
  // Ranks ascend with score; walking from the top, the group at positions [k, end) holds
  // ranks n-end+1 .. n-k, whose average is what each tied member receives.
  let positiveRankSum = 0;
  let k = 0;
  while (k < n) {
    const s = scores[order[k] as number] as number;
    let end = k;
    let groupPositives = 0;
    while (end < n && scores[order[end] as number] === s) {
      groupPositives += labels[order[end] as number] as number;
      end++;
    }
    const averageRank = (n - end + 1 + (n - k)) / 2;
    positiveRankSum += groupPositives * averageRank;
    k = end;
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Average precision as scikit-learn's `average_precision_score` defines it: Σ (Rₙ − Rₙ₋₁) · Pₙ
 * over the distinct score thresholds from highest to lowest, so all events sharing a score
 * enter together (no interpolation). `NaN` when there is no positive.
 */
export function averagePrecision(scores: Float64Array, labels: Uint8Array): number {
  checkScored(scores, labels);
  const positives = countPositives(labels);
  if (positives === 0) return Number.NaN;
  const order = descendingOrder(scores);
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let k = 0;
  while (k < order.length) {
    const s = scores[order[k] as number] as number;
    let groupTp = 0;
    while (k < order.length && scores[order[k] as number] === s) {
      if (labels[order[k] as number] === 1) groupTp++;
      else fp++;
      k++;
    }
    tp += groupTp;
    if (groupTp > 0) ap += (groupTp / positives) * (tp / (tp + fp));
  }
  return ap;
}

export interface PrPoint {
  /** Alert when score >= threshold. */
  threshold: number;
  precision: number;
  recall: number;
}

/**
 * The precision–recall curve at each distinct score threshold, highest first, thinned to at
 * most `maxPoints` points for a chart: the points kept are evenly spaced along the curve and
 * always include the strictest and the loosest threshold. Empty when there is no positive.
 */
export function prCurve(scores: Float64Array, labels: Uint8Array, maxPoints = 200): PrPoint[] {
  checkScored(scores, labels);
  if (!Number.isInteger(maxPoints) || maxPoints < 2)
    throw new RangeError(`maxPoints must be an integer >= 2`);
  const positives = countPositives(labels);
  if (positives === 0) return [];
  const order = descendingOrder(scores);
  const all: PrPoint[] = [];
  let tp = 0;
  let fp = 0;
  let k = 0;
  while (k < order.length) {
    const s = scores[order[k] as number] as number;
    while (k < order.length && scores[order[k] as number] === s) {
      if (labels[order[k] as number] === 1) tp++;
      else fp++;
      k++;
    }
    all.push({ threshold: s, precision: tp / (tp + fp), recall: tp / positives });
  }
  if (all.length <= maxPoints) return all;
  const thinned: PrPoint[] = [];
  for (let j = 0; j < maxPoints; j++)
    thinned.push(all[Math.round((j * (all.length - 1)) / (maxPoints - 1))] as PrPoint);
  return thinned;
}

function checkProbabilities(probabilities: Float64Array, labels: Uint8Array): void {
  checkScored(probabilities, labels, 'probabilities');
  if (probabilities.length === 0) throw new RangeError('no probabilities');
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i] as number;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`probabilities[${i}] is ${p}, outside [0, 1]`);
  }
}

/** Mean squared difference between probability and outcome (lower is better; rewards calibration). */
export function brier(probabilities: Float64Array, labels: Uint8Array): number {
  checkProbabilities(probabilities, labels);
  let sum = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const d = (probabilities[i] as number) - (labels[i] as number);
    sum += d * d;
  }
  return sum / probabilities.length;
}

/**
 * Mean negative log-likelihood in nats. Probabilities are clipped to [ε, 1 − ε] so one
 * confident mistake costs a large but finite amount, as in scikit-learn.
 */
export function logLoss(probabilities: Float64Array, labels: Uint8Array, epsilon = 1e-15): number {
  checkProbabilities(probabilities, labels);
  let sum = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = Math.min(1 - epsilon, Math.max(epsilon, probabilities[i] as number));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log1p(-p);
  }
  return sum / probabilities.length;
}

export interface DailyBudgetInput {
  scores: Float64Array;
  labels: Uint8Array;
  /** Day index of each row (e.g. days since an epoch in the business time zone). */
  day: Int32Array;
  /** The entity an alert is about (customer, card, wallet) for each row. */
  entity: Int32Array;
  /** Entities the team can review per day. */
  budget: number;
  /**
   * Leave out, from later days, the entities already caught (alerted and fraudulent) on an
   * earlier day, as the handbook does by default on the grounds that a caught card is blocked.
   * Off by default: each day is then judged on its own.
   */
  dropCaughtEntities?: boolean;
}

export interface DailyBudgetDay {
  day: number;
  /** Fraudulent entities among the alerted ones, divided by the budget. */
  precision: number;
  /** Share of the day's fraudulent entities that were alerted; `NaN` on a day without fraud. */
  recall: number;
  /** Entities alerted: the budget, or fewer on a day with fewer active entities. */
  alerts: number;
  /** Alerted entities with at least one fraudulent event that day. */
  frauds: number;
  /** Entities with at least one fraudulent event that day, alerted or not. */
  fraudEntities: number;
}

export interface DailyBudgetResult {
  perDay: DailyBudgetDay[];
  /** Mean of the daily precisions. */
  mean: number;
  /** Mean of the daily recalls over the days that had fraud (`NaN` if none had). */
  meanRecall: number;
}

function checkDaily(
  scores: Float64Array,
  labels: Uint8Array,
  day: Int32Array,
  budget: number,
  name: string,
): void {
  checkScored(scores, labels);
  if (day.length !== scores.length)
    throw new RangeError(`day has ${day.length} entries, scores has ${scores.length}`);
  if (!Number.isInteger(budget) || budget < 1)
    throw new RangeError(`${name} must be an integer >= 1, got ${budget}`);
}

/**
 * "Card precision@k" of the fraud-detection handbook (Le Borgne et al., *Reproducible Machine
 * Learning for Credit Card Fraud Detection*, ch. 4): each day, every entity is scored by its
 * highest event score that day, the `budget` highest entities are alerted, and an alerted
 * entity is a hit when any of its events that day is fraud. Precision divides the hits by the
 * budget — like the handbook, an unused review slot counts as a miss, so a quiet day is not
 * flattered (compare `alerts`). Recall is the share of the day's fraudulent entities caught.
 * Equal maximum scores are ranked by entity id so the result is reproducible. With
 * `dropCaughtEntities` the numbers match the handbook's `card_precision_top_k` exactly.
 */
export function precisionAtDailyBudget(input: DailyBudgetInput): DailyBudgetResult {
  const { scores, labels, day, entity, budget } = input;
  checkDaily(scores, labels, day, budget, 'budget');
  if (entity.length !== scores.length)
    throw new RangeError(`entity has ${entity.length} entries, scores has ${scores.length}`);
  const n = scores.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort(
    (i, j) => (day[i] as number) - (day[j] as number) || (entity[i] as number) - (entity[j] as number),
  );
  const caught = new Set<number>();
  const perDay: DailyBudgetDay[] = [];
  // Per-day scratch: one slot per entity active that day.
  const dayEntity: number[] = [];
  const dayMax: number[] = [];
  const dayFraud: number[] = [];
  let k = 0;
  while (k < n) {
    const d = day[order[k] as number] as number;
    dayEntity.length = 0;
    dayMax.length = 0;
    dayFraud.length = 0;
    while (k < n && day[order[k] as number] === d) {
      const e = entity[order[k] as number] as number;
      let max = Number.NEGATIVE_INFINITY;
      let fraud = 0;
      while (k < n && day[order[k] as number] === d && entity[order[k] as number] === e) {
        const i = order[k] as number;
        max = Math.max(max, scores[i] as number);
        fraud |= labels[i] as number;
        k++;
      }
      if (input.dropCaughtEntities && caught.has(e)) continue;
      dayEntity.push(e);
      dayMax.push(max);
      dayFraud.push(fraud);
    }
    const ranked = dayEntity
      .map((_, j) => j)
      .sort(
        (a, b) =>
          (dayMax[b] as number) - (dayMax[a] as number) ||
          (dayEntity[a] as number) - (dayEntity[b] as number),
      );
    const alerts = Math.min(budget, ranked.length);
    let frauds = 0;
    for (let r = 0; r < alerts; r++) {
      const j = ranked[r] as number;
      if (dayFraud[j] === 1) {
        frauds++;
        caught.add(dayEntity[j] as number);
      }
    }
    let fraudEntities = 0;
    for (const f of dayFraud) fraudEntities += f;
    perDay.push({
      day: d,
      precision: frauds / budget,
      recall: fraudEntities > 0 ? frauds / fraudEntities : Number.NaN,
      alerts,
      frauds,
      fraudEntities,
    });
  }
  return summarise(perDay);
}

function summarise(perDay: DailyBudgetDay[]): DailyBudgetResult {
  let precisionSum = 0;
  let recallSum = 0;
  let recallDays = 0;
  for (const d of perDay) {
    precisionSum += d.precision;
    if (!Number.isNaN(d.recall)) {
      recallSum += d.recall;
      recallDays++;
    }
  }
  return {
    perDay,
    mean: perDay.length > 0 ? precisionSum / perDay.length : Number.NaN,
    meanRecall: recallDays > 0 ? recallSum / recallDays : Number.NaN,
  };
}

export interface DailyTopKDay {
  day: number;
  /** Fraudulent events among the day's `k` highest-scored, divided by `k`. */
  precision: number;
  alerts: number;
  frauds: number;
}

/**
 * Transaction-level precision@k per day (the handbook's `precision_top_k`): the `k` highest
 * scored events of each day are alerted and precision is the fraudulent share of them, again
 * over `k`. Equal scores are taken in row order.
 */
export function precisionAtK(input: {
  scores: Float64Array;
  labels: Uint8Array;
  day: Int32Array;
  k: number;
}): {
  perDay: DailyTopKDay[];
  mean: number;
} {
  const { scores, labels, day, k } = input;
  checkDaily(scores, labels, day, k, 'k');
  const n = scores.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort(
    (i, j) =>
      (day[i] as number) - (day[j] as number) || (scores[j] as number) - (scores[i] as number) || i - j,
  );
  const perDay: DailyTopKDay[] = [];
  let pos = 0;
  while (pos < n) {
    const d = day[order[pos] as number] as number;
    let taken = 0;
    let frauds = 0;
    for (; pos < n && day[order[pos] as number] === d; pos++) {
      if (taken < k) {
        frauds += labels[order[pos] as number] as number;
        taken++;
      }
    }
    perDay.push({ day: d, precision: frauds / k, alerts: taken, frauds });
  }
  const mean = perDay.length > 0 ? perDay.reduce((s, d) => s + d.precision, 0) / perDay.length : Number.NaN;
  return { perDay, mean };
}

/** Share given to an empty bin so the logarithm in PSI stays finite. */
export const PSI_EPSILON = 1e-4;

/**
 * Population stability index of `actual` against `expected` (e.g. this week's scores or a
 * feature against the validation period): Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ) over bins, where the bins
 * are quantiles of `expected` (equal shares of it; edges that coincide because of ties are
 * merged) and missing values (`NaN`) form a bin of their own, since a feature going missing
 * more often is itself a shift. A bin's share is floored at `PSI_EPSILON`. Rule of thumb:
 * below 0.1 stable, 0.1–0.25 watch, above 0.25 investigate.
 */
export function psi(expected: Float64Array, actual: Float64Array, bins = 10): number {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be an integer >= 1, got ${bins}`);
  if (expected.length === 0) throw new RangeError('expected is empty');
  if (actual.length === 0) throw new RangeError('actual is empty');
  const present = expected.filter((v) => !Number.isNaN(v)).sort();
  // Edge j sits at the j/bins quantile; a value belongs to the bin of the edges at or below it.
  const edges: number[] = [];
  if (present.length > 0) {
    for (let j = 1; j < bins; j++) {
      const edge = present[Math.floor((j * present.length) / bins)] as number;
      if (edges.length === 0 || edge > (edges[edges.length - 1] as number)) edges.push(edge);
    }
  }
  const nanBin = edges.length + 1;
  const count = (values: Float64Array): Float64Array => {
    const counts = new Float64Array(edges.length + 2);
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (Number.isNaN(v)) {
        counts[nanBin] = (counts[nanBin] as number) + 1;
        continue;
      }
      let lo = 0;
      let hi = edges.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((edges[mid] as number) <= v) lo = mid + 1;
        else hi = mid;
      }
      counts[lo] = (counts[lo] as number) + 1;
    }
    return counts;
  };
  const e = count(expected);
  const a = count(actual);
  let index = 0;
  for (let b = 0; b < e.length; b++) {
    const eShare = Math.max((e[b] as number) / expected.length, PSI_EPSILON);
    const aShare = Math.max((a[b] as number) / actual.length, PSI_EPSILON);
    index += (aShare - eShare) * Math.log(aShare / eShare);
  }
  return index;
}

export interface MoneyStoppedInput<A extends Float64Array | BigInt64Array> {
  scores: Float64Array;
  labels: Uint8Array;
  /** Amount of each event in minor units (cents, fen). */
  amountsMinor: A;
  /** An event is stopped when its score is at or above this. */
  threshold: number;
}

export interface MoneyStopped<T extends number | bigint> {
  /** Fraud amount the threshold would have stopped. */
  fraudStoppedMinor: T;
  /** Fraud amount that would have gone through. */
  fraudMissedMinor: T;
  /** Legitimate amount wrongly stopped (the customer-friction cost). */
  legitStoppedMinor: T;
}

/**
 * What a threshold means in money: fraud stopped, fraud missed, and legitimate spending
 * wrongly stopped, all in minor units. `BigInt64Array` amounts give exact `bigint` totals;
 * `Float64Array` amounts must hold whole minor units and give `number` totals (exact while
 * the totals stay below 2^53).
 */
export function moneyStopped(input: MoneyStoppedInput<BigInt64Array>): MoneyStopped<bigint>;
export function moneyStopped(input: MoneyStoppedInput<Float64Array>): MoneyStopped<number>;
export function moneyStopped(
  input: MoneyStoppedInput<Float64Array | BigInt64Array>,
): MoneyStopped<number> | MoneyStopped<bigint> {
  const { scores, labels, amountsMinor, threshold } = input;
  checkScored(scores, labels);
  if (amountsMinor.length !== scores.length)
    throw new RangeError(`amountsMinor has ${amountsMinor.length} entries, scores has ${scores.length}`);
  if (Number.isNaN(threshold)) throw new RangeError('threshold is NaN');
  if (amountsMinor instanceof BigInt64Array) {
    let fraudStoppedMinor = 0n;
    let fraudMissedMinor = 0n;
    let legitStoppedMinor = 0n;
    for (let i = 0; i < scores.length; i++) {
      const amount = amountsMinor[i] as bigint;
      const stopped = (scores[i] as number) >= threshold;
      if (labels[i] === 1) {
        if (stopped) fraudStoppedMinor += amount;
        else fraudMissedMinor += amount;
      } else if (stopped) legitStoppedMinor += amount;
    }
    return { fraudStoppedMinor, fraudMissedMinor, legitStoppedMinor };
  }
  let fraudStoppedMinor = 0;
  let fraudMissedMinor = 0;
  let legitStoppedMinor = 0;
  for (let i = 0; i < scores.length; i++) {
    const amount = amountsMinor[i] as number;
    if (!Number.isInteger(amount))
      throw new RangeError(`amountsMinor[${i}] is ${amount}, not a whole number of minor units`);
    const stopped = (scores[i] as number) >= threshold;
    if (labels[i] === 1) {
      if (stopped) fraudStoppedMinor += amount;
      else fraudMissedMinor += amount;
    } else if (stopped) legitStoppedMinor += amount;
  }
  return { fraudStoppedMinor, fraudMissedMinor, legitStoppedMinor };
}
