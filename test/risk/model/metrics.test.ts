// Proves the evaluation metrics: AUC and average precision agree with scikit-learn (ties
// included), the handbook's card precision@k on a hand-computed two-day example, PSI, and the
// money a threshold stops.
import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  brier,
  logLoss,
  moneyStopped,
  PSI_EPSILON,
  prCurve,
  precisionAtDailyBudget,
  precisionAtK,
  psi,
  rocAuc,
} from '../../../src/risk/model/metrics.ts';

// Small fixed arrays with many tied scores. The expected values below were computed with
// scikit-learn 1.2.1 (/usr/bin/python3, python3-sklearn): roc_auc_score, average_precision_score,
// log_loss and brier_score_loss on exactly these arrays.
const SCORES_A = Float64Array.of(0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.6, 0.4, 0.3, 0.1, 0.1, 0.05);
const LABELS_A = Uint8Array.of(1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0);
const SKLEARN_AUC_A = 0.7857142857142858;
const SKLEARN_AP_A = 0.7087301587301588;

// Generated once with numpy (default_rng(3), scores rounded to one decimal to force ties).
const SCORES_B = Float64Array.of(
  0.8,
  0.7,
  0.4,
  0.5,
  0.6,
  0.5,
  0.5,
  0.4,
  0.5,
  0.5,
  0.3,
  0.1,
  0.4,
  0.2,
  0.5,
  0.2,
  0.6,
  0.2,
  0.4,
  0.4,
  0.4,
  0.4,
  0.8,
  0.3,
  0.6,
  0.1,
  0.5,
  0.1,
  0.9,
  0.4,
  0.4,
  0.9,
  0.5,
  0.5,
  0.3,
  0.2,
  0.4,
  0.1,
  0.1,
  0.8,
);
const LABELS_B = Uint8Array.of(
  1,
  1,
  0,
  0,
  1,
  0,
  0,
  1,
  0,
  1,
  0,
  0,
  0,
  0,
  0,
  0,
  1,
  0,
  0,
  1,
  1,
  0,
  1,
  0,
  0,
  0,
  0,
  0,
  1,
  0,
  0,
  1,
  0,
  0,
  1,
  0,
  1,
  0,
  0,
  1,
);
const SKLEARN_AUC_B = 0.8076923076923078;
const SKLEARN_AP_B = 0.75618096701046;
const SKLEARN_LOG_LOSS_B = 0.4869977344871149;
const SKLEARN_BRIER_B = 0.16099999999999998;

describe('ranking metrics', () => {
  it('match scikit-learn on tied scores', () => {
    expect(rocAuc(SCORES_A, LABELS_A)).toBeCloseTo(SKLEARN_AUC_A, 12);
    expect(averagePrecision(SCORES_A, LABELS_A)).toBeCloseTo(SKLEARN_AP_A, 12);
    expect(rocAuc(SCORES_B, LABELS_B)).toBeCloseTo(SKLEARN_AUC_B, 12);
    expect(averagePrecision(SCORES_B, LABELS_B)).toBeCloseTo(SKLEARN_AP_B, 12);
  });

  it('give a constant score AUC 0.5 and AP equal to the base rate', () => {
    const s = new Float64Array(8).fill(0.3);
    const y = Uint8Array.of(1, 0, 0, 1, 0, 0, 0, 0);
    expect(rocAuc(s, y)).toBe(0.5);
    expect(averagePrecision(s, y)).toBe(0.25);
  });

  it('do not depend on row order and reach 1 for a perfect ranking', () => {
    const perm = Array.from(SCORES_B, (_, i) => i).reverse();
    const s = Float64Array.from(perm, (i) => SCORES_B[i] as number);
    const y = Uint8Array.from(perm, (i) => LABELS_B[i] as number);
    expect(rocAuc(s, y)).toBeCloseTo(SKLEARN_AUC_B, 12);
    expect(averagePrecision(s, y)).toBeCloseTo(SKLEARN_AP_B, 12);
    expect(rocAuc(Float64Array.of(0.1, 0.2, 0.9), Uint8Array.of(0, 0, 1))).toBe(1);
    expect(averagePrecision(Float64Array.of(0.1, 0.2, 0.9), Uint8Array.of(0, 0, 1))).toBe(1);
  });

  it('are undefined without both classes and refuse broken input', () => {
    expect(rocAuc(Float64Array.of(0.1, 0.2), Uint8Array.of(0, 0))).toBeNaN();
    expect(averagePrecision(Float64Array.of(0.1, 0.2), Uint8Array.of(0, 0))).toBeNaN();
    expect(() => rocAuc(Float64Array.of(0.1, Number.NaN), Uint8Array.of(0, 1))).toThrow(/scores\[1\]/);
    expect(() => rocAuc(Float64Array.of(0.1), Uint8Array.of(0, 1))).toThrow(/labels has 2/);
    expect(() => averagePrecision(Float64Array.of(0.1, 0.2), Uint8Array.of(0, 3))).toThrow(/labels\[1\]/);
  });

  it('draws a thinned precision-recall curve that keeps both ends', () => {
    const full = prCurve(SCORES_B, LABELS_B, 1000);
    expect(full.map((p) => p.threshold)).toEqual([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]);
    expect(full[0]).toEqual({ threshold: 0.9, precision: 1, recall: 2 / 14 });
    expect(full[full.length - 1]).toEqual({ threshold: 0.1, precision: 14 / 40, recall: 1 });
    const thin = prCurve(SCORES_B, LABELS_B, 4);
    expect(thin).toHaveLength(4);
    expect(thin[0]).toEqual(full[0]);
    expect(thin[3]).toEqual(full[full.length - 1]);
    for (let i = 1; i < thin.length; i++)
      expect(thin[i]?.recall).toBeGreaterThanOrEqual(thin[i - 1]?.recall as number);
  });
});

describe('probability metrics', () => {
  it('match scikit-learn', () => {
    expect(logLoss(SCORES_B, LABELS_B)).toBeCloseTo(SKLEARN_LOG_LOSS_B, 12);
    expect(brier(SCORES_B, LABELS_B)).toBeCloseTo(SKLEARN_BRIER_B, 12);
  });

  it('keep a confident mistake finite and refuse values outside [0, 1]', () => {
    expect(logLoss(Float64Array.of(0), Uint8Array.of(1))).toBeCloseTo(-Math.log(1e-15), 6);
    expect(() => brier(Float64Array.of(1.2), Uint8Array.of(1))).toThrow(/outside/);
  });
});

describe('precision at a daily budget', () => {
  // Two days, budget 2. Rows are deliberately out of order.
  //   day 0: entity 10 max 0.9 (its 0.2 event is fraud), 11 max 0.8, 12 0.3 fraud, 13 0.1
  //          → alerts 10, 11; one hit; fraudulent entities 10 and 12.
  //   day 1: entity 10 0.95 fraud, 12 0.7 fraud, 14 0.7 (tie, loses to the lower id), 15 0.6 fraud
  //          → alerts 10, 12; two hits; fraudulent entities 10, 12, 15.
  const rows = [
    { day: 1, entity: 14, score: 0.7, fraud: 0 },
    { day: 0, entity: 12, score: 0.3, fraud: 1 },
    { day: 0, entity: 10, score: 0.2, fraud: 1 },
    { day: 1, entity: 15, score: 0.6, fraud: 1 },
    { day: 0, entity: 11, score: 0.8, fraud: 0 },
    { day: 1, entity: 10, score: 0.95, fraud: 1 },
    { day: 0, entity: 13, score: 0.1, fraud: 0 },
    { day: 0, entity: 10, score: 0.9, fraud: 0 },
    { day: 1, entity: 12, score: 0.7, fraud: 1 },
  ];
  const input = {
    scores: Float64Array.from(rows, (r) => r.score),
    labels: Uint8Array.from(rows, (r) => r.fraud),
    day: Int32Array.from(rows, (r) => r.day),
    entity: Int32Array.from(rows, (r) => r.entity),
    budget: 2,
  };

  it('ranks entities by their highest score of the day and counts any fraud that day', () => {
    const r = precisionAtDailyBudget(input);
    expect(r.perDay).toEqual([
      { day: 0, precision: 0.5, recall: 0.5, alerts: 2, frauds: 1, fraudEntities: 2 },
      { day: 1, precision: 1, recall: 2 / 3, alerts: 2, frauds: 2, fraudEntities: 3 },
    ]);
    expect(r.mean).toBe(0.75);
    expect(r.meanRecall).toBeCloseTo(7 / 12, 15);
  });

  it("drops entities caught earlier when asked, reproducing the handbook's default", () => {
    // Entity 10 was caught on day 0, so day 1 alerts 12 and 14: one hit out of two.
    const r = precisionAtDailyBudget({ ...input, dropCaughtEntities: true });
    expect(r.perDay[1]).toEqual({
      day: 1,
      precision: 0.5,
      recall: 0.5,
      alerts: 2,
      frauds: 1,
      fraudEntities: 2,
    });
    expect(r.mean).toBe(0.5);
  });

  it('divides by the budget even on a day with fewer entities', () => {
    const r = precisionAtDailyBudget({ ...input, budget: 5 });
    expect(r.perDay[0]).toMatchObject({ alerts: 4, frauds: 2, precision: 2 / 5, recall: 1 });
  });

  it('has a transaction-level counterpart', () => {
    // Day 0's two highest events (0.9, 0.8) are legitimate; day 1's are 0.95 and the first 0.7 row
    // in row order (entity 14, legitimate).
    const r = precisionAtK({ scores: input.scores, labels: input.labels, day: input.day, k: 2 });
    expect(r.perDay).toEqual([
      { day: 0, precision: 0, alerts: 2, frauds: 0 },
      { day: 1, precision: 0.5, alerts: 2, frauds: 1 },
    ]);
    expect(r.mean).toBe(0.25);
    expect(() => precisionAtK({ ...input, k: 0 })).toThrow(/k must be/);
  });
});

describe('population stability index', () => {
  /** Deterministic standard normals (mulberry32 + Box–Muller). */
  function normals(seed: number, n: number, shift: number): Float64Array {
    let a = seed >>> 0;
    const u = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    return Float64Array.from(
      { length: n },
      () => shift + Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()),
    );
  }

  it('is zero for identical distributions and small for a fresh sample of the same one', () => {
    const e = normals(1, 5000, 0);
    expect(psi(e, e)).toBe(0);
    expect(psi(e, normals(2, 5000, 0))).toBeLessThan(0.02);
  });

  it('is large for a shifted distribution', () => {
    expect(psi(normals(1, 5000, 0), normals(2, 5000, 1))).toBeGreaterThan(0.25);
  });

  it('counts missing values in their own bin, matching a hand computation', () => {
    // Two bins split at 6 (the median of 1..10); actual has 5 below, 3 above and 2 missing.
    const expected = Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    const actual = Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, Number.NaN, Number.NaN);
    const hand = (0.3 - 0.5) * Math.log(0.3 / 0.5) + (0.2 - PSI_EPSILON) * Math.log(0.2 / PSI_EPSILON);
    expect(psi(expected, actual, 2)).toBeCloseTo(hand, 12);
  });

  it('merges quantile edges that ties make equal', () => {
    const expected = Float64Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1, 2);
    expect(psi(expected, expected, 10)).toBe(0);
    expect(psi(expected, Float64Array.of(2, 2, 2, 2, 2, 2, 2, 2, 2, 2), 10)).toBeGreaterThan(1);
  });
});

describe('money stopped', () => {
  const scores = Float64Array.of(0.9, 0.2, 0.7, 0.4, 0.5);
  const labels = Uint8Array.of(1, 1, 0, 0, 1);

  it('splits amounts by outcome, with number or bigint minor units', () => {
    expect(
      moneyStopped({
        scores,
        labels,
        amountsMinor: Float64Array.of(1000, 250, 5000, 300, 70),
        threshold: 0.5,
      }),
    ).toEqual({ fraudStoppedMinor: 1070, fraudMissedMinor: 250, legitStoppedMinor: 5000 });
    expect(
      moneyStopped({
        scores,
        labels,
        amountsMinor: BigInt64Array.of(9_007_199_254_740_993n, 250n, 5000n, 300n, 70n),
        threshold: 0.5,
      }),
    ).toEqual({
      fraudStoppedMinor: 9_007_199_254_741_063n,
      fraudMissedMinor: 250n,
      legitStoppedMinor: 5000n,
    });
  });

  it('refuses fractional minor units', () => {
    expect(() =>
      moneyStopped({ scores, labels, amountsMinor: Float64Array.of(1, 2, 3.5, 4, 5), threshold: 0.5 }),
    ).toThrow(/amountsMinor\[2\]/);
  });
});
