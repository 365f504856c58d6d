import { isoOrNull, minorOrNull } from '../console-api/views.ts';
import type { OutboxEvent } from '../platform/outbox.ts';
import { disputeTips } from './education.ts';
import { disputeMessage, OPEN_DISPUTE_STATUSES } from './model.ts';
import type { AttachmentMeta, DisputeRow, FeedbackRow, MessageRow } from './store.ts';

/** API shapes of the support module: amounts as integer strings, times as ISO 8601. */

export function attachmentView(a: AttachmentMeta) {
  return {
    id: a.id,
    filename: a.filename,
    contentType: a.content_type,
    sizeBytes: a.size_bytes,
    sha256: a.sha256,
    createdAt: a.created_at.toISOString(),
  };
}

/** Still undecided past its deadline (the maintenance round marks it once on the case timeline). */
function disputeOverdue(d: DisputeRow, now: Date): boolean {
  return OPEN_DISPUTE_STATUSES.includes(d.status) && d.due_at.getTime() < now.getTime();
}

/** What the customer sees of their dispute: the decision with its reason, and what happens next. */
export function disputeView(d: DisputeRow, attachments: AttachmentMeta[] | undefined, now: Date) {
  const provisionalPaid = d.provisional_entry_id !== null;
  return {
    id: d.id,
    entryId: d.entry_id,
    entryKind: d.entry_kind,
    merchantId: d.merchant_id,
    currency: d.currency,
    amountMinor: BigInt(d.amount_minor).toString(),
    reason: d.reason,
    description: d.description,
    status: d.status,
    dueAt: d.due_at.toISOString(),
    overdue: disputeOverdue(d, now),
    provisionalCredit: {
      status: d.provisional_status,
      amountMinor: provisionalPaid ? BigInt(d.amount_minor).toString() : null,
      entryId: d.provisional_entry_id,
      reversalEntryId: d.provisional_reversal_id,
    },
    decision:
      d.status === 'decided' && d.outcome !== null
        ? {
            outcome: d.outcome,
            reason: { en: d.decision_reason_en, 'zh-CN': d.decision_reason_zh },
            refundMinor: minorOrNull(d.refund_minor),
            refundEntryId: d.refund_entry_id,
            decidedAt: isoOrNull(d.decided_at),
          }
        : null,
    withdrawnAt: isoOrNull(d.withdrawn_at),
    // Lists leave the attachments out; one dispute's view has them.
    ...(attachments === undefined ? {} : { attachments: attachments.map(attachmentView) }),
    message: disputeMessage({ status: d.status, reason: d.reason, dueAt: d.due_at, outcome: d.outcome }),
    tips: disputeTips(d.reason),
    createdAt: d.created_at.toISOString(),
    updatedAt: d.updated_at.toISOString(),
  };
}

/** The staff view adds the case, the customer, internal notes and the decision in progress. */
export function staffDisputeView(d: DisputeRow, attachments: AttachmentMeta[], now: Date) {
  return {
    ...disputeView(d, attachments, now),
    customerId: d.customer_id,
    walletId: d.wallet_id,
    caseId: d.case_id,
    overdueAt: isoOrNull(d.overdue_at),
    provisionalNote: d.provisional_note,
    pendingOutcome: d.pending_outcome,
    pendingRefundMinor: minorOrNull(d.pending_refund_minor),
    refundAttempts: d.refund_attempts,
    decidedBy: d.decided_by,
  };
}

/** A queue line: enough to choose what to work on next. */
export function disputeQueueLine(d: DisputeRow, now: Date) {
  return {
    id: d.id,
    customerId: d.customer_id,
    merchantId: d.merchant_id,
    entryId: d.entry_id,
    reason: d.reason,
    currency: d.currency,
    amountMinor: BigInt(d.amount_minor).toString(),
    status: d.status,
    provisionalStatus: d.provisional_status,
    caseId: d.case_id,
    dueAt: d.due_at.toISOString(),
    overdue: disputeOverdue(d, now),
    createdAt: d.created_at.toISOString(),
  };
}

type DisputeEventField =
  | 'id'
  | 'customer_id'
  | 'merchant_id'
  | 'status'
  | 'reason'
  | 'outcome'
  | 'decision_reason_en'
  | 'decision_reason_zh'
  | 'due_at';

/**
 * The outbox event of a dispute as it is after a change: `support.dispute.*` (its topics
 * and payload fields are a contract with notify).
 */
export function disputeEvent(
  change: 'opened' | 'updated' | 'decided',
  d: Pick<DisputeRow, DisputeEventField>,
): OutboxEvent {
  const decisionReason = d.decision_reason_en ?? d.decision_reason_zh;
  const payload = {
    disputeId: d.id,
    customerId: d.customer_id,
    merchantId: d.merchant_id,
    status: d.status,
    reason: d.reason,
    ...(d.outcome === null ? {} : { outcome: d.outcome }),
    ...(decisionReason === null ? {} : { decisionReason }),
    dueAt: d.due_at.toISOString(),
  };
  return { topic: `support.dispute.${change}`, aggregateId: d.id, payload };
}

function feedbackOverdue(f: FeedbackRow, now: Date): boolean {
  return (
    f.first_response_at === null && f.status !== 'closed' && f.first_response_due_at.getTime() < now.getTime()
  );
}

export function feedbackLine(f: FeedbackRow, now: Date) {
  return {
    id: f.id,
    category: f.category,
    subject: f.subject,
    status: f.status,
    report: f.report_kind,
    firstResponseDueAt: f.first_response_due_at.toISOString(),
    firstResponseAt: isoOrNull(f.first_response_at),
    overdue: feedbackOverdue(f, now),
    rating:
      f.rating === null
        ? null
        : { score: f.rating, comment: f.rating_comment, ratedAt: isoOrNull(f.rated_at) },
    canRate: f.status === 'closed' && f.rating === null,
    createdAt: f.created_at.toISOString(),
    updatedAt: f.updated_at.toISOString(),
    closedAt: isoOrNull(f.closed_at),
  };
}

function messageView(m: MessageRow) {
  return { from: m.author_type, body: m.body, at: m.created_at.toISOString() };
}

export function feedbackView(f: FeedbackRow, messages: MessageRow[], now: Date) {
  return {
    ...feedbackLine(f, now),
    entryId: f.entry_id,
    messages: messages.map(messageView),
  };
}

export function staffFeedbackLine(f: FeedbackRow, now: Date) {
  return {
    ...feedbackLine(f, now),
    customerId: f.customer_id,
    caseId: f.case_id,
    escalatedAt: isoOrNull(f.escalated_at),
    escalatedCaseId: f.escalated_case_id,
    firstResponderId: f.first_responder_id,
    closedBy: f.closed_by,
  };
}

export function staffFeedbackView(f: FeedbackRow, messages: MessageRow[], now: Date) {
  return {
    ...staffFeedbackLine(f, now),
    entryId: f.entry_id,
    // Staff see who on their side wrote each answer.
    messages: messages.map((m) => ({ ...messageView(m), authorId: m.author_id })),
  };
}
