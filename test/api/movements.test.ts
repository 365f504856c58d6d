// Proves the happy paths of money movement over HTTP: top-up, transfer, payment with fee, refunds, review holds, risk blocks, journal reads and statements.
import { beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, useBulwark } from '../helpers.ts';
import { Api, arr, at, expectProblem, minor, type Reply, str } from './client.ts';

const HEX64 = /^[0-9a-f]{64}$/;

for (const target of DATABASES) {
  describe(`money movements on ${target.name}`, () => {
    const bw = useBulwark(target);
    const api = new Api(bw);
    let alice = { id: '', walletId: '' };
    let bob = { id: '', walletId: '' };
    let merchant = { id: '', accountId: '' };

    beforeAll(async () => {
      alice = await api.fundedCustomer('Alice', '5000000');
      bob = await api.customer('Bob');
      merchant = await api.merchant('Tea House', 60);
    });

    const statement = async (walletId: string, query = ''): Promise<Reply> => {
      const res = await api.get(`/v1/accounts/${walletId}/statement${query}`);
      expect(res.status, res.text).toBe(200);
      return res;
    };

    it('credits a top-up only when the channel confirms it: pending, then succeeded', async () => {
      const c = await api.customer('Chen');
      const id = await api.startTopup(c.walletId, '123456');
      const done = await api.settle(`/v1/topups/${id}`, ['pending']);
      expect(done.body).toMatchObject({ status: 'succeeded', amountMinor: '123456', walletId: c.walletId });
      expect(str(done.body, 'entryId')).toMatch(/^txn_[0-9a-z]{26}$/);
      expect(await api.balance(c.walletId)).toEqual({ posted: 123456n, held: 0n, available: 123456n });
    });

    it('posts a transfer at once, with a statement line and running balance on both wallets', async () => {
      const before = await api.balance(alice.walletId);
      const res = await api.transfer(alice.walletId, bob.walletId, '2500', 'lunch');
      expect(res.status, res.text).toBe(201);
      expect(res.body).toMatchObject({ kind: 'transfer', status: 'completed', amountMinor: '2500' });
      expect(at(res.body, 'decision', 'outcome')).toBe('ALLOW');
      const entryId = str(res.body, 'entryId');

      const payer = at((await statement(alice.walletId, '?limit=1')).body, 'lines', 0);
      expect(payer).toMatchObject({ entryId, kind: 'transfer', amountMinor: '-2500', description: 'lunch' });
      expect(str(payer, 'balanceAfterMinor')).toBe((before.posted - 2500n).toString());
      expect(arr(payer, 'counterparties')).toEqual([bob.walletId]);
      const payee = at((await statement(bob.walletId, '?limit=1')).body, 'lines', 0);
      expect(payee).toMatchObject({ entryId, amountMinor: '2500', balanceAfterMinor: '2500' });
      expect(await api.balance(alice.walletId)).toMatchObject({ posted: before.posted - 2500n });
    });

    it('pays a merchant: the merchant gets the amount less the fee, the platform the fee; refunds add up', async () => {
      const feeAccount = bw().ledger.systemAccountId('fee_revenue', 'CNY');
      const wallet0 = await api.balance(alice.walletId);
      const merchant0 = await api.balance(merchant.accountId);
      const fee0 = await api.balance(feeAccount);

      const pay = await api.post('/v1/payments', {
        walletId: alice.walletId,
        merchantId: merchant.id,
        amountMinor: '10000',
        currency: 'CNY',
        orderRef: 'A-1',
      });
      expect(pay.status, pay.text).toBe(201);
      expect(pay.body).toMatchObject({ kind: 'payment', status: 'completed', feeMinor: '60' });
      const paymentId = str(pay.body, 'id');
      expect((await api.balance(merchant.accountId)).posted - merchant0.posted).toBe(9940n);
      expect((await api.balance(feeAccount)).posted - fee0.posted).toBe(60n);
      expect(wallet0.posted - (await api.balance(alice.walletId)).posted).toBe(10000n);

      const first = await api.post(`/v1/payments/${paymentId}/refunds`, {
        amountMinor: '4000',
        reason: 'one item',
      });
      expect(first.status, first.text).toBe(201);
      expect(first.body).toMatchObject({ kind: 'refund', amountMinor: '4000', paymentId });
      const rest = await api.post(`/v1/payments/${paymentId}/refunds`, { amountMinor: '6000' });
      expect(rest.status, rest.text).toBe(201);
      const over = await api.post(`/v1/payments/${paymentId}/refunds`, { amountMinor: '1' });
      expectProblem(over, 422, 'WALLET_REFUND_EXCEEDS_PAYMENT');

      expect(await api.balance(merchant.accountId)).toEqual(merchant0);
      expect(await api.balance(feeAccount)).toEqual(fee0);
      expect(await api.balance(alice.walletId)).toEqual(wallet0);
    });

    it('refunds a whole payment when no amount is given, and only payments', async () => {
      const pay = await api.post('/v1/payments', {
        walletId: alice.walletId,
        merchantId: merchant.id,
        amountMinor: '10000',
        currency: 'CNY',
      });
      expect(pay.status, pay.text).toBe(201);
      const full = await api.post(`/v1/payments/${str(pay.body, 'id')}/refunds`, {});
      expect(full.status, full.text).toBe(201);
      expect(full.body).toMatchObject({ kind: 'refund', amountMinor: '10000' });

      const transfer = await api.transfer(alice.walletId, bob.walletId, '100');
      expect(transfer.status).toBe(201);
      const notPayment = await api.post(`/v1/payments/${str(transfer.body, 'id')}/refunds`, {});
      expectProblem(notPayment, 404, 'WALLET_PAYMENT_NOT_FOUND');
      const unknown = await api.post('/v1/payments/txn_00000000000000000000000000/refunds', {});
      expectProblem(unknown, 404, 'WALLET_PAYMENT_NOT_FOUND');
    });

    it('holds a large transfer for review; posting part of the hold releases the rest; voiding releases all', async () => {
      const carol = await api.fundedCustomer('Carol', '5000000');
      const bob0 = await api.balance(bob.walletId);
      const held = await api.transfer(carol.walletId, bob.walletId, '2000000');
      expect(held.status, held.text).toBe(202);
      expect(held.body).toMatchObject({ status: 'held', entryId: null, amountMinor: '2000000' });
      expect(held.body).toMatchObject({ decision: { outcome: 'REVIEW', reasonCodes: ['LARGE_AMOUNT'] } });
      expect(str(held.body, 'decision', 'customerMessage')).toContain('review');
      const holdId = str(held.body, 'holdId');
      expect(await api.balance(carol.walletId)).toEqual({
        posted: 5000000n,
        held: 2000000n,
        available: 3000000n,
      });
      expect(await api.balance(bob.walletId)).toEqual(bob0);

      const posted = await api.asStaff('analyst').post(`/v1/holds/${holdId}/post`, {
        amountMinor: '1500000',
        reason: 'reviewed',
      });
      expect(posted.status, posted.text).toBe(200);
      expect(at(posted.body, 'hold')).toMatchObject({ id: holdId, status: 'posted', postedMinor: '1500000' });
      expect(str(posted.body, 'entryId')).toMatch(/^txn_/);
      expect(await api.balance(carol.walletId)).toEqual({ posted: 3500000n, held: 0n, available: 3500000n });
      expect((await api.balance(bob.walletId)).posted - bob0.posted).toBe(1500000n);

      const second = await api.transfer(carol.walletId, bob.walletId, '2000000');
      expect(second.status, second.text).toBe(202);
      expect((await api.balance(carol.walletId)).available).toBe(1500000n);
      const voided = await api
        .asStaff('analyst')
        .post(`/v1/holds/${str(second.body, 'holdId')}/void`, { reason: 'fraud' });
      expect(voided.status, voided.text).toBe(200);
      expect(str(voided.body, 'hold', 'status')).toBe('voided');
      expect(await api.balance(carol.walletId)).toEqual({ posted: 3500000n, held: 0n, available: 3500000n });
    });

    it('posts part of a held payment with the fee of the posted part, on the entry and the statement', async () => {
      const rich = await api.fundedCustomer('Dana', '5000000');
      const merchant0 = await api.balance(merchant.accountId);
      const held = await api.post('/v1/payments', {
        walletId: rich.walletId,
        merchantId: merchant.id,
        amountMinor: '2500000',
        currency: 'CNY',
      });
      expect(held.status, held.text).toBe(202);
      expect(held.body).toMatchObject({ status: 'held', feeMinor: '15000' });
      const posted = await api.asStaff('analyst').post(`/v1/holds/${str(held.body, 'holdId')}/post`, {
        amountMinor: '1000000',
        reason: 'customer confirmed a smaller order',
      });
      expect(posted.status, posted.text).toBe(200);
      const entry = await api.get(`/v1/entries/${str(posted.body, 'entryId')}`);
      // 0.60 % of 10,000.00 is 60.00: the merchant is owed the rest.
      expect(at(entry.body, 'metadata', 'feeMinor')).toBe('6000');
      expect((await api.balance(merchant.accountId)).posted - merchant0.posted).toBe(994000n);
      const statement = await api.get(`/v1/accounts/${merchant.accountId}/statement?limit=1`);
      expect(at(statement.body, 'lines', 0, 'feeMinor')).toBe('6000');
    });

    it('blocks a transfer over the single limit, with the reason, and moves nothing', async () => {
      const before = await api.balance(alice.walletId);
      const res = await api.transfer(alice.walletId, bob.walletId, '5000001');
      expectProblem(res, 422, 'RISK_BLOCKED');
      expect(res.body).toMatchObject({
        decision: { outcome: 'BLOCK', reasonCodes: expect.arrayContaining(['TIER_SINGLE_LIMIT']) },
      });
      expect(await api.balance(alice.walletId)).toEqual(before);
    });

    it('blocks the transfer that would pass the daily limit of CNY 200000, and allows up to it', async () => {
      const dave = await api.fundedCustomer('Dave', '5000000', '5000000', '5000000', '5000000');
      for (let i = 0; i < 3; i++)
        expect((await api.transfer(dave.walletId, bob.walletId, '5000000')).status).toBe(202);
      for (let i = 0; i < 4; i++)
        expect((await api.transfer(dave.walletId, bob.walletId, '1000000')).status).toBe(201);
      const over = await api.transfer(dave.walletId, bob.walletId, '1000001');
      expectProblem(over, 422, 'RISK_BLOCKED');
      expect(at(over.body, 'decision', 'reasonCodes')).toEqual(['TIER_DAILY_LIMIT']);
      expect(str(over.body, 'decision', 'customerMessage')).toContain('10000.00');
      const upTo = await api.transfer(dave.walletId, bob.walletId, '1000000');
      expect(upTo.status, upTo.text).toBe(201);
      expect(await api.balance(dave.walletId)).toEqual({ posted: 15000000n, held: 15000000n, available: 0n });
    });

    it('shows a balanced, hash-chained journal entry linked to its stored decision', async () => {
      const res = await api.transfer(alice.walletId, bob.walletId, '777');
      expect(res.status, res.text).toBe(201);
      const entryId = str(res.body, 'entryId');
      const entry = await api.get(`/v1/entries/${entryId}`);
      expect(entry.status, entry.text).toBe(200);
      expect(entry.body).toMatchObject({
        id: entryId,
        kind: 'transfer',
        amountMinor: '777',
        currency: 'CNY',
      });
      const postings = arr(entry.body, 'postings');
      expect(postings).toHaveLength(2);
      expect(postings.reduce((sum: bigint, _p, i) => sum + minor(postings, i, 'amountMinor'), 0n)).toBe(0n);
      expect(str(entry.body, 'hash')).toMatch(HEX64);
      expect(str(entry.body, 'prevHash')).toMatch(HEX64);
      const head = await api.get('/v1/ledger/chain');
      expect(head.body).toMatchObject({ seq: str(entry.body, 'seq'), hash: str(entry.body, 'hash') });

      const decisionId = str(res.body, 'decision', 'id');
      expect(str(entry.body, 'decisionId')).toBe(decisionId);
      const decision = await api.get(`/v1/decisions/${decisionId}`);
      expect(decision.status, decision.text).toBe(200);
      expect(decision.body).toMatchObject({ id: decisionId, outcome: 'ALLOW', eventType: 'transfer' });
      expect(arr(decision.body, 'entryIds')).toEqual([entryId]);
    });

    it('pages, filters and exports a statement', async () => {
      const erin = await api.fundedCustomer('Erin', '100000');
      for (const amount of ['100', '200', '300', '450']) {
        expect((await api.transfer(erin.walletId, bob.walletId, amount)).status).toBe(201);
      }
      const all = arr((await statement(erin.walletId, '?limit=50')).body, 'lines');
      expect(all.map((_l, i) => str(all, i, 'kind'))).toEqual([
        'transfer',
        'transfer',
        'transfer',
        'transfer',
        'topup',
      ]);
      expect(all.map((_l, i) => str(all, i, 'balanceAfterMinor'))).toEqual([
        '98950',
        '99400',
        '99700',
        '99900',
        '100000',
      ]);

      const pages: unknown[][] = [];
      let cursor: unknown = '';
      while (typeof cursor === 'string' && pages.length < 10) {
        const page = await statement(erin.walletId, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        pages.push(arr(page.body, 'lines'));
        cursor = at(page.body, 'nextCursor');
      }
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      const paged = pages.flat().map((l) => str(l, 'entryId'));
      expect(new Set(paged).size).toBe(5);
      expect(paged).toEqual(all.map((l) => str(l, 'entryId')));

      const transfers = arr((await statement(erin.walletId, '?kind=transfer')).body, 'lines');
      expect(transfers).toHaveLength(4);
      const both = arr((await statement(erin.walletId, '?kind=transfer&kind=topup')).body, 'lines');
      expect(both).toHaveLength(5);
      const topups = arr((await statement(erin.walletId, '?kind=topup')).body, 'lines');
      expect(topups.map((l) => str(l, 'kind'))).toEqual(['topup']);

      const firstTransferAt = str(all, 3, 'occurredAt');
      const before = arr(
        (await statement(erin.walletId, `?to=${encodeURIComponent(firstTransferAt)}`)).body,
        'lines',
      );
      expect(before.map((l) => str(l, 'kind'))).toEqual(['topup']);
      const since = arr(
        (await statement(erin.walletId, `?from=${encodeURIComponent(firstTransferAt)}`)).body,
        'lines',
      );
      expect(since.map((l) => str(l, 'kind'))).toEqual(['transfer', 'transfer', 'transfer', 'transfer']);

      const csv = await api.get(`/v1/accounts/${erin.walletId}/statement?format=csv`);
      expect(csv.status).toBe(200);
      expect(csv.contentType).toContain('text/csv');
      const rows = csv.text.trimEnd().split('\n');
      expect(rows[0]).toBe(
        'entry_id,occurred_at,kind,amount,amount_minor,fee_minor,balance_after,currency,description',
      );
      expect(rows).toHaveLength(6);
      const cells = rows.slice(1).map((r) => r.split(','));
      expect(cells.map((c) => c[0])).toEqual(all.map((l) => str(l, 'entryId')));
      expect(cells.map((c) => [c[3], c[6]])).toEqual([
        ['-4.50', '989.50'],
        ['-3.00', '994.00'],
        ['-2.00', '997.00'],
        ['-1.00', '999.00'],
        ['1000.00', '1000.00'],
      ]);
    });
  });
}
