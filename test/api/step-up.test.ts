// The whole customer journey of the identity issue through the API: register, verify to tier 2, enrol an authenticator app and a passkey, then make a large transfer that must be confirmed with a step-up proof bound to exactly that transfer, single-use and fresh.
import { describe, expect, it } from 'vitest';
import { residentIdCheckChar } from '../../src/identity/documents.ts';
import { totpAt } from '../../src/identity/totp.ts';
import { DATABASES, useBulwark } from '../helpers.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { Api, arr, expectProblem, str } from './client.ts';

const PASSWORD = 'amber-glacier-sparrow-63';
const ORIGIN = 'http://localhost:3000';
let seq = 0;

function residentId(): string {
  seq += 1;
  const first17 = `110105198803${String(10 + (seq % 18)).padStart(2, '0')}${String(100 + ((process.pid + seq) % 800)).padStart(3, '0')}`;
  return `${first17}${residentIdCheckChar(first17)}`;
}

for (const target of DATABASES) {
  describe(`step-up transfer journey on ${target.name}`, () => {
    const bw = useBulwark(target);
    const anon = new Api(bw).as(null);
    const integrator = new Api(bw);

    it('registers, verifies to tier 2, enrols TOTP and a passkey, and transfers with a bound, single-use proof', async () => {
      seq += 1;
      const phone = `137${String(process.pid % 10_000).padStart(4, '0')}${String(seq).padStart(4, '0')}`;
      const reg = await anon.post('/v1/auth/register', {
        phone,
        password: PASSWORD,
        displayName: 'Zhao Lei',
        consent: { policyVersion: '2026-11', accepted: true },
      });
      expect(reg.status, reg.text).toBe(201);
      const customerId = str(reg.body, 'customerId');
      const me = new Api(bw).as(`Bearer ${str(reg.body, 'tokens', 'accessToken')}`);

      // Real-name verification, by the customer themselves: basic, then full.
      const basic = await me.post(`/v1/customers/${customerId}/kyc/basic`, {
        name: '赵磊',
        documentType: 'CN_RESIDENT_ID',
        documentNumber: residentId(),
      });
      expect(basic.status, basic.text).toBe(200);
      const full = await me.post(`/v1/customers/${customerId}/kyc/full`, {
        documentImages: { front: 'upload_front_1', back: 'upload_back_1' },
        livenessSessionId: 'live-session-1',
      });
      expect(full.status, full.text).toBe(200);
      expect((await me.get('/v1/me')).body).toMatchObject({ kycTier: 2 });

      // Authenticator app.
      const totp = await me.post('/v1/me/mfa/totp', {});
      const secret = str(totp.body, 'secret');
      const confirmed = await me.post('/v1/me/mfa/totp/confirm', {
        factorId: str(totp.body, 'factorId'),
        code: totpAt(secret, Date.now()),
      });
      expect(confirmed.status, confirmed.text).toBe(200);

      // A passkey: adding a second factor needs a step-up with the first.
      const authenticator = new SoftAuthenticator(ORIGIN);
      const needsProof = await me.post('/v1/me/mfa/webauthn/options', {});
      expectProblem(needsProof, 403, 'AUTH_STEP_UP_REQUIRED');
      const enrolChallenge = str(needsProof.body, 'challenge', 'id');
      const enrolProof = await me.post(`/v1/auth/step-up/${enrolChallenge}/verify`, {
        method: 'totp',
        code: totpAt(secret, Date.now() + 30_000),
      });
      expect(enrolProof.status, enrolProof.text).toBe(200);
      const options = await me.post(
        '/v1/me/mfa/webauthn/options',
        {},
        { headers: { 'bulwark-step-up': str(enrolProof.body, 'proof') } },
      );
      expect(options.status, options.text).toBe(200);
      const registration = authenticator.register(
        options.body as Parameters<SoftAuthenticator['register']>[0],
      );
      const passkey = await me.post('/v1/me/mfa/webauthn', { response: registration, label: 'Test phone' });
      expect(passkey.status, passkey.text).toBe(201);
      const factors = await me.get('/v1/me/mfa');
      expect(
        arr(factors.body, 'factors')
          .map((f) => (f as { kind: string }).kind)
          .sort(),
      ).toEqual(['totp', 'webauthn']);

      // Money in, and a payee.
      const walletId = str((await me.get(`/v1/customers/${customerId}`)).body, 'wallets', 0, 'id');
      await integrator.topup(walletId, '3000000');
      const payee = await integrator.customer('Payee');

      // A large transfer: challenged, with passkey first among the methods.
      const transfer = {
        fromWalletId: walletId,
        toWalletId: payee.walletId,
        amountMinor: '800000',
        currency: 'CNY',
      };
      const challenged = await me.post('/v1/transfers', transfer);
      expectProblem(challenged, 403, 'AUTH_STEP_UP_REQUIRED');
      expect(arr(challenged.body, 'challenge', 'methods')[0]).toBe('webauthn');
      expect(str(challenged.body, 'detail')).toContain('8000.00 CNY');
      const challengeId = str(challenged.body, 'challenge', 'id');
      expect((await integrator.balance(walletId)).posted).toBe(3_000_000n);

      const started = await me.post(`/v1/auth/step-up/${challengeId}/start`, { method: 'webauthn' });
      expect(started.status, started.text).toBe(200);
      const assertion = authenticator.authenticate(
        (started.body as { options: Parameters<SoftAuthenticator['authenticate']>[0] }).options,
      );
      const verified = await me.post(`/v1/auth/step-up/${challengeId}/verify`, {
        method: 'webauthn',
        response: assertion,
      });
      expect(verified.status, verified.text).toBe(200);
      const proof = str(verified.body, 'proof');

      // The proof does not fit another amount, and works once for the right one.
      expectProblem(
        await me.post(
          '/v1/transfers',
          { ...transfer, amountMinor: '900000' },
          { headers: { 'bulwark-step-up': proof } },
        ),
        403,
        'AUTH_STEP_UP_INVALID',
      );
      const key = `stepup-${customerId}`;
      const done = await me.post('/v1/transfers', transfer, { key, headers: { 'bulwark-step-up': proof } });
      expect(done.status, done.text).toBe(201);
      // A retry with the same key replays without a new challenge; a new request with the spent proof is refused.
      const replay = await me.post('/v1/transfers', transfer, { key });
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expectProblem(
        await me.post('/v1/transfers', transfer, { headers: { 'bulwark-step-up': proof } }),
        403,
        'AUTH_STEP_UP_INVALID',
      );
      expect((await integrator.balance(walletId)).posted).toBe(2_200_000n);
      // A small transfer to a payee already paid needs no step-up.
      const small = await me.post('/v1/transfers', { ...transfer, amountMinor: '150000' });
      expect(small.status, small.text).toBe(201);
    });

    it('refuses an unknown challenge and binds a card after an SMS step-up, keeping only a token and the last four digits', async () => {
      seq += 1;
      const phone = `136${String(process.pid % 10_000).padStart(4, '0')}${String(seq).padStart(4, '0')}`;
      const reg = await anon.post('/v1/auth/register', {
        phone,
        password: PASSWORD,
        consent: { policyVersion: '2026-11', accepted: true },
      });
      const me = new Api(bw).as(`Bearer ${str(reg.body, 'tokens', 'accessToken')}`);
      const challenged = await me.post('/v1/me/cards', {
        number: '6222020200112233446',
        expiryMonth: 12,
        expiryYear: 2031,
      });
      expectProblem(challenged, 403, 'AUTH_STEP_UP_REQUIRED');
      expectProblem(
        await me.post('/v1/auth/step-up/chl_00000000000000000000000000/verify', {
          method: 'sms',
          code: '123456',
          codeId: 'x',
        }),
        404,
        'AUTH_CHALLENGE_NOT_FOUND',
      );
      const id = str(challenged.body, 'challenge', 'id');
      const sent = await me.post(`/v1/auth/step-up/${id}/start`, { method: 'sms' });
      const code = bw().otpSender.lastCode(`+86${phone}`);
      if (!code) throw new Error('no code');
      const proof = await me.post(`/v1/auth/step-up/${id}/verify`, {
        method: 'sms',
        code,
        codeId: str(sent.body, 'codeId'),
      });
      expect(proof.status, proof.text).toBe(200);
      // Card bound: the raw row holds a token and the last four digits, never the number.
      const card = await me.post(
        '/v1/me/cards',
        { number: '6222020200112233446', expiryMonth: 12, expiryYear: 2031 },
        { headers: { 'bulwark-step-up': str(proof.body, 'proof') } },
      );
      expect(card.status, card.text).toBe(201);
      const rows = await bw().dbHandle.db.selectFrom('payment_cards').selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain('6222020200112233446');
      expect(rows.map((r) => r.last4)).toContain('3446');
    });
  });
}
