import { sql } from 'kysely';
import type { Db, Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { custodyCheckOk, custodyDifference } from '../platform/metrics.ts';
import { CURRENCY_CODES, type Currency } from '../platform/money.ts';
import type { LedgerCommand, SubmitResult } from './commands.ts';
import { toHold } from './store.ts';
import {
  type Account,
  type AccountKind,
  type AccountStatus,
  type Entry,
  type EntryKind,
  type Hold,
  NORMAL_SIDE,
  type Posting,
} from './types.ts';
import type { LedgerWriter } from './writer.ts';

/** Owner id of the platform's own accounts (custody, fees, clearing, suspense, reserve). */
export const PLATFORM_OWNER = 'platform';

const SYSTEM_KINDS: AccountKind[] = [
  'customer_custody',
  'fee_revenue',
  'settlement_clearing',
  'suspense',
  'risk_reserve',
];

export interface StatementQuery {
  from?: Date;
  to?: Date;
  kinds?: EntryKind[];
  /** Opaque cursor from the previous page (the last entry's sequence number). */
  cursor?: string;
  limit: number;
}

export interface StatementLine {
  entryId: string;
  seq: bigint;
  kind: EntryKind;
  occurredAt: Date;
  /** Signed change of this account's balance: positive adds to it. */
  amountMinor: bigint;
  balanceAfterMinor: bigint;
  currency: Currency;
  holdId: string | null;
  reversesId: string | null;
  metadata: Record<string, string>;
  counterparties: string[];
}

export interface CustodyReport {
  ok: boolean;
  currencies: Array<{
    currency: Currency;
    custodyMinor: bigint;
    walletsMinor: bigint;
    differenceMinor: bigint;
    wallets: number;
  }>;
  checkedAt: Date;
}

/** The ledger module's interface: reads here, every write through the single writer. */
export class LedgerService {
  private readonly systemAccounts = new Map<string, string>();

  constructor(
    private readonly db: Db,
    private readonly writer: LedgerWriter,
  ) {}

  submit(cmd: LedgerCommand): Promise<SubmitResult> {
    return this.writer.submit(cmd);
  }

  async ensureSystemAccounts(currencies: readonly Currency[] = CURRENCY_CODES): Promise<void> {
    for (const currency of currencies) {
      for (const kind of SYSTEM_KINDS) {
        const account = await this.openAccount({ kind, currency, ownerId: PLATFORM_OWNER });
        this.systemAccounts.set(`${kind}:${currency}`, account.id);
      }
    }
  }

  /** The id of a platform account; ensureSystemAccounts must have run. */
  systemAccountId(kind: AccountKind, currency: Currency): string {
    const id = this.systemAccounts.get(`${kind}:${currency}`);
    if (!id) throw new Error(`system account ${kind} ${currency} is not open`);
    return id;
  }

  /**
   * Opens an account, or returns the existing one of the same kind, owner and currency.
   * Pass the caller's transaction to open it together with the owner's own rows.
   */
  async openAccount(
    input: {
      kind: AccountKind;
      currency: Currency;
      ownerId: string;
      isCreditLine?: boolean;
      createdAt?: Date;
    },
    executor: Db | Tx = this.db,
  ): Promise<Account> {
    await executor
      .insertInto('ledger_accounts')
      .values({
        id: newId('acct'),
        kind: input.kind,
        currency: input.currency,
        normal_side: NORMAL_SIDE[input.kind],
        is_credit_line: input.isCreditLine ?? false,
        owner_id: input.ownerId,
        ...(input.createdAt ? { created_at: input.createdAt } : {}),
      })
      .onConflict((oc) => oc.columns(['kind', 'owner_id', 'currency']).doNothing())
      .execute();
    const row = await executor
      .selectFrom('ledger_accounts')
      .selectAll()
      .where('kind', '=', input.kind)
      .where('owner_id', '=', input.ownerId)
      .where('currency', '=', input.currency)
      .executeTakeFirstOrThrow();
    return toAccount(row);
  }

  async getAccount(id: string): Promise<Account> {
    const row = await this.db
      .selectFrom('ledger_accounts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new AppError('LEDGER_ACCOUNT_NOT_FOUND', `Account ${id} does not exist.`);
    return toAccount(row);
  }

  /** The owner of an account, or undefined when there is no such account. */
  async ownerOf(accountId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('ledger_accounts')
      .select('owner_id')
      .where('id', '=', accountId)
      .executeTakeFirst();
    return row?.owner_id;
  }

  async accountsOf(ownerId: string): Promise<Account[]> {
    const rows = await this.db
      .selectFrom('ledger_accounts')
      .selectAll()
      .where('owner_id', '=', ownerId)
      .orderBy('currency')
      .execute();
    return rows.map(toAccount);
  }

  async setAccountStatus(id: string, status: AccountStatus): Promise<Account> {
    const res = await this.db
      .updateTable('ledger_accounts')
      .set({ status })
      .where('id', '=', id)
      .executeTakeFirst();
    if (res.numUpdatedRows === 0n)
      throw new AppError('LEDGER_ACCOUNT_NOT_FOUND', `Account ${id} does not exist.`);
    return this.getAccount(id);
  }

  async getEntry(id: string): Promise<Entry> {
    const row = await this.db
      .selectFrom('ledger_entries')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new AppError('LEDGER_ENTRY_NOT_FOUND', `Entry ${id} does not exist.`);
    const postings = await this.db
      .selectFrom('ledger_postings')
      .selectAll()
      .where('entry_seq', '=', row.seq)
      .orderBy('idx')
      .execute();
    return {
      seq: BigInt(row.seq),
      id: row.id,
      kind: row.kind as EntryKind,
      occurredAt: row.occurred_at,
      decisionId: row.decision_id,
      reversesId: row.reverses_id,
      holdId: row.hold_id,
      rule: row.rule,
      amountMinor: BigInt(row.amount_minor),
      currency: row.currency as Currency,
      params: row.params,
      metadata: row.metadata,
      prevHash: row.prev_hash,
      hash: row.hash,
      postings: postings.map(
        (p): Posting => ({
          idx: p.idx,
          accountId: p.account_id,
          amountMinor: BigInt(p.amount_minor),
          balanceAfterMinor: BigInt(p.balance_after_minor),
        }),
      ),
    };
  }

  async chainHead(): Promise<{ seq: bigint; hash: string }> {
    const head = await this.db
      .selectFrom('ledger_chain_head')
      .select(['seq', 'hash'])
      .executeTakeFirstOrThrow();
    return { seq: BigInt(head.seq), hash: head.hash };
  }

  /** A stored risk decision with the entries and holds it allowed. */
  async decision(id: string) {
    const d = await this.db.selectFrom('risk_decisions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!d) return undefined;
    const entries = await this.db
      .selectFrom('ledger_entries')
      .select('id')
      .where('decision_id', '=', id)
      .execute();
    const holds = await this.db
      .selectFrom('ledger_holds')
      .select('id')
      .where('decision_id', '=', id)
      .execute();
    return {
      id: d.id,
      eventType: d.event_type,
      subjectId: d.subject_id,
      currency: d.currency,
      amountMinor: d.amount_minor === null ? null : BigInt(d.amount_minor).toString(),
      outcome: d.outcome,
      reasonCodes: d.reason_codes,
      customerMessage: d.customer_message,
      policy: d.policy,
      input: d.input,
      latencyUs: d.latency_us,
      createdAt: d.created_at.toISOString(),
      eventAt: (d.event_at ?? d.created_at).toISOString(),
      score: d.score,
      degraded: d.degraded,
      /** Features, rules hit with versions, model, limits, messages in both languages, the analyst's explanation. */
      detail: d.detail,
      labels: await this.db
        .selectFrom('risk_labels')
        .select(['label', 'scenario', 'source', 'reported_at'])
        .where('decision_id', '=', id)
        .orderBy('reported_at', 'desc')
        .execute()
        .then((rows) =>
          rows.map((l) => ({
            label: l.label,
            scenario: l.scenario,
            source: l.source,
            reportedAt: l.reported_at.toISOString(),
          })),
        ),
      entryIds: entries.map((e) => e.id),
      holdIds: holds.map((h) => h.id),
    };
  }

  /** What remains to be refunded or reversed of an entry. */
  async reversedMinor(entryId: string): Promise<bigint> {
    const row = await sql<{ total: bigint | null }>`
      select sum(amount_minor)::int8 as total from ledger_entries where reverses_id = ${entryId}`.execute(
      this.db,
    );
    return BigInt(row.rows[0]?.total ?? 0n);
  }

  async getHold(id: string): Promise<Hold> {
    const r = await this.db.selectFrom('ledger_holds').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw new AppError('LEDGER_HOLD_NOT_FOUND', `Hold ${id} does not exist.`);
    return toHold({ ...r, amount_minor: BigInt(r.amount_minor), posted_minor: BigInt(r.posted_minor) });
  }

  /** Itemised statement of one account, newest first, with the running balance after each line. */
  async statement(
    accountId: string,
    q: StatementQuery,
  ): Promise<{ account: Account; lines: StatementLine[]; nextCursor: string | null }> {
    const account = await this.getAccount(accountId);
    let query = this.db
      .selectFrom('ledger_postings as p')
      .innerJoin('ledger_entries as e', 'e.seq', 'p.entry_seq')
      .select([
        'e.id',
        'e.seq',
        'e.kind',
        'e.occurred_at',
        'e.hold_id',
        'e.reverses_id',
        'e.metadata',
        'p.amount_minor',
        'p.balance_after_minor',
        sql<string[]>`(select coalesce(array_agg(o.account_id order by o.idx), '{}') from ledger_postings o
          where o.entry_seq = p.entry_seq and o.account_id <> p.account_id)`.as('counterparties'),
      ])
      .where('p.account_id', '=', accountId)
      .orderBy('p.entry_seq', 'desc')
      .limit(q.limit + 1);
    if (q.cursor !== undefined) {
      if (!/^[0-9]{1,19}$/.test(q.cursor)) throw new AppError('VALIDATION_FAILED', 'cursor is not valid.');
      query = query.where('p.entry_seq', '<', BigInt(q.cursor));
    }
    if (q.from) query = query.where('e.occurred_at', '>=', q.from);
    if (q.to) query = query.where('e.occurred_at', '<', q.to);
    if (q.kinds && q.kinds.length > 0) query = query.where('e.kind', 'in', q.kinds);
    const rows = await query.execute();
    const more = rows.length > q.limit;
    const page = more ? rows.slice(0, q.limit) : rows;
    const lines = page.map(
      (r): StatementLine => ({
        entryId: r.id,
        seq: BigInt(r.seq),
        kind: r.kind as EntryKind,
        occurredAt: r.occurred_at,
        amountMinor: account.normalSide === 'debit' ? BigInt(r.amount_minor) : -BigInt(r.amount_minor),
        balanceAfterMinor: BigInt(r.balance_after_minor),
        currency: account.currency,
        holdId: r.hold_id,
        reversesId: r.reverses_id,
        metadata: r.metadata,
        counterparties: r.counterparties,
      }),
    );
    const last = page[page.length - 1];
    return { account, lines, nextCursor: more && last ? BigInt(last.seq).toString() : null };
  }

  /** Pending holds whose time has passed (the expiry sweeper voids them). */
  async expiredHoldIds(now: Date, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('ledger_holds')
      .select('id')
      .where('status', '=', 'pending')
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Segregated customer funds (备付金): the custody account of each currency must equal
   * the sum of all customer wallet balances. Updates the custody metrics.
   */
  async custodyCheck(): Promise<CustodyReport> {
    const rows = await sql<{ currency: Currency; kind: string; total: bigint; n: bigint }>`
      select currency, kind, sum(posted_minor)::int8 as total, count(*)::int8 as n from ledger_accounts
      where kind in ('customer_custody', 'customer_wallet') group by currency, kind`.execute(this.db);
    const by = new Map<Currency, { custody: bigint; wallets: bigint; n: number }>();
    for (const r of rows.rows) {
      const cur = by.get(r.currency) ?? { custody: 0n, wallets: 0n, n: 0 };
      if (r.kind === 'customer_custody') cur.custody += BigInt(r.total);
      else {
        cur.wallets += BigInt(r.total);
        cur.n += Number(r.n);
      }
      by.set(r.currency, cur);
    }
    const currencies = [...by.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([currency, v]) => ({
        currency,
        custodyMinor: v.custody,
        walletsMinor: v.wallets,
        differenceMinor: v.custody - v.wallets,
        wallets: v.n,
      }));
    const ok = currencies.every((c) => c.differenceMinor === 0n);
    for (const c of currencies) custodyDifference.set({ currency: c.currency }, Number(c.differenceMinor));
    custodyCheckOk.set(ok ? 1 : 0);
    return { ok, currencies, checkedAt: new Date() };
  }
}

function toAccount(row: {
  id: string;
  kind: string;
  currency: string;
  normal_side: 'debit' | 'credit';
  is_credit_line: boolean;
  owner_id: string;
  status: string;
  posted_minor: bigint;
  held_minor: bigint;
}): Account {
  return {
    id: row.id,
    kind: row.kind as AccountKind,
    currency: row.currency as Currency,
    normalSide: row.normal_side,
    isCreditLine: row.is_credit_line,
    ownerId: row.owner_id,
    status: row.status as AccountStatus,
    postedMinor: BigInt(row.posted_minor),
    heldMinor: BigInt(row.held_minor),
  };
}
