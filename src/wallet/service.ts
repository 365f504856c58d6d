import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { CommandOutcome, LedgerCommand, StoredResponse, SubmitResult } from '../ledger/commands.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { EntryKind } from '../ledger/types.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { type IdempotencyContext, runIdempotent } from '../platform/idempotency.ts';
import { newId } from '../platform/ids.ts';
import { applyBps, type Currency, parseAmountMinor, parseCurrency } from '../platform/money.ts';
import { type OutboxEvent, writeOutbox } from '../platform/outbox.ts';
import type { RiskDecision, RiskEvent } from '../risk/gate.ts';
import { type ActorType, type AuditContext, appendAudit, auditOf } from '../security/audit.ts';
import type { Directory } from './directory.ts';
import {
  type Challenger,
  contextFields,
  decideMovement,
  type EventContext,
  parseInstant,
  type StepUpContext,
} from './risk-step.ts';
import { accountView, holdView, movementResponse, problemResponse } from './views.ts';

/** What a risk gate must offer the wallet: decide, and give back reserved usage on failure. */
export interface WalletRiskGate {
  decide(event: RiskEvent, options?: { stepUpPassed?: boolean }): Promise<RiskDecision>;
  release(decision: RiskDecision): void;
}

export interface RequestContext {
  idem: IdempotencyContext;
  ip?: string;
  /**
   * Who asks. Until API clients and staff authenticate (identity issue), routes record an
   * unauthenticated API client with its address: the truth, not a made-up operator.
   */
  actor?: { type: ActorType; id: string; role?: string };
  requestId?: string;
  /** The end user's device, address, region and time, as the client reports them. */
  event?: EventContext | undefined;
  /** The operation and request a step-up proof is bound to, and the proof sent. */
  stepUp?: StepUpContext | undefined;
  /**
   * More writes in the action's own transaction (a review decided from a case writes the
   * case's timeline with it); a throw here undoes the action. Used by hold and withdrawal decisions.
   */
  inTx?: ((tx: Tx) => Promise<void>) | undefined;
}

export interface WalletSettings {
  reviewHoldTtlMs: number;
  clock: Clock;
}

/**
 * Customers, merchants and the money movements between them: transfer, payment,
 * refund, and the release or void of held movements. Every movement is decided by the
 * risk gate first; the decision is stored with the movement in one ledger transaction.
 */
export class WalletService {
  /** Step-up challenges for CHALLENGE outcomes (set once identity is built). */
  challenger: Challenger | undefined;

  constructor(
    readonly db: Db,
    readonly ledger: LedgerService,
    readonly gate: WalletRiskGate,
    readonly directory: Directory,
    readonly settings: WalletSettings,
    readonly log: Logger,
  ) {}

  async createCustomer(
    input: { displayName: string; currencies: string[]; openedAt?: string | undefined },
    ctx: RequestContext,
  ) {
    const currencies = uniqueCurrencies(input.currencies);
    const openedAt = this.openedAt(input.openedAt);
    let createdId: string | undefined;
    const result = await runIdempotent(this.db, ctx.idem, async (tx) => {
      const id = newId('cus');
      createdId = id;
      const now = this.settings.clock.now();
      await tx
        .insertInto('customers')
        .values({ id, display_name: input.displayName, created_at: openedAt ?? now })
        .execute();
      for (const currency of currencies) {
        await this.ledger.openAccount({ kind: 'customer_wallet', currency, ownerId: id, createdAt: now }, tx);
      }
      await writeOutbox(tx, [
        { topic: 'wallet.customer.created', aggregateId: id, payload: { customerId: id } },
      ]);
      return { statusCode: 201, body: { id } };
    });
    // The response shows the customer as it is now, for the first call and for replays.
    const id = createdId ?? storedId(result.response.body);
    return id ? { ...result, response: { statusCode: 201, body: await this.customerView(id) } } : result;
  }

  /** An account-opening date from the integrator's own system: not in the future, at most 10 years back. */
  private openedAt(value: string | undefined): Date | undefined {
    if (value === undefined) return undefined;
    const d = parseInstant(value, 'openedAt');
    const now = this.settings.clock.now().getTime();
    if (d.getTime() > now + 60_000 || d.getTime() < now - 10 * 366 * 86_400_000) {
      throw new AppError(
        'VALIDATION_FAILED',
        'openedAt must not be in the future nor more than 10 years back.',
        {
          field: 'openedAt',
        },
      );
    }
    return d;
  }

  async customerView(id: string) {
    const row = await this.db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('WALLET_CUSTOMER_NOT_FOUND', `Customer ${id} does not exist.`);
    const wallets = await this.ledger.accountsOf(id);
    return {
      id: row.id,
      displayName: row.display_name,
      status: row.status,
      createdAt: row.created_at.toISOString(),
      wallets: wallets.map(accountView),
    };
  }

  async openWallet(customerId: string, currencyCode: string): Promise<StoredResponse> {
    const currency = parseCurrency(currencyCode);
    await this.customerView(customerId);
    const existing = (await this.ledger.accountsOf(customerId)).find((a) => a.currency === currency);
    const account =
      existing ?? (await this.ledger.openAccount({ kind: 'customer_wallet', currency, ownerId: customerId }));
    return { statusCode: existing ? 200 : 201, body: accountView(account) };
  }

  async createMerchant(
    input: { name: string; feeBps: number; currencies: string[]; openedAt?: string | undefined },
    ctx: RequestContext,
  ) {
    const currencies = uniqueCurrencies(input.currencies);
    const openedAt = this.openedAt(input.openedAt);
    let createdId: string | undefined;
    const result = await runIdempotent(this.db, ctx.idem, async (tx) => {
      const id = newId('mer');
      createdId = id;
      const now = this.settings.clock.now();
      await tx
        .insertInto('merchants')
        .values({ id, name: input.name, fee_bps: input.feeBps, created_at: openedAt ?? now })
        .execute();
      for (const currency of currencies) {
        await this.ledger.openAccount({ kind: 'merchant', currency, ownerId: id, createdAt: now }, tx);
      }
      await writeOutbox(tx, [
        { topic: 'wallet.merchant.created', aggregateId: id, payload: { merchantId: id } },
      ]);
      return { statusCode: 201, body: { id } };
    });
    const id = createdId ?? storedId(result.response.body);
    return id ? { ...result, response: { statusCode: 201, body: await this.merchantView(id) } } : result;
  }

  async merchantView(id: string) {
    const row = await this.db.selectFrom('merchants').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('WALLET_MERCHANT_NOT_FOUND', `Merchant ${id} does not exist.`);
    const accounts = await this.ledger.accountsOf(id);
    return {
      id: row.id,
      name: row.name,
      feeBps: row.fee_bps,
      status: row.status,
      createdAt: row.created_at.toISOString(),
      accounts: accounts.map(accountView),
    };
  }

  /** Freezes or unfreezes a customer or merchant and all of their accounts, idempotently, in one transaction. */
  async setOwnerStatus(
    ownerId: string,
    status: 'active' | 'frozen',
    reason: string,
    ctx: RequestContext,
  ): Promise<{ replayed: boolean; response: StoredResponse }> {
    const result = await runIdempotent(this.db, ctx.idem, async (tx) => {
      const { accountIds } = await this.applyOwnerStatus(tx, ownerId, status, reason, ctx);
      return { statusCode: 200, body: { ownerId, status, accountIds } };
    });
    this.ownerStatusCommitted(ownerId);
    const accounts = await this.ledger.accountsOf(ownerId);
    return {
      ...result,
      response: { statusCode: 200, body: { ownerId, status, accounts: accounts.map(accountView) } },
    };
  }

  /**
   * The body of a freeze or unfreeze inside the caller's transaction, with its audit record
   * and event: an approved unfreeze runs it in the approval's own transaction, so the
   * decision and its effect commit together. Call `ownerStatusCommitted` after the commit.
   */
  async applyOwnerStatus(
    tx: Tx,
    ownerId: string,
    status: 'active' | 'frozen',
    reason: string,
    ctx: AuditContext,
  ): Promise<{ previous: string; accountIds: string[] }> {
    const table = ownerId.startsWith('mer_') ? 'merchants' : 'customers';
    const previous = await tx.selectFrom(table).select('status').where('id', '=', ownerId).executeTakeFirst();
    if (!previous) {
      throw new AppError(table === 'merchants' ? 'WALLET_MERCHANT_NOT_FOUND' : 'WALLET_CUSTOMER_NOT_FOUND');
    }
    await tx.updateTable(table).set({ status }).where('id', '=', ownerId).execute();
    await appendAudit(tx, [
      auditOf(
        ctx,
        status === 'frozen' ? 'owner.freeze' : 'owner.unfreeze',
        { type: table === 'merchants' ? 'merchant' : 'customer', id: ownerId },
        { before: { status: previous.status }, after: { status }, reason },
        this.settings.clock.now(),
      ),
    ]);
    await tx.updateTable('ledger_accounts').set({ status }).where('owner_id', '=', ownerId).execute();
    await writeOutbox(tx, [
      {
        topic: `wallet.owner.${status === 'frozen' ? 'frozen' : 'unfrozen'}`,
        aggregateId: ownerId,
        payload: { ownerId, reason },
      },
    ]);
    const accounts = await tx
      .selectFrom('ledger_accounts')
      .select('id')
      .where('owner_id', '=', ownerId)
      .execute();
    return { previous: previous.status, accountIds: accounts.map((a) => a.id) };
  }

  /** Drops what this process caches about an owner whose status changed (after the commit). */
  ownerStatusCommitted(ownerId: string): void {
    this.directory.forgetMerchant(ownerId);
  }

  async transfer(
    input: { fromWalletId: string; toWalletId: string; amountMinor: string; currency: string; memo?: string },
    ctx: RequestContext,
  ): Promise<SubmitResult> {
    const amount = parseAmountMinor(input.amountMinor);
    const currency = parseCurrency(input.currency);
    if (input.fromWalletId === input.toWalletId) {
      throw new AppError('WALLET_SELF_TRANSFER', 'fromWalletId and toWalletId must differ.');
    }
    const [from, to] = await Promise.all([
      this.directory.wallet(input.fromWalletId),
      this.directory.wallet(input.toWalletId),
    ]);
    requireCurrency(from.currency, currency, from.id);
    requireCurrency(to.currency, currency, to.id);
    const decision = await this.decideMovement(
      {
        type: 'transfer',
        customerId: from.customerId,
        counterpartyId: to.customerId,
        currency,
        amountMinor: amount,
      },
      ctx,
    );
    const metadata: Record<string, string> = { payerId: from.customerId, payeeId: to.customerId };
    if (input.memo) metadata.memo = input.memo;
    return this.move(
      decision,
      {
        kind: 'transfer',
        rule: 'transfer',
        params: { from: from.id, to: to.id },
        currency,
        amount,
        metadata,
        holdAccountId: from.id,
      },
      ctx,
      { fromWalletId: from.id, toWalletId: to.id },
    );
  }

  async pay(
    input: { walletId: string; merchantId: string; amountMinor: string; currency: string; orderRef?: string },
    ctx: RequestContext,
  ): Promise<SubmitResult> {
    const amount = parseAmountMinor(input.amountMinor);
    const currency = parseCurrency(input.currency);
    const [wallet, merchant] = await Promise.all([
      this.directory.wallet(input.walletId),
      this.directory.merchant(input.merchantId),
    ]);
    requireCurrency(wallet.currency, currency, wallet.id);
    const merchantAccount = merchant.accounts.get(currency);
    if (!merchantAccount) {
      throw new AppError('CURRENCY_MISMATCH', `Merchant ${merchant.id} does not accept ${currency}.`);
    }
    const decision = await this.decideMovement(
      {
        type: 'payment',
        customerId: wallet.customerId,
        counterpartyId: merchant.id,
        currency,
        amountMinor: amount,
      },
      ctx,
    );
    const fee = applyBps(amount, merchant.feeBps);
    const metadata: Record<string, string> = {
      payerId: wallet.customerId,
      merchantId: merchant.id,
      feeBps: String(merchant.feeBps),
      feeMinor: fee.toString(),
    };
    if (input.orderRef) metadata.orderRef = input.orderRef;
    const params = {
      wallet: wallet.id,
      custody: this.ledger.systemAccountId('customer_custody', currency),
      settlement: this.ledger.systemAccountId('settlement_clearing', currency),
      merchant: merchantAccount,
      fee: this.ledger.systemAccountId('fee_revenue', currency),
      feeBps: String(merchant.feeBps),
    };
    return this.move(
      decision,
      { kind: 'payment', rule: 'payment', params, currency, amount, metadata, holdAccountId: wallet.id },
      ctx,
      { walletId: wallet.id, merchantId: merchant.id },
    );
  }

  /** Refunds all or part of a payment; refunds together never exceed what was paid. */
  async refund(
    paymentId: string,
    input: { amountMinor?: string; reason?: string },
    ctx: RequestContext,
  ): Promise<SubmitResult> {
    const payment = await this.ledger.getEntry(paymentId).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'LEDGER_ENTRY_NOT_FOUND') {
        throw new AppError('WALLET_PAYMENT_NOT_FOUND', `Payment ${paymentId} does not exist.`);
      }
      throw err;
    });
    if (payment.rule !== 'payment' || payment.reversesId !== null) {
      throw new AppError('WALLET_PAYMENT_NOT_FOUND', `${paymentId} is not a payment.`);
    }
    const amount = input.amountMinor === undefined ? undefined : parseAmountMinor(input.amountMinor);
    const payerId = payment.metadata.payerId ?? 'unknown';
    const remaining = payment.amountMinor - (await this.ledger.reversedMinor(payment.id));
    const decision = await this.decideMovement(
      {
        type: 'refund',
        customerId: payerId,
        counterpartyId: payment.metadata.merchantId ?? 'unknown',
        currency: payment.currency,
        amountMinor: amount ?? (remaining > 0n ? remaining : 1n),
      },
      ctx,
    );
    const metadata: Record<string, string> = { paymentId: payment.id, payerId };
    if (payment.metadata.merchantId) metadata.merchantId = payment.metadata.merchantId;
    if (input.reason) metadata.reason = input.reason;
    const cmd: LedgerCommand =
      decision.outcome === 'ALLOW'
        ? {
            type: 'reverse',
            entryId: payment.id,
            kind: 'refund',
            expectRule: 'payment',
            decision: { record: decision },
            metadata,
            ...(amount === undefined ? {} : { amountMinor: amount }),
          }
        : { type: 'record', decision };
    return this.ledger.submit({
      ...cmd,
      idempotency: {
        ...ctx.idem,
        render: (outcome) => {
          if (cmd.type === 'record') {
            // A refund held for review is not made: it waits for an analyst (the payer keeps the money paid).
            return decision.outcome === 'REVIEW' ? awaitingReview(decision) : blocked(decision);
          }
          if (!outcome.ok && outcome.error.code === 'LEDGER_REVERSAL_EXCEEDS_ORIGINAL') {
            return problemResponse(
              new AppError('WALLET_REFUND_EXCEEDS_PAYMENT', outcome.error.message, outcome.error.extra),
            );
          }
          return movementResponse('refund', decision, outcome, { paymentId: payment.id });
        },
      },
    });
  }

  /** Posts a held transfer or payment (fully or partly), e.g. after a review found it sound. */
  async postHold(holdId: string, input: { amountMinor?: string; reason: string }, ctx: RequestContext) {
    const hold = await this.ledger.getHold(holdId);
    if (hold.kind === 'withdrawal') {
      throw new AppError('WALLET_WITHDRAWAL_STATE', 'Release a held withdrawal through its approve action.');
    }
    const amount = input.amountMinor === undefined ? undefined : parseAmountMinor(input.amountMinor);
    // A partly posted payment's fee follows the posted amount, and its statement line says so.
    const feeBps = hold.rule === 'payment' ? Number(hold.params.feeBps ?? '0') : undefined;
    const metadata =
      amount !== undefined && feeBps !== undefined
        ? { feeMinor: applyBps(amount, feeBps).toString() }
        : undefined;
    const customerId = (await this.ledger.ownerOf(hold.accountId)) ?? '';
    return this.ledger.submit({
      type: 'postHold',
      holdId,
      events: (o) => [
        {
          topic: 'wallet.hold.released',
          aggregateId: holdId,
          payload: {
            holdId,
            customerId,
            amountMinor: (o.hold?.postedMinor ?? hold.amountMinor).toString(),
            currency: hold.currency,
            entryId: o.entry?.id ?? null,
          },
        },
      ],
      reason: input.reason,
      ...(amount === undefined ? {} : { amountMinor: amount }),
      ...(metadata ? { metadata } : {}),
      inTx: async (tx, o) => {
        await appendAudit(tx, [
          auditOf(
            ctx,
            'hold.post',
            { type: 'hold', id: holdId },
            {
              before: { status: 'pending' },
              after: { status: 'posted', postedMinor: o.hold?.postedMinor.toString() ?? null },
              reason: input.reason,
            },
            this.settings.clock.now(),
          ),
        ]);
        await ctx.inTx?.(tx);
      },
      idempotency: {
        ...ctx.idem,
        render: (o) =>
          o.ok && o.hold
            ? { statusCode: 200, body: { hold: holdView(o.hold), entryId: o.entry?.id ?? null } }
            : failure(o),
      },
    });
  }

  async voidHold(holdId: string, input: { reason: string }, ctx: RequestContext) {
    const hold = await this.ledger.getHold(holdId);
    if (hold.kind === 'withdrawal') {
      throw new AppError('WALLET_WITHDRAWAL_STATE', 'Release a held withdrawal through its reject action.');
    }
    const customerId = (await this.ledger.ownerOf(hold.accountId)) ?? '';
    return this.ledger.submit({
      type: 'voidHold',
      holdId,
      reason: input.reason,
      events: () => [holdRejected(hold, customerId, input.reason)],
      inTx: async (tx) => {
        await appendAudit(tx, [
          auditOf(
            ctx,
            'hold.void',
            { type: 'hold', id: holdId },
            { before: { status: 'pending' }, after: { status: 'voided' }, reason: input.reason },
            this.settings.clock.now(),
          ),
        ]);
        await ctx.inTx?.(tx);
      },
      idempotency: {
        ...ctx.idem,
        render: (o) => (o.ok && o.hold ? { statusCode: 200, body: { hold: holdView(o.hold) } } : failure(o)),
      },
    });
  }

  /** ALLOW posts, REVIEW holds the payer's funds, BLOCK stores the refusal: all with the decision. */
  private async move(
    decision: RiskDecision,
    m: {
      kind: EntryKind;
      rule: 'transfer' | 'payment';
      params: Record<string, string>;
      currency: Currency;
      amount: bigint;
      metadata: Record<string, string>;
      holdAccountId: string;
    },
    ctx: RequestContext,
    extra: Record<string, unknown>,
  ): Promise<SubmitResult> {
    let cmd: LedgerCommand;
    if (decision.outcome === 'ALLOW') {
      cmd = {
        type: 'post',
        kind: m.kind,
        rule: m.rule,
        params: m.params,
        currency: m.currency,
        amountMinor: m.amount,
        decision: { record: decision },
        metadata: m.metadata,
      };
    } else if (decision.outcome === 'REVIEW') {
      cmd = {
        type: 'hold',
        kind: m.kind,
        rule: m.rule,
        params: m.params,
        currency: m.currency,
        amountMinor: m.amount,
        holdAccountId: m.holdAccountId,
        expiresAt: new Date(this.settings.clock.now().getTime() + this.settings.reviewHoldTtlMs),
        decision: { record: decision },
        metadata: m.metadata,
      };
    } else {
      cmd = { type: 'record', decision };
    }
    const result = await this.ledger
      .submit({
        ...cmd,
        idempotency: {
          ...ctx.idem,
          render: (o) =>
            cmd.type === 'record' ? blocked(decision) : movementResponse(m.kind, decision, o, extra),
        },
      })
      .catch((err: unknown) => {
        this.gate.release(decision);
        throw err;
      });
    if (result.replayed || !result.outcome.ok) this.gate.release(decision);
    if (!result.replayed && decision.outcome === 'BLOCK_AND_FREEZE') await this.enforceFreeze(decision);
    return result;
  }

  /** The engine's decision on a movement, with the request's context and step-up state. */
  private decideMovement(
    e: Pick<RiskEvent, 'type' | 'customerId' | 'counterpartyId' | 'currency' | 'amountMinor'>,
    ctx: RequestContext,
  ): Promise<RiskDecision> {
    return decideMovement(
      { db: this.db, gate: this.gate, challenger: this.challenger },
      { ...e, ...contextFields(ctx), at: ctx.event?.occurredAt ?? this.settings.clock.now() },
      ctx,
    );
  }

  /**
   * Freezes the customer of a BLOCK_AND_FREEZE decision and marks the decision enforced,
   * in one transaction. Runs right after the refusal is stored; the maintenance sweep
   * (`enforcePendingFreezes`) finishes any that a crash interrupted. Idempotent.
   */
  async enforceFreeze(decision: Pick<RiskDecision, 'id' | 'subjectId' | 'reasonCodes'>): Promise<void> {
    const ownerId = decision.subjectId;
    await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('risk_decisions')
        .select(['outcome', sql<string | null>`detail->>'frozenAt'`.as('frozen_at')])
        .where('id', '=', decision.id)
        .forUpdate()
        .executeTakeFirst();
      if (!row || row.outcome !== 'BLOCK_AND_FREEZE' || row.frozen_at) return;
      const owner = await tx
        .selectFrom('customers')
        .select('status')
        .where('id', '=', ownerId)
        .executeTakeFirst();
      if (owner && owner.status === 'active') {
        await this.applyOwnerStatus(
          tx,
          ownerId,
          'frozen',
          `risk decision ${decision.id}: ${decision.reasonCodes.join(', ')}`,
          { actor: { type: 'system', id: 'risk-engine' } },
        );
      }
      const now = this.settings.clock.now().toISOString();
      await sql`update risk_decisions
        set detail = jsonb_set(coalesce(detail, '{}'::jsonb), '{frozenAt}', to_jsonb(${now}::text))
        where id = ${decision.id}`.execute(tx);
    });
    this.ownerStatusCommitted(ownerId);
  }

  /** Enforces BLOCK_AND_FREEZE decisions of the last week whose freeze did not happen yet. */
  async enforcePendingFreezes(): Promise<number> {
    const since = new Date(this.settings.clock.now().getTime() - 7 * 86_400_000);
    const rows = await this.db
      .selectFrom('risk_decisions')
      .select(['id', 'subject_id', 'reason_codes'])
      .where('outcome', '=', 'BLOCK_AND_FREEZE')
      .where('created_at', '>=', since)
      .where(sql<boolean>`detail->>'frozenAt' is null`)
      .limit(100)
      .execute();
    for (const r of rows) {
      if (r.subject_id === null) continue;
      await this.enforceFreeze({ id: r.id, subjectId: r.subject_id, reasonCodes: r.reason_codes });
    }
    return rows.length;
  }
}

/** A movement that waits for an analyst before it is made (202, with the decision). */
/** The event that tells a customer their held movement will not go through. */
export function holdRejected(
  hold: { id: string; amountMinor: bigint; currency: string },
  customerId: string,
  reason: string,
): OutboxEvent {
  return {
    topic: 'wallet.hold.rejected',
    aggregateId: hold.id,
    payload: {
      holdId: hold.id,
      customerId,
      amountMinor: hold.amountMinor.toString(),
      currency: hold.currency,
      reason,
    },
  };
}

export function awaitingReview(decision: RiskDecision): StoredResponse {
  return problemResponse(new AppError('RISK_REVIEW', decision.customerMessage ?? undefined), {
    decision: {
      id: decision.id,
      outcome: decision.outcome,
      reasonCodes: decision.reasonCodes,
      customerMessage: decision.customerMessage,
    },
  });
}

export function blocked(decision: RiskDecision): StoredResponse {
  return problemResponse(new AppError('RISK_BLOCKED', decision.customerMessage ?? undefined), {
    decision: {
      id: decision.id,
      outcome: decision.outcome,
      reasonCodes: decision.reasonCodes,
      customerMessage: decision.customerMessage,
    },
  });
}

/** The id in a stored creation response ({ id }), read without trusting its shape. */
function storedId(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('id' in body)) return undefined;
  return typeof body.id === 'string' ? body.id : undefined;
}

function failure(o: CommandOutcome): StoredResponse {
  if (o.ok) throw new Error('expected a failure');
  return problemResponse(o.error);
}

function requireCurrency(actual: Currency, wanted: Currency, walletId: string): void {
  if (actual !== wanted) {
    throw new AppError('CURRENCY_MISMATCH', `Wallet ${walletId} holds ${actual}, not ${wanted}.`, {
      walletId,
    });
  }
}

function uniqueCurrencies(codes: string[]): Currency[] {
  return [...new Set(codes.map(parseCurrency))];
}
