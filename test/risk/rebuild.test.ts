// Proves that an embedded process rebuilds its in-memory velocity counters from the stored decisions on start: a restarted Bulwark reads the same counters the running one had.
import { describe, expect, it } from 'vitest';
import { buildBulwark } from '../../src/app.ts';
import { createLogger } from '../../src/platform/logger.ts';
import type { VelocityQuery } from '../../src/risk/velocity/store.ts';
import { Api } from '../api/client.ts';
import { DATABASES, freshDatabase, testConfig } from '../helpers.ts';

for (const target of DATABASES) {
  describe(`velocity rebuild on ${target.name}`, () => {
    it('a restarted process reads the counters the first one had', async () => {
      const handle = await freshDatabase(target);
      const log = createLogger('silent');
      const first = await buildBulwark({ config: testConfig(), log, dbHandle: handle });
      try {
        const client = await first.apiClients.create(
          { name: 'rebuild', role: 'integrator' },
          { type: 'system', id: 'test' },
        );
        const bw = { ...first, integratorAuth: `Bearer ${client.key}` } as never;
        const api = new Api(() => bw);
        const a = await api.fundedCustomer('Rebuild A', '300000');
        const b = await api.customer('Rebuild B');
        const c = await api.customer('Rebuild C');
        const decisions: string[] = [];
        for (const [to, amount] of [
          [b, '1000'],
          [c, '2500'],
          [b, '700'],
        ] as const) {
          const res = await api.transfer(a.walletId, to.walletId, amount);
          expect(res.status, res.text).toBe(201);
          decisions.push((res.body as { decision: { id: string } }).decision.id);
        }
        // Two of them turn out to be fraud (one confirmed twice): two fraud counts survive the restart.
        const labels = await api.post('/v1/risk/labels', {
          labels: [
            { decisionId: decisions[0], label: 'fraud' },
            { decisionId: decisions[2], label: 'fraud' },
          ],
        });
        expect(labels.status, labels.text).toBe(200);
        await api.post('/v1/risk/labels', {
          labels: [{ decisionId: decisions[0], label: 'fraud', scenario: 'x' }],
        });
        const at = Date.now();
        const queries: VelocityQuery[] = [
          { entity: `customer:${a.id}`, metric: 'out', window: '24h', at },
          { entity: `customer:${a.id}`, metric: 'out', window: '1h', at },
          { entity: `payee:${b.id}`, metric: 'received', window: '24h', at },
          { entity: `customer:${a.id}`, metric: 'topup', window: '1h', at },
          { entity: `customer:${a.id}`, metric: 'fraud', window: '30d', at },
        ];
        const before = await first.velocity.read(queries);
        expect(before[0]).toMatchObject({ count: 3, sum: 4200n, distinct: 2 });
        expect(before[4]).toMatchObject({ count: 2 });
        await first.close();

        const second = await buildBulwark({ config: testConfig(), log, dbHandle: handle });
        try {
          expect(await second.velocity.read(queries)).toEqual(before);
        } finally {
          await second.close();
        }
      } finally {
        await handle.drop();
      }
    });
  });
}
