// Proves the reserve's fee-share sweep: it moves its share of every fee earned, once, and a
// transfer from revenue made by hand neither counts as the sweep's share nor stops it.
import { describe, expect, it } from 'vitest';
import { Api, arr, at, str } from '../api/client.ts';
import { DATABASES, useBulwark } from '../helpers.ts';

for (const target of DATABASES) {
  describe(`the reserve's fee share on ${target.name}`, () => {
    const bw = useBulwark(target, { config: { reserveFeeShareBps: 1000 } });
    const api = new Api(bw);
    const reserve = async () => {
      const res = await api.asStaff('operations').get('/v1/reserve');
      expect(res.status, res.text).toBe(200);
      return arr(res.body, 'currencies').find((c) => at(c, 'currency') === 'CNY');
    };

    it('sweeps 10 % of fees once, and keeps sweeping after a transfer from revenue', async () => {
      const payer = await api.fundedCustomer('Fee Payer', '4000000');
      const shop = await api.merchant('Fee Shop', 500); // 5 %
      const pay = (amountMinor: string) =>
        api.post('/v1/payments', {
          walletId: payer.walletId,
          merchantId: shop.id,
          amountMinor,
          currency: 'CNY',
        });
      expect((await pay('1000000')).status).toBe(201); // fee 50,000
      expect(await bw().reserve.sweepFees()).toBe(1);
      expect(await bw().reserve.sweepFees()).toBe(0);
      expect(await reserve()).toMatchObject({ balanceMinor: '5000', inflows: { feesMinor: '5000' } });

      const manual = await api.asStaff('operations').post('/v1/reserve/fundings', {
        currency: 'CNY',
        amountMinor: '20000',
        reason: 'top-up from revenue',
      });
      expect(manual.status, manual.text).toBe(201);
      expect((await pay('1000000')).status).toBe(201); // another 50,000 of fees
      expect(await bw().reserve.sweepFees()).toBe(1);
      expect(await reserve()).toMatchObject({
        balanceMinor: '30000',
        inflows: { feesMinor: '10000', revenueMinor: '20000' },
      });
      expect(str(await reserve(), 'currency')).toBe('CNY');
    });
  });
}
