// Customer sign-in end to end through the API: registration with consent, password policy, login protection without revealing accounts, rotating refresh tokens with reuse detection, sessions and devices, authenticator enrolment, password change and reset.
import { describe, expect, it } from 'vitest';
import { totpAt } from '../../src/identity/totp.ts';
import { DATABASES, useBulwark } from '../helpers.ts';
import { Api, arr, at, expectProblem, str } from './client.ts';

const PASSWORD = 'violet-harbour-lantern-42';
const consent = { policyVersion: '2026-11', accepted: true };
let phoneSeq = 0;
/** A fresh mainland mobile number per registration. */
function phone(): string {
  phoneSeq += 1;
  return `139${String(process.pid % 10_000).padStart(4, '0')}${String(phoneSeq).padStart(4, '0')}`;
}

for (const target of DATABASES) {
  describe(`customer authentication on ${target.name}`, () => {
    const bw = useBulwark(target);
    const anon = new Api(bw).as(null);

    const register = async (body: Record<string, unknown> = {}) => {
      const login = phone();
      const res = await anon.post('/v1/auth/register', {
        phone: login,
        password: PASSWORD,
        consent,
        ...body,
      });
      expect(res.status, res.text).toBe(201);
      return {
        login,
        id: str(res.body, 'customerId'),
        access: str(res.body, 'tokens', 'accessToken'),
        refresh: str(res.body, 'tokens', 'refreshToken'),
      };
    };
    const asCustomer = (access: string) => new Api(bw).as(`Bearer ${access}`);

    it('registers with consent recorded and the phone sealed, and signs in', async () => {
      const c = await register({ displayName: 'Wang Fang' });
      const me = await asCustomer(c.access).get('/v1/me');
      expect(me.status, me.text).toBe(200);
      expect(me.body).toMatchObject({ id: c.id, kycTier: 0, displayName: 'Wang Fang' });
      expect(str(me.body, 'phone')).toMatch(/^139\*{4}\d{4}$/);
      expect(arr(me.body, 'consents')[0]).toMatchObject({ policy: 'privacy', version: '2026-11' });
      const row = await bw()
        .dbHandle.db.selectFrom('customer_logins')
        .selectAll()
        .where('customer_id', '=', c.id)
        .executeTakeFirstOrThrow();
      expect(row.phone_sealed).toMatch(/^enc1:/);
      expect(JSON.stringify(row)).not.toContain(c.login);
      expect(row.password_hash).toMatch(/^\$scrypt\$/);
      const again = await anon.post('/v1/auth/register', { phone: c.login, password: PASSWORD, consent });
      expectProblem(again, 409, 'IDENTITY_LOGIN_TAKEN');
    });

    it('refuses weak and common passwords, missing consent and malformed phone numbers', async () => {
      for (const password of ['password123', '12345678901', 'qwertyuiop']) {
        const res = await anon.post('/v1/auth/register', { phone: phone(), password, consent });
        expectProblem(res, 422, 'IDENTITY_PASSWORD_WEAK');
      }
      const p = phone();
      expectProblem(
        await anon.post('/v1/auth/register', { phone: p, password: `${p}-abc`, consent }),
        422,
        'IDENTITY_PASSWORD_WEAK',
      );
      expectProblem(
        await anon.post('/v1/auth/register', {
          phone: phone(),
          password: PASSWORD,
          consent: { policyVersion: '2019-01', accepted: true },
        }),
        422,
        'IDENTITY_CONSENT_REQUIRED',
      );
      expectProblem(
        await anon.post('/v1/auth/register', { phone: '12345', password: PASSWORD, consent }),
        422,
        'IDENTITY_PHONE_INVALID',
      );
    });

    it('answers a wrong password and an unknown account alike, then delays and locks', async () => {
      const c = await register();
      const wrong = await anon.post('/v1/auth/login', { login: c.login, password: 'not-the-password-1' });
      const unknown = await anon.post('/v1/auth/login', { login: phone(), password: 'not-the-password-1' });
      expectProblem(wrong, 401, 'AUTH_INVALID_CREDENTIALS');
      expectProblem(unknown, 401, 'AUTH_INVALID_CREDENTIALS');
      expect(at(wrong.body, 'detail')).toEqual(at(unknown.body, 'detail'));
      // Two more failures reach the delay threshold: the next attempt must wait.
      for (let i = 0; i < 2; i++)
        await anon.post('/v1/auth/login', { login: c.login, password: 'nope-nope-1' });
      const delayed = await anon.post('/v1/auth/login', { login: c.login, password: PASSWORD });
      expectProblem(delayed, 429, 'AUTH_TOO_MANY_ATTEMPTS');
      expect(Number(delayed.headers['retry-after'])).toBeGreaterThan(0);
      const audit = await bw()
        .dbHandle.db.selectFrom('audit_log')
        .select(['action', 'actor_id'])
        .where('action', '=', 'auth.login.failed')
        .execute();
      expect(audit.filter((a) => a.actor_id === c.id).length).toBeGreaterThanOrEqual(3);
    });

    it('rotates refresh tokens and ends the session when a used one comes back', async () => {
      const c = await register();
      const first = await anon.post('/v1/auth/refresh', { refreshToken: c.refresh });
      expect(first.status, first.text).toBe(200);
      const next = str(first.body, 'refreshToken');
      expect(next).not.toBe(c.refresh);
      expect((await asCustomer(str(first.body, 'accessToken')).get('/v1/me')).status).toBe(200);
      // The old token again: someone copied it. The whole session ends.
      expectProblem(
        await anon.post('/v1/auth/refresh', { refreshToken: c.refresh }),
        401,
        'AUTH_REFRESH_REUSED',
      );
      expectProblem(await anon.post('/v1/auth/refresh', { refreshToken: next }), 401, 'AUTH_SESSION_REVOKED');
      expectProblem(
        await asCustomer(str(first.body, 'accessToken')).get('/v1/me'),
        401,
        'AUTH_SESSION_REVOKED',
      );
      const audit = await bw()
        .dbHandle.db.selectFrom('audit_log')
        .select('target_id')
        .where('action', '=', 'auth.refresh.reuse_detected')
        .execute();
      expect(audit.map((a) => a.target_id)).toContain(str(first.body, 'sessionId'));
    });

    it('lists sessions and devices, revokes one or all, and refuses forged tokens', async () => {
      const c = await register();
      const second = await anon.post(
        '/v1/auth/login',
        { login: c.login, password: PASSWORD },
        { headers: { 'bulwark-device-id': 'device-second-phone', 'user-agent': 'TestPhone/2' } },
      );
      expect(second.status, second.text).toBe(200);
      const me = asCustomer(c.access);
      const list = await me.get('/v1/me/sessions');
      expect(arr(list.body, 'sessions')).toHaveLength(2);
      const devices = await me.get('/v1/me/devices');
      expect(arr(devices.body, 'devices')[0]).toMatchObject({
        deviceId: 'device-second-phone',
        userAgent: 'TestPhone/2',
      });
      const revoked = await me.post(`/v1/me/sessions/${str(second.body, 'sessionId')}/revoke`, {});
      expect(revoked.body).toEqual({ revoked: 1 });
      expectProblem(
        await asCustomer(str(second.body, 'accessToken')).get('/v1/me'),
        401,
        'AUTH_SESSION_REVOKED',
      );
      // A token signed with another key, or altered, is refused and audited.
      const [h, p] = c.access.split('.');
      const forged = `${h}.${p}.${'A'.repeat(43)}`;
      expectProblem(await asCustomer(forged).get('/v1/me'), 401, 'AUTH_TOKEN_INVALID');
      expectProblem(await asCustomer('not-a-token-at-all').get('/v1/me'), 401, 'AUTH_TOKEN_INVALID');
      expectProblem(await anon.get('/v1/me'), 401, 'AUTH_REQUIRED');
      const all = await me.post('/v1/me/sessions/revoke-all', { keepCurrent: false });
      expect(all.body).toEqual({ revoked: 1 });
      expectProblem(await me.get('/v1/me'), 401, 'AUTH_SESSION_REVOKED');
    });

    it('enrols an authenticator app, then requires its code at sign-in and refuses a replayed code', async () => {
      const c = await register();
      const me = asCustomer(c.access);
      const started = await me.post('/v1/me/mfa/totp', {});
      expect(started.status, started.text).toBe(201);
      const secret = str(started.body, 'secret');
      expect(str(started.body, 'otpauthUri')).toMatch(/^otpauth:\/\/totp\//);
      expectProblem(
        await me.post('/v1/me/mfa/totp/confirm', { factorId: str(started.body, 'factorId'), code: '000000' }),
        401,
        'AUTH_MFA_INVALID',
      );
      const confirmed = await me.post('/v1/me/mfa/totp/confirm', {
        factorId: str(started.body, 'factorId'),
        code: totpAt(secret, Date.now()),
      });
      expect(confirmed.status, confirmed.text).toBe(200);
      const recovery = arr(confirmed.body, 'recoveryCodes');
      expect(recovery).toHaveLength(10);
      expectProblem(
        await anon.post('/v1/auth/login', { login: c.login, password: PASSWORD }),
        401,
        'AUTH_MFA_REQUIRED',
      );
      // The code used to confirm was spent; the next period's code signs in once.
      const code = totpAt(secret, Date.now() + 30_000);
      const ok = await anon.post('/v1/auth/login', { login: c.login, password: PASSWORD, otp: code });
      expect(ok.status, ok.text).toBe(200);
      expectProblem(
        await anon.post('/v1/auth/login', { login: c.login, password: PASSWORD, otp: code }),
        401,
        'AUTH_INVALID_CREDENTIALS',
      );
      const viaRecovery = await anon.post('/v1/auth/login', {
        login: c.login,
        password: PASSWORD,
        otp: String(recovery[0]),
      });
      expect(viaRecovery.status, viaRecovery.text).toBe(200);
      expectProblem(
        await anon.post('/v1/auth/login', { login: c.login, password: PASSWORD, otp: String(recovery[0]) }),
        401,
        'AUTH_INVALID_CREDENTIALS',
      );
    });

    it('changes the password only with a step-up, refusing a recent password, and ends other sessions', async () => {
      const c = await register();
      const other = await anon.post('/v1/auth/login', { login: c.login, password: PASSWORD });
      const me = asCustomer(c.access);
      const body = { currentPassword: PASSWORD, newPassword: 'copper-meadow-falcon-77' };
      const challenged = await me.post('/v1/me/password', body);
      expectProblem(challenged, 403, 'AUTH_STEP_UP_REQUIRED');
      const challengeId = str(challenged.body, 'challenge', 'id');
      expect(arr(challenged.body, 'challenge', 'methods')).toEqual(['sms']);
      const sent = await me.post(`/v1/auth/step-up/${challengeId}/start`, { method: 'sms' });
      expect(sent.status, sent.text).toBe(200);
      const code = bw().otpSender.lastCode(`+86${c.login}`);
      if (!code) throw new Error('no code sent');
      const verified = await me.post(`/v1/auth/step-up/${challengeId}/verify`, {
        method: 'sms',
        code,
        codeId: str(sent.body, 'codeId'),
      });
      expect(verified.status, verified.text).toBe(200);
      const proof = str(verified.body, 'proof');
      const changed = await me.post('/v1/me/password', body, { headers: { 'bulwark-step-up': proof } });
      expect(changed.status, changed.text).toBe(200);
      expect(changed.body).toEqual({ endedSessions: 1 });
      expectProblem(
        await asCustomer(str(other.body, 'accessToken')).get('/v1/me'),
        401,
        'AUTH_SESSION_REVOKED',
      );
      // The proof worked once.
      expectProblem(
        await me.post(
          '/v1/me/password',
          { ...body, currentPassword: body.newPassword },
          { headers: { 'bulwark-step-up': proof } },
        ),
        403,
        'AUTH_STEP_UP_INVALID',
      );
      expect((await anon.post('/v1/auth/login', { login: c.login, password: body.newPassword })).status).toBe(
        200,
      );
    });

    it('resets a forgotten password with a one-time code that works once, and clears a lock', async () => {
      const c = await register();
      for (let i = 0; i < 4; i++)
        await anon.post('/v1/auth/login', { login: c.login, password: 'wrong-wrong-1' });
      expectProblem(
        await anon.post('/v1/auth/login', { login: c.login, password: PASSWORD }),
        429,
        'AUTH_TOO_MANY_ATTEMPTS',
      );
      const unknown = await anon.post('/v1/auth/password-reset', { login: phone() });
      expect(unknown.status).toBe(202);
      const reset = await anon.post('/v1/auth/password-reset', { login: c.login });
      expect(reset.status).toBe(202);
      expect(Object.keys(reset.body as object).sort()).toEqual(Object.keys(unknown.body as object).sort());
      const code = bw().otpSender.lastCode(`+86${c.login}`);
      if (!code) throw new Error('no code sent');
      const newPassword = 'granite-willow-comet-19';
      const confirm = { login: c.login, resetId: str(reset.body, 'resetId'), code, newPassword };
      const done = await anon.post('/v1/auth/password-reset/confirm', confirm);
      expect(done.status, done.text).toBe(204);
      expectProblem(await anon.post('/v1/auth/password-reset/confirm', confirm), 410, 'AUTH_TOKEN_USED');
      expectProblem(await asCustomer(c.access).get('/v1/me'), 401, 'AUTH_SESSION_REVOKED');
      expect((await anon.post('/v1/auth/login', { login: c.login, password: newPassword })).status).toBe(200);
    });

    it('keeps a customer to their own resources', async () => {
      const a = await register();
      const b = await register();
      const meA = asCustomer(a.access);
      const walletB = str((await new Api(bw).get(`/v1/customers/${b.id}`)).body, 'wallets', 0, 'id');
      expectProblem(await meA.get(`/v1/customers/${b.id}`), 403, 'AUTH_FORBIDDEN');
      expectProblem(await meA.get(`/v1/accounts/${walletB}`), 403, 'AUTH_FORBIDDEN');
      expectProblem(await meA.get('/v1/ledger/chain'), 403, 'AUTH_FORBIDDEN');
      expect((await meA.get(`/v1/customers/${a.id}`)).status).toBe(200);
    });
  });
}
