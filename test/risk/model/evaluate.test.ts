// Proves the honest evaluation: label features only count labels once they have arrived, a model only ever trains on labels known when it is trained, test rows are scored before anything of them is known, and the figures follow from the scores.
import { describe, expect, it } from 'vitest';
import { DAY_MS, type Dataset, evaluate, trainingRows } from '../../../src/risk/model/evaluate.ts';
import type { Forest } from '../../../src/risk/model/forest.ts';
import type { LabelledTx } from '../../../src/risk/model/history.ts';
import { buildFeatureTable, type FeatureTable } from '../../../src/risk/model/table.ts';

const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;

function tx(
  id: number,
  atMs: number,
  payer: string,
  payee: string,
  label: 0 | 1,
  labelAtMs?: number,
): LabelledTx {
  const row: LabelledTx = {
    id: String(id),
    atMs,
    payerId: payer,
    payeeId: payee,
    amountMinor: 1_000n,
    currency: 'EUR',
    label,
  };
  return labelAtMs === undefined ? row : { ...row, labelAtMs };
}

/** A forest of one split: `x[feature] < 0.5` scores low, else high. */
function splitForest(features: readonly string[], feature: number): Forest {
  return {
    features,
    baseMargin: 0,
    roots: Int32Array.from([0]),
    feature: Int32Array.from([feature, -1, -1]),
    threshold: Float64Array.from([0.5, 0, 0]),
    left: Int32Array.from([1, -1, -1]),
    right: Int32Array.from([2, -1, -1]),
    defaultLeft: Uint8Array.from([1, 0, 0]),
    value: Float64Array.from([0, -3, 3]),
    cover: Float64Array.from([2, 1, 1]),
  };
}

/**
 * A synthetic table: one row per hour over `days`, payer i % 50, a fraud every 7th row, the
 * label known `delayDays` later (or at a random later time when `randomDelay`). Column 0 is
 * the row's own index (so a trainer can see which rows it was given), column 1 the label
 * itself (a perfect feature).
 */
function syntheticTable(days: number, delayDays: number, randomDelay = false): FeatureTable {
  const rows = days * 24;
  const atMs = new Float64Array(rows);
  const known = new Float64Array(rows);
  const labels = new Uint8Array(rows);
  const index = new Float64Array(rows);
  const payer = new Int32Array(rows);
  let seed = 7;
  const rand = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  for (let i = 0; i < rows; i++) {
    const at = T0 + i * HOUR;
    atMs[i] = at;
    labels[i] = i % 7 === 0 ? 1 : 0;
    known[i] = at + (randomDelay ? rand() * 20 * DAY_MS : delayDays * DAY_MS);
    index[i] = i;
    payer[i] = i % 50;
  }
  return {
    features: ['row', 'label'],
    columns: [index, Float64Array.from(labels)],
    labels,
    atMs,
    labelKnownAtMs: known,
    payer,
    payerIds: Array.from({ length: 50 }, (_, i) => `p${i}`),
    amountMinor: new Float64Array(rows).fill(1000),
    ruleScore: new Float64Array(rows),
    ruleSeverity: new Uint8Array(rows),
    rows,
  };
}

describe('feature table replay', () => {
  it('counts a fraud label in the merchant and customer label features only once it has arrived', async () => {
    const history = [
      tx(1, T0, 'c1', 'm1', 1),
      tx(2, T0 + 3 * DAY_MS, 'c2', 'm1', 0),
      tx(3, T0 + 7 * DAY_MS - 1, 'c3', 'm1', 0),
      tx(4, T0 + 7 * DAY_MS, 'c4', 'm1', 0),
      tx(5, T0 + 8 * DAY_MS, 'c1', 'm2', 0),
      tx(6, T0 + 40 * DAY_MS, 'c5', 'm1', 0),
    ];
    const table = await buildFeatureTable(history, {
      labelDelayMs: 7 * DAY_MS,
      features: ['merchant.fraudLabels_30d', 'customer.fraudLabels_30d', 'merchant.fraudRate_30d'],
    });
    const merchant = Array.from(table.columns[0] as Float64Array);
    const customer = Array.from(table.columns[1] as Float64Array);
    // Not before the label's arrival (7 days later), from it on, and gone once 30 days have passed.
    expect(merchant).toEqual([0, 0, 0, 1, 0, 0]);
    expect(customer).toEqual([0, 0, 0, 0, 1, 0]);
    expect(table.columns[2]?.[3]).toBeGreaterThan(0);
    expect(Array.from(table.labelKnownAtMs)).toEqual(history.map((h) => h.atMs + 7 * DAY_MS));
  });

  it('uses a label’s own arrival time when the history has one', async () => {
    const history = [
      tx(1, T0, 'c1', 'm1', 1, T0 + HOUR),
      tx(2, T0 + 2 * HOUR, 'c2', 'm1', 0),
      tx(3, T0 + 3 * HOUR, 'c3', 'm2', 1, T0 + 20 * DAY_MS),
      tx(4, T0 + 10 * DAY_MS, 'c4', 'm2', 0),
    ];
    const table = await buildFeatureTable(history, {
      labelDelayMs: 7 * DAY_MS,
      features: ['merchant.fraudLabels_30d'],
    });
    expect(Array.from(table.columns[0] as Float64Array)).toEqual([0, 1, 0, 0]);
  });

  it('refuses a history out of time order', async () => {
    const history = [tx(1, T0 + DAY_MS, 'c1', 'm1', 0), tx(2, T0, 'c2', 'm1', 1)];
    await expect(buildFeatureTable(history, { labelDelayMs: 0 })).rejects.toThrow(/row 1 \(2\).*time order/);
  });

  it('stops when cancelled', async () => {
    const history = Array.from({ length: 10_000 }, (_, i) =>
      tx(i, T0 + i * 1000, `c${i % 9}`, `m${i % 4}`, 0),
    );
    const controller = new AbortController();
    controller.abort();
    await expect(
      buildFeatureTable(history, { labelDelayMs: 0, signal: controller.signal }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});

describe('training sets', () => {
  it('hold every row whose label was known in time, and only those', () => {
    const table = syntheticTable(60, 0, true);
    const at = T0 + 40 * DAY_MS;
    const options = { labelDelayDays: 7, trainDays: 21, validDays: 7 };
    const { train, valid } = trainingRows(table, at, options);
    const chosen = new Set([...train, ...valid]);
    for (let i = 0; i < table.rows; i++) {
      const t = table.atMs[i] as number;
      const eligible = t >= at - 28 * DAY_MS && t < at && (table.labelKnownAtMs[i] as number) <= at;
      expect(chosen.has(i), `row ${i}`).toBe(eligible);
    }
    for (const i of valid) expect(table.atMs[i]).toBeGreaterThanOrEqual(at - 14 * DAY_MS);
    for (const i of train) expect(table.atMs[i]).toBeLessThan(at - 14 * DAY_MS);
  });
});

describe('evaluate', () => {
  it('never lets a model see a label before it is known, nor a row it scores', async () => {
    const table = syntheticTable(70, 7);
    const seen: Array<{ at: number; rows: number[] }> = [];
    const spy = (train: Dataset, valid: Dataset | undefined, ctx: { trainedAtMs: number }) => {
      const rows = [...(train.columns[0] ?? []), ...(valid?.columns[0] ?? [])];
      seen.push({ at: ctx.trainedAtMs, rows });
      return splitForest(train.features, 1);
    };
    const result = await evaluate(table, spy, {
      labelDelayDays: 7,
      trainDays: 21,
      validDays: 7,
      testFromMs: T0 + 42 * DAY_MS,
      retrainEveryDays: 7,
      budget: 5,
      calibration: 'none',
    });
    expect(seen.map((s) => (s.at - T0) / DAY_MS)).toEqual([42, 49, 56, 63]);
    for (const s of seen) {
      for (const r of s.rows) {
        expect(table.labelKnownAtMs[r]).toBeLessThanOrEqual(s.at);
        expect(table.atMs[r]).toBeLessThan(s.at);
      }
    }
    for (const round of result.rounds)
      expect(round.latestLabelKnownAtMs).toBeLessThanOrEqual(round.trainedAtMs);
    // Every test row was scored by the model trained just before it.
    expect(result.rounds.reduce((n, r) => n + r.scoredRows, 0)).toBe(result.test.rows);
    expect(result.test.rows).toBe(28 * 24);
  });

  it('judges a perfect feature as perfect and the silent rules as blind', async () => {
    const table = syntheticTable(70, 7);
    const result = await evaluate(table, (train) => splitForest(train.features, 1), {
      labelDelayDays: 7,
      trainDays: 21,
      validDays: 7,
      testFromMs: T0 + 42 * DAY_MS,
      retrainEveryDays: 0,
      // 5 of 24 rows a day: room for every fraud (one row in 7).
      budget: 5,
      calibration: 'platt',
    });
    expect(result.model.rocAuc).toBe(1);
    expect(result.model.averagePrecision).toBe(1);
    expect(result.model.money.missedMinor).toBe(0);
    expect(result.rules.rocAuc).toBe(0.5);
    expect(result.rules.money.alerts).toBe(0);
    expect(result.rulesAndModel.rocAuc).toBe(1);
    expect(result.model.perDay).toHaveLength(28);
  });

  it('refuses a training window without a known fraud label', async () => {
    const table = syntheticTable(30, 7);
    table.labels.fill(0);
    await expect(
      evaluate(table, (t) => splitForest(t.features, 1), {
        labelDelayDays: 7,
        trainDays: 14,
        validDays: 7,
        testFromMs: T0 + 25 * DAY_MS,
        retrainEveryDays: 0,
        budget: 3,
        calibration: 'none',
      }),
    ).rejects.toThrow(/no fraud label is known/);
  });
});
