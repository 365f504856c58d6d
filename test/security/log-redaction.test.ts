// Proves personal data sent to the API never reaches the logs: a bank account number, an ID number, a phone number, an e-mail address, passwords, a card number and one-time codes go through registration, sign-in (right and wrong), verification, withdrawal, review, approval, step-up, card binding, a password reset, refused requests and channel callbacks with request logging at trace level, and none appears in any log line.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/logger.ts';
import { idemKey, startBulwark } from '../helpers.ts';

const ACCOUNT = '6217000010012345678';
const ID_NUMBER = '11010519491231002X';
const PHONE = '13987654321';
const EMAIL = 'secret.person@example.cn';
const PASSWORD = 'quartz-lagoon-ember-58';
const NEW_PASSWORD = 'saffron-timber-quiver-91';
const CARD = '6222020200112233446';

describe('log redaction', () => {
  it('keeps account numbers out of every log line', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const bw = await startBulwark({ name: 'pglite' }, { log: createLogger('trace', false, sink) });
    const secrets: string[] = [];
    try {
      bw.requestLogging.enabled = true;
      const analyst = await bw.staffAuth('analyst');
      const post = (url: string, body: unknown, authorization = bw.integratorAuth) =>
        bw.app.inject({
          method: 'POST',
          url,
          headers: {
            'content-type': 'application/json',
            'idempotency-key': idemKey('redact'),
            ...(authorization ? { authorization } : {}),
          },
          payload: JSON.stringify(body),
        });
      const customer = await post('/v1/customers', { displayName: 'Li Wei', currencies: ['CNY'] });
      const walletId: unknown = customer.json().wallets[0].id;
      if (typeof walletId !== 'string') throw new Error('no wallet');
      // Real-name verification with the ID number that must not reach the logs either.
      const customerId: unknown = customer.json().id;
      const basic = await post(`/v1/customers/${String(customerId)}/kyc/basic`, {
        name: 'Li Wei',
        documentType: 'CN_RESIDENT_ID',
        documentNumber: ID_NUMBER,
      });
      expect(basic.statusCode, basic.body).toBe(200);
      const full = await post(`/v1/customers/${String(customerId)}/kyc/full`, {
        documentImages: { front: 'upl_front_1' },
        livenessSessionId: 'lv_session_1',
      });
      expect(full.statusCode, full.body).toBe(200);
      const topup = await post('/v1/topups', {
        walletId,
        amountMinor: '5000000',
        currency: 'CNY',
        channel: 'simbank',
      });
      expect(topup.statusCode).toBe(202);
      await new Promise((r) => setTimeout(r, 300));
      const bankAccount = { accountNumber: ACCOUNT, holderName: 'Li Wei' };
      const small = await post('/v1/withdrawals', {
        walletId,
        amountMinor: '10000',
        currency: 'CNY',
        channel: 'simbank',
        bankAccount,
      });
      expect(small.statusCode).toBe(202);
      const large = await post('/v1/withdrawals', {
        walletId,
        amountMinor: '2500000',
        currency: 'CNY',
        channel: 'simbank',
        bankAccount,
      });
      expect(large.statusCode).toBe(202);
      const wrong = await post(
        `/v1/withdrawals/${large.json().id}/approve`,
        {
          accountNumber: `${ACCOUNT}9`,
          holderName: 'x',
        },
        analyst,
      );
      expect(wrong.statusCode).toBe(400);
      await post(`/v1/withdrawals/${large.json().id}/approve`, {}, analyst);

      // Identity: registration, sign-in right and wrong, step-up by SMS, card binding, reset.
      const consent = { policyVersion: '2026-11', accepted: true };
      const reg = await post(
        '/v1/auth/register',
        { phone: PHONE, email: EMAIL, password: PASSWORD, consent },
        '',
      );
      expect(reg.statusCode).toBe(201);
      const me = `Bearer ${String(reg.json().tokens.accessToken)}`;
      expect((await post('/v1/auth/login', { login: EMAIL, password: `${PASSWORD}x` }, '')).statusCode).toBe(
        401,
      );
      const login = await post('/v1/auth/login', { login: PHONE, password: PASSWORD }, '');
      expect(login.statusCode).toBe(200);
      await post('/v1/auth/refresh', { refreshToken: login.json().refreshToken }, '');
      const card = { number: CARD, expiryMonth: 10, expiryYear: 2032 };
      const challenged = await post('/v1/me/cards', card, me);
      expect(challenged.statusCode).toBe(403);
      const challengeId = String(challenged.json().challenge.id);
      const sent = await post(`/v1/auth/step-up/${challengeId}/start`, { method: 'sms' }, me);
      const code = bw.otpSender.lastCode(`+86${PHONE}`) ?? '';
      const proof = await post(
        `/v1/auth/step-up/${challengeId}/verify`,
        { method: 'sms', code, codeId: sent.json().codeId },
        me,
      );
      const bound = await bw.app.inject({
        method: 'POST',
        url: '/v1/me/cards',
        headers: {
          'content-type': 'application/json',
          authorization: me,
          'bulwark-step-up': proof.json().proof,
        },
        payload: JSON.stringify(card),
      });
      expect(bound.statusCode).toBe(201);
      const reset = await post('/v1/auth/password-reset', { login: EMAIL }, '');
      const resetCode = bw.otpSender.lastCode(EMAIL) ?? '';
      const done = await post(
        '/v1/auth/password-reset/confirm',
        { login: EMAIL, resetId: reset.json().resetId, code: resetCode, newPassword: NEW_PASSWORD },
        '',
      );
      expect(done.statusCode).toBe(204);
      secrets.push(code, resetCode, String(login.json().refreshToken), String(proof.json().proof));
      // A refused request whose body carries personal data in an unknown field.
      const refused = await post('/v1/transfers', {
        fromWalletId: walletId,
        idNumber: ID_NUMBER,
        accountNumber: ACCOUNT,
      });
      expect(refused.statusCode).toBe(400);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await bw.drop();
    }
    const log = lines.join('');
    for (const secret of secrets) expect(secret.length).toBeGreaterThan(5);
    for (const secret of [PHONE, EMAIL, PASSWORD, NEW_PASSWORD, CARD, ...secrets]) {
      expect(log, secret).not.toContain(secret);
    }
    expect(log).toContain('/v1/auth/login');
    expect(lines.length).toBeGreaterThan(10);
    expect(log).toContain('/v1/withdrawals');
    expect(log).not.toContain(ACCOUNT);
    expect(log).not.toContain(ID_NUMBER);
  });
});
