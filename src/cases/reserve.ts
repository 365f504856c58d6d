import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { SubmitResult } from '../ledger/commands.ts';
import { type LedgerService, PLATFORM_OWNER } from '../ledger/service.ts';
import type { EntryKind } from '../ledger/types.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { type Currency, parseCurrency } from '../platform/money.ts';
import type { OutboxEvent } from '../platform/outbox.ts';
import type { RiskDecision } from '../risk/gate.ts';
import { type ActorType, appendAudit } from '../security/audit.ts';

export interface ReserveActor {
  type: ActorType;
  id: string;
  role?: string;
}

export interface ReserveCredit {
  customerId: string;
  walletId: string;
  currency: string;
  amountMinor: bigint;
  kind: 'compensation' | 'provisional_credit';
  caseId: string;
  reason: string;
  actor: ReserveActor;
  /** More writes in the ledger's transaction (the approval's own records, the case timeline). */
  inTx?: (tx: Tx, entryId: string) => Promise<void>;
  events?: (entryId: string) => OutboxEvent[];
}

export interface ReserveSettings {
  /** Share of fee revenue moved into the reserve by the maintenance round, in basis points (0: none). */
  feeShareBps: number;
}

const POLICY = 'risk-reserve';

/**
 * The risk compensation reserve (风险补偿): a platform account per currency, funded by a
 * configured share of fee revenue (swept by the maintenance round) or by an explicit
 * transfer from revenue, and paid out to users as compensation or a dispute's provisional
 * credit. Every movement is a journal entry through the single writer, with its decision
 * record and audit; the ledger's balance constraint refuses a payout the reserve cannot cover.
 */
export class Reserve {
  constructor(
    private readonly deps: { db: Db; ledger: LedgerService; clock: Clock; log: Logger },
    private readonly settings: ReserveSettings,
  ) {}

  private decision(
    eventType: 'reserve_funding' | 'compensation',
    subjectId: string,
    currency: Currency,
    amountMinor: bigint,
    reasonCode: string,
    input: Record<string, unknown>,
  ): RiskDecision {
    return {
      id: newId('dec'),
      eventType,
      subjectId,
      currency,
      amountMinor,
      outcome: 'ALLOW',
      reasonCodes: [reasonCode],
      customerMessage: null,
      policy: POLICY,
      input,
      latencyUs: 0,
      createdAt: this.deps.clock.now(),
    };
  }

  /** Pays a user from the reserve into their wallet. Throws the ledger's error when the reserve is short. */
  async credit(c: ReserveCredit): Promise<{ entryId: string }> {
    const { ledger } = this.deps;
    const currency = parseCurrency(c.currency);
    if (c.amountMinor <= 0n) throw new AppError('VALIDATION_FAILED', 'The amount must be positive.');
    const wallet = await ledger.getAccount(c.walletId);
    if (wallet.kind !== 'customer_wallet' || wallet.ownerId !== c.customerId) {
      throw new AppError('WALLET_NOT_FOUND', `${c.walletId} is not a wallet of ${c.customerId}.`);
    }
    if (wallet.currency !== currency) {
      throw new AppError(
        'CURRENCY_MISMATCH',
        `Wallet ${wallet.id} holds ${wallet.currency}, not ${currency}.`,
      );
    }
    const now = this.deps.clock.now();
    const decision = this.decision(
      'compensation',
      c.customerId,
      currency,
      c.amountMinor,
      c.kind === 'compensation' ? 'RESERVE_COMPENSATION' : 'RESERVE_PROVISIONAL_CREDIT',
      { caseId: c.caseId, walletId: wallet.id, actorId: c.actor.id, kind: c.kind },
    );
    const submitted = await ledger.submit({
      type: 'post',
      kind: c.kind satisfies EntryKind,
      rule: 'compensation',
      params: {
        reserve: ledger.systemAccountId('risk_reserve', currency),
        wallet: wallet.id,
        custody: ledger.systemAccountId('customer_custody', currency),
        settlement: ledger.systemAccountId('settlement_clearing', currency),
      },
      currency,
      amountMinor: c.amountMinor,
      decision: { record: decision },
      metadata: { caseId: c.caseId, payeeId: c.customerId, reason: c.reason.slice(0, 200) },
      inTx: async (tx, o) => {
        const entryId = o.entry?.id ?? '';
        await appendAudit(tx, [
          {
            actorType: c.actor.type,
            actorId: c.actor.id,
            ...(c.actor.role ? { actorRole: c.actor.role } : {}),
            action: `reserve.${c.kind}`,
            targetType: 'account',
            targetId: wallet.id,
            after: { entryId, amountMinor: c.amountMinor.toString(), currency, caseId: c.caseId },
            reason: c.reason,
            at: now,
          },
        ]);
        await c.inTx?.(tx, entryId);
      },
      events: (o) => c.events?.(o.entry?.id ?? '') ?? [],
    });
    return { entryId: postedEntryId(submitted, (e) => reserveError(e, currency)) };
  }

  /** Takes back what a credit paid (a dispute decided against the user): a reversal entry. */
  async reverseCredit(
    entryId: string,
    reason: string,
    actor: ReserveActor,
    inTx?: (tx: Tx, reversalId: string) => Promise<void>,
  ): Promise<{ entryId: string }> {
    const { ledger } = this.deps;
    const entry = await ledger.getEntry(entryId);
    if (entry.rule !== 'compensation') {
      throw new AppError('VALIDATION_FAILED', `${entryId} is not a payment from the reserve.`);
    }
    const decision = this.decision(
      'compensation',
      entry.metadata.payeeId ?? 'platform',
      entry.currency,
      entry.amountMinor,
      'RESERVE_CREDIT_REVERSED',
      { entryId, actorId: actor.id },
    );
    const now = this.deps.clock.now();
    const submitted = await ledger.submit({
      type: 'reverse',
      entryId,
      kind: 'reversal',
      decision: { record: decision },
      metadata: { reason: reason.slice(0, 200), caseId: entry.metadata.caseId ?? '' },
      inTx: async (tx, o) => {
        await appendAudit(tx, [
          {
            actorType: actor.type,
            actorId: actor.id,
            ...(actor.role ? { actorRole: actor.role } : {}),
            action: 'reserve.credit.reverse',
            targetType: 'entry',
            targetId: entryId,
            after: { reversalId: o.entry?.id ?? null },
            reason,
            at: now,
          },
        ]);
        await inTx?.(tx, o.entry?.id ?? '');
      },
    });
    return { entryId: postedEntryId(submitted, (e) => e) };
  }

  /**
   * Moves fee revenue into the reserve. `key` makes it idempotent (the sweep passes the
   * cumulative target, so two processes sweeping at once move the money once).
   */
  async fund(input: {
    currency: string;
    amountMinor: bigint;
    source: 'fees' | 'revenue';
    reason: string;
    actor: ReserveActor;
    /** Idempotency: the sweep's cumulative target, or the caller's key with its request hash. */
    idem?: { scope: string; key: string; requestHash: string };
  }): Promise<{ entryId: string; replayed: boolean }> {
    const { ledger } = this.deps;
    const currency = parseCurrency(input.currency);
    if (input.amountMinor <= 0n) throw new AppError('VALIDATION_FAILED', 'The amount must be positive.');
    const now = this.deps.clock.now();
    const decision = this.decision(
      'reserve_funding',
      'platform',
      currency,
      input.amountMinor,
      input.source === 'fees' ? 'RESERVE_FEE_SHARE' : 'RESERVE_REVENUE_TRANSFER',
      { source: input.source, actorId: input.actor.id },
    );
    const submitted = await ledger.submit({
      type: 'post',
      kind: 'reserve_funding',
      rule: 'reserve_funding',
      params: {
        fee: ledger.systemAccountId('fee_revenue', currency),
        reserve: ledger.systemAccountId('risk_reserve', currency),
      },
      currency,
      amountMinor: input.amountMinor,
      decision: { record: decision },
      metadata: { source: input.source, reason: input.reason.slice(0, 200) },
      ...(input.idem
        ? {
            idempotency: {
              ...input.idem,
              render: (o) => ({ statusCode: 200, body: { entryId: o.ok ? (o.entry?.id ?? null) : null } }),
            },
          }
        : {}),
      inTx: async (tx, o) => {
        await appendAudit(tx, [
          {
            actorType: input.actor.type,
            actorId: input.actor.id,
            ...(input.actor.role ? { actorRole: input.actor.role } : {}),
            action: 'reserve.fund',
            targetType: 'account',
            targetId: ledger.systemAccountId('risk_reserve', currency),
            after: {
              entryId: o.entry?.id ?? null,
              amountMinor: input.amountMinor.toString(),
              currency,
              source: input.source,
            },
            reason: input.reason,
            at: now,
          },
        ]);
      },
    });
    if (submitted.replayed) {
      const body = submitted.response.body as { entryId?: string | null };
      return { entryId: body.entryId ?? '', replayed: true };
    }
    if (!submitted.outcome.ok) throw reserveError(submitted.outcome.error, currency, 'fee');
    return { entryId: submitted.outcome.entry?.id ?? '', replayed: false };
  }

  /**
   * The maintenance round's sweep: for each currency, the reserve's share of all fees ever
   * earned, less what fees already funded, is moved now. Returns the entries made.
   */
  async sweepFees(): Promise<number> {
    if (this.settings.feeShareBps <= 0) return 0;
    // One query for every currency, through the journal's partial index on reserve entries.
    // Fees earned = what the fee account holds now + everything moved out of it into the
    // reserve (by the sweep or by hand); the sweep owes its share of that, less what it moved.
    const r = await sql<{ currency: Currency; posted: string; funded_all: string; funded_fees: string }>`
      select a.currency, a.posted_minor::text as posted,
        coalesce(sum(e.amount_minor), 0)::text as funded_all,
        coalesce(sum(e.amount_minor) filter (where e.metadata->>'source' = 'fees'), 0)::text as funded_fees
      from ledger_accounts a
      left join ledger_entries e on e.kind = 'reserve_funding' and e.currency = a.currency
      where a.kind = 'fee_revenue' and a.owner_id = ${PLATFORM_OWNER}
      group by a.currency, a.posted_minor
      order by a.currency`.execute(this.deps.db);
    let made = 0;
    for (const row of r.rows) {
      const fundedFees = BigInt(row.funded_fees);
      const earned = BigInt(row.posted) + BigInt(row.funded_all);
      const target = (earned * BigInt(this.settings.feeShareBps)) / 10_000n;
      const due = target - fundedFees;
      if (due <= 0n) continue;
      const res = await this.fund({
        currency: row.currency,
        amountMinor: due,
        source: 'fees',
        reason: `${this.settings.feeShareBps / 100}% of fee revenue`,
        actor: { type: 'system', id: 'bulwark' },
        idem: { scope: 'reserve.sweep', key: `fees:${row.currency}:${target}`, requestHash: 'sweep' },
      });
      if (!res.replayed) made++;
    }
    return made;
  }

  /** Balance, inflows and payouts per currency over a period (all time by default), with recent movements. */
  async report(range: { from?: Date; to?: Date } = {}) {
    const from = range.from ?? new Date(0);
    const to = range.to ?? new Date('9999-12-31T00:00:00Z');
    const sums = await sql<{
      currency: string;
      kind: string;
      source: string | null;
      reversal: boolean;
      n: string;
      total: string;
    }>`
      select e.currency, e.kind, e.metadata->>'source' as source, false as reversal,
        count(*)::text as n, sum(e.amount_minor)::text as total
      from ledger_entries e
      where e.kind in ('reserve_funding', 'compensation', 'provisional_credit')
        and e.occurred_at >= ${from} and e.occurred_at < ${to}
      group by 1, 2, 3
      union all
      select o.currency, o.kind, null, true, count(*)::text, sum(r.amount_minor)::text
      from ledger_entries r join ledger_entries o on o.id = r.reverses_id
      where r.kind = 'reversal' and o.kind in ('compensation', 'provisional_credit')
        and r.occurred_at >= ${from} and r.occurred_at < ${to}
      group by 1, 2`.execute(this.deps.db);
    const balances = await this.deps.db
      .selectFrom('ledger_accounts')
      .select(['currency', 'posted_minor'])
      .where('kind', '=', 'risk_reserve')
      .execute();
    const byCurrency = new Map<string, ReserveCurrencyReport>();
    const of = (currency: string) => {
      let r = byCurrency.get(currency);
      if (!r) {
        r = {
          currency,
          balanceMinor: '0',
          inflows: { feesMinor: '0', revenueMinor: '0', count: 0 },
          payouts: { compensationMinor: '0', provisionalMinor: '0', reversedMinor: '0', count: 0 },
        };
        byCurrency.set(currency, r);
      }
      return r;
    };
    for (const b of balances) of(b.currency).balanceMinor = BigInt(b.posted_minor).toString();
    for (const s of sums.rows) {
      const r = of(s.currency);
      const total = BigInt(s.total);
      if (s.kind === 'reserve_funding') {
        if (s.source === 'fees') r.inflows.feesMinor = add(r.inflows.feesMinor, total);
        else r.inflows.revenueMinor = add(r.inflows.revenueMinor, total);
        r.inflows.count += Number(s.n);
      } else if (s.reversal) {
        r.payouts.reversedMinor = add(r.payouts.reversedMinor, total);
      } else {
        if (s.kind === 'compensation') r.payouts.compensationMinor = add(r.payouts.compensationMinor, total);
        else r.payouts.provisionalMinor = add(r.payouts.provisionalMinor, total);
        r.payouts.count += Number(s.n);
      }
    }
    const recent = await this.deps.db
      .selectFrom('ledger_entries')
      .select(['id', 'kind', 'currency', 'amount_minor', 'occurred_at', 'metadata', 'reverses_id'])
      .where('kind', 'in', ['reserve_funding', 'compensation', 'provisional_credit'])
      .where('occurred_at', '>=', from)
      .where('occurred_at', '<', to)
      .orderBy('seq', 'desc')
      .limit(50)
      .execute();
    return {
      currencies: [...byCurrency.values()]
        .filter((c) => c.balanceMinor !== '0' || c.inflows.count > 0 || c.payouts.count > 0)
        .sort((a, b) => (a.currency < b.currency ? -1 : 1)),
      recent: recent.map((e) => ({
        entryId: e.id,
        kind: e.kind,
        currency: e.currency,
        amountMinor: BigInt(e.amount_minor).toString(),
        at: e.occurred_at.toISOString(),
        caseId: (e.metadata as Record<string, string>).caseId ?? null,
        source: (e.metadata as Record<string, string>).source ?? null,
        reason: (e.metadata as Record<string, string>).reason ?? null,
      })),
    };
  }
}

export interface ReserveCurrencyReport {
  currency: string;
  balanceMinor: string;
  inflows: { feesMinor: string; revenueMinor: string; count: number };
  payouts: { compensationMinor: string; provisionalMinor: string; reversedMinor: string; count: number };
}

/** The entry a command without an idempotency key posted, or its error. */
function postedEntryId(submitted: SubmitResult, mapError: (e: AppError) => AppError): string {
  if (submitted.replayed) throw new Error('a command without an idempotency key was replayed');
  if (!submitted.outcome.ok) throw mapError(submitted.outcome.error);
  return submitted.outcome.entry?.id ?? '';
}

function add(a: string, b: bigint): string {
  return (BigInt(a) + b).toString();
}

/** The ledger's "insufficient funds" on the reserve (or the fees) says which money is short. */
function reserveError(err: AppError, currency: Currency, which: 'reserve' | 'fee' = 'reserve'): AppError {
  if (err.code === 'LEDGER_INSUFFICIENT_FUNDS') {
    return which === 'reserve'
      ? new AppError('RESERVE_INSUFFICIENT', `The ${currency} risk reserve cannot cover this payment.`)
      : new AppError('RESERVE_INSUFFICIENT', `The ${currency} fee revenue cannot cover this transfer.`);
  }
  return err;
}
