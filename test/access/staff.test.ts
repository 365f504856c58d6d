// Proves staff sign-in end to end: activation sets a password and enrols TOTP, sign-in needs both factors, every failure looks the same, a code works once, recovery codes work once, a disabled user's session ends at once, and the first administrator can be bootstrapped exactly once.
import { describe, expect, it } from 'vitest';
import { readAudit } from '../../src/security/audit.ts';
import { Api, expectProblem, str } from '../api/client.ts';
import { DATABASES, staffSession, useBulwark } from '../helpers.ts';
import {
  activate,
  activatedStaff,
  codeNow,
  freshEmail,
  GOOD_PASSWORD,
  login,
  manualClock,
} from './support.ts';

const STEP_MS = 30_000;

for (const target of DATABASES) {
  describe(`staff sign-in on ${target.name}`, () => {
    const bw = useBulwark(target);
    const api = new Api(bw);

    it('activates with password and TOTP, then signs in with both factors only', async () => {
      const { advance } = manualClock(bw());
      try {
        const s = await activatedStaff(bw(), 'analyst');
        // The code that confirmed the enrolment is spent: the same step is refused.
        expectProblem(
          await login(bw(), { email: s.email, code: codeNow(bw(), s.secret) }),
          401,
          'AUTH_INVALID_CREDENTIALS',
        );
        advance(STEP_MS);
        const ok = await login(bw(), { email: s.email.toUpperCase(), code: codeNow(bw(), s.secret) });
        expect(ok.status, ok.text).toBe(200);
        expect(ok.headers['cache-control']).toBe('no-store');
        const auth = `Bearer ${str(ok.body, 'accessToken')}`;
        expect(str(ok.body, 'refreshToken')).toMatch(/^rt_/);
        const me = await api.as(auth).get('/v1/staff/me');
        expect(me.status, me.text).toBe(200);
        expect(me.body).toMatchObject({ id: s.id, role: 'analyst', status: 'active', mfaEnrolled: true });
        expect(str(me.body, 'email')).not.toContain(s.email.split('@')[0]);
        // The session works for what the role may do, and not beyond.
        expect((await api.as(auth).get('/v1/approvals')).status).toBe(200);
        expectProblem(await api.as(auth).get('/v1/staff'), 403, 'AUTH_FORBIDDEN');

        // Replaying the code that just signed in is refused, even within its window.
        expectProblem(
          await login(bw(), { email: s.email, code: codeNow(bw(), s.secret) }),
          401,
          'AUTH_INVALID_CREDENTIALS',
        );

        const logout = await api.as(auth).post('/v1/staff/auth/logout', undefined);
        expect(logout.status, logout.text).toBe(204);
        expectProblem(await api.as(auth).get('/v1/staff/me'), 401, 'AUTH_SESSION_REVOKED');

        const records = [];
        for await (const r of readAudit(bw().dbHandle.db)) if (r.actorId === s.id) records.push(r);
        const login1 = records.find((r) => r.action === 'auth.login');
        expect(login1).toMatchObject({ actorType: 'staff', actorRole: 'analyst', targetType: 'session' });
        expect(login1?.requestId).toBeTruthy();
        expect(login1?.ip).toBeTruthy();
        expect(records.filter((r) => r.action === 'auth.login.failed')).toHaveLength(2);
        expect(records.map((r) => r.action)).toContain('staff.activate');
      } finally {
        bw().clock.reset();
      }
    });

    it('answers unknown e-mail, wrong password, wrong code and a missing factor alike', async () => {
      const { advance } = manualClock(bw());
      try {
        const s = await activatedStaff(bw(), 'support');
        advance(STEP_MS);
        const code = codeNow(bw(), s.secret);
        const wrongCode = code === '000000' ? '111111' : '000000';
        const answers = [
          await login(bw(), { email: freshEmail('nobody'), code }),
          await login(bw(), { email: s.email, password: 'Not-The-Password-42!', code }),
          await login(bw(), { email: s.email, code: wrongCode }),
        ];
        for (const a of answers) expectProblem(a, 401, 'AUTH_INVALID_CREDENTIALS');
        const details = answers.map((a) => JSON.stringify({ ...(a.body as object), instance: undefined }));
        expect(new Set(details).size).toBe(1);
        // A pending (not yet activated) user, who has no password yet, is refused the same way.
        const pendingEmail = freshEmail('pending');
        await bw()
          .dbHandle.db.transaction()
          .execute((tx) =>
            bw().staff.createInTx(
              tx,
              { email: pendingEmail, displayName: 'P', role: 'support' },
              { type: 'system', id: 'test' },
              {},
            ),
          );
        const pendingAnswer = await login(bw(), { email: pendingEmail, code });
        expectProblem(pendingAnswer, 401, 'AUTH_INVALID_CREDENTIALS');
        expect(JSON.stringify({ ...(pendingAnswer.body as object), instance: undefined })).toBe(details[0]);
        // The right code still works after the failures (they were not delayed past it).
        advance(10_000);
        const ok = await login(bw(), { email: s.email, code });
        expect(ok.status, ok.text).toBe(200);
        // Neither factor alone: a request without a second factor is refused before any check.
        expectProblem(
          await api.as(null).post('/v1/staff/auth/login', { email: s.email, password: GOOD_PASSWORD }),
          400,
          'VALIDATION_FAILED',
        );
      } finally {
        bw().clock.reset();
      }
    });

    it('throttles repeated failures on one name, then locks it', async () => {
      const { advance } = manualClock(bw());
      try {
        const s = await activatedStaff(bw(), 'auditor');
        for (let i = 0; i < 3; i++) {
          expectProblem(
            await login(bw(), { email: s.email, password: 'Wrong-Password-Again-1', code: '123456' }),
            401,
            'AUTH_INVALID_CREDENTIALS',
          );
        }
        const delayed = await login(bw(), { email: s.email, code: codeNow(bw(), s.secret) });
        expectProblem(delayed, 429, 'AUTH_TOO_MANY_ATTEMPTS');
        advance(STEP_MS);
        const ok = await login(bw(), { email: s.email, code: codeNow(bw(), s.secret) });
        expect(ok.status, ok.text).toBe(200);
      } finally {
        bw().clock.reset();
      }
    });

    it('signs in with a recovery code once', async () => {
      const s = await activatedStaff(bw(), 'compliance');
      const [first] = s.recoveryCodes;
      if (!first) throw new Error('no recovery code');
      const ok = await login(bw(), { email: s.email, recoveryCode: first });
      expect(ok.status, ok.text).toBe(200);
      expectProblem(
        await login(bw(), { email: s.email, recoveryCode: first }),
        401,
        'AUTH_INVALID_CREDENTIALS',
      );
      const records = [];
      for await (const r of readAudit(bw().dbHandle.db))
        if (r.actorId === s.id && r.action === 'auth.login') records.push(r);
      expect(records[0]?.after).toMatchObject({ method: 'recovery_code' });
    });

    it('spends activation tokens once and refuses weak passwords without spending them', async () => {
      const admin = await staffSession(bw(), 'admin');
      const created = await bw()
        .dbHandle.db.transaction()
        .execute((tx) =>
          bw().staff.createInTx(
            tx,
            { email: freshEmail('weak'), displayName: 'Wendy Weak', role: 'support' },
            { type: 'staff', id: admin.id, role: 'admin' },
            {},
          ),
        );
      const open = api.as(null);
      expectProblem(
        await open.post('/v1/staff/activate', { token: created.activationToken, password: 'password123' }),
        422,
        'IDENTITY_PASSWORD_WEAK',
      );
      const started = await open.post('/v1/staff/activate', {
        token: created.activationToken,
        password: GOOD_PASSWORD,
      });
      expect(started.status, started.text).toBe(200);
      expectProblem(
        await open.post('/v1/staff/activate', { token: created.activationToken, password: GOOD_PASSWORD }),
        410,
        'AUTH_TOKEN_USED',
      );
      expectProblem(
        await open.post('/v1/staff/activate', { token: 'x'.repeat(43), password: GOOD_PASSWORD }),
        410,
        'AUTH_TOKEN_USED',
      );
      // A wrong first code leaves the user pending; the enrolment token allows a few tries only.
      const enrolmentToken = str(started.body, 'enrolmentToken');
      for (let i = 0; i < 5; i++) {
        expectProblem(
          await open.post('/v1/staff/activate/confirm', { enrolmentToken, code: '000000' }),
          401,
          'AUTH_MFA_INVALID',
        );
      }
      const secret = str(started.body, 'totpSecret');
      expectProblem(
        await open.post('/v1/staff/activate/confirm', { enrolmentToken, code: codeNow(bw(), secret) }),
        410,
        'AUTH_TOKEN_USED',
      );
      expect((await bw().staff.view(created.staffId)).status).toBe('pending');
      // An administrator issues a new activation token; the user starts again.
      const again = await api.as(admin.auth).post(`/v1/staff/${created.staffId}/activation`, {});
      expect(again.status, again.text).toBe(200);
      const s = await activate(bw(), str(again.body, 'activationToken'), 'ignored@bulwark.test');
      expect(s.id).toBe(created.staffId);
    });

    it("ends a disabled user's sessions at once and refuses their sign-in", async () => {
      const { advance } = manualClock(bw());
      try {
        const s = await activatedStaff(bw(), 'operations');
        advance(STEP_MS);
        const signedIn = await login(bw(), { email: s.email, code: codeNow(bw(), s.secret) });
        expect(signedIn.status, signedIn.text).toBe(200);
        const auth = `Bearer ${str(signedIn.body, 'accessToken')}`;
        expect((await api.as(auth).get('/v1/staff/me')).status).toBe(200);
        // Staff sessions renew through the same refresh-token rotation as customers'.
        const renewed = await api
          .as(null)
          .post('/v1/auth/refresh', { refreshToken: str(signedIn.body, 'refreshToken') });
        expect(renewed.status, renewed.text).toBe(200);
        const renewedAuth = `Bearer ${str(renewed.body, 'accessToken')}`;
        expect((await api.as(renewedAuth).get('/v1/staff/me')).status).toBe(200);

        const admin = await staffSession(bw(), 'admin');
        expectProblem(
          await api.as(admin.auth).post(`/v1/staff/${admin.id}/disable`, { reason: 'testing self' }),
          409,
          'STAFF_STATE',
        );
        const disabled = await api
          .as(admin.auth)
          .post(`/v1/staff/${s.id}/disable`, { reason: 'left the company' });
        expect(disabled.status, disabled.text).toBe(200);
        expect(str(disabled.body, 'status')).toBe('disabled');
        expectProblem(await api.as(auth).get('/v1/staff/me'), 401, 'AUTH_SESSION_REVOKED');
        expectProblem(await api.as(renewedAuth).get('/v1/staff/me'), 401, 'AUTH_SESSION_REVOKED');
        const refused = await api
          .as(null)
          .post('/v1/auth/refresh', { refreshToken: str(renewed.body, 'refreshToken') });
        expect(refused.status, refused.text).toBe(401);
        expect(['AUTH_SESSION_REVOKED', 'AUTH_REFRESH_INVALID']).toContain(str(refused.body, 'code'));
        advance(STEP_MS);
        expectProblem(
          await login(bw(), { email: s.email, code: codeNow(bw(), s.secret) }),
          401,
          'AUTH_INVALID_CREDENTIALS',
        );

        const list = await api.as(admin.auth).get('/v1/staff');
        expect(list.status).toBe(200);
        expect(list.text).not.toContain(s.email);
        expect(list.text).toContain(s.id);
      } finally {
        bw().clock.reset();
      }
    });
  });

  describe(`bootstrapping the first administrator on ${target.name}`, () => {
    const bw = useBulwark(target);

    it('creates a pending admin with a token, and refuses once an active admin exists', async () => {
      const email = freshEmail('root');
      const first = await bw().staff.bootstrapAdmin({ email, displayName: 'First Admin' });
      expect(first.activationToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // Until activation nobody is an active administrator, so a second try is allowed.
      await expect(bw().staff.bootstrapAdmin({ email, displayName: 'Again' })).rejects.toMatchObject({
        code: 'STAFF_EXISTS',
      });
      const admin = await activate(bw(), first.activationToken, email);
      await expect(
        bw().staff.bootstrapAdmin({ email: freshEmail('second'), displayName: 'Second' }),
      ).rejects.toMatchObject({ code: 'STAFF_STATE' });
      const view = await bw().staff.view(admin.id);
      expect(view).toMatchObject({ role: 'admin', status: 'active', createdBy: 'bootstrap' });
    });
  });
}
