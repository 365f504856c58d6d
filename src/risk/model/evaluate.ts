import { type Calibrator, fitCalibrator, thresholdForAlertRate } from './calibrate.ts';
import type { Forest } from './forest.ts';
import { compileForest } from './infer.ts';
import { averagePrecision, brier, moneyStopped, prCurve, precisionAtDailyBudget, rocAuc } from './metrics.ts';
import type { FeatureTable } from './table.ts';

/**
 * Honest evaluation, the way fraud teams judge a model: a period is replayed in time
 * order, every transaction is scored before its label is known, and a model only ever
 * learns from labels that had arrived by the time it was trained.
 *
 * At each training time T (the start of the test period, then every `retrainEveryDays`):
 *  - the training set is every row whose label was known by T (`labelKnownAtMs ≤ T`) and
 *    that happened within `trainDays` before the label delay; its last `validDays` are kept
 *    aside for early stopping and calibration;
 *  - the model trained at T scores the rows of [T, next T) — nothing of them is known yet.
 * The feature table itself was built the same way (labels reach the label features only
 * when they arrive), so nothing the model reads or learns from can come from the future.
 *
 * The same rows are judged three ways: the active rules alone, the model alone, and rules
 * plus model (a rule that holds or blocks puts the event first, the model orders the rest).
 */

export const DAY_MS = 86_400_000;

/** Rows of a table, column-major, as the learner takes them. */
export interface Dataset {
  readonly features: readonly string[];
  readonly columns: Float64Array[];
  readonly labels: Uint8Array;
}

/** Trains one model; the evaluation does not care how (the learner, a stub in tests). */
export type Trainer = (
  train: Dataset,
  valid: Dataset | undefined,
  context: { trainedAtMs: number; round: number },
) => Forest | Promise<Forest>;

export interface EvaluateOptions {
  /** Days after a transaction when its label becomes known, when the history gives no time. */
  labelDelayDays: number;
  /** Length of the training window, in days of transactions. */
  trainDays: number;
  /** The last days of the training window, kept for early stopping and calibration (0: none). */
  validDays: number;
  /** First moment of the test period. */
  testFromMs: number;
  /** End of the test period (exclusive); the end of the table when absent. */
  testToMs?: number | undefined;
  /** Retrain every so many days during the test period (0: one model for the whole period). */
  retrainEveryDays: number;
  /** Entities (payers) alerted per day: card-precision@budget. */
  budget: number;
  calibration: 'isotonic' | 'platt' | 'none';
  onRound?: (round: number, rounds: number) => void;
  signal?: AbortSignal | undefined;
}

export interface MethodFigures {
  rocAuc: number;
  averagePrecision: number;
  /** Card precision at the daily budget: the share of the top `budget` payers of each day that had a fraud that day, averaged over days (each day judged on its own). */
  cardPrecisionAtBudget: number;
  /** The same, with payers caught on an earlier day left out of later days (the handbook's `card_precision_top_k`). */
  cardPrecisionAtBudgetDropCaught: number;
  /** The share of each day's defrauded payers found among the top `budget`, averaged over days. */
  cardRecallAtBudget: number;
  perDay: Array<{ day: string; precision: number; recall: number }>;
  /** At the alert rate of the daily budget: fraud stopped and missed, legitimate money held, in minor units. */
  money: { stoppedMinor: number; missedMinor: number; heldLegitMinor: number; alerts: number };
  prCurve: Array<{ recall: number; precision: number }>;
}

export interface TrainingRound {
  trainedAtMs: number;
  trainRows: number;
  trainPositives: number;
  validRows: number;
  /** The latest label-arrival time among the training rows: never after `trainedAtMs`. */
  latestLabelKnownAtMs: number;
  scoredRows: number;
  trees: number;
}

export interface EvaluationResult {
  test: { fromMs: number; toMs: number; rows: number; positives: number; days: number };
  options: Omit<EvaluateOptions, 'onRound' | 'signal'>;
  rounds: TrainingRound[];
  rules: MethodFigures;
  model: MethodFigures;
  rulesAndModel: MethodFigures;
  /** Brier score of the model's probabilities on the test rows, before and after calibration (lower is better). */
  calibration: { brierUncalibrated: number; brierCalibrated: number };
  /** The calibrated probability of every test row (for charts and drift), in row order. */
  scores: Float64Array;
  testRows: Uint32Array;
}

function abortError(): Error {
  const e = new Error('the evaluation was cancelled');
  e.name = 'AbortError';
  return e;
}

/** The rows of a table at the given indices, as a dataset. */
export function gather(table: FeatureTable, rows: Uint32Array): Dataset {
  const columns = table.columns.map((c) => {
    const out = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = c[rows[i] as number] as number;
    return out;
  });
  const labels = new Uint8Array(rows.length);
  for (let i = 0; i < rows.length; i++) labels[i] = table.labels[rows[i] as number] as number;
  return { features: table.features, columns, labels };
}

/**
 * The rows a model trained at `atMs` may learn from: labels known by then, transactions
 * within `trainDays` before the label delay. Split into training and validation by time.
 */
export function trainingRows(
  table: FeatureTable,
  atMs: number,
  options: Pick<EvaluateOptions, 'labelDelayDays' | 'trainDays' | 'validDays'>,
): { train: Uint32Array; valid: Uint32Array } {
  const fromMs = atMs - (options.labelDelayDays + options.trainDays) * DAY_MS;
  const validFromMs = atMs - (options.labelDelayDays + options.validDays) * DAY_MS;
  const train: number[] = [];
  const valid: number[] = [];
  for (let i = 0; i < table.rows; i++) {
    const t = table.atMs[i] as number;
    if (t < fromMs) continue;
    if (t >= atMs) break;
    if ((table.labelKnownAtMs[i] as number) > atMs) continue;
    (options.validDays > 0 && t >= validFromMs ? valid : train).push(i);
  }
  return { train: Uint32Array.from(train), valid: Uint32Array.from(valid) };
}

/** The datasets a model trained at `atMs` learns from, with the facts a model file records of them. */
export interface TrainingSets {
  train: Dataset;
  /** The validation period (early stopping, calibration, level thresholds); absent when empty. */
  valid: Dataset | undefined;
  trainRows: number;
  validRows: number;
  /** Fraud rows among the training rows, and among both. */
  trainPositives: number;
  positives: number;
  /** Event times of the first and the last row used. */
  fromMs: number;
  toMs: number;
  /** The latest label-arrival time among the rows used: never after `atMs`. */
  latestLabelKnownAtMs: number;
}

/** `trainingRows` gathered into datasets, with their counts and time range. */
export function trainingSets(
  table: FeatureTable,
  atMs: number,
  options: Pick<EvaluateOptions, 'labelDelayDays' | 'trainDays' | 'validDays'>,
): TrainingSets {
  const split = trainingRows(table, atMs, options);
  let latest = Number.NEGATIVE_INFINITY;
  let trainPositives = 0;
  let positives = 0;
  for (const rows of [split.train, split.valid]) {
    for (const i of rows) {
      latest = Math.max(latest, table.labelKnownAtMs[i] as number);
      positives += table.labels[i] as number;
    }
    if (rows === split.train) trainPositives = positives;
  }
  const first = split.train[0] ?? split.valid[0];
  const last =
    split.valid.length > 0 ? split.valid[split.valid.length - 1] : split.train[split.train.length - 1];
  return {
    train: gather(table, split.train),
    valid: split.valid.length > 0 ? gather(table, split.valid) : undefined,
    trainRows: split.train.length,
    validRows: split.valid.length,
    trainPositives,
    positives,
    fromMs: first === undefined ? atMs : (table.atMs[first] as number),
    toMs: last === undefined ? atMs : (table.atMs[last] as number),
    latestLabelKnownAtMs: latest,
  };
}

function firstRowAt(table: FeatureTable, atMs: number): number {
  let lo = 0;
  let hi = table.rows;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((table.atMs[mid] as number) < atMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Runs the evaluation over a feature table (in time order) with the given trainer. */
export async function evaluate(
  table: FeatureTable,
  trainer: Trainer,
  options: EvaluateOptions,
): Promise<EvaluationResult> {
  const lastMs = table.rows > 0 ? (table.atMs[table.rows - 1] as number) + 1 : options.testFromMs;
  const toMs = options.testToMs ?? lastMs;
  if (!(toMs > options.testFromMs))
    throw new RangeError('the test period is empty: testToMs must be after testFromMs');
  if (options.trainDays <= options.validDays)
    throw new RangeError('trainDays must be longer than validDays (some rows must be left to train on)');
  const stepMs = options.retrainEveryDays > 0 ? options.retrainEveryDays * DAY_MS : toMs - options.testFromMs;
  const start = firstRowAt(table, options.testFromMs);
  const end = firstRowAt(table, toMs);
  const testRows = new Uint32Array(end - start);
  for (let i = 0; i < testRows.length; i++) testRows[i] = start + i;
  const scores = new Float64Array(testRows.length);
  /** 1 where the model of the row's round holds it (its score is at or above that round's budget threshold). */
  const modelFlags = new Float64Array(testRows.length);
  const calibrated = new Float64Array(testRows.length);
  const rounds: TrainingRound[] = [];
  const totalRounds = Math.ceil((toMs - options.testFromMs) / stepMs);

  for (let round = 0, t = options.testFromMs; t < toMs; round++, t += stepMs) {
    if (options.signal?.aborted) throw abortError();
    options.onRound?.(round, totalRounds);
    const sets = trainingSets(table, t, options);
    if (sets.trainPositives === 0)
      throw new RangeError(
        `no fraud label is known in the training window of ${new Date(t).toISOString()}: widen trainDays or move the test period later`,
      );
    const trained = await trainer(sets.train, sets.valid, { trainedAtMs: t, round });
    const forest = compileForest(trained);

    // Calibration and the alert threshold come from the validation period (the training
    // rows when there is none): never from the rows being scored.
    const fitRows = sets.valid ?? sets.train;
    const fitMargins = forest.marginsColumns(fitRows.columns);
    const calibrator: Calibrator | undefined =
      options.calibration === 'none'
        ? undefined
        : fitCalibrator(options.calibration, fitMargins, fitRows.labels);
    // The daily budget as a share of the events of a day, estimated on the same rows. The
    // threshold is on the margin: a rate only depends on the order, which calibration keeps.
    const fitDays = sets.valid ? options.validDays : options.trainDays - options.validDays;
    const alertRate = Math.min(1, (options.budget * fitDays) / Math.max(1, fitRows.labels.length));
    const threshold = thresholdForAlertRate(fitMargins, alertRate);

    // The rows of this round: the table is in time order, so they are one run of rows.
    const roundEnd = Math.min(t + stepMs, toMs);
    const lo = firstRowAt(table, t);
    const hi = firstRowAt(table, roundEnd);
    const roundRows = new Uint32Array(hi - lo);
    for (let i = 0; i < roundRows.length; i++) roundRows[i] = lo + i;
    const roundMargins = forest.marginsColumns(gather(table, roundRows).columns);
    for (let r = 0; r < roundRows.length; r++) {
      const k = lo + r - start;
      const m = roundMargins[r] as number;
      // Rankings use the model's own order: isotonic calibration makes steps, and ties
      // would blur precision at the top, which is what an alert budget reads.
      scores[k] = 1 / (1 + Math.exp(-m));
      calibrated[k] = calibrator ? calibrator.apply(m) : (scores[k] as number);
      modelFlags[k] = m >= threshold ? 1 : 0;
    }
    rounds.push({
      trainedAtMs: t,
      trainRows: sets.trainRows,
      trainPositives: sets.trainPositives,
      validRows: sets.validRows,
      latestLabelKnownAtMs: sets.latestLabelKnownAtMs,
      scoredRows: roundRows.length,
      trees: trained.roots.length,
    });
  }
  options.onRound?.(totalRounds, totalRounds);

  const labels = new Uint8Array(testRows.length);
  const day = new Int32Array(testRows.length);
  const entity = new Int32Array(testRows.length);
  const amounts = new Float64Array(testRows.length);
  const ruleScores = new Float64Array(testRows.length);
  const combined = new Float64Array(testRows.length);
  const ruleFlags = new Float64Array(testRows.length);
  const eitherFlags = new Float64Array(testRows.length);
  let positives = 0;
  for (let k = 0; k < testRows.length; k++) {
    const i = testRows[k] as number;
    labels[k] = table.labels[i] as number;
    positives += labels[k] as number;
    day[k] = Math.floor(((table.atMs[i] as number) - options.testFromMs) / DAY_MS);
    entity[k] = table.payer[i] as number;
    amounts[k] = table.amountMinor[i] as number;
    const severity = table.ruleSeverity[i] as number;
    // The rules alone rank by their outcome first (a block above a hold), then their score.
    ruleScores[k] = severity * 1000 + (table.ruleScore[i] as number);
    ruleFlags[k] = severity >= 2 ? 1 : 0;
    combined[k] = (severity >= 2 ? 1 : 0) + (scores[k] as number);
    eitherFlags[k] = severity >= 2 || modelFlags[k] === 1 ? 1 : 0;
  }
  const days = Math.ceil((toMs - options.testFromMs) / DAY_MS);
  const judge = (s: Float64Array, flags: Float64Array): MethodFigures =>
    figures(s, flags, labels, day, entity, amounts, options.budget, options.testFromMs);
  const result: EvaluationResult = {
    test: { fromMs: options.testFromMs, toMs, rows: testRows.length, positives, days },
    options: {
      labelDelayDays: options.labelDelayDays,
      trainDays: options.trainDays,
      validDays: options.validDays,
      testFromMs: options.testFromMs,
      testToMs: toMs,
      retrainEveryDays: options.retrainEveryDays,
      budget: options.budget,
      calibration: options.calibration,
    },
    rounds,
    // The rules hold what they send to review or block; the model what scores above its
    // round's budget threshold; together, either.
    rules: judge(ruleScores, ruleFlags),
    model: judge(scores, modelFlags),
    rulesAndModel: judge(combined, eitherFlags),
    calibration: {
      brierUncalibrated: brier(scores, labels),
      brierCalibrated: brier(calibrated, labels),
    },
    scores: calibrated,
    testRows,
  };
  return result;
}

function money(
  scores: Float64Array,
  labels: Uint8Array,
  amounts: Float64Array,
  threshold: number,
): MethodFigures['money'] {
  const m = moneyStopped({ scores, labels, amountsMinor: amounts, threshold });
  let alerts = 0;
  for (const s of scores) if (s >= threshold) alerts++;
  return {
    stoppedMinor: m.fraudStoppedMinor,
    missedMinor: m.fraudMissedMinor,
    heldLegitMinor: m.legitStoppedMinor,
    alerts,
  };
}

function figures(
  scores: Float64Array,
  flags: Float64Array,
  labels: Uint8Array,
  day: Int32Array,
  entity: Int32Array,
  amounts: Float64Array,
  budget: number,
  fromMs: number,
): MethodFigures {
  const daily = precisionAtDailyBudget({ scores, labels, day, entity, budget });
  // The handbook's stricter variant: a customer caught on one day is blocked, so later days'
  // budgets go to customers not yet caught.
  const dropped = precisionAtDailyBudget({ scores, labels, day, entity, budget, dropCaughtEntities: true });
  return {
    rocAuc: rocAuc(scores, labels),
    averagePrecision: averagePrecision(scores, labels),
    cardPrecisionAtBudget: daily.mean,
    cardRecallAtBudget: daily.meanRecall,
    cardPrecisionAtBudgetDropCaught: dropped.mean,
    perDay: daily.perDay.map((d) => ({
      day: new Date(fromMs + d.day * DAY_MS).toISOString().slice(0, 10),
      precision: d.precision,
      recall: d.recall,
    })),
    money: money(flags, labels, amounts, 1),
    prCurve: prCurve(scores, labels, 200),
  };
}
