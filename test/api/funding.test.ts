// Proves money in and out through the channel over HTTP: payouts settle, fail or time out with the hold released, reviews gate payouts, callbacks must be signed, fresh and matching, and bank account numbers stay masked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCallback } from '../../src/wallet/channels.ts';
import { DATABASES, useBulwark } from '../helpers.ts';
import { Api, at, expectProblem, type Reply, str } from './client.ts';

const ACCOUNT_NUMBER = '6222020200112233445';
const MASKED = '****3445';
const bank = { accountNumber: ACCOUNT_NUMBER, holderName: 'Li Wei' };

for (const target of DATABASES) {
  describe(`funding on ${target.name}`, () => {
    const bw = useBulwark(target);
    const api = new Api(bw);
    let walletId = '';

    beforeAll(async () => {
      walletId = (await api.fundedCustomer('Li Wei', '5000000', '5000000')).walletId;
    });

    const withdraw = (amountMinor: string) =>
      api.post('/v1/withdrawals', { walletId, amountMinor, currency: 'CNY', bankAccount: bank });
    const settled = (id: string) => api.settle(`/v1/withdrawals/${id}`, ['processing']);
    const holdStatus = async (res: Reply) =>
      str((await api.get(`/v1/holds/${str(res.body, 'holdId')}`)).body, 'status');

    it('pays out a withdrawal: processing, then succeeded with the wallet debited and custody balanced', async () => {
      const before = await api.balance(walletId);
      const res = await withdraw('30000');
      expect(res.status, res.text).toBe(202);
      expect(res.body).toMatchObject({ status: 'processing', amountMinor: '30000', bankAccount: MASKED });
      const done = await settled(str(res.body, 'id'));
      expect(done.body).toMatchObject({ status: 'succeeded', failureCode: null });
      expect(str(done.body, 'entryId')).toMatch(/^txn_/);
      expect(await api.balance(walletId)).toEqual({
        posted: before.posted - 30000n,
        held: 0n,
        available: before.available - 30000n,
      });
      expect(await holdStatus(res)).toBe('posted');
      const custody = await api.get('/v1/ledger/custody');
      expect(custody.body).toMatchObject({ ok: true });
    });

    it('releases the hold of a payout the channel declines', async () => {
      const before = await api.balance(walletId);
      const res = await withdraw('10013');
      expect(res.status, res.text).toBe(202);
      const done = await settled(str(res.body, 'id'));
      expect(done.body).toMatchObject({ status: 'failed', failureCode: 'CHANNEL_DECLINED', entryId: null });
      expect(await holdStatus(res)).toBe('voided');
      expect(await api.balance(walletId)).toEqual(before);
    });

    it('releases a payout the channel never answers once its deadline has passed', async () => {
      const before = await api.balance(walletId);
      const res = await withdraw('10014');
      expect(res.status, res.text).toBe(202);
      expect((await api.balance(walletId)).available).toBe(before.available - 10014n);
      const id = str(res.body, 'id');
      expect(str((await api.get(`/v1/withdrawals/${id}`)).body, 'status')).toBe('processing');

      const swept = await bw().runMaintenance(new Date(Date.now() + 11 * 60_000));
      expect(swept.settledWithdrawals).toBe(1);
      const done = await api.get(`/v1/withdrawals/${id}`);
      expect(done.body).toMatchObject({ status: 'failed', failureCode: 'CHANNEL_TIMEOUT' });
      expect(await holdStatus(res)).toBe('expired');
      expect(await api.balance(walletId)).toEqual(before);
    });

    it('credits nothing for a top-up the channel declines', async () => {
      const before = await api.balance(walletId);
      const id = await api.startTopup(walletId, '10013');
      const done = await api.settle(`/v1/topups/${id}`, ['pending']);
      expect(done.body).toMatchObject({ status: 'failed', failureCode: 'CHANNEL_DECLINED', entryId: null });
      expect(await api.balance(walletId)).toEqual(before);
    });

    it('sends a reviewed withdrawal to the channel only when the reviewer repeats the right account number', async () => {
      const before = await api.balance(walletId);
      const res = await withdraw('2000000');
      expect(res.status, res.text).toBe(202);
      expect(res.body).toMatchObject({ status: 'in_review', decision: { outcome: 'REVIEW' } });
      const id = str(res.body, 'id');
      expect((await api.balance(walletId)).available).toBe(before.available - 2000000n);

      const wrong = await api.asStaff('analyst').post(`/v1/withdrawals/${id}/approve`, {
        ...bank,
        accountNumber: '6222020200112233446',
      });
      expectProblem(wrong, 400, 'VALIDATION_FAILED');
      expect(str((await api.get(`/v1/withdrawals/${id}`)).body, 'status')).toBe('in_review');

      const approved = await api.asStaff('analyst').post(`/v1/withdrawals/${id}/approve`, bank);
      expect(approved.status, approved.text).toBe(200);
      // The simulated bank may already have answered by the time the response is rendered.
      expect(str(approved.body, 'status')).toMatch(/^(processing|succeeded)$/);
      expect(str((await settled(id)).body, 'status')).toBe('succeeded');
      expect(await api.balance(walletId)).toEqual({
        posted: before.posted - 2000000n,
        held: 0n,
        available: before.available - 2000000n,
      });
    });

    it('approves a reviewed withdrawal from its sealed bank details, which are not stored in clear', async () => {
      const res = await withdraw('2100000');
      expect(res.status, res.text).toBe(202);
      const id = str(res.body, 'id');
      const row = await bw()
        .dbHandle.db.selectFrom('wallet_withdrawals')
        .select(['bank_account_sealed', 'bank_account_masked'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row.bank_account_masked).toBe('****3445');
      expect(row.bank_account_sealed).toMatch(/^enc1:\d+:/);
      expect(row.bank_account_sealed).not.toContain('6222020200112233445');
      const approved = await api.asStaff('analyst').post(`/v1/withdrawals/${id}/approve`, {});
      expect(approved.status, approved.text).toBe(200);
      expect(str((await settled(id)).body, 'status')).toBe('succeeded');
    });

    it('replays the refusal of an approval retried with the same key and body', async () => {
      const res = await withdraw('2000000');
      const id = str(res.body, 'id');
      const body = { ...bank, accountNumber: '6222020200112233446' };
      const key = `approve-${id}`;
      try {
        expectProblem(
          await api.asStaff('analyst').post(`/v1/withdrawals/${id}/approve`, body, { key }),
          400,
          'VALIDATION_FAILED',
        );
        // Same key, same body: the stored outcome (a 400) must come back, not a 200 for an approval that never happened.
        const retry = await api.asStaff('analyst').post(`/v1/withdrawals/${id}/approve`, body, { key });
        expectProblem(retry, 400, 'VALIDATION_FAILED');
      } finally {
        await api.asStaff('analyst').post(`/v1/withdrawals/${id}/reject`, { reason: 'cleanup' });
      }
    });

    it('releases a withdrawal the reviewer rejects', async () => {
      const before = await api.balance(walletId);
      const res = await withdraw('2000000');
      expect(str(res.body, 'status')).toBe('in_review');
      const rejected = await api.asStaff('analyst').post(`/v1/withdrawals/${str(res.body, 'id')}/reject`, {
        reason: 'mule pattern',
      });
      expect(rejected.status, rejected.text).toBe(200);
      expect(rejected.body).toMatchObject({ status: 'rejected', failureCode: 'REVIEW_REJECTED' });
      expect(await holdStatus(res)).toBe('voided');
      expect(await api.balance(walletId)).toEqual(before);
    });

    describe('channel callbacks', () => {
      const url = '/v1/channels/simbank/callbacks';
      const nowS = () => Math.floor(Date.now() / 1000);
      const callback = (reference: string, amountMinor: string, eventId: string) =>
        JSON.stringify({ eventId, type: 'topup.succeeded', reference, amountMinor, currency: 'CNY' });
      const deliver = (raw: string, signature?: string) =>
        api.post(url, undefined, {
          raw,
          key: null,
          headers: signature === undefined ? {} : { 'bulwark-signature': signature },
        });

      // The simulated bank stays silent here, so every callback below is one the test forged.
      beforeAll(() => {
        bw().channel.autoAnswer = false;
      });
      afterAll(() => {
        bw().channel.autoAnswer = true;
      });

      it('refuses unsigned, wrongly signed and stale callbacks, and accepts a valid one only once', async () => {
        const c = await api.customer('Zhao');
        const topupId = await api.startTopup(c.walletId, '50000');
        const raw = callback(topupId, '50000', `evt-${topupId}`);
        const secret = bw().channel.secret;

        expectProblem(await deliver(raw), 401, 'CHANNEL_SIGNATURE_INVALID');
        expectProblem(
          await deliver(raw, signCallback('not-the-secret', raw, nowS())),
          401,
          'CHANNEL_SIGNATURE_INVALID',
        );
        expectProblem(
          await deliver(raw, signCallback(secret, raw, nowS() - 301)),
          401,
          'CHANNEL_SIGNATURE_INVALID',
        );
        expectProblem(
          await deliver(raw, signCallback(secret, `${raw} `, nowS())),
          401,
          'CHANNEL_SIGNATURE_INVALID',
        );
        expect(str((await api.get(`/v1/topups/${topupId}`)).body, 'status')).toBe('pending');
        expect((await api.balance(c.walletId)).posted).toBe(0n);

        const signature = signCallback(secret, raw, nowS());
        const first = await deliver(raw, signature);
        expect(first.status, first.text).toBe(200);
        expect(first.body).toMatchObject({ accepted: true, status: 'succeeded' });
        expectProblem(await deliver(raw, signature), 409, 'CHANNEL_CALLBACK_REPLAYED');
        const other = callback(topupId, '50000', `evt-${topupId}-again`);
        expectProblem(
          await deliver(other, signCallback(secret, other, nowS())),
          409,
          'CHANNEL_CALLBACK_REPLAYED',
        );
        expect(str((await api.get(`/v1/topups/${topupId}`)).body, 'status')).toBe('succeeded');
        expect((await api.balance(c.walletId)).posted).toBe(50000n);
      });

      it('refuses a callback whose amount differs from the top-up and credits nothing', async () => {
        const c = await api.customer('Qian');
        const topupId = await api.startTopup(c.walletId, '50000');
        const raw = callback(topupId, '5000000', `evt-${topupId}`);
        const res = await deliver(raw, signCallback(bw().channel.secret, raw, nowS()));
        expectProblem(res, 400, 'VALIDATION_FAILED');
        expect(str((await api.get(`/v1/topups/${topupId}`)).body, 'status')).toBe('pending');
        expect((await api.balance(c.walletId)).posted).toBe(0n);
      });
    });

    it('never shows the bank account number in clear, only its last four digits', async () => {
      const res = await withdraw('20000');
      const w = await settled(str(res.body, 'id'));
      await api.get(`/v1/holds/${str(w.body, 'holdId')}`);
      await api.get(`/v1/entries/${str(w.body, 'entryId')}`);
      await api.get(`/v1/decisions/${str(w.body, 'decisionId')}`);
      await api.get(`/v1/accounts/${walletId}/statement?limit=100`);
      await api.get(`/v1/accounts/${walletId}/statement?format=csv`);
      expect(at(w.body, 'bankAccount')).toBe(MASKED);
      expect(api.seen.filter((text) => text.includes(MASKED)).length).toBeGreaterThan(5);
      expect(api.seen.filter((text) => text.includes(ACCOUNT_NUMBER))).toEqual([]);
      expect(api.seen.filter((text) => text.includes(ACCOUNT_NUMBER.slice(0, -4)))).toEqual([]);
    });
  });
}
