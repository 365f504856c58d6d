// Proves retraining from Bulwark's own history on every database: the stored features of each decision become the training rows, a label counts only once it has arrived, a decision without a fraud label counts as legitimate only after the delay, the result is registered as a challenger (never a champion), and too few fraud labels train nothing.
import { describe, expect, it } from 'vitest';
import type { Db } from '../../../src/platform/db.ts';
import { newId } from '../../../src/platform/ids.ts';
import { decisionTable } from '../../../src/risk/model/retrain.ts';
import { Api, at, expectProblem } from '../../api/client.ts';
import { DATABASES, useBulwark } from '../../helpers.ts';

const DAY = 86_400_000;

/** `n` payments over the last 30 days; every `fraudEvery`-th is fraud (large, new payee), labelled 2 days later. */
async function history(db: Db, now: number, n: number, fraudEvery: number): Promise<void> {
  const decisions = [];
  const labels: Array<{
    decision_id: string;
    source: string;
    label: 'fraud';
    scenario: null;
    reported_at: Date;
    created_at: Date;
  }> = [];
  for (let i = 0; i < n; i++) {
    const t = new Date(now - 30 * DAY + Math.floor((i / n) * 29 * DAY));
    const fraud = i % fraudEvery === 0;
    const id = newId('dec');
    decisions.push({
      id,
      event_type: 'payment',
      subject_id: `cus_rt_${i % 50}`,
      currency: 'CNY',
      amount_minor: BigInt(fraud ? 500_000 + i : 5_000 + (i % 300)),
      outcome: 'ALLOW' as const,
      reason_codes: JSON.stringify([]),
      customer_message: null,
      policy: 'risk-engine/1',
      input: JSON.stringify({}),
      latency_us: 100,
      created_at: t,
      event_at: t,
      detail: JSON.stringify({
        features: { 'customer.out.count_24h': fraud ? 9 : i % 4, 'payee.isNew': fraud },
      }),
    });
    if (fraud) {
      const arrived = new Date(t.getTime() + 2 * DAY);
      labels.push({
        decision_id: id,
        source: 'test',
        label: 'fraud',
        scenario: null,
        reported_at: arrived,
        created_at: arrived,
      });
    }
  }
  for (let i = 0; i < decisions.length; i += 500)
    await db
      .insertInto('risk_decisions')
      .values(decisions.slice(i, i + 500))
      .execute();
  if (labels.length > 0) await db.insertInto('risk_labels').values(labels).execute();
}

for (const target of DATABASES) {
  describe(`model retraining from decisions on ${target.name}`, () => {
    const bw = useBulwark(target);

    it('counts a label only from its arrival and a silence only after the delay', async () => {
      const { db } = bw().dbHandle;
      const now = Date.now() + 400 * DAY;
      await history(db, now, 300, 10);
      // As of 10 days before the end: labels of the last 12 days have not all arrived.
      const asOfMs = now - 10 * DAY;
      const table = await decisionTable(db, {
        fromMs: now - 40 * DAY,
        toMs: now,
        asOfMs,
        labelDelayMs: 7 * DAY,
        features: ['event.amount', 'customer.out.count_24h'],
      });
      expect(table.rows).toBe(300);
      for (let i = 0; i < table.rows; i++) {
        const t = table.atMs[i] as number;
        const large = (table.columns[0]?.[i] ?? 0) >= 500_000;
        if (large && t + 2 * DAY <= asOfMs) {
          expect(table.labels[i], `row ${i}`).toBe(1);
          expect(table.labelKnownAtMs[i]).toBe(t + 2 * DAY);
        } else {
          // Not (yet) known as fraud: legitimate once the delay has passed.
          expect(table.labels[i], `row ${i}`).toBe(0);
          expect(table.labelKnownAtMs[i]).toBe(t + 7 * DAY);
        }
      }
    });

    it('registers a challenger, never a champion, and refuses to learn from too few labels', async () => {
      const { db } = bw().dbHandle;
      const api = new Api(bw).asStaff('analyst');
      const few = await api.post('/v1/risk/models/retrain', {});
      expect(few.status, few.text).toBe(200);
      expect(at(few.body, 'model')).toBeNull();
      expect(String(at(few.body, 'reason'))).toMatch(/fraud labels known/);

      await history(db, Date.now(), 2000, 20);
      const r = await api.post('/v1/risk/models/retrain', { trainDays: 21 });
      expect(r.status, r.text).toBe(200);
      expect(at(r.body, 'model', 'status')).toBe('challenger');
      expect(at(r.body, 'model', 'name')).toBe('fraud-gbdt');
      expect(at(r.body, 'positives')).toBeGreaterThanOrEqual(20);
      expect(await bw().models.list({ status: 'champion' })).toEqual([]);
      expectProblem(await api.post('/v1/risk/models/retrain', { trainDays: 3 }), 400, 'VALIDATION_FAILED');
    });
  });
}
