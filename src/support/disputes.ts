import { sql } from 'kysely';
import type { Logger } from 'pino';
import { caseEvent, followCaseInTx, raiseAlert } from '../cases/intake.ts';
import { slaMinutes } from '../cases/model.ts';
import type { Reserve } from '../cases/reserve.ts';
import type { StoredResponse } from '../ledger/commands.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { Entry } from '../ledger/types.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import {
  answered,
  type IdempotencyContext,
  lookupIdempotent,
  requestHash,
  runIdempotent,
} from '../platform/idempotency.ts';
import { newId } from '../platform/ids.ts';
import { parseAmountMinor } from '../platform/money.ts';
import { writeOutbox } from '../platform/outbox.ts';
import { storeLabels } from '../risk/labels.ts';
import type { WalletService } from '../wallet/service.ts';
import { type Answer, type SupportCtx, storedId, withView } from './answers.ts';
import { type CheckedAttachment, checkAttachment } from './attachments.ts';
import { DisputeReads, forbidden } from './dispute-reads.ts';
import {
  type Actor,
  canMoveDispute,
  DISPUTABLE_KINDS,
  type DisputeReason,
  LIMITS,
  OPEN_DISPUTE_STATUSES,
  SYSTEM_ACTOR,
} from './model.ts';
import { ProvisionalCredits } from './provisional.ts';
import {
  attachmentBySha,
  countAttachments,
  type DisputeRow,
  isUniqueViolation,
  lockCustomer,
  lockDispute,
  updateDispute,
} from './store.ts';
import type { DisputeStatus, ProvisionalStatus } from './tables.ts';
import { attachmentView, disputeEvent } from './views.ts';

export interface DisputeDeps {
  db: Db;
  ledger: LedgerService;
  /** The refund path of an upheld payment dispute. */
  wallet: Pick<WalletService, 'refund'>;
  /** Provisional credits come from the risk reserve and are reversed through it. */
  reserve: Pick<Reserve, 'credit' | 'reverseCredit'>;
  clock: Clock;
  log: Logger;
  /** An upheld unauthorised-use dispute labels its movement fraud; the engine learns it after commit. */
  fraudLabelled?: ((decisionIds: string[], at: Date) => Promise<void>) | undefined;
}

export interface OpenDispute {
  entryId: string;
  reason: DisputeReason;
  description: string;
  /** The disputed part (a wrong amount); the whole transaction, less what was refunded, by default. */
  amountMinor?: string | undefined;
  provisionalCredit?: boolean | undefined;
}

export interface DecideDispute {
  outcome: 'upheld' | 'rejected';
  reason: { en?: string | undefined; 'zh-CN'?: string | undefined };
  refundMinor?: string | undefined;
}

const REFUND_SCOPE = 'support.dispute';

function stateError(d: { id: string; status: DisputeStatus }, wanted: string): AppError {
  return new AppError('SUPPORT_DISPUTE_STATE', `Dispute ${d.id} is ${d.status}; it cannot be ${wanted}.`, {
    status: d.status,
  });
}

/**
 * Disputes (K2): a customer contests a transaction they paid; the dispute opens a case
 * with a service level, tells the merchant, can pay a provisional credit from the risk
 * reserve, and ends in a decision the user is told with its reason. An upheld payment
 * dispute refunds the user from the merchant through the wallet's refund path; a
 * provisional credit is then reversed, so the user is never paid twice.
 *
 * Money moves through the ledger's single writer, in its own transaction; what the
 * dispute records about it commits in that same transaction (the reserve's `inTx`) or is
 * keyed so a retry replays it (the refund), and the maintenance round finishes anything
 * a crash interrupted.
 */
export class DisputeService extends DisputeReads {
  readonly provisional: ProvisionalCredits;

  constructor(protected override readonly deps: DisputeDeps) {
    super(deps);
    this.provisional = new ProvisionalCredits(deps);
  }

  /** The journal entry, if the customer paid it and the reason fits it; 403 hides whether it exists. */
  private async disputableEntry(customerId: string, entryId: string, reason: DisputeReason): Promise<Entry> {
    const entry = await this.deps.ledger.getEntry(entryId).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'LEDGER_ENTRY_NOT_FOUND') throw forbidden();
      throw err;
    });
    if (entry.metadata.payerId !== customerId) throw forbidden();
    const kinds = DISPUTABLE_KINDS[reason];
    if (!kinds.includes(entry.kind) || (entry.kind !== 'refund' && entry.reversesId !== null)) {
      throw new AppError(
        'SUPPORT_DISPUTE_NOT_ELIGIBLE',
        `A ${entry.kind} cannot be disputed as "${reason}"; this reason covers: ${kinds.join(', ')}.`,
        { entryKind: entry.kind },
      );
    }
    const ageMs = this.now().getTime() - entry.occurredAt.getTime();
    if (ageMs > LIMITS.disputeWindowDays * 86_400_000) {
      throw new AppError(
        'SUPPORT_DISPUTE_NOT_ELIGIBLE',
        `Transactions can be disputed for ${LIMITS.disputeWindowDays} days; this one is older.`,
      );
    }
    return entry;
  }

  /** Opens a dispute (201), then pays the provisional credit if one was asked for and is allowed. */
  async open(customerId: string, input: OpenDispute, ctx: SupportCtx): Promise<Answer> {
    const entry = await this.disputableEntry(customerId, input.entryId, input.reason);
    const refunded = entry.kind === 'payment' ? await this.deps.ledger.reversedMinor(entry.id) : 0n;
    const remaining = entry.amountMinor - refunded;
    if (remaining <= 0n) {
      throw new AppError('SUPPORT_DISPUTE_NOT_ELIGIBLE', 'This payment was already refunded in full.');
    }
    const amount =
      input.amountMinor === undefined ? remaining : parseAmountMinor(input.amountMinor, 'amountMinor');
    if (amount > remaining) {
      throw new AppError(
        'VALIDATION_FAILED',
        `amountMinor is more than what can be disputed (${remaining}).`,
        { field: 'amountMinor' },
      );
    }
    const wallet = (await this.deps.ledger.accountsOf(customerId)).find(
      (a) => a.kind === 'customer_wallet' && a.currency === entry.currency,
    );
    if (!wallet) throw new AppError('SUPPORT_DISPUTE_NOT_ELIGIBLE', `You have no ${entry.currency} wallet.`);
    const merchantId = entry.metadata.merchantId ?? null;

    let createdId: string | undefined;
    const result = await runIdempotent(this.deps.db, ctx.idem, async (tx) => {
      // The limits below (open disputes, one provisional credit outstanding) count this
      // customer's disputes: filings are serialised so that they hold when requests race.
      await lockCustomer(tx, customerId);
      const now = this.now();
      const existing = await tx
        .selectFrom('support_disputes')
        .select('id')
        .where('entry_id', '=', entry.id)
        .executeTakeFirst();
      if (existing) {
        throw new AppError('SUPPORT_DISPUTE_EXISTS', `Transaction ${entry.id} is already disputed.`, {
          disputeId: existing.id,
        });
      }
      const counts = await tx
        .selectFrom('support_disputes')
        .select([
          sql<string>`count(*) filter (where status in ('open','deciding'))`.as('open'),
          // Provisional credits paid or on their way: one at a time per customer.
          sql<string>`count(*) filter (where provisional_status in ('pending','paid','reversal_due'))`.as(
            'outstanding',
          ),
        ])
        .where('customer_id', '=', customerId)
        .executeTakeFirstOrThrow();
      if (Number(counts.open) >= LIMITS.openDisputesPerCustomerMax) {
        throw new AppError(
          'SUPPORT_LIMIT_REACHED',
          `At most ${LIMITS.openDisputesPerCustomerMax} disputes can be open at once.`,
        );
      }
      let provisional: ProvisionalStatus = 'none';
      let provisionalNote: string | null = null;
      if (input.provisionalCredit) {
        if (amount > LIMITS.provisionalCreditMaxMinor) {
          provisional = 'declined';
          provisionalNote = `Above ${LIMITS.provisionalCreditMaxMinor} minor units, a person decides before any money is paid.`;
        } else if (Number(counts.outstanding) > 0) {
          provisional = 'declined';
          provisionalNote = 'Another provisional credit of this customer is still outstanding.';
        } else {
          provisional = 'pending';
        }
      }
      const id = newId('dsp');
      createdId = id;
      const dueAt = new Date(now.getTime() + slaMinutes('dispute.opened') * 60_000);
      const alert = await raiseAlert(
        tx,
        {
          source: 'dispute',
          sourceRef: id,
          type: 'dispute.opened',
          severity: input.reason === 'unauthorised' ? 'high' : 'medium',
          title: `Dispute (${input.reason}) of ${entry.kind} ${entry.id}`,
          subjectId: customerId,
          amountMinor: amount,
          currency: entry.currency,
          decisionId: entry.decisionId,
          entities: [
            { kind: 'customer', id: customerId },
            ...(merchantId ? [{ kind: 'merchant' as const, id: merchantId }] : []),
            { kind: 'transaction', id: entry.id },
            { kind: 'account', id: wallet.id },
            { kind: 'dispute', id },
          ],
          evidence: {
            reason: input.reason,
            description: input.description,
            entryKind: entry.kind,
            entryAmountMinor: entry.amountMinor.toString(),
            disputedMinor: amount.toString(),
            occurredAt: entry.occurredAt.toISOString(),
            provisionalCredit: provisional,
          },
          caseKind: 'dispute',
          lossMinor: amount,
        },
        now,
      );
      const row = {
        id,
        customer_id: customerId,
        entry_id: entry.id,
        entry_kind: entry.kind,
        merchant_id: merchantId,
        wallet_id: wallet.id,
        currency: entry.currency,
        amount_minor: amount,
        reason: input.reason,
        description: input.description,
        status: 'open' as const,
        case_id: alert.caseId,
        due_at: dueAt,
        overdue_at: null,
        provisional_status: provisional,
        provisional_note: provisionalNote,
        provisional_entry_id: null,
        provisional_reversal_id: null,
        pending_outcome: null,
        pending_refund_minor: null,
        outcome: null,
        decision_reason_en: null,
        decision_reason_zh: null,
        refund_minor: null,
        refund_entry_id: null,
        decided_by: null,
        decided_at: null,
        withdrawn_at: null,
        created_at: now,
        updated_at: now,
      };
      await tx.insertInto('support_disputes').values(row).execute();
      await caseEvent(
        tx,
        alert.caseId,
        ctx.actor,
        'dispute.opened',
        {
          disputeId: id,
          entryId: entry.id,
          reason: input.reason,
          amountMinor: amount.toString(),
          currency: entry.currency,
          provisionalCredit: provisional,
          ...(provisionalNote ? { provisionalNote } : {}),
        },
        now,
      );
      await writeOutbox(tx, [disputeEvent('opened', row)]);
      return { statusCode: 201, body: { id } };
    }).catch((err: unknown) => {
      // Two requests for one transaction at once: the unique index lets one through.
      if (isUniqueViolation(err)) {
        throw new AppError('SUPPORT_DISPUTE_EXISTS', `Transaction ${entry.id} is already disputed.`);
      }
      throw err;
    });
    const id = createdId ?? storedId(result.response.body);
    if (!id) return result;
    if (!result.replayed) await this.provisional.pay(id);
    return withView(result, 201, () => this.customerView(customerId, id));
  }

  /**
   * Decides a dispute. The dispute is claimed first (`deciding`), so a second person
   * deciding at the same time is refused before any money moves; an upheld payment is
   * then refunded from the merchant (keyed per dispute and attempt, so a retry replays
   * it); the decision, its timeline event and the user's notification commit together;
   * last, a provisional credit the user no longer needs is reversed.
   */
  async decide(id: string, input: DecideDispute, ctx: SupportCtx): Promise<Answer> {
    const { db } = this.deps;
    if (await answered(db, ctx.idem)) {
      return { replayed: true, response: await lookupIdempotent(db, ctx.idem) };
    }
    const reasonEn = input.reason.en?.trim() || null;
    const reasonZh = input.reason['zh-CN']?.trim() || null;
    if (reasonEn === null && reasonZh === null) {
      throw new AppError('VALIDATION_FAILED', 'reason needs the text shown to the user, in en or zh-CN.', {
        field: 'reason',
      });
    }
    const refund =
      input.refundMinor === undefined ? undefined : parseAmountMinor(input.refundMinor, 'refundMinor');
    if (input.outcome === 'rejected' && refund !== undefined) {
      throw new AppError('VALIDATION_FAILED', 'refundMinor goes only with an upheld dispute.', {
        field: 'refundMinor',
      });
    }

    const claimed = await db.transaction().execute(async (tx) => {
      const d = await lockDispute(tx, id);
      if (!d) throw new AppError('SUPPORT_DISPUTE_NOT_FOUND', `Dispute ${id} does not exist.`);
      if (d.status === 'deciding') {
        const pending = d.pending_refund_minor === null ? undefined : BigInt(d.pending_refund_minor);
        if (d.pending_outcome !== input.outcome || (refund !== undefined && refund !== pending)) {
          throw new AppError(
            'SUPPORT_DISPUTE_STATE',
            `A decision (${d.pending_outcome}) of dispute ${id} is in progress; only the same decision can finish it.`,
            { status: d.status, pendingOutcome: d.pending_outcome },
          );
        }
        return d;
      }
      if (!canMoveDispute(d.status, 'deciding')) throw stateError(d, 'decided');
      const amount = input.outcome === 'upheld' ? (refund ?? BigInt(d.amount_minor)) : null;
      if (amount !== null && amount > BigInt(d.amount_minor)) {
        throw new AppError('VALIDATION_FAILED', `refundMinor is more than the disputed ${d.amount_minor}.`, {
          field: 'refundMinor',
        });
      }
      const now = this.now();
      await updateDispute(tx, id, {
        status: 'deciding',
        pending_outcome: input.outcome,
        pending_refund_minor: amount,
        updated_at: now,
      });
      await caseEvent(
        tx,
        d.case_id,
        ctx.actor,
        'dispute.deciding',
        { disputeId: id, outcome: input.outcome, refundMinor: amount?.toString() ?? null },
        now,
      );
      return {
        ...d,
        status: 'deciding' as const,
        pending_outcome: input.outcome,
        pending_refund_minor: amount,
      };
    });

    let refundEntryId: string | null = null;
    if (
      claimed.pending_outcome === 'upheld' &&
      claimed.entry_kind === 'payment' &&
      claimed.pending_refund_minor !== null
    ) {
      refundEntryId = await this.refundMerchant(claimed, BigInt(claimed.pending_refund_minor), ctx.actor);
    }

    // The risk decision of the disputed movement, which an unauthorised-use dispute labels
    // (read through the ledger, before the transaction: it never changes).
    const disputedDecisionId =
      claimed.reason === 'unauthorised'
        ? (await this.deps.ledger.getEntry(claimed.entry_id)).decisionId
        : null;
    let newFraud: string[] = [];
    const result = await runIdempotent(db, ctx.idem, async (tx) => {
      const d = await lockDispute(tx, id);
      if (!d) throw new AppError('SUPPORT_DISPUTE_NOT_FOUND', `Dispute ${id} does not exist.`);
      if (d.status !== 'deciding' || d.pending_outcome !== input.outcome) throw stateError(d, 'decided');
      const now = this.now();
      const upheld = input.outcome === 'upheld';
      const refundMinor = upheld && d.pending_refund_minor !== null ? BigInt(d.pending_refund_minor) : null;
      // A paid credit becomes final only when it is exactly what was upheld and nothing was
      // refunded through the merchant. Otherwise it is taken back: the merchant refunded, the
      // dispute was rejected, or less was upheld than was credited (the case then recommends
      // compensating what was upheld), so the user is never paid more than was decided.
      const keepCredit = upheld && refundEntryId === null && refundMinor === BigInt(d.amount_minor);
      let provisional = d.provisional_status;
      if (provisional === 'paid') provisional = keepCredit ? 'kept' : 'reversal_due';
      else if (provisional === 'pending') provisional = 'cancelled';
      const decided = {
        status: 'decided' as const,
        outcome: input.outcome,
        decision_reason_en: reasonEn,
        decision_reason_zh: reasonZh,
        refund_minor: refundEntryId === null ? null : refundMinor,
        refund_entry_id: refundEntryId,
        decided_by: ctx.actor.id,
        decided_at: now,
        pending_outcome: null,
        pending_refund_minor: null,
        provisional_status: provisional,
        updated_at: now,
      };
      await updateDispute(tx, id, decided);
      // An unauthorised-use dispute is ground truth about the disputed movement's decision:
      // upheld, it was fraud; rejected, it was the user's own. Dated now, when it became known.
      if (disputedDecisionId !== null) {
        const stored = await storeLabels(
          tx,
          [{ decisionId: disputedDecisionId, label: upheld ? 'fraud' : 'legit', reportedAt: now }],
          'disputes',
          now,
        );
        newFraud = stored.newFraud;
      }
      await caseEvent(
        tx,
        d.case_id,
        ctx.actor,
        'dispute.decided',
        {
          disputeId: id,
          outcome: input.outcome,
          reason: { en: reasonEn, 'zh-CN': reasonZh },
          refundMinor: decided.refund_minor?.toString() ?? null,
          refundEntryId,
          provisionalCredit: { before: d.provisional_status, after: provisional },
        },
        now,
      );
      const compensationDue =
        upheld && refundEntryId === null && provisional !== 'kept' && refundMinor !== null;
      // The dispute's case follows its decision: closed, or decided while a compensation is still to be paid.
      await followCaseInTx(tx, d.case_id, compensationDue ? 'decided' : 'closed', ctx.actor, now, {
        disputeId: id,
        outcome: input.outcome,
      });
      if (compensationDue) {
        // Nothing to refund through (a transfer, a refund or a withdrawal): the loss is made good
        // from the reserve through the case's compensation, which has its own approval rules.
        await caseEvent(
          tx,
          d.case_id,
          ctx.actor,
          'dispute.compensation_recommended',
          { disputeId: id, amountMinor: refundMinor.toString(), currency: d.currency, walletId: d.wallet_id },
          now,
        );
      }
      await writeOutbox(tx, [disputeEvent('decided', { ...d, ...decided })]);
      return { statusCode: 200, body: { id } };
    });
    if (!result.replayed) {
      if (newFraud.length > 0) await this.deps.fraudLabelled?.(newFraud, this.now());
      await this.provisional.reverse(id, ctx.actor, `Dispute ${id} ${input.outcome}`);
      return { replayed: false, response: { statusCode: 200, body: await this.staffView(id) } };
    }
    return result;
  }

  /**
   * Refunds an upheld payment from the merchant through the wallet's refund path (with
   * its risk decision), acting as the deciding staff user. A refusal (the merchant's
   * balance is short, risk control holds or blocks the refund) puts the dispute back to
   * `open` with the reason on the case timeline, and the next attempt gets a fresh key.
   */
  private async refundMerchant(d: DisputeRow, amount: bigint, actor: Actor): Promise<string> {
    const attempt = d.refund_attempts;
    const idem: IdempotencyContext = {
      scope: REFUND_SCOPE,
      key: `${d.id}:refund:${attempt}`,
      requestHash: requestHash('POST', `/support/disputes/${d.id}/refund`, {
        entryId: d.entry_id,
        amountMinor: amount.toString(),
      }),
    };
    let failure: { code: string; detail: string } | undefined;
    let entryId: string | undefined;
    try {
      const r = await this.deps.wallet.refund(
        d.entry_id,
        { amountMinor: amount.toString(), reason: `Dispute ${d.id} upheld` },
        { idem, actor },
      );
      entryId = refundEntryOf(r.response);
      if (!entryId) failure = problemOf(r.response);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      failure = { code: err.code, detail: err.message };
    }
    if (entryId) return entryId;
    const f = failure ?? { code: 'INTERNAL', detail: 'The refund gave no answer.' };
    await this.deps.db.transaction().execute(async (tx) => {
      const current = await lockDispute(tx, d.id);
      if (current?.status !== 'deciding') return;
      const now = this.now();
      await updateDispute(tx, d.id, {
        status: 'open',
        pending_outcome: null,
        pending_refund_minor: null,
        refund_attempts: attempt + 1,
        updated_at: now,
      });
      await caseEvent(
        tx,
        d.case_id,
        actor,
        'dispute.refund_failed',
        { disputeId: d.id, attempt, amountMinor: amount.toString(), code: f.code, detail: f.detail },
        now,
      );
    });
    throw new AppError(
      'SUPPORT_DISPUTE_REFUND_FAILED',
      `The merchant refund was not made (${f.code}: ${f.detail}). The dispute is open again; nothing was decided.`,
      { refundCode: f.code },
    );
  }

  /** The customer withdraws an open dispute; a provisional credit is taken back. */
  async withdraw(customerId: string, id: string, note: string | undefined, ctx: SupportCtx): Promise<Answer> {
    const result = await runIdempotent(this.deps.db, ctx.idem, async (tx) => {
      const d = await lockDispute(tx, id);
      if (!d || d.customer_id !== customerId) throw forbidden();
      if (!canMoveDispute(d.status, 'withdrawn')) throw stateError(d, 'withdrawn');
      const now = this.now();
      const provisional: ProvisionalStatus =
        d.provisional_status === 'paid'
          ? 'reversal_due'
          : d.provisional_status === 'pending'
            ? 'cancelled'
            : d.provisional_status;
      const change = {
        status: 'withdrawn' as const,
        withdrawn_at: now,
        provisional_status: provisional,
        updated_at: now,
      };
      await updateDispute(tx, id, change);
      await caseEvent(
        tx,
        d.case_id,
        ctx.actor,
        'dispute.withdrawn',
        {
          disputeId: id,
          note: note ?? null,
          provisionalCredit: { before: d.provisional_status, after: provisional },
        },
        now,
      );
      await followCaseInTx(tx, d.case_id, 'closed', ctx.actor, now, { disputeId: id, withdrawn: true });
      await writeOutbox(tx, [disputeEvent('updated', { ...d, ...change })]);
      return { statusCode: 200, body: { id } };
    });
    if (!result.replayed)
      await this.provisional.reverse(id, ctx.actor, `Dispute ${id} withdrawn by the customer`);
    return withView(result, 200, () => this.customerView(customerId, id));
  }

  /**
   * Adds evidence to an open dispute. The file is checked (size, type by its bytes) before
   * anything is stored; the same file twice is answered with the one stored.
   */
  async addAttachment(
    customerId: string,
    id: string,
    input: { filename: string; contentType?: string | undefined; contentBase64: string },
    ctx: SupportCtx,
  ): Promise<Answer> {
    const file: CheckedAttachment = checkAttachment(input);
    return runIdempotent(this.deps.db, ctx.idem, async (tx) => {
      const d = await lockDispute(tx, id);
      if (!d || d.customer_id !== customerId) throw forbidden();
      if (d.status !== 'open') throw stateError(d, 'given more evidence');
      const same = await attachmentBySha(tx, id, file.sha256);
      if (same) return { statusCode: 200, body: attachmentView(same) };
      if ((await countAttachments(tx, id)) >= LIMITS.attachmentsPerDisputeMax) {
        throw new AppError(
          'SUPPORT_LIMIT_REACHED',
          `A dispute holds at most ${LIMITS.attachmentsPerDisputeMax} attachments.`,
        );
      }
      const now = this.now();
      const row = {
        id: newId('att'),
        dispute_id: id,
        filename: file.filename,
        content_type: file.contentType,
        size_bytes: file.sizeBytes,
        sha256: file.sha256,
        content: file.content,
        created_by: ctx.actor.id,
        created_at: now,
      };
      await tx.insertInto('support_dispute_attachments').values(row).execute();
      await updateDispute(tx, id, { updated_at: now });
      await caseEvent(
        tx,
        d.case_id,
        ctx.actor,
        'dispute.attachment_added',
        {
          disputeId: id,
          attachmentId: row.id,
          filename: row.filename,
          contentType: row.content_type,
          sizeBytes: row.size_bytes,
          sha256: row.sha256,
        },
        now,
      );
      return { statusCode: 201, body: attachmentView(row) };
    });
  }

  /**
   * The maintenance round's share: marks disputes past their due time (once each, on the
   * case timeline), and finishes provisional credits and reversals a crash interrupted.
   */
  async runDue(now: Date): Promise<{ overdue: number; provisionalRetried: number }> {
    const { db } = this.deps;
    const overdue = await db.transaction().execute(async (tx) => {
      const marked = await tx
        .updateTable('support_disputes')
        .set({ overdue_at: now })
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('support_disputes')
            .select('id')
            .where('status', 'in', OPEN_DISPUTE_STATUSES)
            .where('due_at', '<', now)
            .where('overdue_at', 'is', null)
            .orderBy('due_at')
            .limit(LIMITS.dueBatchMax)
            .forUpdate()
            .skipLocked(),
        )
        .returning(['id', 'case_id', 'due_at'])
        .execute();
      for (const m of marked) {
        await caseEvent(
          tx,
          m.case_id,
          SYSTEM_ACTOR,
          'dispute.overdue',
          { disputeId: m.id, dueAt: m.due_at.toISOString() },
          now,
        );
      }
      return marked.length;
    });
    const stale = new Date(now.getTime() - LIMITS.retryAfterMs);
    const interrupted = await db
      .selectFrom('support_disputes')
      .select(['id', 'provisional_status'])
      .where('provisional_status', 'in', ['pending', 'reversal_due'])
      .where('updated_at', '<', stale)
      .orderBy('updated_at')
      .limit(LIMITS.dueBatchMax)
      .execute();
    for (const r of interrupted) {
      if (r.provisional_status === 'pending') await this.provisional.pay(r.id);
      else await this.provisional.reverse(r.id, SYSTEM_ACTOR, `Dispute ${r.id} ended`);
    }
    return { overdue, provisionalRetried: interrupted.length };
  }
}

/** The refund's journal entry from the wallet's stored answer (201 with `entryId`), if it was made. */
function refundEntryOf(response: StoredResponse | undefined): string | undefined {
  if (!response || response.statusCode !== 201) return undefined;
  const body = response.body;
  if (typeof body !== 'object' || body === null || !('entryId' in body)) return undefined;
  return typeof body.entryId === 'string' ? body.entryId : undefined;
}

function problemOf(response: StoredResponse | undefined): { code: string; detail: string } {
  const body = response?.body;
  if (typeof body === 'object' && body !== null) {
    const code = 'code' in body && typeof body.code === 'string' ? body.code : 'UNKNOWN';
    const detail = 'detail' in body && typeof body.detail === 'string' ? body.detail : '';
    return { code, detail };
  }
  return { code: 'UNKNOWN', detail: `status ${response?.statusCode ?? 'none'}` };
}
