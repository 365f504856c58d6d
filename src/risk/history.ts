import { sql } from 'kysely';
import type { Db } from '../platform/db.ts';
import { CURRENCIES, type Currency } from '../platform/money.ts';
import type { FeatureEvent } from './features/velocity-events.ts';
import { declineEventsOf, labelEventsOf, velocityEventsOf } from './features/velocity-events.ts';
import type { RiskOutcome } from './gate.ts';
import { isRuleEventType } from './rules/schema.ts';
import type { VelocityEvent, VelocityStore } from './velocity/store.ts';

/**
 * The event history as the engine saw it: every stored decision's input snapshot, in
 * event-time order. Back-tests replay it through the same feature code; the in-memory
 * velocity store is rebuilt from it when an embedded process starts.
 */

export interface HistoryItem {
  decisionId: string;
  event: FeatureEvent;
  /** When the end user acted. */
  at: Date;
  /** When the decision was made. */
  decidedAt: Date;
  outcome: RiskOutcome;
  /** The rule-set revision the live decision used, when the engine made it. */
  revision: string | null;
  /** The latest label of the decision, when one arrived. */
  label: 'fraud' | 'legit' | 'laundering' | null;
  scenario: string | null;
}

export interface HistoryRange {
  from: Date;
  to: Date;
  /** Rows per query (keyset pages). */
  pageSize?: number;
}

interface Row {
  id: string;
  event_type: string;
  subject_id: string | null;
  currency: string | null;
  amount_minor: string | null;
  outcome: string;
  input: Record<string, unknown>;
  detail: Record<string, unknown> | null;
  t: Date;
  created_at: Date;
  label: string | null;
  scenario: string | null;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A stored snapshot back to the event the features saw; undefined for events the rules do not decide. */
export function eventFromSnapshot(row: {
  event_type: string;
  subject_id: string | null;
  currency: string | null;
  amount_minor: string | bigint | null;
  input: Record<string, unknown>;
  t: Date;
}): FeatureEvent | undefined {
  if (!isRuleEventType(row.event_type) || row.subject_id === null) return undefined;
  const i = row.input;
  const e: FeatureEvent = {
    type: row.event_type,
    customerId: row.subject_id,
    amountMinor: row.amount_minor === null ? 0n : BigInt(row.amount_minor),
    at: row.t,
  };
  if (row.currency !== null && Object.hasOwn(CURRENCIES, row.currency)) e.currency = row.currency as Currency;
  const cp = str(i.counterpartyId);
  if (cp !== undefined) e.counterpartyId = cp;
  const channel = str(i.channel);
  if (channel !== undefined) e.channel = channel;
  const device = str(i.deviceId);
  if (device !== undefined) e.deviceId = device;
  const ip = str(i.ip);
  if (ip !== undefined) e.ip = ip;
  if (typeof i.geo === 'object' && i.geo !== null) {
    const g = i.geo as Record<string, unknown>;
    e.geo = {};
    const country = str(g.country);
    if (country !== undefined) e.geo.country = country;
    const region = str(g.region);
    if (region !== undefined) e.geo.region = region;
    const lat = num(g.lat);
    if (lat !== undefined) e.geo.lat = lat;
    const lon = num(g.lon);
    if (lon !== undefined) e.geo.lon = lon;
  }
  if (i.failed === true) e.failed = true;
  return e;
}

/** Decisions of a period in event-time order, page by page. */
export async function* decisionHistory(db: Db, range: HistoryRange): AsyncGenerator<HistoryItem> {
  const pageSize = range.pageSize ?? 2000;
  let after: { t: Date; id: string } | undefined;
  for (;;) {
    // The page first (on the event-time index), then its labels: joining before the limit
    // would look up labels for every remaining row of the period.
    const page = await sql<Row>`
      with p as (
        select d.id, d.event_type, d.subject_id, d.currency, d.amount_minor::text as amount_minor, d.outcome,
          d.input, d.detail, coalesce(d.event_at, d.created_at) as t, d.created_at
        from risk_decisions d
        where coalesce(d.event_at, d.created_at) >= ${range.from.toISOString()}::timestamptz
          and coalesce(d.event_at, d.created_at) < ${range.to.toISOString()}::timestamptz
          ${after ? sql`and (coalesce(d.event_at, d.created_at), d.id) > (${after.t.toISOString()}::timestamptz, ${after.id})` : sql``}
        order by coalesce(d.event_at, d.created_at), d.id
        limit ${pageSize}
      )
      select p.*, l.label, l.scenario from p
      left join lateral (
        select label, scenario from risk_labels where decision_id = p.id order by reported_at desc limit 1
      ) l on true
      order by p.t, p.id`.execute(db);
    for (const r of page.rows) {
      const event = eventFromSnapshot(r);
      if (!event) continue;
      const rules = r.detail?.rules as { revision?: unknown } | null | undefined;
      yield {
        decisionId: r.id,
        event,
        at: r.t,
        decidedAt: r.created_at,
        outcome: r.outcome as RiskOutcome,
        revision: typeof rules?.revision === 'string' ? rules.revision : null,
        label: (r.label as HistoryItem['label']) ?? null,
        scenario: r.scenario,
      };
    }
    const last = page.rows[page.rows.length - 1];
    if (!last || page.rows.length < pageSize) return;
    after = { t: last.t, id: last.id };
  }
}

/** How many decisions a period holds (for progress and the back-test size limit). */
export async function countHistory(db: Db, range: { from: Date; to: Date }): Promise<number> {
  const r = await sql<{ n: string }>`
    select count(*)::text as n from risk_decisions
    where coalesce(event_at, created_at) >= ${range.from.toISOString()}::timestamptz
      and coalesce(event_at, created_at) < ${range.to.toISOString()}::timestamptz`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/** What became of a decided event, for replaying it: did it happen, was it declined? */
export function replayOutcome(
  outcome: RiskOutcome,
  event: Pick<FeatureEvent, 'currency'>,
): 'committed' | 'declined' | 'none' {
  if (outcome === 'ALLOW' || outcome === 'REVIEW') return 'committed';
  // A challenged account event goes ahead once the user passes (as the live engine counts it).
  if (outcome === 'CHALLENGE' && event.currency === undefined) return 'committed';
  if (outcome === 'BLOCK' || outcome === 'BLOCK_AND_FREEZE') return 'declined';
  return 'none';
}

/** The longest velocity window: older history cannot change a counter. */
const REBUILD_SPAN_MS = 30 * 86_400_000;

/**
 * Rebuilds an in-memory velocity store from the decisions of the last 30 days, in event
 * time, and the fraud labels that arrived in them, through the same functions the live
 * engine records with. Counts that need the
 * profile at the time (new payees) are not rebuilt; they refill as traffic arrives.
 */
export async function rebuildVelocity(db: Db, store: VelocityStore, now: Date): Promise<number> {
  const range = { from: new Date(now.getTime() - REBUILD_SPAN_MS), to: new Date(now.getTime() + 60_000) };
  async function* events(): AsyncGenerator<VelocityEvent> {
    for await (const item of decisionHistory(db, range)) {
      const at = item.at.getTime();
      for (const v of velocityEventsOf(item.event, at)) yield v;
      if (replayOutcome(item.outcome, item.event) === 'declined')
        for (const v of declineEventsOf(item.event, at)) yield v;
    }
    // Fraud labels count from their arrival (each decision once, at its first fraud label),
    // in their own series, so they can follow the movements.
    const labelled = await sql<Row & { labelled_at: Date }>`
      select d.id, d.event_type, d.subject_id, d.currency, d.amount_minor::text as amount_minor, d.outcome,
        d.input, d.detail, coalesce(d.event_at, d.created_at) as t, d.created_at, f.labelled_at,
        'fraud' as label, null as scenario
      from (
        select decision_id, min(created_at) as labelled_at from risk_labels
        where label = 'fraud' group by decision_id
      ) f
      join risk_decisions d on d.id = f.decision_id
      where f.labelled_at >= ${range.from.toISOString()}::timestamptz
        and f.labelled_at < ${range.to.toISOString()}::timestamptz
      order by f.labelled_at, d.id`.execute(db);
    for (const r of labelled.rows) {
      const event = eventFromSnapshot(r);
      if (event) for (const v of labelEventsOf(event, 'fraud', new Date(r.labelled_at).getTime())) yield v;
    }
  }
  return store.rebuild(events());
}
