import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { IdempotencySpec, StoredResponse, SubmitResult } from '../ledger/commands.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { runIdempotent } from '../platform/idempotency.ts';
import { newId } from '../platform/ids.ts';
import { type Currency, parseAmountMinor, parseCurrency } from '../platform/money.ts';
import { writeOutbox } from '../platform/outbox.ts';
import { insertDecision } from '../risk/decision-store.ts';
import type { RiskDecision } from '../risk/gate.ts';
import { type AuditEvent, appendAudit, auditOf } from '../security/audit.ts';
import type { Vault } from '../security/vault.ts';
import { type ChannelAdapter, type ChannelCallback, verifyCallbackSignature } from './channels.ts';
import type { Directory } from './directory.ts';
import { type Challenger, contextFields, decideMovement } from './risk-step.ts';
import { blocked, type RequestContext, type WalletRiskGate } from './service.ts';
import { decisionView, problemResponse } from './views.ts';

export interface FundingSettings {
  withdrawalTimeoutMs: number;
  reviewHoldTtlMs: number;
  /** Key for the fingerprint of bank account numbers (so the same account is recognised without storing it). */
  fingerprintKey: string;
  clock: Clock;
  /** Seals the bank details of withdrawals held for review. */
  vault: Vault;
}

type TopupRow = {
  id: string;
  account_id: string;
  customer_id: string;
  currency: string;
  amount_minor: bigint;
  channel: string;
  status: string;
  decision_id: string;
  entry_id: string | null;
  failure_code: string | null;
  created_at: Date;
  updated_at: Date;
};

type WithdrawalRow = {
  id: string;
  account_id: string;
  customer_id: string;
  currency: string;
  amount_minor: bigint;
  channel: string;
  bank_account_masked: string;
  status: string;
  decision_id: string;
  hold_id: string;
  entry_id: string | null;
  failure_code: string | null;
  deadline_at: Date;
  created_at: Date;
  updated_at: Date;
};

/**
 * Money in and out through channels. Top-up: pending → succeeded | failed, posted only
 * on the channel's signed confirmation. Withdrawal: the amount is held first, then
 * in_review → processing → succeeded (hold posted) | failed or rejected (hold voided),
 * with a deadline after which an unanswered payout is released.
 */
export class FundingService {
  private readonly channels = new Map<string, ChannelAdapter>();
  /** Step-up challenges for CHALLENGE outcomes (set once identity is built). */
  challenger: Challenger | undefined;
  /** Freezes the customer of a BLOCK_AND_FREEZE decision (the wallet's `enforceFreeze`). */
  onFreeze: ((decision: RiskDecision) => Promise<void>) | undefined;

  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerService,
    private readonly gate: WalletRiskGate,
    private readonly directory: Directory,
    private readonly settings: FundingSettings,
    private readonly log: Logger,
  ) {}

  addChannel(channel: ChannelAdapter): void {
    this.channels.set(channel.name, channel);
  }

  channel(name: string): ChannelAdapter {
    const c = this.channels.get(name);
    if (!c) throw new AppError('CHANNEL_UNKNOWN', `Channel "${name}" does not exist.`);
    return c;
  }

  /** Validates what a top-up or withdrawal names: amount, currency, channel and the wallet in that currency. */
  private async target(input: { walletId: string; amountMinor: string; currency: string; channel: string }) {
    const amount = parseAmountMinor(input.amountMinor);
    const currency = parseCurrency(input.currency);
    const channel = this.channel(input.channel);
    const wallet = await this.directory.wallet(input.walletId);
    if (wallet.currency !== currency) {
      throw new AppError(
        'CURRENCY_MISMATCH',
        `Wallet ${wallet.id} holds ${wallet.currency}, not ${currency}.`,
      );
    }
    return { amount, currency, channel, wallet };
  }

  /** The risk gate's decision on money entering or leaving through a channel. */
  private decide(
    type: 'topup' | 'withdrawal',
    t: Awaited<ReturnType<FundingService['target']>>,
    ctx: RequestContext,
    counterpartyId?: string,
  ): Promise<RiskDecision> {
    return decideMovement(
      { db: this.db, gate: this.gate, challenger: this.challenger },
      {
        type,
        customerId: t.wallet.customerId,
        currency: t.currency,
        amountMinor: t.amount,
        ...(counterpartyId === undefined ? {} : { counterpartyId }),
        ...contextFields(ctx),
        channel: ctx.event?.channel ?? t.channel.name,
        at: ctx.event?.occurredAt ?? this.settings.clock.now(),
      },
      ctx,
    );
  }

  async topup(
    input: { walletId: string; amountMinor: string; currency: string; channel: string },
    ctx: RequestContext,
  ): Promise<{ replayed: boolean; response: StoredResponse }> {
    const { amount, currency, channel, wallet } = await this.target(input);
    const account = await this.ledger.getAccount(wallet.id);
    if (account.status !== 'active')
      throw new AppError('LEDGER_ACCOUNT_FROZEN', `Wallet ${wallet.id} is ${account.status}.`);
    const decision = await this.decide('topup', { amount, currency, channel, wallet }, ctx);
    const id = newId('top');
    const result = await runIdempotent(this.db, ctx.idem, async (tx) => {
      await insertDecision(tx, decision);
      if (decision.outcome !== 'ALLOW') return blocked(decision);
      const now = this.settings.clock.now();
      await tx
        .insertInto('wallet_topups')
        .values({
          id,
          account_id: wallet.id,
          customer_id: wallet.customerId,
          currency,
          amount_minor: amount,
          channel: channel.name,
          status: 'pending',
          decision_id: decision.id,
          entry_id: null,
          failure_code: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await writeOutbox(tx, [{ topic: 'wallet.topup.created', aggregateId: id, payload: { topupId: id } }]);
      return { statusCode: 202, body: topupView(await getTopup(tx, id), decision) };
    });
    if (!result.replayed && result.response.statusCode === 202) {
      await channel.initiateTopup({ topupId: id, amountMinor: amount, currency });
    }
    return result;
  }

  async getTopup(id: string) {
    const row = await getTopup(this.db, id);
    const decision = await this.db
      .selectFrom('risk_decisions')
      .select(['id', 'outcome', 'reason_codes', 'customer_message'])
      .where('id', '=', row.decision_id)
      .executeTakeFirstOrThrow();
    return topupView(row, {
      id: decision.id,
      outcome: decision.outcome as RiskDecision['outcome'],
      reasonCodes: decision.reason_codes,
      customerMessage: decision.customer_message,
    });
  }

  async withdraw(
    input: {
      walletId: string;
      amountMinor: string;
      currency: string;
      channel: string;
      bankAccount: { accountNumber: string; holderName: string };
    },
    ctx: RequestContext,
  ): Promise<SubmitResult> {
    const { amount, currency, channel, wallet } = await this.target(input);
    const accountNumber = input.bankAccount.accountNumber.replace(/[\s-]/g, '');
    if (!/^[0-9]{8,34}$/.test(accountNumber)) {
      throw new AppError('VALIDATION_FAILED', 'bankAccount.accountNumber must be 8 to 34 digits.');
    }
    const fingerprint = this.bankFingerprint(accountNumber);
    // The bank account (by fingerprint, never its number) is the withdrawal's counterparty.
    const decision = await this.decide(
      'withdrawal',
      { amount, currency, channel, wallet },
      ctx,
      `bank:${fingerprint.slice(0, 32)}`,
    );
    const id = newId('wdr');
    const now = this.settings.clock.now().getTime();
    const review = decision.outcome === 'REVIEW';
    const deadline = new Date(
      now + (review ? this.settings.reviewHoldTtlMs : this.settings.withdrawalTimeoutMs),
    );
    const masked = `****${accountNumber.slice(-4)}`;
    const allowed = decision.outcome === 'ALLOW' || review;
    const result = await this.ledger
      .submit({
        ...(allowed
          ? {
              type: 'hold' as const,
              kind: 'withdrawal' as const,
              rule: 'withdrawal' as const,
              params: {
                wallet: wallet.id,
                custody: this.ledger.systemAccountId('customer_custody', currency),
              },
              currency,
              amountMinor: amount,
              holdAccountId: wallet.id,
              // The wallet's sweeper settles withdrawals at their deadline; the hold outlives it.
              expiresAt: new Date(deadline.getTime() + 3_600_000),
              decision: { record: decision },
              metadata: { withdrawalId: id, payerId: wallet.customerId, bankAccount: masked },
            }
          : { type: 'record' as const, decision }),
        inTx: async (tx, outcome) => {
          if (!outcome.hold) return;
          const at = new Date(now);
          await tx
            .insertInto('wallet_withdrawals')
            .values({
              id,
              account_id: wallet.id,
              customer_id: wallet.customerId,
              currency,
              amount_minor: amount,
              channel: channel.name,
              bank_account_masked: masked,
              bank_account_fingerprint: fingerprint,
              bank_account_sealed: review
                ? this.settings.vault.seal(
                    JSON.stringify({ accountNumber, holderName: input.bankAccount.holderName }),
                    sealContext(id),
                  )
                : null,
              status: review ? 'in_review' : 'processing',
              decision_id: decision.id,
              hold_id: outcome.hold.id,
              entry_id: null,
              failure_code: null,
              deadline_at: deadline,
              created_at: at,
              updated_at: at,
            })
            .execute();
        },
        idempotency: {
          ...ctx.idem,
          render: (o) => {
            if (!allowed) return blocked(decision);
            if (!o.ok) return problemResponse(o.error, { decision: decisionView(decision) });
            return {
              statusCode: 202,
              body: {
                id,
                status: review ? 'in_review' : 'processing',
                walletId: wallet.id,
                amountMinor: amount.toString(),
                currency,
                channel: channel.name,
                bankAccount: masked,
                holdId: o.hold?.id ?? null,
                entryId: null,
                failureCode: null,
                decision: decisionView(decision),
                deadlineAt: deadline.toISOString(),
                createdAt: new Date(now).toISOString(),
              },
            };
          },
        },
      })
      .catch((err: unknown) => {
        this.gate.release(decision);
        throw err;
      });
    if (result.replayed || !result.outcome.ok) this.gate.release(decision);
    if (!result.replayed && decision.outcome === 'BLOCK_AND_FREEZE') await this.onFreeze?.(decision);
    if (!result.replayed && result.outcome.ok && result.outcome.hold && !review) {
      await channel.initiatePayout({
        withdrawalId: id,
        amountMinor: amount,
        currency,
        accountNumber,
        holderName: input.bankAccount.holderName,
      });
    }
    return result;
  }

  /** The keyed fingerprint of a bank account number (recognises the account without keeping it). */
  bankFingerprint(accountNumber: string): string {
    return createHmac('sha256', this.settings.fingerprintKey).update(accountNumber).digest('hex');
  }

  /** True when this customer has already been paid out to this account (a known payee account). */
  async knownBankAccount(customerId: string, accountNumber: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('wallet_withdrawals')
      .select('id')
      .where('customer_id', '=', customerId)
      .where('bank_account_fingerprint', '=', this.bankFingerprint(accountNumber))
      .where('status', '=', 'succeeded')
      .executeTakeFirst();
    return row !== undefined;
  }

  async getWithdrawal(id: string) {
    return withdrawalView(await getWithdrawal(this.db, id));
  }

  /**
   * A reviewer approves a held withdrawal: it goes to the channel. The channel needs the
   * account number, which Bulwark does not keep; `accountNumber` is supplied again and
   * must match the stored fingerprint.
   */
  /**
   * A reviewer approves a held withdrawal and it goes to the channel with the bank details
   * sealed when it was made. A reviewer who re-enters the account number has it checked
   * against the stored fingerprint.
   */
  async approveWithdrawal(
    id: string,
    input: { accountNumber?: string; holderName?: string },
    ctx: RequestContext,
  ): Promise<{ replayed: boolean; response: StoredResponse }> {
    const payee = await this.payeeOf(id, input);
    const accountNumber = payee.accountNumber;
    const fingerprint = this.bankFingerprint(accountNumber);
    let approved: WithdrawalRow | undefined;
    // The state change and its response are stored together; a refusal stores nothing, so a retry is judged afresh.
    const result = await runIdempotent(this.db, ctx.idem, async (tx) => {
      const w = await getWithdrawal(tx, id);
      const stored = await tx
        .selectFrom('wallet_withdrawals')
        .select('bank_account_fingerprint')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      if (stored.bank_account_fingerprint !== fingerprint) {
        throw new AppError('VALIDATION_FAILED', 'accountNumber does not match the withdrawal.');
      }
      const now = this.settings.clock.now();
      const res = await tx
        .updateTable('wallet_withdrawals')
        .set({
          status: 'processing',
          deadline_at: new Date(now.getTime() + this.settings.withdrawalTimeoutMs),
          updated_at: now,
        })
        .where('id', '=', id)
        .where('status', '=', 'in_review')
        .executeTakeFirst();
      if (res.numUpdatedRows === 0n) {
        throw new AppError('WALLET_WITHDRAWAL_STATE', `Withdrawal ${id} is ${w.status}, not in_review.`);
      }
      await writeOutbox(tx, [
        { topic: 'wallet.withdrawal.approved', aggregateId: id, payload: { withdrawalId: id } },
      ]);
      await appendAudit(tx, [
        auditOf(
          ctx,
          'withdrawal.approve',
          { type: 'withdrawal', id },
          { before: { status: 'in_review' }, after: { status: 'processing' } },
          now,
        ),
      ]);
      await ctx.inTx?.(tx);
      approved = await getWithdrawal(tx, id);
      return { statusCode: 200, body: withdrawalView(approved) };
    });
    if (approved) {
      // The payout leaves only after the approval is committed.
      await this.channel(approved.channel).initiatePayout({
        withdrawalId: id,
        amountMinor: BigInt(approved.amount_minor),
        currency: approved.currency as Currency,
        accountNumber,
        holderName: payee.holderName,
      });
    }
    return result;
  }

  /** The payee's bank details: as re-entered by the reviewer, or opened from the sealed copy. */
  private async payeeOf(
    id: string,
    input: { accountNumber?: string; holderName?: string },
  ): Promise<{ accountNumber: string; holderName: string }> {
    const row = await this.db
      .selectFrom('wallet_withdrawals')
      .select('bank_account_sealed')
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new AppError('WALLET_WITHDRAWAL_NOT_FOUND', `Withdrawal ${id} does not exist.`);
    const sealed = row.bank_account_sealed
      ? parsePayee(this.settings.vault.open(row.bank_account_sealed, sealContext(id)))
      : undefined;
    if (input.accountNumber !== undefined) {
      return {
        accountNumber: input.accountNumber.replace(/[\s-]/g, ''),
        holderName: input.holderName ?? sealed?.holderName ?? '',
      };
    }
    if (!sealed) throw new AppError('VALIDATION_FAILED', 'accountNumber is required for this withdrawal.');
    return sealed;
  }

  async rejectWithdrawal(id: string, reason: string, ctx: RequestContext): Promise<SubmitResult> {
    const w = await getWithdrawal(this.db, id);
    if (w.status !== 'in_review') {
      throw new AppError('WALLET_WITHDRAWAL_STATE', `Withdrawal ${id} is ${w.status}, not in_review.`);
    }
    const audit = auditOf(
      ctx,
      'withdrawal.reject',
      { type: 'withdrawal', id },
      { before: { status: 'in_review' }, after: { status: 'rejected' }, reason },
      this.settings.clock.now(),
    );
    return this.settleWithdrawal(
      w,
      'rejected',
      'REVIEW_REJECTED',
      reason,
      undefined,
      false,
      audit,
      ctx.inTx,
      {
        ...ctx.idem,
        render: (o) =>
          o.ok
            ? {
                statusCode: 200,
                body: { ...withdrawalView(w), status: 'rejected', failureCode: 'REVIEW_REJECTED' },
              }
            : problemResponse(o.error),
      },
    );
  }

  /** Verifies and applies a channel callback. Unsigned, stale or replayed callbacks are refused. */
  async handleCallback(
    channelName: string,
    rawBody: string,
    signature: string | undefined,
  ): Promise<StoredResponse> {
    const channel = this.channel(channelName);
    if (!verifyCallbackSignature(channel.secret, signature, rawBody, Math.floor(Date.now() / 1000))) {
      throw new AppError('CHANNEL_SIGNATURE_INVALID');
    }
    const cb = parseCallback(rawBody);
    const seen = await this.db
      .selectFrom('channel_callbacks')
      .select('event_id')
      .where('channel', '=', channel.name)
      .where('event_id', '=', cb.eventId)
      .executeTakeFirst();
    if (seen) throw new AppError('CHANNEL_CALLBACK_REPLAYED', `Event ${cb.eventId} was already received.`);
    if (cb.type.startsWith('topup.')) return this.applyTopupCallback(channel.name, cb);
    return this.applyPayoutCallback(channel.name, cb);
  }

  private async applyTopupCallback(channel: string, cb: ChannelCallback): Promise<StoredResponse> {
    const topup = await getTopup(this.db, cb.reference);
    if (
      topup.channel !== channel ||
      topup.amount_minor.toString() !== cb.amountMinor ||
      topup.currency !== cb.currency
    ) {
      throw new AppError('VALIDATION_FAILED', 'The callback does not match the top-up it names.');
    }
    if (topup.status !== 'pending') {
      throw new AppError('CHANNEL_CALLBACK_REPLAYED', `Top-up ${topup.id} is already ${topup.status}.`);
    }
    if (cb.type === 'topup.failed') {
      await this.db.transaction().execute(async (tx) => {
        await recordCallback(tx, channel, cb.eventId);
        await finishTopup(
          tx,
          topup.id,
          {
            status: 'failed',
            failure_code: cb.failureCode ?? 'CHANNEL_FAILED',
          },
          this.settings.clock.now(),
        );
      });
      return { statusCode: 200, body: { accepted: true, status: 'failed' } };
    }
    const currency = topup.currency as Currency;
    const result = await this.ledger.submit({
      type: 'post',
      kind: 'topup',
      rule: 'topup',
      params: {
        custody: this.ledger.systemAccountId('customer_custody', currency),
        wallet: topup.account_id,
      },
      currency,
      amountMinor: BigInt(topup.amount_minor),
      decision: { id: topup.decision_id },
      metadata: { topupId: topup.id, channel, payeeId: topup.customer_id },
      inTx: async (tx, outcome) => {
        await recordCallback(tx, channel, cb.eventId);
        await finishTopup(
          tx,
          topup.id,
          { status: 'succeeded', entry_id: outcome.entry?.id ?? null },
          this.settings.clock.now(),
        );
      },
      // One top-up posts once, whatever callbacks race for it.
      idempotency: {
        scope: `channel:${channel}`,
        key: `topup:${topup.id}`,
        requestHash: topup.id,
        render: (o) =>
          o.ok
            ? { statusCode: 200, body: { accepted: true, status: 'succeeded', entryId: o.entry?.id ?? null } }
            : problemResponse(o.error),
      },
    });
    if (!result.replayed && !result.outcome.ok) {
      // The wallet was frozen or closed meanwhile: the money stays with the channel's suspense handling.
      await this.db.transaction().execute(async (tx) => {
        await recordCallback(tx, channel, cb.eventId);
        await finishTopup(
          tx,
          topup.id,
          {
            status: 'failed',
            failure_code: result.outcome.ok ? null : result.outcome.error.code,
          },
          this.settings.clock.now(),
        );
      });
    }
    return result.response ?? { statusCode: 200, body: { accepted: true } };
  }

  private async applyPayoutCallback(channel: string, cb: ChannelCallback): Promise<StoredResponse> {
    const w = await getWithdrawal(this.db, cb.reference);
    if (w.channel !== channel || w.amount_minor.toString() !== cb.amountMinor || w.currency !== cb.currency) {
      throw new AppError('VALIDATION_FAILED', 'The callback does not match the withdrawal it names.');
    }
    if (w.status !== 'processing') {
      throw new AppError('CHANNEL_CALLBACK_REPLAYED', `Withdrawal ${w.id} is already ${w.status}.`);
    }
    if (cb.type === 'payout.failed') {
      await this.settleWithdrawal(w, 'failed', cb.failureCode ?? 'CHANNEL_FAILED', 'channel declined', {
        channel,
        eventId: cb.eventId,
      });
      return { statusCode: 200, body: { accepted: true, status: 'failed' } };
    }
    await this.settleWithdrawal(w, 'succeeded', null, 'channel paid out', { channel, eventId: cb.eventId });
    return { statusCode: 200, body: { accepted: true, status: 'succeeded' } };
  }

  /** Moves a withdrawal to its final state and posts or voids its hold, in one transaction. */
  private async settleWithdrawal(
    w: WithdrawalRow,
    status: 'succeeded' | 'failed' | 'rejected',
    failureCode: string | null,
    reason: string,
    callback?: { channel: string; eventId: string },
    expire = false,
    audit?: AuditEvent,
    also?: (tx: Tx) => Promise<void>,
    idempotency?: IdempotencySpec,
  ): Promise<SubmitResult> {
    const from = w.status;
    const result = await this.ledger.submit({
      ...(status === 'succeeded'
        ? { type: 'postHold' as const, holdId: w.hold_id, reason }
        : { type: 'voidHold' as const, holdId: w.hold_id, reason, expire }),
      inTx: async (tx, outcome) => {
        if (callback) await recordCallback(tx, callback.channel, callback.eventId);
        if (audit) await appendAudit(tx, [audit]);
        const res = await tx
          .updateTable('wallet_withdrawals')
          .set({
            status,
            failure_code: failureCode,
            entry_id: outcome.entry?.id ?? null,
            updated_at: this.settings.clock.now(),
          })
          .where('id', '=', w.id)
          .where('status', '=', from)
          .executeTakeFirst();
        if (res.numUpdatedRows === 0n) {
          throw new AppError('WALLET_WITHDRAWAL_STATE', `Withdrawal ${w.id} changed state meanwhile.`);
        }
        await writeOutbox(tx, [
          {
            topic: `wallet.withdrawal.${status}`,
            aggregateId: w.id,
            payload: { withdrawalId: w.id, failureCode },
          },
        ]);
        await also?.(tx);
      },
      ...(idempotency ? { idempotency } : {}),
    });
    if (!idempotency && !result.replayed && !result.outcome.ok) throw result.outcome.error;
    return result;
  }

  /** Releases withdrawals whose channel never answered and held reviews that ran out of time. */
  async sweepWithdrawals(now: Date, limit = 500): Promise<number> {
    const due = await this.db
      .selectFrom('wallet_withdrawals')
      .selectAll()
      .where('status', 'in', ['processing', 'in_review'])
      .where('deadline_at', '<=', now)
      .orderBy('deadline_at')
      .limit(limit)
      .execute();
    let settled = 0;
    for (const w of due) {
      try {
        const code = w.status === 'processing' ? 'CHANNEL_TIMEOUT' : 'REVIEW_EXPIRED';
        await this.settleWithdrawal(w, 'failed', code, code.toLowerCase(), undefined, true);
        settled++;
      } catch (err) {
        this.log.warn({ err, withdrawalId: w.id }, 'withdrawal sweep failed; will retry');
      }
    }
    return settled;
  }
}

function sealContext(withdrawalId: string): string {
  return `wallet_withdrawals.bank_account_sealed:${withdrawalId}`;
}

function parsePayee(json: string): { accountNumber: string; holderName: string } {
  const value: unknown = JSON.parse(json);
  if (typeof value !== 'object' || value === null) throw new Error('sealed payee is malformed');
  const accountNumber = Object.getOwnPropertyDescriptor(value, 'accountNumber')?.value;
  const holderName = Object.getOwnPropertyDescriptor(value, 'holderName')?.value;
  if (typeof accountNumber !== 'string' || typeof holderName !== 'string')
    throw new Error('sealed payee is malformed');
  return { accountNumber, holderName };
}

async function recordCallback(tx: Tx, channel: string, eventId: string): Promise<void> {
  const res = await sql`insert into channel_callbacks (channel, event_id) values (${channel}, ${eventId})
    on conflict do nothing`.execute(tx);
  if (res.numAffectedRows === 0n)
    throw new AppError('CHANNEL_CALLBACK_REPLAYED', `Event ${eventId} was already received.`);
}

async function finishTopup(
  tx: Tx,
  id: string,
  set: { status: 'succeeded' | 'failed'; entry_id?: string | null; failure_code?: string | null },
  at: Date,
): Promise<void> {
  const res = await tx
    .updateTable('wallet_topups')
    .set({ ...set, updated_at: at })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (res.numUpdatedRows === 0n)
    throw new AppError('CHANNEL_CALLBACK_REPLAYED', `Top-up ${id} is no longer pending.`);
  await writeOutbox(tx, [{ topic: `wallet.topup.${set.status}`, aggregateId: id, payload: { topupId: id } }]);
}

async function getTopup(db: Db | Tx, id: string): Promise<TopupRow> {
  const row = await db.selectFrom('wallet_topups').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new AppError('WALLET_TOPUP_NOT_FOUND', `Top-up ${id} does not exist.`);
  return row;
}

async function getWithdrawal(db: Db | Tx, id: string): Promise<WithdrawalRow> {
  const row = await db.selectFrom('wallet_withdrawals').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new AppError('WALLET_WITHDRAWAL_NOT_FOUND', `Withdrawal ${id} does not exist.`);
  return row;
}

function topupView(
  row: TopupRow,
  decision: Pick<RiskDecision, 'id' | 'outcome' | 'reasonCodes' | 'customerMessage'>,
) {
  return {
    id: row.id,
    status: row.status,
    walletId: row.account_id,
    amountMinor: BigInt(row.amount_minor).toString(),
    currency: row.currency,
    channel: row.channel,
    entryId: row.entry_id,
    failureCode: row.failure_code,
    decision: decisionView(decision),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function withdrawalView(w: WithdrawalRow) {
  return {
    id: w.id,
    status: w.status,
    walletId: w.account_id,
    amountMinor: BigInt(w.amount_minor).toString(),
    currency: w.currency,
    channel: w.channel,
    bankAccount: w.bank_account_masked,
    holdId: w.hold_id,
    entryId: w.entry_id,
    failureCode: w.failure_code,
    decisionId: w.decision_id,
    deadlineAt: w.deadline_at.toISOString(),
    createdAt: w.created_at.toISOString(),
    updatedAt: w.updated_at.toISOString(),
  };
}

const CALLBACK_TYPES = new Set(['topup.succeeded', 'topup.failed', 'payout.succeeded', 'payout.failed']);

function parseCallback(raw: string): ChannelCallback {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new AppError('MALFORMED_JSON');
  }
  if (typeof value !== 'object' || value === null)
    throw new AppError('VALIDATION_FAILED', 'Callback must be an object.');
  const v = value as Record<string, unknown>;
  const str = (k: string) => {
    const x = v[k];
    if (typeof x !== 'string' || x.length === 0 || x.length > 128) {
      throw new AppError('VALIDATION_FAILED', `Callback field ${k} must be a non-empty string.`);
    }
    return x;
  };
  const type = str('type');
  if (!CALLBACK_TYPES.has(type)) throw new AppError('VALIDATION_FAILED', `Unknown callback type ${type}.`);
  parseAmountMinor(str('amountMinor'));
  return {
    eventId: str('eventId'),
    type: type as ChannelCallback['type'],
    reference: str('reference'),
    amountMinor: str('amountMinor'),
    currency: parseCurrency(str('currency')),
    ...(typeof v.failureCode === 'string' ? { failureCode: v.failureCode.slice(0, 64) } : {}),
  };
}
