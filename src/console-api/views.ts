import { sql } from 'kysely';

/** Row-to-response helpers shared by the console reads. */

/**
 * A timestamp column as text with PostgreSQL's full precision (microseconds), in UTC.
 * Keyset cursors carry it: a JavaScript Date keeps milliseconds only, and a cursor made
 * from a rounded time would skip or repeat rows stored within the same millisecond.
 */
export function exactTime(column: string) {
  return sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

export const iso = (d: Date) => d.toISOString();
export const isoOrNull = (d: Date | null) => (d === null ? null : d.toISOString());
export const minorOrNull = (v: bigint | string | null) => (v === null ? null : BigInt(v).toString());

/**
 * An IP address with its host part hidden: 203.0.113.45 → 203.0.113.*, 2001:db8:1:2::5 →
 * 2001:db8:1:*. Enough to see that two sign-ins came from the same network, not to
 * single out a household.
 */
export function maskIp(ip: string | null): string | null {
  if (ip === null || ip === '') return null;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/i.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.*`;
  if (ip.includes(':')) {
    const groups = ip.split(':').filter((g) => g !== '');
    return `${groups.slice(0, 3).join(':')}:*`;
  }
  return '*';
}

export interface DecisionRow {
  id: string;
  event_type: string;
  subject_id: string | null;
  outcome: string;
  reason_codes: string[];
  customer_message: string | null;
  amount_minor: bigint | null;
  currency: string | null;
  policy: string;
  latency_us: number;
  created_at: Date;
}

export function decisionSummary(d: DecisionRow) {
  return {
    id: d.id,
    eventType: d.event_type,
    customerId: d.subject_id,
    outcome: d.outcome,
    reasonCodes: d.reason_codes,
    customerMessage: d.customer_message,
    amountMinor: minorOrNull(d.amount_minor),
    currency: d.currency,
    policy: d.policy,
    latencyUs: d.latency_us,
    createdAt: iso(d.created_at),
  };
}

export interface EntryRow {
  id: string;
  seq: bigint;
  kind: string;
  amount_minor: bigint;
  currency: string;
  occurred_at: Date;
  decision_id: string;
  hold_id: string | null;
  reverses_id: string | null;
  hash: string;
}

export function entrySummary(e: EntryRow) {
  return {
    id: e.id,
    seq: BigInt(e.seq).toString(),
    kind: e.kind,
    amountMinor: BigInt(e.amount_minor).toString(),
    currency: e.currency,
    occurredAt: iso(e.occurred_at),
    decisionId: e.decision_id,
    holdId: e.hold_id,
    reversesId: e.reverses_id,
    hash: e.hash,
  };
}

export interface HoldRow {
  id: string;
  status: string;
  kind: string;
  amount_minor: bigint;
  posted_minor: bigint;
  currency: string;
  account_id: string;
  metadata: Record<string, string>;
  entry_id: string | null;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
  owner_id: string;
  customer_name: string | null;
  merchant_name: string | null;
  decision_id: string;
  outcome: string;
  reason_codes: string[];
  customer_message: string | null;
}

export function holdItem(h: HoldRow) {
  return {
    id: h.id,
    status: h.status,
    kind: h.kind,
    amountMinor: BigInt(h.amount_minor).toString(),
    postedMinor: BigInt(h.posted_minor).toString(),
    currency: h.currency,
    accountId: h.account_id,
    ownerId: h.owner_id,
    ownerName: h.customer_name ?? h.merchant_name,
    counterpartyId: h.metadata.payeeId ?? h.metadata.merchantId ?? null,
    decision: {
      id: h.decision_id,
      outcome: h.outcome,
      reasonCodes: h.reason_codes,
      customerMessage: h.customer_message,
    },
    entryId: h.entry_id,
    expiresAt: iso(h.expires_at),
    createdAt: iso(h.created_at),
    updatedAt: iso(h.updated_at),
  };
}
