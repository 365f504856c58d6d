import { caseEvent, raiseAlert } from '../cases/intake.ts';
import type { StoredResponse } from '../ledger/commands.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { type IdempotencyContext, runIdempotent } from '../platform/idempotency.ts';
import type { RequestContext, WalletService } from '../wallet/service.ts';
import { type Tip, tipById } from './education.ts';
import type { FeedbackService } from './feedback.ts';
import { type Actor, LIMITS, type ReportKind, reportMessage } from './model.ts';
import { updateFeedback, writtenInLastDay } from './store.ts';

export interface ReportDeps {
  db: Db;
  ledger: LedgerService;
  wallet: Pick<WalletService, 'applyOwnerStatus' | 'ownerStatusCommitted'>;
  feedback: FeedbackService;
  clock: Clock;
}

const REPORT_TIPS: Record<ReportKind, string[]> = {
  scam: ['fake_customer_service', 'refund_scams', 'online_romance_investment'],
  compromised: ['verification_codes', 'sim_swap', 'safe_passwords'],
};

/**
 * Self-service protection: a user who reports a scam or a compromised account freezes
 * their outgoing payments at once, in the same transaction that records the report and
 * raises a critical alert (it joins the customer's open risk case or opens one). The
 * report is also a feedback item, so a person answers the user in the same conversation.
 * Unfreezing stays maker-checker (the `owner.unfreeze` approval).
 */
export class ReportService {
  constructor(private readonly deps: ReportDeps) {}

  async report(
    customerId: string,
    input: { kind: ReportKind; description: string; entryId?: string | undefined },
    ctx: { idem: IdempotencyContext; actor: Actor; ip?: string | undefined; requestId?: string | undefined },
  ): Promise<{ replayed: boolean; response: StoredResponse }> {
    const { ledger } = this.deps;
    if (input.entryId !== undefined) {
      const notOwn = () =>
        new AppError('AUTH_FORBIDDEN', 'A report can name only a transaction of your own.');
      const entry = await ledger.getEntry(input.entryId).catch((err: unknown) => {
        // A transaction that does not exist is refused like another customer's; any other failure is a failure.
        throw err instanceof AppError && err.code === 'LEDGER_ENTRY_NOT_FOUND' ? notOwn() : err;
      });
      if (entry.metadata.payerId !== customerId && entry.metadata.payeeId !== customerId) throw notOwn();
    }
    const accounts = await ledger.accountsOf(customerId);
    const audit: RequestContext = { idem: ctx.idem, actor: ctx.actor, ip: ctx.ip, requestId: ctx.requestId };
    let froze = false;
    const result = await runIdempotent(this.deps.db, ctx.idem, async (tx) => {
      const now = this.deps.clock.now();
      // The customer's row is locked first: reports are then counted and filed one at a time,
      // so the daily limit holds under concurrent reports, and the freeze sees the current status.
      const customer = await tx
        .selectFrom('customers')
        .select('status')
        .where('id', '=', customerId)
        .forUpdate()
        .executeTakeFirst();
      if (!customer)
        throw new AppError('WALLET_CUSTOMER_NOT_FOUND', `Customer ${customerId} does not exist.`);
      if ((await writtenInLastDay(tx, customerId, 'report', now)) >= LIMITS.reportsPerDayMax) {
        throw new AppError(
          'SUPPORT_LIMIT_REACHED',
          `At most ${LIMITS.reportsPerDayMax} reports a day; your account is already protected.`,
        );
      }
      const feedbackId = await this.deps.feedback.insert(
        tx,
        customerId,
        {
          category: input.kind === 'scam' ? 'suspected_fraud' : 'account_access',
          subject: input.kind === 'scam' ? 'Reported a scam' : 'Reported a compromised account',
          message: input.description,
        },
        now,
        { report_kind: input.kind, entry_id: input.entryId ?? null },
      );
      const alert = await raiseAlert(
        tx,
        {
          source: 'report',
          sourceRef: feedbackId,
          type: input.kind === 'scam' ? 'report.scam' : 'report.compromised',
          severity: 'critical',
          title: input.kind === 'scam' ? 'Customer reports a scam' : 'Customer reports a compromised account',
          subjectId: customerId,
          entities: [
            { kind: 'customer', id: customerId },
            { kind: 'feedback', id: feedbackId },
            ...accounts.map((a) => ({ kind: 'account' as const, id: a.id })),
            ...(input.entryId ? [{ kind: 'transaction' as const, id: input.entryId }] : []),
          ],
          evidence: {
            kind: input.kind,
            description: input.description,
            entryId: input.entryId ?? null,
            accountStatusBefore: customer.status,
          },
        },
        now,
      );
      await updateFeedback(tx, feedbackId, { case_id: alert.caseId });
      if (customer.status === 'active') {
        await this.deps.wallet.applyOwnerStatus(
          tx,
          customerId,
          'frozen',
          `self-service report ${feedbackId}: ${input.kind}`,
          audit,
        );
        froze = true;
      }
      await caseEvent(
        tx,
        alert.caseId,
        ctx.actor,
        'report.filed',
        { feedbackId, kind: input.kind, entryId: input.entryId ?? null, froze: customer.status === 'active' },
        now,
      );
      const words = reportMessage(input.kind);
      return {
        statusCode: 201,
        body: {
          id: feedbackId,
          kind: input.kind,
          accountStatus: customer.status === 'active' ? 'frozen' : customer.status,
          frozenNow: customer.status === 'active',
          priorityCase: true,
          message: words.message,
          nextSteps: words.nextSteps,
          tips: REPORT_TIPS[input.kind].flatMap((id): Tip[] => {
            const tip = tipById(id);
            return tip ? [tip] : [];
          }),
          createdAt: now.toISOString(),
        },
      };
    });
    if (froze) this.deps.wallet.ownerStatusCommitted(customerId);
    return result;
  }
}
