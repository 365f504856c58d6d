// Proves the risk engine behind the wallet over HTTP: a challenged transfer resumes once after the proof, holds explain themselves, account takeover freezes the account, account events and labels, bad event times.
import { describe, expect, it } from 'vitest';
import { Api, arr, at, expectProblem, str } from '../api/client.ts';
import { DATABASES, idemKey, useBulwark } from '../helpers.ts';

const HOUR = 3_600_000;

/** The latest past moment that is 23:30 in Beijing (15:30 UTC): night for the phishing rule. */
function lastNight(): string {
  const now = Date.now();
  const today = new Date(now);
  today.setUTCHours(15, 30, 0, 0);
  const t = today.getTime() <= now ? today.getTime() : today.getTime() - 24 * HOUR;
  return new Date(t).toISOString();
}

for (const target of DATABASES) {
  describe(`risk engine over HTTP on ${target.name}`, () => {
    const bw = useBulwark(target);
    const api = new Api(bw);

    it('challenges a large night transfer to a new payee with a warning; the same request resumes exactly once after the proof', async () => {
      const alice = await api.fundedCustomer('Alice Night', '2000000');
      const payee = await api.customer('New Payee');
      const body = {
        fromWalletId: alice.walletId,
        toWalletId: payee.walletId,
        amountMinor: '600000',
        currency: 'CNY',
        context: { deviceId: 'dev-alice-1', ip: '203.0.113.7', occurredAt: lastNight() },
      };
      const key = idemKey('chl');
      const first = await api.post('/v1/transfers', body, { key });
      expectProblem(first, 403, 'AUTH_STEP_UP_REQUIRED');
      expect(at(first.body, 'decision', 'outcome')).toBe('CHALLENGE');
      expect(at(first.body, 'decision', 'reasonCodes')).toContain('PHISHING_NEW_PAYEE_NIGHT');
      expect(at(first.body, 'challenge', 'methods')).toEqual(['integrator']);
      const warnings = arr(first.body, 'warnings');
      expect(warnings[0]).toMatchObject({ key: 'risk.warn.online_contact' });
      expect(str(warnings[0], 'en')).toMatch(/met online/);
      expect(str(warnings[0], 'zhCN')).toMatch(/网上认识/);
      // Nothing moved, and the key holds no answer yet.
      expect((await api.balance(alice.walletId)).posted).toBe(2_000_000n);

      const challengeId = str(first.body, 'challenge', 'id');
      const confirm = await api.post(`/v1/risk/challenges/${challengeId}/confirm`, {
        method: 'integrator',
        warningShown: true,
      });
      expect(confirm.status, confirm.text).toBe(200);
      const proof = str(confirm.body, 'proof');

      const second = await api.post('/v1/transfers', body, { key, headers: { 'bulwark-step-up': proof } });
      expect(second.status, second.text).toBe(201);
      expect(at(second.body, 'decision', 'outcome')).toBe('ALLOW');
      // A network retry with the same key and proof replays; the money moved once.
      const retry = await api.post('/v1/transfers', body, { key, headers: { 'bulwark-step-up': proof } });
      expect(retry.status, retry.text).toBe(201);
      expect(str(retry.body, 'entryId')).toBe(str(second.body, 'entryId'));
      expect((await api.balance(alice.walletId)).posted).toBe(1_400_000n);
      // The spent proof does not open another transfer.
      const again = await api.post('/v1/transfers', body, { headers: { 'bulwark-step-up': proof } });
      expectProblem(again, 403, 'AUTH_STEP_UP_INVALID');
      expect((await api.balance(alice.walletId)).posted).toBe(1_400_000n);

      const decision = await api
        .asStaff('analyst')
        .get(`/v1/decisions/${str(second.body, 'decision', 'id')}`);
      expect(decision.status, decision.text).toBe(200);
      expect(at(decision.body, 'detail', 'challengePassed')).toBe(true);
      expect(at(decision.body, 'policy')).toBe('risk-engine/1');
    });

    it('holds a large transfer to a days-old account and tells the customer why, in both languages', async () => {
      const bob = await api.fundedCustomer('Bob Hold', '3000000');
      const young = await api.customer('Young Account', ['CNY'], 2, null);
      const res = await api.transfer(bob.walletId, young.walletId, '1200000');
      expect(res.status, res.text).toBe(202);
      expect(at(res.body, 'decision', 'outcome')).toBe('REVIEW');
      expect(at(res.body, 'decision', 'reasonCodes')).toContain('IMPERSONATION_YOUNG_PAYEE');
      const message = str(res.body, 'decision', 'customerMessage');
      expect(message).toMatch(/opened only days ago/);
      expect(message).toMatch(/within 2 hours/);
      expect((await api.balance(bob.walletId)).held).toBe(1_200_000n);

      const d = await api.asStaff('analyst').get(`/v1/decisions/${str(res.body, 'decision', 'id')}`);
      expect(d.status, d.text).toBe(200);
      expect(str(d.body, 'detail', 'messages', 'zhCN')).toMatch(/收款账户开立时间很短/);
      const explanation = arr(d.body, 'detail', 'explanation').map(String);
      expect(
        explanation.some(
          (l) => l.includes('impersonation_young_payee v1') && l.includes('payee.accountAgeDays=0'),
        ),
      ).toBe(true);
      const hits = arr(d.body, 'detail', 'rules', 'hits');
      expect(hits).toContainEqual(
        expect.objectContaining({ ruleId: 'impersonation_young_payee', version: 1 }),
      );
      expect(typeof at(d.body, 'detail', 'features', 'customer.accountAgeDays')).toBe('number');
    });

    it('freezes an account whose password and phone changed before money leaves from a new device', async () => {
      const carol = await api.fundedCustomer('Carol Takeover', '500000');
      const friend = await api.customer('Carol Friend');
      const attacker = {
        deviceId: 'dev-attacker',
        ip: '198.51.100.9',
        geo: { country: 'CN', region: 'Yunnan' },
      };
      for (const type of ['password_change', 'phone_change']) {
        const ev = await api.post('/v1/risk/events', { type, customerId: carol.id, context: attacker });
        expect(ev.status, ev.text).toBe(200);
        expect(['ALLOW', 'CHALLENGE']).toContain(str(ev.body, 'decision', 'outcome'));
      }
      const res = await api.post('/v1/transfers', {
        fromWalletId: carol.walletId,
        toWalletId: friend.walletId,
        amountMinor: '100000',
        currency: 'CNY',
        context: { ...attacker, deviceId: 'dev-attacker-2' },
      });
      expectProblem(res, 422, 'RISK_BLOCKED');
      expect(at(res.body, 'decision', 'outcome')).toBe('BLOCK_AND_FREEZE');
      expect(at(res.body, 'decision', 'reasonCodes')).toContain('ATO_CREDENTIALS_AND_PHONE_CHANGED');
      const customer = await api.get(`/v1/customers/${carol.id}`);
      expect(str(customer.body, 'status')).toBe('frozen');
      expect((await api.balance(carol.walletId)).posted).toBe(500_000n);
      // Frozen: nothing leaves any more, whatever the engine would say.
      const next = await api.transfer(carol.walletId, friend.walletId, '100');
      expect(next.status).toBe(422);
    });

    it('decides account events, counts failed ones, and replays an event with the same key', async () => {
      const dave = await api.customer('Dave Events');
      const key = idemKey('evt');
      const body = { type: 'login', customerId: dave.id, context: { deviceId: 'dev-d', ip: '192.0.2.10' } };
      const a = await api.post('/v1/risk/events', body, { key });
      const b = await api.post('/v1/risk/events', body, { key });
      expect(a.status, a.text).toBe(200);
      expect(str(b.body, 'decision', 'id')).toBe(str(a.body, 'decision', 'id'));
      const failed = await api.post('/v1/risk/events', { ...body, result: 'failed' });
      expect(failed.status, failed.text).toBe(200);
      const unknown = await api.post('/v1/risk/events', { ...body, type: 'teleport' });
      expectProblem(unknown, 400, 'VALIDATION_FAILED');
      const nobody = await api.post('/v1/risk/events', {
        ...body,
        customerId: 'cus_00000000000000000000000000',
      });
      expectProblem(nobody, 404, 'WALLET_CUSTOMER_NOT_FOUND');
    });

    it('refuses events from the far past or the future, moving nothing', async () => {
      const erin = await api.fundedCustomer('Erin Time', '100000');
      const frank = await api.customer('Frank Time');
      for (const occurredAt of [
        new Date(Date.now() - 400 * 24 * HOUR).toISOString(),
        new Date(Date.now() + 2 * HOUR).toISOString(),
      ]) {
        const res = await api.post('/v1/transfers', {
          fromWalletId: erin.walletId,
          toWalletId: frank.walletId,
          amountMinor: '100',
          currency: 'CNY',
          context: { occurredAt },
        });
        expectProblem(res, 422, 'RISK_EVENT_TIME_OUT_OF_RANGE');
      }
      const bad = await api.post('/v1/transfers', {
        fromWalletId: erin.walletId,
        toWalletId: frank.walletId,
        amountMinor: '100',
        currency: 'CNY',
        context: { ip: 'not an ip' },
      });
      expectProblem(bad, 400, 'VALIDATION_FAILED');
      expect((await api.balance(erin.walletId)).posted).toBe(100_000n);
    });

    it('holds back a refund of a young merchant refunding much of its sales, with nothing moved', async () => {
      const payer = await api.fundedCustomer('Ivy Refund', '500000');
      const shop = await api.merchant('Young Shop', 60, null);
      const pay = await api.post('/v1/payments', {
        walletId: payer.walletId,
        merchantId: shop.id,
        amountMinor: '100000',
        currency: 'CNY',
      });
      expect(pay.status, pay.text).toBe(201);
      const paymentId = str(pay.body, 'entryId');
      const first = await api.post(`/v1/payments/${paymentId}/refunds`, { amountMinor: '40000' });
      expect(first.status, first.text).toBe(201);
      const second = await api.post(`/v1/payments/${paymentId}/refunds`, { amountMinor: '10000' });
      expectProblem(second, 202, 'RISK_REVIEW');
      expect(at(second.body, 'decision', 'reasonCodes')).toContain('MERCHANT_REFUND_RATE_HIGH');
      expect((await api.balance(payer.walletId)).posted).toBe(500_000n - 100_000n + 40_000n);
    });

    it('stores labels for decisions, all or nothing', async () => {
      const g = await api.fundedCustomer('Gina Label', '100000');
      const h = await api.customer('Hank Label');
      const t = await api.transfer(g.walletId, h.walletId, '1000');
      const id = str(t.body, 'decision', 'id');
      const ok = await api.post('/v1/risk/labels', { labels: [{ decisionId: id, label: 'legit' }] });
      expect(ok.status, ok.text).toBe(200);
      expect(at(ok.body, 'stored')).toBe(1);
      const bad = await api.post('/v1/risk/labels', {
        labels: [
          { decisionId: id, label: 'fraud', scenario: 'phishing_victim' },
          { decisionId: 'dec_00000000000000000000000000', label: 'fraud' },
        ],
      });
      expectProblem(bad, 422, 'RISK_LABEL_UNKNOWN_DECISION');
      const d = await api.asStaff('analyst').get(`/v1/decisions/${id}`);
      expect(arr(d.body, 'labels')).toEqual([expect.objectContaining({ label: 'legit' })]);
    });

    it('counts a fraud label in the customer’s label features from its arrival, once per decision', async () => {
      const g = await api.fundedCustomer('Ivan Label', '100000');
      const h = await api.customer('Judy Label');
      const fraudCount = async () => {
        const t = await api.transfer(g.walletId, h.walletId, '1000');
        expect(t.status, t.text).toBe(201);
        const d = await api.asStaff('analyst').get(`/v1/decisions/${str(t.body, 'decision', 'id')}`);
        return at(d.body, 'detail', 'features', 'customer.fraudLabels_30d');
      };
      const first = await api.transfer(g.walletId, h.walletId, '1000');
      const id = str(first.body, 'decision', 'id');
      expect(await fraudCount()).toBe(0);
      const labelled = await api.post('/v1/risk/labels', { labels: [{ decisionId: id, label: 'fraud' }] });
      expect(labelled.status, labelled.text).toBe(200);
      expect(await fraudCount()).toBe(1);
      // The same decision confirmed again (a chargeback after the case) is the same fraud.
      await api.post('/v1/risk/labels', { labels: [{ decisionId: id, label: 'fraud', scenario: 'again' }] });
      expect(await fraudCount()).toBe(1);
    });
  });
}
