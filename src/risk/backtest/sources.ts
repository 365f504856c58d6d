import { sql } from 'kysely';
import type { Db } from '../../platform/db.ts';
import type { CustomerFacts, MemoryProfileSource } from '../features/profile.ts';
import { decisionHistory, type HistoryRange } from '../history.ts';
import { isRuleAction } from '../rules/model.ts';
import type { BacktestItem } from './run.ts';

/**
 * What a back-test reads from the database besides the history itself: the facts of the
 * period's parties that are older than the replay (registration dates, tiers, password and
 * phone changes, merchants), and the rule outcome each live decision stored.
 */

/** As the live profile source names it (`db-profile.ts`). */
const PHONE_CHANGE_ACTION = 'identity.phone.change';
/** Decisions whose stored rule outcome is looked up in one query. */
const LIVE_OUTCOME_CHUNK = 1000;

export interface PartyFacts {
  customers: Array<{ id: string; facts: CustomerFacts }>;
  merchants: Array<{ id: string; createdAt: Date }>;
}

/**
 * The parties of a period (acting customers and counterparties) as they stood before it.
 * The KYC tier is today's: tiers change outside the event stream and are not versioned.
 */
export async function loadPartyFacts(db: Db, range: { from: Date; to: Date }): Promise<PartyFacts> {
  const from = range.from.toISOString();
  const to = range.to.toISOString();
  const parties = sql`
    select subject_id as id from risk_decisions
    where coalesce(event_at, created_at) >= ${from}::timestamptz and coalesce(event_at, created_at) < ${to}::timestamptz
      and subject_id is not null
    union
    select input->>'counterpartyId' as id from risk_decisions
    where coalesce(event_at, created_at) >= ${from}::timestamptz and coalesce(event_at, created_at) < ${to}::timestamptz
      and input->>'counterpartyId' is not null`;
  const customers = await sql<{
    id: string;
    created_at: Date;
    kyc_tier: number;
    password_changed_at: Date | null;
    login_created_at: Date | null;
    phone_changed_at: Date | null;
  }>`
    with parties as (${parties})
    select c.id, c.created_at, c.kyc_tier, l.password_changed_at, l.created_at as login_created_at,
      (select max(a.at) from audit_log a
        where a.target_type = 'customer' and a.target_id = c.id and a.action = ${PHONE_CHANGE_ACTION}
          and a.at < ${from}::timestamptz) as phone_changed_at
    from customers c
    join parties p on p.id = c.id
    left join customer_logins l on l.customer_id = c.id
    order by c.id`.execute(db);
  const merchants = await sql<{ id: string; created_at: Date }>`
    with parties as (${parties})
    select m.id, m.created_at from merchants m join parties p on p.id = m.id order by m.id`.execute(db);
  const start = range.from.getTime();
  return {
    customers: customers.rows.map((r) => {
      const pw = r.password_changed_at;
      // Registration sets the password; only a later change before the replay counts (a change
      // inside the period arrives as a replayed event).
      const changed =
        pw !== null &&
        pw.getTime() < start &&
        (r.login_created_at === null || pw.getTime() > r.login_created_at.getTime())
          ? pw
          : null;
      return {
        id: r.id,
        facts: {
          createdAt: r.created_at,
          kycTier: r.kyc_tier,
          passwordChangedAt: changed,
          phoneChangedAt: r.phone_changed_at,
        },
      };
    }),
    merchants: merchants.rows.map((r) => ({ id: r.id, createdAt: r.created_at })),
  };
}

/** Seeds a replay's profile source with the parties' facts. */
export function seedProfile(profile: MemoryProfileSource, parties: PartyFacts): void {
  for (const c of parties.customers) profile.seedCustomer(c.id, c.facts);
  for (const m of parties.merchants) profile.seedMerchant(m.id, m.createdAt);
}

/** The period's history, each item with the rule outcome its live decision stored. */
export async function* backtestHistory(db: Db, range: HistoryRange): AsyncGenerator<BacktestItem> {
  let chunk: BacktestItem[] = [];
  const flush = async (): Promise<BacktestItem[]> => {
    const items = chunk;
    chunk = [];
    const ids = items.filter((i) => i.revision !== null).map((i) => i.decisionId);
    if (ids.length === 0) return items;
    const rows = await db
      .selectFrom('risk_decisions')
      .select(['id', sql<string | null>`detail->'rules'->>'outcome'`.as('outcome')])
      .where('id', 'in', ids)
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r.outcome]));
    for (const item of items) {
      const o = byId.get(item.decisionId);
      item.liveRuleOutcome = o !== undefined && o !== null && isRuleAction(o) ? o : null;
    }
    return items;
  };
  for await (const item of decisionHistory(db, range)) {
    chunk.push(item);
    if (chunk.length >= LIVE_OUTCOME_CHUNK) yield* await flush();
  }
  yield* await flush();
}
