import { sql } from 'kysely';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { FEEDBACK_CATEGORIES, type FeedbackCategory, type FeedbackStatus, LIMITS } from './model.ts';

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

/**
 * Feedback for managers (K3, and a reputation signal for G11): counts by category and
 * status, how fast people answered (median first response, share within 24 hours), the
 * users' ratings and the weekly trend by category, over items created in [from, to).
 *
 * The 24-hour share counts items whose answer was due by `now` or that were answered:
 * an item written an hour ago is not yet late and does not lower it.
 */
export async function feedbackSummary(db: Db, range: { from: Date; to: Date }, now: Date) {
  const { from, to } = range;
  if (to.getTime() <= from.getTime()) {
    throw new AppError('VALIDATION_FAILED', 'to must be after from.', { field: 'to' });
  }
  if (to.getTime() - from.getTime() > LIMITS.summaryRangeDaysMax * 86_400_000) {
    throw new AppError('VALIDATION_FAILED', `The range is at most ${LIMITS.summaryRangeDaysMax} days.`, {
      field: 'from',
    });
  }
  const inRange = sql`created_at >= ${from} and created_at < ${to}`;
  // Two passes over the range: the totals, and the counts by week and category (which also
  // give the counts by category).
  const [totals, weekly] = await Promise.all([
    sql<{
      status_open: number;
      status_answered: number;
      status_closed: number;
      total: number;
      answered: number;
      due: number;
      within: number;
      median_s: number | null;
      escalated: number;
      rated: number;
      mean_rating: number | null;
      scam: number;
      compromised: number;
    }>`
      select count(*) filter (where status = 'open')::int as status_open,
        count(*) filter (where status = 'answered')::int as status_answered,
        count(*) filter (where status = 'closed')::int as status_closed,
        count(*)::int as total,
        count(*) filter (where first_response_at is not null)::int as answered,
        count(*) filter (where first_response_at is not null or first_response_due_at <= ${now})::int as due,
        count(*) filter (where first_response_at is not null
          and first_response_at <= created_at + interval '24 hours')::int as within,
        (percentile_cont(0.5) within group (order by extract(epoch from first_response_at - created_at))
          filter (where first_response_at is not null))::float8 as median_s,
        count(*) filter (where escalated_at is not null)::int as escalated,
        count(rating)::int as rated,
        avg(rating)::float8 as mean_rating,
        count(*) filter (where report_kind = 'scam')::int as scam,
        count(*) filter (where report_kind = 'compromised')::int as compromised
      from support_feedback where ${inRange}`.execute(db),
    sql<{ week: string; category: FeedbackCategory; n: number }>`
      select to_char(date_trunc('week', created_at at time zone 'UTC'), 'YYYY-MM-DD') as week,
        category, count(*)::int as n
      from support_feedback where ${inRange} group by 1, 2 order by 1, 2`.execute(db),
  ]);
  const t = totals.rows[0];
  const categories = zeros(FEEDBACK_CATEGORIES);
  const weeks = new Map<
    string,
    { weekStart: string; total: number; byCategory: Record<FeedbackCategory, number> }
  >();
  for (const r of weekly.rows) {
    let w = weeks.get(r.week);
    if (!w) {
      w = { weekStart: r.week, total: 0, byCategory: zeros(FEEDBACK_CATEGORIES) };
      weeks.set(r.week, w);
    }
    w.byCategory[r.category] = r.n;
    w.total += r.n;
    categories[r.category] += r.n;
  }
  const round1 = (v: number) => Math.round(v * 10) / 10;
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    total: t?.total ?? 0,
    byCategory: categories,
    byStatus: {
      open: t?.status_open ?? 0,
      answered: t?.status_answered ?? 0,
      closed: t?.status_closed ?? 0,
    } satisfies Record<FeedbackStatus, number>,
    reports: { scam: t?.scam ?? 0, compromised: t?.compromised ?? 0 },
    firstResponse: {
      answered: t?.answered ?? 0,
      due: t?.due ?? 0,
      answeredWithin24h: t?.within ?? 0,
      shareWithin24h: t && t.due > 0 ? Math.round((t.within / t.due) * 1000) / 1000 : null,
      medianMinutes: t?.median_s === null || t?.median_s === undefined ? null : round1(t.median_s / 60),
    },
    escalated: t?.escalated ?? 0,
    rating: {
      count: t?.rated ?? 0,
      mean:
        t?.mean_rating === null || t?.mean_rating === undefined
          ? null
          : Math.round(t.mean_rating * 100) / 100,
    },
    weekly: [...weeks.values()],
  };
}
