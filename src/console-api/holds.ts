import { sql } from 'kysely';
import type { Db } from '../platform/db.ts';
import { decodeCursor, pageOf } from './cursor.ts';
import { exactTime, holdItem } from './views.ts';

export interface HoldSearch {
  status?: string | undefined;
  accountId?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/**
 * Holds with what an analyst decides on: the decision that held the money (outcome,
 * reasons, the words the customer was shown), the account and its owner.
 */
export function holdRows(db: Db) {
  return db
    .selectFrom('ledger_holds as h')
    .innerJoin('ledger_accounts as a', 'a.id', 'h.account_id')
    .innerJoin('risk_decisions as d', 'd.id', 'h.decision_id')
    .leftJoin('customers as c', 'c.id', 'a.owner_id')
    .leftJoin('merchants as m', 'm.id', 'a.owner_id')
    .select([
      'h.id',
      'h.status',
      'h.kind',
      'h.amount_minor',
      'h.posted_minor',
      'h.currency',
      'h.account_id',
      'h.metadata',
      'h.entry_id',
      'h.expires_at',
      'h.created_at',
      'h.updated_at',
      'a.owner_id',
      'c.display_name as customer_name',
      'm.name as merchant_name',
      'd.id as decision_id',
      'd.outcome',
      'd.reason_codes',
      'd.customer_message',
      exactTime('h.created_at').as('cursor_at'),
    ]);
}

/**
 * The hold list. Pending holds come oldest first, the order a review queue is worked in
 * (and the one that finds holds about to expire); any other status, or all of them,
 * newest first. The cursor tag carries the direction, so a cursor cannot flip it.
 */
export async function listHolds(db: Db, s: HoldSearch) {
  const queue = s.status === 'pending';
  const tag = queue ? 'hq' : 'hl';
  const dir = queue ? 'asc' : 'desc';
  let query = holdRows(db)
    .orderBy('h.created_at', dir)
    .orderBy('h.id', dir)
    .limit(s.limit + 1);
  if (s.status !== undefined) query = query.where('h.status', '=', s.status);
  if (s.accountId !== undefined) query = query.where('h.account_id', '=', s.accountId);
  if (s.cursor !== undefined) {
    const p = decodeCursor(tag, s.cursor, true);
    query = query.where(
      queue
        ? sql<boolean>`(h.created_at, h.id) > (${p.at}::timestamptz, ${p.key})`
        : sql<boolean>`(h.created_at, h.id) < (${p.at}::timestamptz, ${p.key})`,
    );
  }
  const page = pageOf(await query.execute(), s.limit, tag, (r) => ({ at: r.cursor_at, key: r.id }));
  return { items: page.rows.map(holdItem), nextCursor: page.nextCursor };
}
