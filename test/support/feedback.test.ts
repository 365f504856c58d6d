// Proves feedback over HTTP on a controllable clock: the first human answer is due in 24 hours and recorded when given; an item still unanswered at its due time is escalated to a feedback case exactly once; a rating is accepted only after closure and only once; the managers' summary gives the right counts, response times, 24-hour share, rating and weekly trend; the daily limit holds when items arrive at once.
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/clock.ts';
import { LIMITS } from '../../src/support/model.ts';
import { Api, arr, at, expectProblem, str } from '../api/client.ts';
import { DATABASES, staffSession, useBulwark } from '../helpers.ts';
import { asCustomer, outboxOf, timeline } from './helpers.ts';

const HOUR_MS = 3_600_000;

for (const target of DATABASES) {
  describe(`feedback on ${target.name}`, () => {
    const bw = useBulwark(target, { starterRules: false });
    const api = new Api(bw);
    // A Monday, so the weekly trend of this test has one week.
    const t0 = new Date('2031-03-03T08:00:00.000Z');
    const clock = new ManualClock(t0);
    const at0 = (ms: number) => clock.set(new Date(t0.getTime() + ms));
    /** Staff sessions made on the moved clock (an access token lives 15 minutes). */
    const staff = async (role: 'support' | 'analyst' | 'auditor' | 'operations') =>
      api.as((await staffSession(bw(), role)).auth);
    let dora = { id: '', walletId: '' };
    let eve = { id: '', walletId: '' };
    const asDora = () => asCustomer(bw, dora.id);
    let payment = '';
    let security = '';

    beforeAll(async () => {
      dora = await api.customer('Dora');
      eve = await api.customer('Eve');
      bw().clock.use(clock);
    });

    it('takes feedback with its first-response deadline 24 hours later', async () => {
      const a = await asDora().post('/v1/feedback', {
        category: 'payment_problem',
        subject: 'Payment failed twice',
        message: 'My payment to the bakery failed but the money left my wallet.',
      });
      expect(a.status, a.text).toBe(201);
      payment = str(a.body, 'id');
      expect(a.body).toMatchObject({
        status: 'open',
        category: 'payment_problem',
        firstResponseDueAt: new Date(t0.getTime() + 24 * HOUR_MS).toISOString(),
        firstResponseAt: null,
        overdue: false,
        canRate: false,
        messages: [
          { from: 'customer', body: 'My payment to the bakery failed but the money left my wallet.' },
        ],
      });
      const b = await asDora().post('/v1/feedback', {
        category: 'security_concern',
        subject: 'Strange SMS',
        message: 'I got an SMS asking for my code.',
      });
      expect(b.status, b.text).toBe(201);
      security = str(b.body, 'id');
      const mine = await asDora().get('/v1/feedback');
      expect(arr(mine.body, 'feedback').map((f) => at(f, 'id'))).toEqual([security, payment]);
      expectProblem(await asCustomer(bw, eve.id).get(`/v1/feedback/${payment}`), 403, 'AUTH_FORBIDDEN');
    });

    it('records the first human answer and tells the user', async () => {
      at0(23 * HOUR_MS);
      expect(await bw().support.runDue(clock.now())).toMatchObject({ escalatedFeedback: 0 });
      const support = await staff('support');
      const reply = await support.post(`/v1/feedback/${security}/reply`, {
        message: 'We never ask for codes. Please do not share it; you did well to tell us.',
      });
      expect(reply.status, reply.text).toBe(201);
      expect(reply.body).toMatchObject({
        status: 'answered',
        firstResponseAt: clock.now().toISOString(),
        overdue: false,
      });
      expect(await outboxOf(bw(), security)).toEqual([
        {
          topic: 'support.feedback.answered',
          payload: { feedbackId: security, customerId: dora.id, category: 'security_concern' },
        },
      ]);
      // A second answer keeps the first-response time.
      at0(23 * HOUR_MS + 10 * 60_000);
      const again = await (await staff('support')).post(`/v1/feedback/${security}/reply`, {
        message: 'Anything else?',
      });
      expect(str(again.body, 'firstResponseAt')).toBe(new Date(t0.getTime() + 23 * HOUR_MS).toISOString());
      const none = await (await staff('support')).get('/v1/staff/feedback?overdue=true');
      expect(arr(none.body, 'feedback')).toEqual([]);
    });

    it('escalates an item unanswered at its due time, exactly once', async () => {
      at0(24 * HOUR_MS + 60_000);
      expect(await bw().support.runDue(clock.now())).toMatchObject({ escalatedFeedback: 1 });
      at0(25 * HOUR_MS);
      await bw().runMaintenance(clock.now());
      expect(await bw().support.runDue(clock.now())).toMatchObject({ escalatedFeedback: 0 });

      const db = bw().dbHandle.db;
      const alerts = await db.selectFrom('alerts').selectAll().where('source', '=', 'feedback').execute();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ source_ref: payment, type: 'feedback.overdue', subject_id: dora.id });
      const caseId = alerts[0]?.case_id ?? '';
      const kase = await db
        .selectFrom('cases')
        .select(['kind'])
        .where('id', '=', caseId)
        .executeTakeFirstOrThrow();
      expect(kase.kind).toBe('feedback');
      expect((await timeline(bw(), caseId)).map((e) => e.type)).toEqual([
        'case.opened',
        'alert.joined',
        'feedback.escalated',
      ]);

      const queue = await (await staff('auditor')).get('/v1/staff/feedback?overdue=true');
      expect(queue.status, queue.text).toBe(200);
      expect(arr(queue.body, 'feedback')).toEqual([
        expect.objectContaining({
          id: payment,
          overdue: true,
          escalatedCaseId: caseId,
          escalatedAt: new Date(t0.getTime() + 24 * HOUR_MS + 60_000).toISOString(),
        }),
      ]);
    });

    it('takes a rating only after closure, once, and nothing more once closed', async () => {
      expectProblem(
        await asDora().post(`/v1/feedback/${payment}/rating`, { score: 4 }),
        409,
        'SUPPORT_FEEDBACK_STATE',
      );
      at0(26 * HOUR_MS);
      const closed = await (await staff('analyst')).post(`/v1/feedback/${payment}/close`, {
        message: 'The bank returned the money; it is back in your wallet.',
      });
      expect(closed.status, closed.text).toBe(200);
      expect(closed.body).toMatchObject({ status: 'closed', firstResponseAt: clock.now().toISOString() });
      expectProblem(
        await (await staff('operations')).post(`/v1/feedback/${payment}/close`, {}),
        403,
        'AUTH_FORBIDDEN',
      );
      expectProblem(
        await (await staff('analyst')).post(`/v1/feedback/${payment}/close`, {}),
        409,
        'SUPPORT_FEEDBACK_STATE',
      );
      expectProblem(
        await asCustomer(bw, eve.id).post(`/v1/feedback/${payment}/rating`, { score: 1 }),
        403,
        'AUTH_FORBIDDEN',
      );
      const rated = await asDora().post(`/v1/feedback/${payment}/rating`, {
        score: 5,
        comment: 'Quick once seen.',
      });
      expect(rated.status, rated.text).toBe(200);
      expect(rated.body).toMatchObject({ rating: { score: 5, comment: 'Quick once seen.' }, canRate: false });
      expectProblem(
        await asDora().post(`/v1/feedback/${payment}/rating`, { score: 1 }),
        409,
        'SUPPORT_FEEDBACK_STATE',
      );
      expectProblem(
        await asDora().post(`/v1/feedback/${payment}/messages`, { message: 'One more thing' }),
        409,
        'SUPPORT_FEEDBACK_STATE',
      );
      const types = (await timeline(bw(), str(closed.body, 'escalatedCaseId'))).map((e) => e.type);
      expect(types).toEqual(
        expect.arrayContaining(['feedback.answered', 'feedback.closed', 'feedback.rated']),
      );
      // A follow-up puts an answered item back in the queue.
      const follow = await asDora().post(`/v1/feedback/${security}/messages`, {
        message: 'They called again.',
      });
      expect(follow.status, follow.text).toBe(201);
      expect(follow.body).toMatchObject({ status: 'open' });
    });

    it('summarises feedback by category, status, response time, rating and week', async () => {
      const res = await (await staff('support')).get(
        `/v1/staff/feedback/summary?from=${new Date(t0.getTime() - HOUR_MS).toISOString()}&to=${new Date(t0.getTime() + 48 * HOUR_MS).toISOString()}`,
      );
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({
        from: new Date(t0.getTime() - HOUR_MS).toISOString(),
        to: new Date(t0.getTime() + 48 * HOUR_MS).toISOString(),
        total: 2,
        byCategory: {
          payment_problem: 1,
          security_concern: 1,
          suspected_fraud: 0,
          account_access: 0,
          suggestion: 0,
        },
        byStatus: { open: 1, answered: 0, closed: 1 },
        reports: { scam: 0, compromised: 0 },
        firstResponse: {
          answered: 2,
          due: 2,
          answeredWithin24h: 1,
          shareWithin24h: 0.5,
          // 23 h and 26 h: the median is 24.5 h.
          medianMinutes: 24.5 * 60,
        },
        escalated: 1,
        rating: { count: 1, mean: 5 },
        weekly: [
          {
            weekStart: '2031-03-03',
            total: 2,
            byCategory: {
              payment_problem: 1,
              security_concern: 1,
              suspected_fraud: 0,
              account_access: 0,
              suggestion: 0,
            },
          },
        ],
      });
      expectProblem(
        await (await staff('support')).get(
          '/v1/staff/feedback/summary?from=2031-01-01T00:00:00Z&to=2030-01-01T00:00:00Z',
        ),
        400,
        'VALIDATION_FAILED',
      );
      bw().clock.reset();
    });

    it('holds the daily limit of feedback when items arrive at once', async () => {
      const fin = await api.customer('Fin');
      const results = await Promise.all(
        Array.from({ length: LIMITS.feedbackPerDayMax + 2 }, (_, i) =>
          asCustomer(bw, fin.id).post('/v1/feedback', {
            category: 'suggestion',
            subject: `Idea ${i}`,
            message: 'Dark mode, please.',
          }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(LIMITS.feedbackPerDayMax);
      for (const r of results.filter((x) => x.status !== 201)) {
        expectProblem(r, 422, 'SUPPORT_LIMIT_REACHED');
      }
    });
  });
}
