// Proves the dashboard figures of GET /v1/overview against activity made on a manual clock: movements per minute over the last hour, decision outcomes and rates over 24 hours, pending holds by currency and age, pending approvals, custody and the chain head, and who may read them.
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_ROLES, can, STAFF_ROLES } from '../../src/access/permissions.ts';
import type { ManualClock } from '../../src/platform/clock.ts';
import { manualClock } from '../access/support.ts';
import { Api, arr, at, expectProblem, str } from '../api/client.ts';
import { DATABASES, staffSession, useBulwark } from '../helpers.ts';

const HOUR_MS = 3_600_000;

for (const target of DATABASES) {
  describe(`dashboard overview on ${target.name}`, () => {
    const bw = useBulwark(target);
    const api = new Api(bw);
    let clock: ManualClock;
    let advance: (ms: number) => void = () => undefined;
    let t0 = new Date();
    let heldId = '';

    /** The overview as a staff user signed in at the clock's current time (tokens follow the clock). */
    const overview = async () => {
      const staff = await staffSession(bw(), 'support');
      const res = await api.as(staff.auth).get('/v1/overview');
      expect(res.status, res.text).toBe(200);
      return res.body;
    };
    const outcomes = (body: unknown) =>
      Object.fromEntries(arr(body, 'decisions', 'outcomes').map((o) => [str(o, 'outcome'), at(o, 'count')]));

    beforeAll(async () => {
      ({ clock, advance } = manualClock(bw()));
      // Mid-minute, so every movement below falls in the same minute bucket.
      t0 = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 30_000);
      clock.set(t0);
      const payer = await api.fundedCustomer('Dash Payer', '5000000', '3000000');
      const payee = await api.customer('Dash Payee');
      for (const amount of ['100', '200', '300']) {
        expect((await api.transfer(payer.walletId, payee.walletId, amount)).status).toBe(201);
      }
      const held = await api.transfer(payer.walletId, payee.walletId, '2000000');
      expect(held.status, held.text).toBe(202);
      heldId = str(held.body, 'holdId');
      const blocked = await api.transfer(payer.walletId, payee.walletId, '5000001');
      expect(blocked.status, blocked.text).toBe(422);
      expect((await api.post(`/v1/owners/${payee.id}/freeze`, { reason: 'dashboard test' })).status).toBe(
        200,
      );
      const asked = await api
        .asStaff('analyst')
        .post(`/v1/owners/${payee.id}/unfreeze`, { reason: 'checked' });
      expect(asked.status, asked.text).toBe(202);
    });

    it('counts the last hour per minute, the last day per outcome, pending holds, alerts, approvals, custody and chain', async () => {
      // The held transfer becomes an alert (the maintenance round's intake).
      expect(await bw().cases.intakeDecisions()).toBe(1);
      const body = await overview();
      expect(str(body, 'at')).toBe(t0.toISOString());

      // 2 top-ups and 3 transfers were posted; the held and the blocked transfer are not entries.
      const minutes = arr(body, 'movements', 'perMinute');
      expect(minutes).toHaveLength(60);
      expect(at(minutes, 59)).toEqual({ minute: new Date(t0.getTime() - 30_000).toISOString(), count: 5 });
      expect(minutes.slice(0, 59).every((m) => at(m, 'count') === 0)).toBe(true);
      expect(at(body, 'movements', 'total')).toBe(5);
      expect(str(body, 'movements', 'from')).toBe(
        new Date(t0.getTime() - 30_000 - 59 * 60_000).toISOString(),
      );

      expect(at(body, 'decisions', 'total')).toBe(7);
      expect(outcomes(body)).toEqual({ ALLOW: 5, CHALLENGE: 0, REVIEW: 1, BLOCK: 1, BLOCK_AND_FREEZE: 0 });
      const rates = Object.fromEntries(
        arr(body, 'decisions', 'outcomes').map((o) => [str(o, 'outcome'), at(o, 'rate')]),
      );
      expect(rates).toMatchObject({ ALLOW: 0.7143, REVIEW: 0.1429, BLOCK: 0.1429, CHALLENGE: 0 });

      expect(at(body, 'holds')).toEqual({
        pending: 1,
        byCurrency: [{ currency: 'CNY', count: 1, amountMinor: '2000000' }],
        byAge: { underOneHour: 1, oneToTwentyFourHours: 0, overTwentyFourHours: 0 },
      });
      expect(at(body, 'alerts')).toMatchObject({
        open: 1,
        overdue: 0,
        byAge: { underOneHour: 1, oneToTwentyFourHours: 0, overTwentyFourHours: 0 },
      });
      expect(at(body, 'pendingApprovals')).toBe(1);

      expect(at(body, 'custody', 'ok')).toBe(true);
      const cny = arr(body, 'custody', 'currencies').find((c) => str(c, 'currency') === 'CNY');
      expect(cny).toMatchObject({ custodyMinor: '8000000', walletsMinor: '8000000', differenceMinor: '0' });
      const head = await api.get('/v1/ledger/chain');
      expect(at(body, 'chain')).toEqual(head.body);
      expect(str(body, 'chain', 'seq')).toBe('5');
    });

    it('moves its windows with time: old movements leave the hour, old decisions the day, holds age', async () => {
      advance(2 * HOUR_MS);
      const later = await overview();
      expect(at(later, 'movements', 'total')).toBe(0);
      expect(at(later, 'decisions', 'total')).toBe(7);
      expect(at(later, 'holds', 'byAge')).toEqual({
        underOneHour: 0,
        oneToTwentyFourHours: 1,
        overTwentyFourHours: 0,
      });
      expect(at(later, 'pendingApprovals')).toBe(1);

      advance(23 * HOUR_MS);
      const nextDay = await overview();
      expect(at(nextDay, 'decisions', 'total')).toBe(0);
      expect(arr(nextDay, 'decisions', 'outcomes').every((o) => at(o, 'rate') === 0)).toBe(true);
      expect(at(nextDay, 'holds', 'byAge')).toEqual({
        underOneHour: 0,
        oneToTwentyFourHours: 0,
        overTwentyFourHours: 1,
      });
      // The approval request expired unanswered after a day; it no longer waits for anyone.
      expect(at(nextDay, 'pendingApprovals')).toBe(0);

      const released = await api
        .as((await staffSession(bw(), 'analyst')).auth)
        .post(`/v1/holds/${heldId}/void`, {
          reason: 'dashboard test',
        });
      expect(released.status, released.text).toBe(200);
      expect(at(await overview(), 'holds')).toMatchObject({ pending: 0, byCurrency: [] });
    });

    it('is for every staff role and no one else', async () => {
      expect(STAFF_ROLES.every((role) => can(role, 'dashboard.read'))).toBe(true);
      expect(ALL_ROLES.filter((role) => can(role, 'dashboard.read'))).toEqual([...STAFF_ROLES]);
      expectProblem(await api.get('/v1/overview'), 403, 'AUTH_FORBIDDEN');
    });
  });
}
