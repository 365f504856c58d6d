import { sql } from 'kysely';
import type { LedgerService } from '../ledger/service.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import { OUTCOMES } from './schemas.ts';
import { iso } from './views.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const SERIES_MINUTES = 60;

/**
 * The live figures of the console's dashboard. Every query reads a bounded time window
 * through an index on its time column (or only pending rows), so the cost follows the
 * recent activity, not the size of the journal.
 */
export class Dashboard {
  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerService,
    private readonly clock: Clock,
  ) {}

  async figures() {
    const now = this.clock.now();
    const [movements, decisions, holds, alerts, approvals, custody, head] = await Promise.all([
      this.movements(now),
      this.decisions(now),
      this.holds(now),
      this.alerts(now),
      this.db
        .selectFrom('approval_requests')
        .select((eb) => eb.fn.countAll<bigint>().as('n'))
        .where('status', '=', 'pending')
        .where('expires_at', '>', now)
        .executeTakeFirstOrThrow(),
      this.ledger.custodyCheck(),
      this.ledger.chainHead(),
    ]);
    return {
      at: iso(now),
      movements,
      decisions,
      holds,
      alerts,
      pendingApprovals: Number(approvals.n),
      custody: {
        ok: custody.ok,
        checkedAt: iso(custody.checkedAt),
        currencies: custody.currencies.map((c) => ({
          currency: c.currency,
          custodyMinor: c.custodyMinor.toString(),
          walletsMinor: c.walletsMinor.toString(),
          differenceMinor: c.differenceMinor.toString(),
          wallets: c.wallets,
        })),
      },
      chain: { seq: head.seq.toString(), hash: head.hash },
    };
  }

  /** Journal entries per minute over the last 60 whole minutes, the current one included. */
  private async movements(now: Date) {
    const lastMinute = Math.floor(now.getTime() / MINUTE_MS);
    const firstMinute = lastMinute - SERIES_MINUTES + 1;
    const from = new Date(firstMinute * MINUTE_MS);
    const to = new Date((lastMinute + 1) * MINUTE_MS);
    // Minutes counted from the epoch: the buckets do not depend on the session's time zone.
    const rows = await sql<{ minute: bigint; n: bigint }>`
      select floor(extract(epoch from occurred_at) / 60)::int8 as minute, count(*)::int8 as n
      from ledger_entries where occurred_at >= ${from} and occurred_at < ${to}
      group by 1`.execute(this.db);
    const counts = new Map(rows.rows.map((r) => [Number(r.minute), Number(r.n)]));
    const perMinute = Array.from({ length: SERIES_MINUTES }, (_v, i) => ({
      minute: iso(new Date((firstMinute + i) * MINUTE_MS)),
      count: counts.get(firstMinute + i) ?? 0,
    }));
    return {
      from: iso(from),
      to: iso(to),
      total: perMinute.reduce((sum, m) => sum + m.count, 0),
      perMinute,
    };
  }

  /** Decision outcomes over the last 24 hours, every outcome listed (zero when none). */
  private async decisions(now: Date) {
    const from = new Date(now.getTime() - DAY_MS);
    const rows = await this.db
      .selectFrom('risk_decisions')
      .select(['outcome', (eb) => eb.fn.countAll<bigint>().as('n')])
      .where('created_at', '>=', from)
      .where('created_at', '<=', now)
      .groupBy('outcome')
      .execute();
    const counts = new Map(rows.map((r) => [r.outcome, Number(r.n)]));
    const total = rows.reduce((sum, r) => sum + Number(r.n), 0);
    return {
      from: iso(from),
      to: iso(now),
      total,
      outcomes: OUTCOMES.map((outcome) => {
        const count = counts.get(outcome) ?? 0;
        return { outcome, count, rate: total === 0 ? 0 : Math.round((count / total) * 10_000) / 10_000 };
      }),
    };
  }

  /** Pending holds: what they keep reserved per currency, and how long they have waited. */
  private async holds(now: Date) {
    const hourAgo = new Date(now.getTime() - HOUR_MS);
    const dayAgo = new Date(now.getTime() - DAY_MS);
    const rows = await sql<{ currency: string; n: bigint; held: bigint; recent: bigint; old: bigint }>`
      select currency, count(*)::int8 as n, sum(amount_minor - posted_minor)::int8 as held,
        count(*) filter (where created_at > ${hourAgo})::int8 as recent,
        count(*) filter (where created_at <= ${dayAgo})::int8 as old
      from ledger_holds where status = 'pending'
      group by currency order by currency`.execute(this.db);
    let pending = 0;
    let recent = 0;
    let old = 0;
    for (const r of rows.rows) {
      pending += Number(r.n);
      recent += Number(r.recent);
      old += Number(r.old);
    }
    return {
      pending,
      byCurrency: rows.rows.map((r) => ({
        currency: r.currency,
        count: Number(r.n),
        amountMinor: BigInt(r.held).toString(),
      })),
      byAge: { underOneHour: recent, oneToTwentyFourHours: pending - recent - old, overTwentyFourHours: old },
    };
  }

  /** Open alerts by age and severity, and how many are past their service level (the open-alert index). */
  private async alerts(now: Date) {
    const hourAgo = new Date(now.getTime() - HOUR_MS);
    const dayAgo = new Date(now.getTime() - DAY_MS);
    const rows = await sql<{ severity: string; n: bigint; recent: bigint; old: bigint; overdue: bigint }>`
      select severity, count(*)::int8 as n,
        count(*) filter (where created_at > ${hourAgo})::int8 as recent,
        count(*) filter (where created_at <= ${dayAgo})::int8 as old,
        count(*) filter (where due_at < ${now})::int8 as overdue
      from alerts where status = 'open'
      group by severity`.execute(this.db);
    let open = 0;
    let recent = 0;
    let old = 0;
    let overdue = 0;
    const bySeverity = { critical: 0, high: 0, medium: 0, low: 0 };
    for (const r of rows.rows) {
      open += Number(r.n);
      recent += Number(r.recent);
      old += Number(r.old);
      overdue += Number(r.overdue);
      if (r.severity in bySeverity) bySeverity[r.severity as keyof typeof bySeverity] = Number(r.n);
    }
    return {
      open,
      overdue,
      bySeverity,
      byAge: { underOneHour: recent, oneToTwentyFourHours: open - recent - old, overTwentyFourHours: old },
    };
  }
}
