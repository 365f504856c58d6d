// Proves the risk gate enforces each customer's KYC tier limits over HTTP: tier 0's single limit and balance cap (on top-ups and on transfers in), tier 1's daily and monthly limits on UTC+8 days and calendar months, tier 2's larger limits, an approved override replacing the tier's limits, and a tier table taken from configuration.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/clock.ts';
import { newId } from '../../src/platform/ids.ts';
import { DATABASES, type TestBulwark, useBulwark } from '../helpers.ts';
import { Api, at, expectProblem, type Reply, str } from './client.ts';

/**
 * Asserts a refusal by a limit: its reason code leads (rules that also matched follow it);
 * returns the message the customer is shown, which is the limit's.
 */
function expectBlocked(res: Reply, reason: string): string {
  expectProblem(res, 422, 'RISK_BLOCKED');
  expect(at(res.body, 'decision', 'outcome')).toBe('BLOCK');
  expect(at(res.body, 'decision', 'reasonCodes', 0)).toBe(reason);
  return str(res.body, 'decision', 'customerMessage');
}

/** Runs `fn` with the movement clock stopped at `iso` (decisions are stamped with it). */
async function atTime<T>(bw: TestBulwark, iso: string, fn: (clock: ManualClock) => Promise<T>): Promise<T> {
  const clock = new ManualClock(new Date(iso));
  bw.clock.use(clock);
  try {
    return await fn(clock);
  } finally {
    bw.clock.reset();
  }
}

for (const target of DATABASES) {
  describe(`tier limits on ${target.name}`, () => {
    // Limits alone: the starter rules would add their own holds and challenges to these amounts.
    const bw = useBulwark(target, { starterRules: false });
    const api = new Api(bw);
    const topup = (walletId: string, amountMinor: string, currency = 'CNY') =>
      api.post('/v1/topups', { walletId, amountMinor, currency, channel: 'simbank' });

    it('tier 0: refuses a top-up above the single limit and money beyond the balance cap', async () => {
      const zero = await api.customer('Unverified', ['CNY'], 0);
      const message = expectBlocked(await topup(zero.walletId, '50001'), 'TIER_SINGLE_LIMIT');
      expect(message).toContain('500.00 CNY');
      expect(message).toContain('Verifying your real name');
      await api.topup(zero.walletId, '50000');
      await api.topup(zero.walletId, '50000');
      expect((await api.balance(zero.walletId)).posted).toBe(100_000n);

      const full = expectBlocked(await topup(zero.walletId, '1'), 'TIER_BALANCE_CAP');
      expect(full).toContain('balance limit of 1000.00 CNY');
      expect(full).toContain('up to 0.00 CNY');

      // A transfer in is refused for the recipient's cap; the payer learns nothing about it.
      const payer = await api.fundedCustomer('Payer', '5000000');
      const before = await api.balance(payer.walletId);
      const refused = expectBlocked(
        await api.transfer(payer.walletId, zero.walletId, '100'),
        'TIER_BALANCE_CAP',
      );
      expect(refused).toContain("recipient's balance limit");
      expect(refused).not.toContain('1000.00');
      expect(await api.balance(payer.walletId)).toEqual(before);
      expect((await api.balance(zero.walletId)).posted).toBe(100_000n);
    });

    it('tier 0: refuses an outgoing movement above the single limit', async () => {
      const zero = await api.customer('Unverified too', ['CNY'], 0);
      await api.topup(zero.walletId, '50000');
      const other = await api.customer('Friend');
      const message = expectBlocked(
        await api.transfer(zero.walletId, other.walletId, '50001'),
        'TIER_SINGLE_LIMIT',
      );
      expect(message).toContain('single-transaction limit of 500.00 CNY');
      expect((await api.transfer(zero.walletId, other.walletId, '50000')).status).toBe(201);
    });

    it('tier 1: single and daily limits on UTC+8 days', async () => {
      const one = await api.customer('Basic only', ['CNY'], 1);
      for (let i = 0; i < 5; i++) await api.topup(one.walletId, '500000');
      const to = await api.customer('Receiver');
      // 23:00 in Shanghai on 14 June is still 14 June; 00:30 the next morning is a new day.
      await atTime(bw(), '2025-06-14T15:00:00Z', async (clock) => {
        const single = expectBlocked(
          await api.transfer(one.walletId, to.walletId, '500001'),
          'TIER_SINGLE_LIMIT',
        );
        expect(single).toContain('Completing full identity verification');
        for (let i = 0; i < 4; i++)
          expect((await api.transfer(one.walletId, to.walletId, '500000')).status).toBe(201);
        const daily = expectBlocked(await api.transfer(one.walletId, to.walletId, '1'), 'TIER_DAILY_LIMIT');
        expect(daily).toContain('daily limit of 20000.00 CNY; 0.00 CNY remains today');
        clock.set(new Date('2025-06-14T16:30:00Z'));
        expect((await api.transfer(one.walletId, to.walletId, '100')).status).toBe(201);
      });
    });

    it('tier 1: a monthly limit over the calendar month in UTC+8', async () => {
      const one = await api.customer('Monthly', ['CNY'], 1);
      await api.topup(one.walletId, '500000');
      const friend = await api.customer('Back and forth');
      // Money goes round: CNY 5,000 out and back, four times a day (CNY 20,000, the daily limit).
      await atTime(bw(), '2025-06-25T02:00:00Z', async (clock) => {
        for (let day = 25; day <= 29; day++) {
          clock.set(new Date(`2025-06-${day}T02:00:00Z`));
          for (let i = 0; i < 4; i++) {
            const out = await api.transfer(one.walletId, friend.walletId, '500000');
            expect(out.status, out.text).toBe(201);
            expect((await api.transfer(friend.walletId, one.walletId, '500000')).status).toBe(201);
          }
        }
        // 30 June, a fresh day: the daily limit has room, the month (CNY 100,000) has none.
        clock.set(new Date('2025-06-30T02:00:00Z'));
        const monthly = expectBlocked(
          await api.transfer(one.walletId, friend.walletId, '100'),
          'TIER_MONTHLY_LIMIT',
        );
        expect(monthly).toContain('monthly limit of 100000.00 CNY; 0.00 CNY remains this month');
        // 00:30 on 1 July in Shanghai (still 30 June in UTC): a new month.
        clock.set(new Date('2025-06-30T16:30:00Z'));
        expect((await api.transfer(one.walletId, friend.walletId, '100')).status).toBe(201);
      });
    });

    it('tier 2: allows what tier 1 refuses', async () => {
      const one = await api.customer('Tier one', ['CNY'], 1);
      const two = await api.customer('Tier two');
      for (const c of [one, two]) for (let i = 0; i < 2; i++) await api.topup(c.walletId, '500000');
      const to = await api.customer('Payee');
      expectBlocked(await api.transfer(one.walletId, to.walletId, '600000'), 'TIER_SINGLE_LIMIT');
      const res = await api.transfer(two.walletId, to.walletId, '600000');
      expect(res.status, res.text).toBe(201);
      expect(at(res.body, 'decision', 'outcome')).toBe('ALLOW');
      // The review threshold still applies, whatever the tier.
      await api.topup(two.walletId, '5000000');
      const large = await api.transfer(two.walletId, to.walletId, '2000000');
      expect(large.status, large.text).toBe(202);
      expect(at(large.body, 'decision', 'reasonCodes')).toContain('LARGE_AMOUNT');
    });

    it('applies an approved override instead of the tier limits, and shows it', async () => {
      const zero = await api.customer('Raised', ['CNY'], 0);
      expectBlocked(await topup(zero.walletId, '150000'), 'TIER_SINGLE_LIMIT');
      await bw()
        .dbHandle.db.insertInto('customer_limit_overrides')
        .values({
          customer_id: zero.id,
          currency: 'CNY',
          single_minor: 200_000n,
          daily_minor: 500_000n,
          monthly_minor: 1_000_000n,
          balance_cap_minor: 300_000n,
          approval_id: newId('apr'),
          created_at: new Date(),
        })
        .execute();
      // Whoever writes an override tells the gate (the approval flow does so in-process).
      bw().gate.forgetCustomer(zero.id);
      await api.topup(zero.walletId, '150000');
      await api.topup(zero.walletId, '150000');
      const cap = expectBlocked(await topup(zero.walletId, '1'), 'TIER_BALANCE_CAP');
      expect(cap).toContain('3000.00 CNY');
      expect(cap).not.toContain('Verifying');
      const status = await api.get(`/v1/customers/${zero.id}/kyc`);
      expect(status.body).toMatchObject({ tier: 0 });
      const limits = at(status.body, 'limits') as Array<{ currency: string }>;
      expect(limits.find((l) => l.currency === 'CNY')).toEqual({
        currency: 'CNY',
        source: 'override',
        singleMinor: '200000',
        dailyMinor: '500000',
        monthlyMinor: '1000000',
        balanceCapMinor: '300000',
      });
      expect(limits.find((l) => l.currency === 'USD')).toMatchObject({ source: 'tier', singleMinor: '7000' });
    });
  });

  describe(`tier limits from configuration on ${target.name}`, () => {
    const tiers = {
      0: { CNY: { single: 10, daily: 20, monthly: 40, balanceCap: 30 } },
      1: { CNY: { single: 100, daily: 200, monthly: 400, balanceCap: 300 } },
      2: { CNY: { single: 1_000, daily: 2_000, monthly: 4_000, balanceCap: 3_000 } },
    };
    const bw = useBulwark(target, { config: { kycTiersJson: JSON.stringify(tiers) } });
    const api = new Api(bw);

    it('takes the limits from BULWARK_KYC_TIERS, and refuses currencies it leaves out', async () => {
      const two = await api.customer('Configured', ['CNY', 'USD']);
      const status = await api.get(`/v1/customers/${two.id}/kyc`);
      expect(at(status.body, 'limits')).toEqual([
        {
          currency: 'CNY',
          source: 'tier',
          singleMinor: '100000',
          dailyMinor: '200000',
          monthlyMinor: '400000',
          balanceCapMinor: '300000',
        },
      ]);
      expectBlocked(
        await api.post('/v1/topups', {
          walletId: two.walletId,
          amountMinor: '100001',
          currency: 'CNY',
          channel: 'simbank',
        }),
        'TIER_SINGLE_LIMIT',
      );
      await api.topup(two.walletId, '100000');
      const usd = (
        await api
          .get(`/v1/customers/${two.id}`)
          .then((r) => at(r.body, 'wallets') as Array<{ id: string; currency: string }>)
      ).find((w) => w.currency === 'USD');
      if (!usd) throw new Error('no USD wallet');
      const refused = expectBlocked(
        await api.post('/v1/topups', {
          walletId: usd.id,
          amountMinor: '100',
          currency: 'USD',
          channel: 'simbank',
        }),
        'TIER_CURRENCY_NOT_ALLOWED',
      );
      expect(refused).toContain('USD');
    });
  });
}
