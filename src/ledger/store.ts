import { type RawBuilder, sql } from 'kysely';
import type { Tx } from '../platform/db.ts';
import type { Currency } from '../platform/money.ts';
import type { OutboxEvent } from '../platform/outbox.ts';
import type { BatchState, ReversibleEntry } from './batch.ts';
import type { StoredResponse } from './commands.ts';
import type { Account, AccountKind, AccountStatus, EntryKind, Hold, HoldStatus } from './types.ts';

/**
 * The ledger's SQL. Every function receives the transaction; nothing here decides
 * anything. Reads lock rows in sorted order; the batch is written in one statement.
 */

export async function lockChainHead(tx: Tx): Promise<{ seq: bigint; hash: string }> {
  const head = await sql<{ seq: bigint; hash: string }>`
    select seq, hash from ledger_chain_head where id = 1 for update`.execute(tx);
  const row = head.rows[0];
  if (!row) throw new Error('ledger chain head is missing');
  return { seq: BigInt(row.seq), hash: row.hash };
}

export interface KeyRef {
  scope: string;
  key: string;
}

/** Which of these idempotency keys are already stored (read after taking the chain-head lock). */
export async function existingKeys(tx: Tx, keys: KeyRef[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await sql<{ scope: string; key: string }>`
    select k.scope, k.key from idempotency_keys k
    join unnest(${keys.map((k) => k.scope)}::text[], ${keys.map((k) => k.key)}::text[]) as v(scope, key)
      on k.scope = v.scope and k.key = v.key`.execute(tx);
  return new Set(rows.rows.map((r) => keyId(r)));
}

export function keyId(k: KeyRef): string {
  return `${k.scope}\u0000${k.key}`;
}

/**
 * Locks the accounts in id order and, in the same round trip, reads which of `keys`
 * are already stored (one statement instead of two on the hot path; it runs after the
 * chain-head lock, so it sees every key committed before).
 */
export async function loadAccountsAndKeys(
  tx: Tx,
  ids: string[],
  keys: KeyRef[],
): Promise<{ accounts: Map<string, Account>; existing: Set<string> }> {
  if (ids.length === 0) return { accounts: new Map(), existing: await existingKeys(tx, keys) };
  ids.sort();
  const rows = await sql<AccountRow & { existing: Array<[string, string]> | null }>`
    select id, kind, currency, normal_side, is_credit_line, owner_id, status, posted_minor, held_minor,
      (select json_agg(json_build_array(k.scope, k.key)) from idempotency_keys k
        join unnest(${keys.map((k) => k.scope)}::text[], ${keys.map((k) => k.key)}::text[]) as v(scope, key)
        on k.scope = v.scope and k.key = v.key) as existing
    from ledger_accounts where id = any(${ids}::text[]) order by id for update`.execute(tx);
  const existing = new Set<string>();
  for (const [scope, key] of rows.rows[0]?.existing ?? []) existing.add(keyId({ scope, key }));
  return { accounts: toAccounts(rows.rows), existing };
}

interface AccountRow {
  id: string;
  kind: AccountKind;
  currency: Currency;
  normal_side: 'debit' | 'credit';
  is_credit_line: boolean;
  owner_id: string;
  status: AccountStatus;
  posted_minor: bigint;
  held_minor: bigint;
}

function toAccounts(rows: AccountRow[]): Map<string, Account> {
  const map = new Map<string, Account>();
  for (const r of rows) {
    map.set(r.id, {
      id: r.id,
      kind: r.kind,
      currency: r.currency,
      normalSide: r.normal_side,
      isCreditLine: r.is_credit_line,
      ownerId: r.owner_id,
      status: r.status,
      postedMinor: BigInt(r.posted_minor),
      heldMinor: BigInt(r.held_minor),
    });
  }
  return map;
}

export async function loadAccounts(tx: Tx, ids: string[]): Promise<Map<string, Account>> {
  if (ids.length === 0) return new Map();
  ids.sort();
  const rows = await sql<AccountRow>`
    select id, kind, currency, normal_side, is_credit_line, owner_id, status, posted_minor, held_minor
    from ledger_accounts where id = any(${ids}::text[]) order by id for update`.execute(tx);
  return toAccounts(rows.rows);
}

export async function loadHolds(tx: Tx, ids: string[]): Promise<Map<string, Hold>> {
  if (ids.length === 0) return new Map();
  ids.sort();
  const rows =
    await sql<HoldRow>`select * from ledger_holds where id = any(${ids}::text[]) order by id for update`.execute(
      tx,
    );
  return new Map(rows.rows.map((r) => [r.id, toHold(r)]));
}

export interface HoldRow {
  id: string;
  account_id: string;
  currency: string;
  amount_minor: bigint;
  posted_minor: bigint;
  status: string;
  kind: string;
  rule: string;
  params: Record<string, string>;
  metadata: Record<string, string>;
  decision_id: string;
  entry_id: string | null;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
}

/** A hold row as the ledger's type; the CHECK constraints guarantee the status, kind and currency values. */
export function toHold(r: HoldRow): Hold {
  return {
    id: r.id,
    accountId: r.account_id,
    currency: r.currency as Currency,
    amountMinor: BigInt(r.amount_minor),
    postedMinor: BigInt(r.posted_minor),
    status: r.status as HoldStatus,
    kind: r.kind as EntryKind,
    rule: r.rule,
    params: r.params,
    metadata: r.metadata,
    decisionId: r.decision_id,
    entryId: r.entry_id,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function loadOriginals(tx: Tx, ids: string[]): Promise<Map<string, ReversibleEntry>> {
  const map = new Map<string, ReversibleEntry>();
  if (ids.length === 0) return map;
  ids.sort();
  // Locking the original serialises refunds of one payment, so together they never exceed it.
  const rows = await sql<{
    id: string;
    rule: string;
    params: Record<string, string>;
    currency: Currency;
    amount_minor: bigint;
    reverses_id: string | null;
  }>`select id, rule, params, currency, amount_minor, reverses_id from ledger_entries
     where id = any(${ids}::text[]) order by id for update`.execute(tx);
  const reversed = await sql<{ reverses_id: string; total: bigint }>`
    select reverses_id, sum(amount_minor)::int8 as total from ledger_entries
    where reverses_id = any(${ids}::text[]) group by reverses_id`.execute(tx);
  const totals = new Map(reversed.rows.map((r) => [r.reverses_id, BigInt(r.total)]));
  for (const r of rows.rows) {
    map.set(r.id, {
      id: r.id,
      rule: r.rule,
      params: r.params,
      currency: r.currency,
      amountMinor: BigInt(r.amount_minor),
      reversedMinor: totals.get(r.id) ?? 0n,
      reversesId: r.reverses_id,
    });
  }
  return map;
}

export interface KeyResponse extends KeyRef {
  requestHash: string;
  response: StoredResponse;
}

/** Raised when a key was stored by a concurrent request between the check and the write. */
export class IdempotencyRace extends Error {
  readonly code = 'BULWARK_IDEMPOTENCY_RACE';
}

/**
 * Updates join the unnest rows and also name the ids with `= any(...)`: without it the
 * planner hash-joins a sequential scan of the whole table.
 *
 * Writes everything a batch produced in one statement of data-modifying CTEs:
 * decisions, entries, postings, holds and their events, balances, the chain head,
 * outbox events and the idempotency keys with their responses. One round trip instead
 * of one per table keeps the ledger transaction short, which is what the hot accounts wait on.
 */
export async function writeBatch(
  tx: Tx,
  s: BatchState,
  events: OutboxEvent[],
  keys: KeyResponse[],
): Promise<void> {
  const parts: RawBuilder<unknown>[] = [];
  const d = s.decisions;
  if (d.length > 0) {
    parts.push(sql`d as (
      insert into risk_decisions (id, event_type, subject_id, currency, amount_minor, outcome, reason_codes,
        customer_message, policy, input, latency_us, created_at, event_at, score, degraded, detail)
      select id, et, sid, cur, amt, oc, rc::jsonb, msg, pol, inp::jsonb, lat, at, eat, sc, dg, det::jsonb
      from unnest(${d.map((x) => x.id)}::text[], ${d.map((x) => x.eventType)}::text[],
        ${d.map((x) => x.subjectId)}::text[], ${d.map((x) => x.currency)}::text[],
        ${d.map((x) => x.amountMinor.toString())}::int8[], ${d.map((x) => x.outcome)}::text[],
        ${d.map((x) => JSON.stringify(x.reasonCodes))}::text[], ${d.map((x) => x.customerMessage)}::text[],
        ${d.map((x) => x.policy)}::text[], ${d.map((x) => JSON.stringify(x.input))}::text[],
        ${d.map((x) => x.latencyUs)}::int[], ${d.map((x) => x.createdAt.toISOString())}::timestamptz[],
        ${d.map((x) => (x.eventAt ?? x.createdAt).toISOString())}::timestamptz[], ${d.map((x) => x.score ?? 0)}::float8[],
        ${d.map((x) => x.degraded ?? false)}::bool[], ${d.map((x) => (x.detail ? JSON.stringify(x.detail) : null))}::text[])
        as v(id, et, sid, cur, amt, oc, rc, msg, pol, inp, lat, at, eat, sc, dg, det))`);
  }
  const e = s.entries;
  if (e.length > 0) {
    parts.push(sql`e as (
      insert into ledger_entries (seq, id, kind, occurred_at, decision_id, reverses_id, hold_id, rule,
        amount_minor, currency, params, metadata, prev_hash, hash)
      select seq, id, kind, at, dec, rev, hid, rule, amt, cur, par::jsonb, meta::jsonb, ph, h
      from unnest(${e.map((x) => x.seq.toString())}::int8[], ${e.map((x) => x.id)}::text[],
        ${e.map((x) => x.kind)}::text[], ${e.map((x) => x.occurredAt.toISOString())}::timestamptz[],
        ${e.map((x) => x.decisionId)}::text[], ${e.map((x) => x.reversesId)}::text[],
        ${e.map((x) => x.holdId)}::text[], ${e.map((x) => x.rule)}::text[],
        ${e.map((x) => x.amountMinor.toString())}::int8[], ${e.map((x) => x.currency)}::text[],
        ${e.map((x) => JSON.stringify(x.params))}::text[], ${e.map((x) => JSON.stringify(x.metadata))}::text[],
        ${e.map((x) => x.prevHash)}::text[], ${e.map((x) => x.hash)}::text[])
        as v(seq, id, kind, at, dec, rev, hid, rule, amt, cur, par, meta, ph, h))`);
    const p = e.flatMap((x) => x.postings.map((q) => ({ seq: x.seq, ...q })));
    parts.push(sql`p as (
      insert into ledger_postings (entry_seq, idx, account_id, amount_minor, balance_after_minor)
      select * from unnest(${p.map((q) => q.seq.toString())}::int8[], ${p.map((q) => q.idx)}::int2[],
        ${p.map((q) => q.accountId)}::text[], ${p.map((q) => q.amountMinor.toString())}::int8[],
        ${p.map((q) => q.balanceAfterMinor.toString())}::int8[]))`);
    parts.push(sql`c as (
      update ledger_chain_head set seq = ${s.headSeq.toString()}::int8, hash = ${s.headHash} where id = 1)`);
  }
  const h = s.newHolds;
  if (h.length > 0) {
    parts.push(sql`hn as (
      insert into ledger_holds (id, account_id, currency, amount_minor, posted_minor, status, kind, rule, params,
        metadata, decision_id, entry_id, expires_at, created_at, updated_at)
      select id, acc, cur, amt, pm, st, kind, rule, par::jsonb, meta::jsonb, dec, ent, exp, ca, ua
      from unnest(${h.map((x) => x.id)}::text[], ${h.map((x) => x.accountId)}::text[],
        ${h.map((x) => x.currency)}::text[], ${h.map((x) => x.amountMinor.toString())}::int8[],
        ${h.map((x) => x.postedMinor.toString())}::int8[], ${h.map((x) => x.status)}::text[],
        ${h.map((x) => x.kind)}::text[], ${h.map((x) => x.rule)}::text[],
        ${h.map((x) => JSON.stringify(x.params))}::text[], ${h.map((x) => JSON.stringify(x.metadata))}::text[],
        ${h.map((x) => x.decisionId)}::text[], ${h.map((x) => x.entryId)}::text[],
        ${h.map((x) => x.expiresAt.toISOString())}::timestamptz[], ${h.map((x) => x.createdAt.toISOString())}::timestamptz[],
        ${h.map((x) => x.updatedAt.toISOString())}::timestamptz[])
        as v(id, acc, cur, amt, pm, st, kind, rule, par, meta, dec, ent, exp, ca, ua))`);
  }
  const changed = [...s.changedHolds].filter((x) => !s.newHolds.includes(x));
  if (changed.length > 0) {
    parts.push(sql`hu as (
      update ledger_holds h set status = v.st, posted_minor = v.pm, entry_id = v.ent, updated_at = v.ua
      from unnest(${changed.map((x) => x.id)}::text[], ${changed.map((x) => x.status)}::text[],
        ${changed.map((x) => x.postedMinor.toString())}::int8[], ${changed.map((x) => x.entryId)}::text[],
        ${changed.map((x) => x.updatedAt.toISOString())}::timestamptz[]) as v(id, st, pm, ent, ua)
      where h.id = v.id and h.id = any(${changed.map((x) => x.id)}::text[]))`);
  }
  const ev = s.holdEvents;
  if (ev.length > 0) {
    parts.push(sql`he as (
      insert into ledger_hold_events (hold_id, from_status, to_status, amount_minor, at, reason)
      select hid, fs, ts, amt, ${s.now.toISOString()}::timestamptz, rsn
      from unnest(${ev.map((x) => x.holdId)}::text[], ${ev.map((x) => x.fromStatus)}::text[],
        ${ev.map((x) => x.toStatus)}::text[], ${ev.map((x) => x.amountMinor.toString())}::int8[],
        ${ev.map((x) => x.reason)}::text[]) with ordinality as v(hid, fs, ts, amt, rsn, n) order by n)`);
  }
  if (s.touchedAccounts.size > 0) {
    const ids = [...s.touchedAccounts].sort();
    const rows = ids.map((id) => {
      const a = s.accounts.get(id);
      if (!a) throw new Error(`touched account ${id} was not loaded`);
      return a;
    });
    parts.push(sql`a as (
      update ledger_accounts a set posted_minor = v.p, held_minor = v.h
      from unnest(${ids}::text[], ${rows.map((x) => x.postedMinor.toString())}::int8[],
        ${rows.map((x) => x.heldMinor.toString())}::int8[]) as v(id, p, h)
      where a.id = v.id and a.id = any(${ids}::text[]))`);
  }
  if (events.length > 0) {
    parts.push(sql`o as (
      insert into outbox (topic, aggregate_id, payload)
      select t, ag, pl::jsonb from unnest(${events.map((x) => x.topic)}::text[],
        ${events.map((x) => x.aggregateId)}::text[], ${events.map((x) => JSON.stringify(x.payload))}::text[])
        with ordinality as v(t, ag, pl, n) order by n)`);
  }
  let keyCount: RawBuilder<unknown> = sql`0`;
  if (keys.length > 0) {
    parts.push(sql`k as (
      insert into idempotency_keys (scope, key, request_hash, status_code, response)
      select sc, k, rh, st, r::jsonb from unnest(${keys.map((x) => x.scope)}::text[], ${keys.map((x) => x.key)}::text[],
        ${keys.map((x) => x.requestHash)}::text[], ${keys.map((x) => x.response.statusCode)}::int[],
        ${keys.map((x) => JSON.stringify(x.response.body))}::text[]) as v(sc, k, rh, st, r)
      on conflict do nothing
      returning 1)`);
    keyCount = sql`(select count(*) from k)`;
  }
  if (parts.length === 0) return;
  const result = await sql<{
    keys: bigint | number;
  }>`with ${sql.join(parts, sql`, `)} select ${keyCount}::int8 as keys`.execute(tx);
  const stored = Number(result.rows[0]?.keys ?? 0);
  if (stored !== keys.length) throw new IdempotencyRace('an idempotency key was stored concurrently');
}
