// Proves drift monitoring on every database: from the decisions a model scored, the PSI of each feature and of the score against the week before flags a shifted feature and leaves a steady one alone, the misjudged share of high scores counts the labels, weeks are stored once and read back, and the weekly job computes only what is missing.
import { describe, expect, it } from 'vitest';
import { newId } from '../../../src/platform/ids.ts';
import { weekStartOf } from '../../../src/risk/model/drift.ts';
import type { Dataset } from '../../../src/risk/model/evaluate.ts';
import { trainSync } from '../../../src/risk/model/gbdt.ts';
import { buildModelFile } from '../../../src/risk/model/model-file.ts';
import { Api, arr, at, expectProblem } from '../../api/client.ts';
import { DATABASES, useBulwark } from '../../helpers.ts';

const DAY = 86_400_000;

function tinyModel() {
  const n = 500;
  const amount = Float64Array.from({ length: n }, (_, i) => (i * 997) % 100_000);
  const count = Float64Array.from({ length: n }, (_, i) => i % 7);
  const labels = Uint8Array.from({ length: n }, (_, i) => ((i * 997) % 100_000 > 90_000 ? 1 : 0));
  const data: Dataset = {
    features: ['event.amount', 'customer.out.count_24h'],
    columns: [amount, count],
    labels,
  };
  return buildModelFile({
    name: 'drift-test',
    forest: trainSync(data, { trees: 5, maxDepth: 2 }).forest,
    calibrationSet: data,
    trainedAtMs: 0,
    trainFromMs: 0,
    trainToMs: 0,
    rows: n,
    positives: labels.reduce((a, b) => a + b, 0),
    params: {},
    seconds: 0,
    source: 'test',
  });
}

for (const target of DATABASES) {
  describe(`model drift on ${target.name}`, () => {
    const bw = useBulwark(target);

    it('flags the shifted feature, not the steady one, and counts misjudged high scores', async () => {
      const { db } = bw().dbHandle;
      const registered = await bw().models.register(tinyModel(), { type: 'system', id: 'test' }, {});
      const modelId = (registered.response.body as { id: string }).id;
      const week = weekStartOf(new Date(Date.UTC(2026, 2, 18)));
      const rows = [];
      for (let i = 0; i < 400; i++) {
        const current = i >= 200;
        const at = new Date(week.getTime() + (current ? 1 : -6) * DAY + (i % 200) * 60_000);
        // The amounts grow fivefold in the current week; the hourly count keeps its shape.
        const amount = BigInt((current ? 5 : 1) * (1000 + ((i * 37) % 2000)));
        const level = current && i % 10 === 0 ? 'high' : 'low';
        rows.push({
          id: newId('dec'),
          event_type: 'payment',
          subject_id: `cus_drift_${i % 40}`,
          currency: 'CNY',
          amount_minor: amount,
          outcome: 'ALLOW' as const,
          reason_codes: JSON.stringify([]),
          customer_message: null,
          policy: 'risk-engine/1',
          input: JSON.stringify({}),
          latency_us: 100,
          created_at: at,
          event_at: at,
          detail: JSON.stringify({
            features: { 'customer.out.count_24h': i % 7 },
            model: {
              name: 'drift-test@1',
              score: current ? 0.6 + (i % 10) / 40 : 0.1 + (i % 10) / 40,
              level,
            },
          }),
        });
      }
      await db.insertInto('risk_decisions').values(rows).execute();
      // Of the 20 high scores of the current week, 8 are labelled: 6 legitimate, 2 fraud.
      const high = rows.filter((_, i) => i >= 200 && i % 10 === 0).slice(0, 8);
      await db
        .insertInto('risk_labels')
        .values(
          high.map((r, k) => ({
            decision_id: r.id,
            source: 'test',
            label: k < 6 ? 'legit' : 'fraud',
            scenario: null,
            reported_at: new Date(week.getTime() + 3 * DAY),
            created_at: new Date(week.getTime() + 3 * DAY),
          })),
        )
        .execute();

      const drift = await bw().models.drift(modelId, week);
      expect(drift.rows).toBe(200);
      expect(drift.referenceRows).toBe(200);
      expect(drift.featurePsi['event.amount']).toBeGreaterThan(0.25);
      expect(drift.featurePsi['customer.out.count_24h']).toBeLessThan(0.05);
      expect(drift.scorePsi).toBeGreaterThan(0.25);
      expect(drift.drifted).toEqual(['score', 'event.amount']);
      expect(drift.alert).toBe(true);
      expect(drift.misjudged).toEqual({ labelledHigh: 8, legit: 6, rate: 0.75 });

      // Stored once per week (a recomputation replaces it), and read back over the API.
      await bw().models.drift(modelId, week);
      const api = new Api(bw).asStaff('analyst');
      const read = await api.get(`/v1/risk/models/${modelId}/drift`);
      expect(read.status, read.text).toBe(200);
      expect(arr(read.body, 'weeks')).toHaveLength(1);
      expect(at(read.body, 'weeks', 0, 'drifted')).toEqual(['score', 'event.amount']);
      expect(at(read.body, 'weeks', 0, 'misjudged', 'rate')).toBe(0.75);
      const notMonday = await api.post(`/v1/risk/models/${modelId}/drift`, { weekStart: '2026-03-17' });
      expectProblem(notMonday, 400, 'VALIDATION_FAILED');

      // The weekly job only looks at serving versions: a candidate is left alone.
      expect(await bw().models.monitorDrift()).toEqual([]);
    });
  });
}
