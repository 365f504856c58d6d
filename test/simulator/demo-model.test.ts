// Proves the demo's fraud model: a month of simulated traffic replays through the engine's feature code into a labelled table (money movements only, fraud labelled), trains, becomes the champion once, and then scores live decisions.
import { describe, expect, it } from 'vitest';
import { bootstrapDemoModel, demoTrainingTable, replayRowsOf } from '../../src/simulator/demo-model.ts';
import { generateTraffic } from '../../src/simulator/traffic/generate.ts';
import { DEFAULT_SCENARIO_RATES, TRAFFIC_DEFAULTS } from '../../src/simulator/traffic/model.ts';
import { Api, at, str } from '../api/client.ts';
import { DATABASES, useBulwark } from '../helpers.ts';

const END = new Date('2026-06-01T00:00:00Z');

describe('demo model data', () => {
  it('labels money movements (fraud only) and keeps account events as context', () => {
    const events = [
      ...generateTraffic({
        seed: 3,
        customers: 200,
        merchants: 10,
        days: 10,
        end: END,
        scenarios: DEFAULT_SCENARIO_RATES,
        mulePayersMin: TRAFFIC_DEFAULTS.mulePayersMin,
        structuringThresholdMinor: TRAFFIC_DEFAULTS.structuringThresholdMinor,
      }),
    ];
    const { rows, customers } = replayRowsOf(events);
    expect(customers.size).toBeGreaterThanOrEqual(200);
    const money = events.filter((e) =>
      ['topup', 'withdrawal', 'transfer', 'payment', 'refund'].includes(e.type),
    );
    expect(rows.filter((r) => r.label !== undefined)).toHaveLength(money.length);
    const frauds = money.filter((e) => e.truth.label === 'fraud').length;
    expect(rows.filter((r) => r.label === 1)).toHaveLength(frauds);
    expect(
      rows.filter((r) => r.label === undefined).every((r) => !['transfer', 'payment'].includes(r.event.type)),
    ).toBe(true);
    for (let i = 1; i < rows.length; i++)
      expect((rows[i]?.event.at.getTime() ?? 0) >= (rows[i - 1]?.event.at.getTime() ?? 0)).toBe(true);
  });

  it('replays into a table whose rows are the labelled movements', async () => {
    const table = await demoTrainingTable({ seed: 5, customers: 150, days: 8, end: END, trees: 10 });
    expect(table.rows).toBeGreaterThan(100);
    const amountColumn = table.columns[table.features.indexOf('event.amount')];
    expect(amountColumn?.every((v) => v >= 0)).toBe(true);
    // The velocity features were computed for real: somebody sent more than once an hour.
    const count1h = table.columns[table.features.indexOf('customer.out.count_1h')] ?? new Float64Array();
    expect(Math.max(...count1h)).toBeGreaterThan(0);
  });
});

for (const target of DATABASES) {
  describe(`demo model bootstrap on ${target.name}`, () => {
    const bw = useBulwark(target);
    const api = new Api(bw);

    it('trains once, serves as champion, and explains its scores in decisions', async () => {
      const small = { customers: 300, days: 21, trees: 30 };
      const first = await bootstrapDemoModel(bw().models, new Date(), small);
      expect(first).not.toBeNull();
      expect(first?.trainRows).toBeGreaterThan(1000);
      expect(await bootstrapDemoModel(bw().models, new Date(), small)).toBeNull();
      const champions = await bw().models.list({ status: 'champion' });
      expect(champions.map((m) => m.name)).toEqual(['demo-fraud-gbdt']);

      const payer = await api.fundedCustomer('Demo Model Payer', '100000');
      const payee = await api.customer('Demo Model Payee');
      const t = await api.transfer(payer.walletId, payee.walletId, '2000');
      const d = await api.asStaff('analyst').get(`/v1/decisions/${str(t.body, 'decision', 'id')}`);
      expect(at(d.body, 'detail', 'model', 'name')).toBe('demo-fraud-gbdt@1');
      expect(typeof at(d.body, 'detail', 'model', 'score')).toBe('number');
    });
  });
}
