// Proves one-time codes work once and only within their lifetime and tries, that sends are rate limited per destination (minute and hour, with a retry delay), that a newer code retires older ones, and that neither the code nor the destination is stored or logged in clear.
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type OtpSender, OtpService, SimulatedOtpSender } from '../../src/identity/otp.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { migrateToLatest } from '../../src/platform/migrate.ts';
import { DATABASES, freshDatabase } from '../helpers.ts';

const HMAC_KEY = randomBytes(32);
const hashKey = (value: string) => createHmac('sha256', HMAC_KEY).update(value).digest('hex');

let seq = 0;
function fresh(): { subjectId: string; phone: string } {
  seq += 1;
  return { subjectId: `cus_otp_${seq}`, phone: `1380013${String(seq).padStart(4, '0')}` };
}

function wrong(code: string | undefined): string {
  return code === '000000' ? '111111' : '000000';
}

describe.each(DATABASES)('one-time codes on $name', (target) => {
  let handle: Awaited<ReturnType<typeof freshDatabase>> | undefined;
  const clock = new ManualClock(new Date('2026-03-01T08:00:00Z'));
  const sender = new SimulatedOtpSender(clock);

  function db() {
    if (!handle) throw new Error('database not open');
    return handle.db;
  }
  function service(s: OtpSender = sender) {
    return new OtpService(db(), s, clock, hashKey);
  }
  function advance(ms: number) {
    clock.set(new Date(clock.now().getTime() + ms));
  }

  beforeAll(async () => {
    handle = await freshDatabase(target);
    await migrateToLatest(handle.db);
  });
  afterAll(async () => {
    await handle?.drop();
  });

  it('sends a code that verifies once, storing neither the code nor the destination', async () => {
    const { subjectId, phone } = fresh();
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => undefined),
    );
    let sent: Awaited<ReturnType<OtpService['send']>>;
    try {
      sent = await service().send({ subjectId, purpose: 'login', channel: 'sms', destination: phone });
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(sent.id).toMatch(/^ott_/);
    expect(sent.destinationMasked).toBe(`138****${phone.slice(-4)}`);
    expect(sent.expiresAt).toBe(new Date(clock.now().getTime() + 300_000).toISOString());

    const code = sender.lastCode(phone);
    expect(code).toMatch(/^\d{6}$/);
    const message = sender.sent.at(-1);
    expect(message?.channel).toBe('sms');
    expect(message?.text).toBe(`Bulwark code ${code}, valid 5 minutes. 验证码 ${code}，5分钟内有效。`);

    const row = await db()
      .selectFrom('one_time_tokens')
      .selectAll()
      .where('id', '=', sent.id)
      .executeTakeFirstOrThrow();
    expect(row.purpose).toBe('otp:login');
    expect(row.destination).not.toBe(phone);
    expect(row.destination).toBe(hashKey(`dest:${phone}`));
    expect(JSON.stringify(row)).not.toContain(phone);
    expect(row.token_hash).not.toContain(code ?? '');

    const ask = { id: sent.id, subjectId, purpose: 'login', code: code ?? '' };
    expect(await service().verify({ ...ask, subjectId: 'cus_somebody_else' })).toBe(false);
    expect(await service().verify({ ...ask, purpose: 'withdrawal' })).toBe(false);
    expect(await service().verify(ask)).toBe(true);
    expect(await service().verify(ask)).toBe(false);
  });

  it('kills a code after five tries, even when they arrive together', async () => {
    const { subjectId, phone } = fresh();
    const { id } = await service().send({ subjectId, purpose: 'login', channel: 'sms', destination: phone });
    const code = sender.lastCode(phone);
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        service().verify({ id, subjectId, purpose: 'login', code: wrong(code) }),
      ),
    );
    expect(results.every((r) => r === false)).toBe(true);
    expect(await service().verify({ id, subjectId, purpose: 'login', code: code ?? '' })).toBe(false);
    const row = await db()
      .selectFrom('one_time_tokens')
      .select(['attempts', 'used_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ attempts: 5, used_at: null });

    // Four wrong tries leave the fifth for the right code.
    const second = fresh();
    const sent = await service().send({
      subjectId: second.subjectId,
      purpose: 'login',
      channel: 'sms',
      destination: second.phone,
    });
    const right = sender.lastCode(second.phone) ?? '';
    for (let i = 0; i < 4; i++) {
      expect(
        await service().verify({
          id: sent.id,
          subjectId: second.subjectId,
          purpose: 'login',
          code: wrong(right),
        }),
      ).toBe(false);
    }
    expect(
      await service().verify({ id: sent.id, subjectId: second.subjectId, purpose: 'login', code: right }),
    ).toBe(true);
  });

  it('expires a code after its lifetime', async () => {
    const first = fresh();
    const second = fresh();
    const a = await service().send({ ...first, purpose: 'login', channel: 'sms', destination: first.phone });
    const b = await service().send({
      ...second,
      purpose: 'login',
      channel: 'sms',
      destination: second.phone,
    });
    advance(299_000);
    expect(
      await service().verify({
        id: a.id,
        subjectId: first.subjectId,
        purpose: 'login',
        code: sender.lastCode(first.phone) ?? '',
      }),
    ).toBe(true);
    advance(1_000);
    expect(
      await service().verify({
        id: b.id,
        subjectId: second.subjectId,
        purpose: 'login',
        code: sender.lastCode(second.phone) ?? '',
      }),
    ).toBe(false);
  });

  it('limits sends to one a minute per destination, however it is spelt', async () => {
    const { subjectId, phone } = fresh();
    await service().send({ subjectId, purpose: 'login', channel: 'sms', destination: phone });
    const spelt = `${phone.slice(0, 3)} ${phone.slice(3, 7)}-${phone.slice(7)}`;
    await expect(
      service().send({ subjectId: 'cus_other', purpose: 'login', channel: 'sms', destination: spelt }),
    ).rejects.toMatchObject({ code: 'AUTH_OTP_RATE_LIMITED', extra: { retryAfterS: 60 } });
    advance(30_000);
    await expect(
      service().send({ subjectId, purpose: 'login', channel: 'sms', destination: phone }),
    ).rejects.toMatchObject({ code: 'AUTH_OTP_RATE_LIMITED', extra: { retryAfterS: 30 } });
    // Another destination is not affected.
    const other = fresh();
    await service().send({ ...other, purpose: 'login', channel: 'sms', destination: other.phone });
    advance(30_000);
    await expect(
      service().send({ subjectId, purpose: 'login', channel: 'sms', destination: phone }),
    ).resolves.toMatchObject({ id: expect.stringMatching(/^ott_/) });
  });

  it('lets only one of several simultaneous sends to a destination through', async () => {
    const { subjectId, phone } = fresh();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        service().send({ subjectId, purpose: 'login', channel: 'sms', destination: phone }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) {
      if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'AUTH_OTP_RATE_LIMITED' });
    }
  });

  it('limits sends to five an hour per destination', async () => {
    const { subjectId, phone } = fresh();
    const send = () => service().send({ subjectId, purpose: 'login', channel: 'sms', destination: phone });
    for (let i = 0; i < 5; i++) {
      await send();
      advance(61_000);
    }
    // The first send was 305 s ago: a slot frees when it is an hour old.
    await expect(send()).rejects.toMatchObject({
      code: 'AUTH_OTP_RATE_LIMITED',
      extra: { retryAfterS: 3_600 - 305 },
    });
    advance((3_600 - 305) * 1_000 - 1_000);
    await expect(send()).rejects.toMatchObject({ code: 'AUTH_OTP_RATE_LIMITED', extra: { retryAfterS: 1 } });
    advance(1_000);
    await expect(send()).resolves.toMatchObject({ id: expect.stringMatching(/^ott_/) });
  });

  it('retires older codes for the same subject and purpose when a new one is sent', async () => {
    const { subjectId, phone } = fresh();
    const email = `Li.Wei.${seq}@Example.com`;
    const older = await service().send({ subjectId, purpose: 'login', channel: 'sms', destination: phone });
    const olderCode = sender.lastCode(phone) ?? '';
    const otherPurpose = await service().send({
      subjectId,
      purpose: 'withdrawal',
      channel: 'email',
      destination: email,
    });
    expect(otherPurpose.destinationMasked).toBe('l*****@example.com');
    const emailCode = sender.lastCode(email) ?? '';
    expect(sender.sent.at(-1)?.destination).toBe(email.toLowerCase());
    advance(61_000);
    const newer = await service().send({ subjectId, purpose: 'login', channel: 'sms', destination: phone });
    const newerCode = sender.lastCode(phone) ?? '';

    expect(await service().verify({ id: older.id, subjectId, purpose: 'login', code: olderCode })).toBe(
      false,
    );
    expect(await service().verify({ id: newer.id, subjectId, purpose: 'login', code: newerCode })).toBe(true);
    expect(
      await service().verify({ id: otherPurpose.id, subjectId, purpose: 'withdrawal', code: emailCode }),
    ).toBe(true);

    const rows = await db()
      .selectFrom('one_time_tokens')
      .select('destination')
      .where('subject_id', '=', subjectId)
      .execute();
    for (const r of rows) {
      expect(r.destination).not.toBe(phone);
      expect(r.destination?.toLowerCase()).not.toContain('example.com');
    }
  });

  it('leaves no usable code behind when the sender fails', async () => {
    const { subjectId, phone } = fresh();
    const failing: OtpSender = {
      name: 'failing',
      send: async () => {
        throw new Error('gateway timeout');
      },
    };
    await expect(
      service(failing).send({ subjectId, purpose: 'login', channel: 'sms', destination: phone }),
    ).rejects.toThrow('gateway timeout');
    const row = await db()
      .selectFrom('one_time_tokens')
      .select(['expires_at'])
      .where('subject_id', '=', subjectId)
      .executeTakeFirstOrThrow();
    expect(row.expires_at.getTime()).toBe(clock.now().getTime());
  });
});

describe('simulated sender', () => {
  it('keeps the latest 1,000 messages and reads codes back by destination', async () => {
    const sender = new SimulatedOtpSender();
    for (let i = 0; i < 1_005; i++) {
      await sender.send({
        channel: 'sms',
        destination: `1390000${String(i).padStart(4, '0')}`,
        text: `Bulwark code ${String(i).padStart(6, '0')}, valid 5 minutes.`,
      });
    }
    expect(sender.sent).toHaveLength(1_000);
    expect(sender.sent[0]?.destination).toBe('13900000005');
    expect(sender.lastCode('13900000004')).toBeUndefined();
    expect(sender.lastCode('139 0000 1004')).toBe('001004');
  });
});
