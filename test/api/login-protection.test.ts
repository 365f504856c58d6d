// Brute force and credential stuffing against sign-in, on a manual clock: a name attacked from many addresses is delayed then locked (doubling), an address trying many names is refused, answers never reveal which accounts exist, and the real owner is never locked out for good (a known device passes, locks expire, a reset clears them).
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/clock.ts';
import { DATABASES, useBulwark } from '../helpers.ts';
import { expectProblem, type Reply } from './client.ts';

const PASSWORD = 'orchid-summit-beacon-27';
const consent = { policyVersion: '2026-11', accepted: true };

for (const target of DATABASES) {
  describe(`login protection on ${target.name}`, () => {
    const bw = useBulwark(target);
    const clock = new ManualClock(new Date('2026-11-21T08:00:00Z'));
    let seq = 0;

    afterEach(() => bw().clock.reset());

    const advance = (ms: number) => clock.set(new Date(clock.now().getTime() + ms));
    const login = async (
      body: Record<string, unknown>,
      from: { ip: string; device?: string },
    ): Promise<Reply> => {
      const res = await bw().app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        remoteAddress: from.ip,
        headers: {
          'content-type': 'application/json',
          ...(from.device ? { 'bulwark-device-id': from.device } : {}),
        },
        payload: JSON.stringify(body),
      });
      const json: unknown = res.headers['content-type']?.toString().includes('json') ? res.json() : undefined;
      return {
        status: res.statusCode,
        headers: res.headers,
        contentType: String(res.headers['content-type']),
        text: res.body,
        body: json,
      };
    };
    const register = async (device: string) => {
      seq += 1;
      const phone = `135${String(process.pid % 10_000).padStart(4, '0')}${String(seq).padStart(4, '0')}`;
      const res = await bw().app.inject({
        method: 'POST',
        url: '/v1/auth/register',
        remoteAddress: '203.0.113.10',
        headers: { 'content-type': 'application/json', 'bulwark-device-id': device },
        payload: JSON.stringify({ phone, password: PASSWORD, consent }),
      });
      expect(res.statusCode, res.body).toBe(201);
      return phone;
    };

    it('delays, then locks a name attacked from many addresses; the owner on a known device passes; locks expire and double', async () => {
      bw().clock.use(clock);
      const phone = await register('owner-phone-0001');
      const attack = async (i: number) =>
        login(
          { login: phone, password: `guess-${i}-wrong-pass` },
          { ip: `198.51.100.${i}`, device: `bot-${i}` },
        );
      for (let i = 1; i <= 10; i++) {
        const r = await attack(i);
        expectProblem(r, 401, 'AUTH_INVALID_CREDENTIALS');
        // Progressive delay: from the third failure each attempt must wait 1 s, 2 s, 4 s …
        if (i >= 3 && i < 10) {
          expectProblem(await attack(100 + i), 429, 'AUTH_TOO_MANY_ATTEMPTS');
          advance(2 ** (i - 3) * 1000);
        }
      }
      // Locked: even the right password from a new device is refused, with a Retry-After.
      const locked = await login(
        { login: phone, password: PASSWORD },
        { ip: '198.51.100.200', device: 'bot-x' },
      );
      expectProblem(locked, 429, 'AUTH_TOO_MANY_ATTEMPTS');
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(14 * 60);
      // The owner, on the device they used before, is not locked out.
      const owner = await login(
        { login: phone, password: PASSWORD },
        { ip: '203.0.113.10', device: 'owner-phone-0001' },
      );
      expect(owner.status, owner.text).toBe(200);
      // The lock expires after 15 minutes.
      advance(15 * 60_000 + 1000);
      expect(
        (await login({ login: phone, password: PASSWORD }, { ip: '203.0.113.99', device: 'new-laptop' }))
          .status,
      ).toBe(200);
      // A second lock lasts twice as long.
      for (let i = 1; i <= 10; i++) {
        await attack(20 + i);
        advance(5 * 60_000);
      }
      expectProblem(
        await login({ login: phone, password: PASSWORD }, { ip: '198.51.100.201' }),
        429,
        'AUTH_TOO_MANY_ATTEMPTS',
      );
      advance(16 * 60_000);
      expectProblem(
        await login({ login: phone, password: PASSWORD }, { ip: '198.51.100.202' }),
        429,
        'AUTH_TOO_MANY_ATTEMPTS',
      );
      advance(15 * 60_000);
      expect((await login({ login: phone, password: PASSWORD }, { ip: '198.51.100.203' })).status).toBe(200);
    });

    it('refuses an address trying many names, answers unknown and known names alike, and spares other addresses', async () => {
      bw().clock.use(clock);
      const real = await register('owner-phone-0002');
      const stuffer = { ip: '192.0.2.77' };
      const answers = new Set<string>();
      for (let i = 0; i < 50; i++) {
        const name = i % 10 === 0 ? real : `1380000${String(1000 + i).padStart(4, '0')}`;
        const r = await login({ login: name, password: `leaked-${i}-password` }, stuffer);
        expect(r.status).toBe(401);
        answers.add(JSON.stringify({ status: r.status, body: r.body }).replace(/"instance":"[^"]*"/, ''));
        advance(1000);
      }
      // Unknown and real names got the very same answer.
      expect(answers.size).toBe(1);
      // The address is now refused for any name, even with the right password…
      expectProblem(await login({ login: real, password: PASSWORD }, stuffer), 429, 'AUTH_TOO_MANY_ATTEMPTS');
      // …while the owner elsewhere signs in.
      expect((await login({ login: real, password: PASSWORD }, { ip: '203.0.113.50' })).status).toBe(200);
      // After the window the address may try again.
      advance(15 * 60_000);
      expect((await login({ login: real, password: PASSWORD }, stuffer)).status).toBe(200);
    });

    it('clears a lock when the owner resets the password', async () => {
      bw().clock.use(clock);
      const phone = await register('owner-phone-0003');
      for (let i = 1; i <= 10; i++) {
        await login({ login: phone, password: `wrong-${i}-wrong` }, { ip: `198.51.100.${50 + i}` });
        advance(5 * 60_000);
      }
      expectProblem(
        await login({ login: phone, password: PASSWORD }, { ip: '203.0.113.60' }),
        429,
        'AUTH_TOO_MANY_ATTEMPTS',
      );
      const reset = await bw().app.inject({
        method: 'POST',
        url: '/v1/auth/password-reset',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ login: phone }),
      });
      const code = bw().otpSender.lastCode(`+86${phone}`) ?? '';
      const newPassword = 'maple-quarry-violin-84';
      const confirm = await bw().app.inject({
        method: 'POST',
        url: '/v1/auth/password-reset/confirm',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ login: phone, resetId: reset.json().resetId, code, newPassword }),
      });
      expect(confirm.statusCode, confirm.body).toBe(204);
      expect((await login({ login: phone, password: newPassword }, { ip: '203.0.113.60' })).status).toBe(200);
    });
  });
}
