// Proves the operator actions that exist today (freeze, unfreeze through an approval, releasing or voiding a held movement, approving or rejecting a held withdrawal) each leave one audit record written with the action, and that a refused action leaves none.
import { describe, expect, it } from 'vitest';
import { readAudit, verifyAudit } from '../../src/security/audit.ts';
import { verifyCustomer } from '../api/client.ts';
import { DATABASES, idemKey, startBulwark } from '../helpers.ts';

for (const target of DATABASES) {
  describe(`audited actions on ${target.name}`, () => {
    it('records who did what to which target, with the reason, and nothing for refusals', async () => {
      const bw = await startBulwark(target);
      try {
        const analyst = await bw.staffAuth('analyst');
        const post = async (url: string, body: unknown, authorization = bw.integratorAuth) => {
          const res = await bw.app.inject({
            method: 'POST',
            url,
            headers: {
              'content-type': 'application/json',
              'idempotency-key': idemKey('audit'),
              authorization,
            },
            payload: JSON.stringify(body),
          });
          return { status: res.statusCode, body: res.json() as Record<string, unknown> };
        };
        const a = await post('/v1/customers', { displayName: 'Ann', currencies: ['CNY'] });
        const b = await post('/v1/customers', { displayName: 'Ben', currencies: ['CNY'] });
        const wallet = (c: Record<string, unknown>) => String((c.wallets as Array<{ id: string }>)[0]?.id);
        // Verified to tier 2, so the amounts below fit their limits.
        await verifyCustomer(bw, String(a.body.id), 'Ann');
        await verifyCustomer(bw, String(b.body.id), 'Ben');
        // Two top-ups: one would pass the single top-up limit of CNY 50,000.
        for (let i = 0; i < 2; i++) {
          const t = await post('/v1/topups', {
            walletId: wallet(a.body),
            amountMinor: '4500000',
            currency: 'CNY',
            channel: 'simbank',
          });
          expect(t.status).toBe(202);
        }
        for (let i = 0; i < 50; i++) {
          const acct = await bw.app.inject({
            method: 'GET',
            url: `/v1/accounts/${wallet(a.body)}`,
            headers: { authorization: bw.integratorAuth },
          });
          if (acct.json().postedMinor === '9000000') break;
          await new Promise((r) => setTimeout(r, 20));
        }
        const held1 = await post('/v1/transfers', {
          fromWalletId: wallet(a.body),
          toWalletId: wallet(b.body),
          amountMinor: '2000000',
          currency: 'CNY',
        });
        const held2 = await post('/v1/transfers', {
          fromWalletId: wallet(a.body),
          toWalletId: wallet(b.body),
          amountMinor: '2000000',
          currency: 'CNY',
        });
        expect([held1.status, held2.status]).toEqual([202, 202]);
        expect(
          (
            await post(
              `/v1/holds/${String(held1.body.holdId)}/post`,
              { reason: 'called the customer' },
              analyst,
            )
          ).status,
        ).toBe(200);
        expect(
          (
            await post(
              `/v1/holds/${String(held2.body.holdId)}/void`,
              { reason: 'customer denied it' },
              analyst,
            )
          ).status,
        ).toBe(200);
        // Refused: already posted. No record.
        expect(
          (await post(`/v1/holds/${String(held1.body.holdId)}/void`, { reason: 'again' }, analyst)).status,
        ).toBe(409);
        const bank = { accountNumber: '6217000010012345678', holderName: 'Ann' };
        const w1 = await post('/v1/withdrawals', {
          walletId: wallet(a.body),
          amountMinor: '2000000',
          currency: 'CNY',
          channel: 'simbank',
          bankAccount: bank,
        });
        const w2 = await post('/v1/withdrawals', {
          walletId: wallet(a.body),
          amountMinor: '2100000',
          currency: 'CNY',
          channel: 'simbank',
          bankAccount: bank,
        });
        expect((await post(`/v1/withdrawals/${String(w1.body.id)}/approve`, {}, analyst)).status).toBe(200);
        expect(
          (await post(`/v1/withdrawals/${String(w2.body.id)}/reject`, { reason: 'mule pattern' }, analyst))
            .status,
        ).toBe(200);
        expect(
          (await post(`/v1/owners/${String(b.body.id)}/freeze`, { reason: 'court order 17' })).status,
        ).toBe(200);
        // Unfreezing is maker-checker: the analyst asks, compliance approves; the unfreeze is
        // recorded under the maker, the approval under the checker, by the approving request.
        const unfreeze = await post(
          `/v1/owners/${String(b.body.id)}/unfreeze`,
          { reason: 'order lifted' },
          analyst,
        );
        expect(unfreeze.status).toBe(202);
        const approved = await post(
          `/v1/approvals/${String(unfreeze.body.id)}/approve`,
          { reason: 'order seen' },
          await bw.staffAuth('compliance'),
        );
        expect(approved.status).toBe(200);
        expect(
          (await post('/v1/owners/cus_00000000000000000000000000/freeze', { reason: 'nobody' })).status,
        ).toBe(404);

        const records = [];
        const raises = [];
        // The test's own API client creation is the first record, then the verifications; the actions follow.
        for await (const r of readAudit(bw.dbHandle.db)) {
          if (r.action === 'kyc.tier.raise') raises.push(r);
          else if (r.action !== 'apiclient.create') records.push(r);
        }
        expect(raises.map((r) => [r.targetId, r.after?.tier])).toEqual([
          [a.body.id, '1'],
          [a.body.id, '2'],
          [b.body.id, '1'],
          [b.body.id, '2'],
        ]);
        expect(records.map((r) => r.action)).toEqual([
          'hold.post',
          'hold.void',
          'withdrawal.approve',
          'withdrawal.reject',
          'owner.freeze',
          'approval.request',
          'owner.unfreeze',
          'approval.approve',
        ]);
        expect(records[0]).toMatchObject({
          actorType: 'staff',
          actorRole: 'analyst',
          targetType: 'hold',
          targetId: held1.body.holdId,
          reason: 'called the customer',
          after: { status: 'posted', postedMinor: '2000000' },
        });
        expect(records[4]).toMatchObject({
          actorType: 'api_client',
          before: { status: 'active' },
          after: { status: 'frozen' },
          reason: 'court order 17',
        });
        expect(records[6]).toMatchObject({
          actorRole: 'analyst',
          targetId: b.body.id,
          before: { status: 'frozen' },
          after: { status: 'active' },
          reason: 'order lifted',
        });
        expect(records[7]).toMatchObject({ actorRole: 'compliance', targetId: unfreeze.body.id });
        expect(records[6]?.requestId).toBe(records[7]?.requestId);
        expect(records.every((r) => r.requestId && r.ip)).toBe(true);
        expect((await verifyAudit(bw.dbHandle.db)).ok).toBe(true);
      } finally {
        await bw.drop();
      }
    });
  });
}
