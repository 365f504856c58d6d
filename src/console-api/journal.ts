import { sql } from 'kysely';
import type { LedgerService } from '../ledger/service.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { entryView } from '../wallet/views.ts';
import { decodeCursor, pageOf, seqOf } from './cursor.ts';
import { decisionSummary, entrySummary, exactTime, iso, isoOrNull } from './views.ts';

export interface EntrySearch {
  accountId?: string | undefined;
  kind?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface DecisionSearch {
  outcome?: string | undefined;
  eventType?: string | undefined;
  customerId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

const ENTRY_COLUMNS = [
  'e.id',
  'e.seq',
  'e.kind',
  'e.amount_minor',
  'e.currency',
  'e.occurred_at',
  'e.decision_id',
  'e.hold_id',
  'e.reverses_id',
  'e.hash',
] as const;

const STORY_EVENTS_MAX = 200;

/** The journal and the decision stream, read for the console; every write stays with the ledger. */
export class JournalReads {
  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerService,
  ) {}

  /**
   * Journal entries, newest first. The whole journal is walked by time on
   * (occurred_at, seq), or (kind, occurred_at, seq) with a kind, so a date window or a
   * rare kind is an index range, not a scan. One account's entries are walked in journal
   * order on its postings index, as its statement is.
   */
  async entries(s: EntrySearch) {
    if (s.accountId !== undefined) return this.accountEntries(s.accountId, s);
    let query = this.db
      .selectFrom('ledger_entries as e')
      .select([...ENTRY_COLUMNS, exactTime('e.occurred_at').as('cursor_at')])
      .orderBy('e.occurred_at', 'desc')
      .orderBy('e.seq', 'desc')
      .limit(s.limit + 1);
    if (s.kind !== undefined) query = query.where('e.kind', '=', s.kind);
    if (s.from !== undefined) query = query.where('e.occurred_at', '>=', new Date(s.from));
    if (s.to !== undefined) query = query.where('e.occurred_at', '<', new Date(s.to));
    if (s.cursor !== undefined) {
      const p = decodeCursor('ent', s.cursor, true);
      query = query.where(sql<boolean>`(e.occurred_at, e.seq) < (${p.at}::timestamptz, ${seqOf(p)}::int8)`);
    }
    const page = pageOf(await query.execute(), s.limit, 'ent', (r) => ({
      at: r.cursor_at,
      key: BigInt(r.seq).toString(),
    }));
    return { items: page.rows.map(entrySummary), nextCursor: page.nextCursor };
  }

  private async accountEntries(accountId: string, s: EntrySearch) {
    let query = this.db
      .selectFrom('ledger_postings as p')
      .innerJoin('ledger_entries as e', 'e.seq', 'p.entry_seq')
      .select(ENTRY_COLUMNS)
      .where('p.account_id', '=', accountId)
      .orderBy('p.entry_seq', 'desc')
      .limit(s.limit + 1);
    if (s.kind !== undefined) query = query.where('e.kind', '=', s.kind);
    if (s.from !== undefined) query = query.where('e.occurred_at', '>=', new Date(s.from));
    if (s.to !== undefined) query = query.where('e.occurred_at', '<', new Date(s.to));
    if (s.cursor !== undefined) {
      query = query.where('p.entry_seq', '<', seqOf(decodeCursor('acc', s.cursor, false)));
    }
    const page = pageOf(await query.execute(), s.limit, 'acc', (r) => ({ key: BigInt(r.seq).toString() }));
    return { items: page.rows.map(entrySummary), nextCursor: page.nextCursor };
  }

  /**
   * The risk decision stream, newest first on (created_at, id). Decisions other than
   * ALLOW have an index of their own, so the few an analyst looks for are found at once.
   */
  async decisions(s: DecisionSearch) {
    let query = this.db
      .selectFrom('risk_decisions as d')
      .select([
        'd.id',
        'd.event_type',
        'd.subject_id',
        'd.outcome',
        'd.reason_codes',
        'd.customer_message',
        'd.amount_minor',
        'd.currency',
        'd.policy',
        'd.latency_us',
        'd.created_at',
        exactTime('d.created_at').as('cursor_at'),
      ])
      .orderBy('d.created_at', 'desc')
      .orderBy('d.id', 'desc')
      .limit(s.limit + 1);
    if (s.outcome !== undefined) query = query.where('d.outcome', '=', s.outcome);
    if (s.eventType !== undefined) query = query.where('d.event_type', '=', s.eventType);
    if (s.customerId !== undefined) query = query.where('d.subject_id', '=', s.customerId);
    if (s.from !== undefined) query = query.where('d.created_at', '>=', new Date(s.from));
    if (s.to !== undefined) query = query.where('d.created_at', '<', new Date(s.to));
    if (s.cursor !== undefined) {
      const p = decodeCursor('dec', s.cursor, true);
      query = query.where(sql<boolean>`(d.created_at, d.id) < (${p.at}::timestamptz, ${p.key})`);
    }
    const page = pageOf(await query.execute(), s.limit, 'dec', (r) => ({ at: r.cursor_at, key: r.id }));
    return { items: page.rows.map(decisionSummary), nextCursor: page.nextCursor };
  }

  /**
   * A transaction's full story in one answer: the entry and its postings, the decision
   * that allowed it (inputs and reasons), the hold it came from with the hold's history,
   * the top-up or withdrawal behind it, what it reverses and what reversed it, and the
   * events it published.
   */
  async story(entryId: string) {
    const entry = await this.ledger.getEntry(entryId);
    const [decision, hold, reverses, reversals] = await Promise.all([
      this.ledger.decision(entry.decisionId),
      entry.holdId === null ? Promise.resolve(null) : this.holdWithEvents(entry.holdId),
      entry.reversesId === null ? Promise.resolve(undefined) : this.entryRow(entry.reversesId),
      this.db
        .selectFrom('ledger_entries as e')
        .select(ENTRY_COLUMNS)
        .where('e.reverses_id', '=', entry.id)
        .orderBy('e.seq')
        .execute(),
    ]);
    const topupId = entry.metadata.topupId;
    const withdrawalId = entry.metadata.withdrawalId ?? hold?.metadata.withdrawalId;
    const funding =
      topupId !== undefined
        ? await this.topup(topupId)
        : withdrawalId !== undefined
          ? await this.withdrawal(withdrawalId)
          : null;
    const aggregates = [entry.id, ...(hold ? [hold.view.id] : []), ...(funding ? [funding.id] : [])];
    const events = await this.db
      .selectFrom('outbox')
      .select(['id', 'topic', 'aggregate_id', 'payload', 'created_at', 'published_at'])
      .where('aggregate_id', 'in', aggregates)
      .orderBy('id')
      .limit(STORY_EVENTS_MAX)
      .execute();
    return {
      entry: entryView(entry),
      decision: decision ?? null,
      hold: hold ? hold.view : null,
      funding,
      reverses: reverses ? entrySummary(reverses) : null,
      reversals: reversals.map(entrySummary),
      events: events.map((e) => ({
        id: BigInt(e.id).toString(),
        topic: e.topic,
        aggregateId: e.aggregate_id,
        payload: e.payload,
        createdAt: iso(e.created_at),
        publishedAt: isoOrNull(e.published_at),
      })),
    };
  }

  private entryRow(id: string) {
    return this.db
      .selectFrom('ledger_entries as e')
      .select(ENTRY_COLUMNS)
      .where('e.id', '=', id)
      .executeTakeFirst();
  }

  private async holdWithEvents(holdId: string) {
    const [h, events] = await Promise.all([
      this.db.selectFrom('ledger_holds').selectAll().where('id', '=', holdId).executeTakeFirst(),
      this.db
        .selectFrom('ledger_hold_events')
        .select(['from_status', 'to_status', 'amount_minor', 'at', 'reason'])
        .where('hold_id', '=', holdId)
        .orderBy('id')
        .execute(),
    ]);
    if (!h) throw new AppError('LEDGER_HOLD_NOT_FOUND', `Hold ${holdId} does not exist.`);
    return {
      metadata: h.metadata,
      view: {
        id: h.id,
        accountId: h.account_id,
        kind: h.kind,
        status: h.status,
        amountMinor: BigInt(h.amount_minor).toString(),
        postedMinor: BigInt(h.posted_minor).toString(),
        currency: h.currency,
        decisionId: h.decision_id,
        entryId: h.entry_id,
        expiresAt: iso(h.expires_at),
        createdAt: iso(h.created_at),
        updatedAt: iso(h.updated_at),
        events: events.map((ev) => ({
          fromStatus: ev.from_status,
          toStatus: ev.to_status,
          amountMinor: BigInt(ev.amount_minor).toString(),
          at: iso(ev.at),
          reason: ev.reason,
        })),
      },
    };
  }

  private async topup(id: string) {
    const t = await this.db.selectFrom('wallet_topups').selectAll().where('id', '=', id).executeTakeFirst();
    if (!t) return null;
    return {
      type: 'topup' as const,
      id: t.id,
      status: t.status,
      walletId: t.account_id,
      customerId: t.customer_id,
      amountMinor: BigInt(t.amount_minor).toString(),
      currency: t.currency,
      channel: t.channel,
      bankAccount: null,
      decisionId: t.decision_id,
      holdId: null,
      entryId: t.entry_id,
      failureCode: t.failure_code,
      createdAt: iso(t.created_at),
      updatedAt: iso(t.updated_at),
    };
  }

  /** A withdrawal with its payee account masked; the sealed details and fingerprint stay in the table. */
  private async withdrawal(id: string) {
    const w = await this.db
      .selectFrom('wallet_withdrawals')
      .select([
        'id',
        'status',
        'account_id',
        'customer_id',
        'amount_minor',
        'currency',
        'channel',
        'bank_account_masked',
        'decision_id',
        'hold_id',
        'entry_id',
        'failure_code',
        'created_at',
        'updated_at',
      ])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!w) return null;
    return {
      type: 'withdrawal' as const,
      id: w.id,
      status: w.status,
      walletId: w.account_id,
      customerId: w.customer_id,
      amountMinor: BigInt(w.amount_minor).toString(),
      currency: w.currency,
      channel: w.channel,
      bankAccount: w.bank_account_masked,
      decisionId: w.decision_id,
      holdId: w.hold_id,
      entryId: w.entry_id,
      failureCode: w.failure_code,
      createdAt: iso(w.created_at),
      updatedAt: iso(w.updated_at),
    };
  }
}
