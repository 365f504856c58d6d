import type { ColumnType, Generated } from 'kysely';
import type { Int8, Timestamp } from '../platform/schema.ts';

type NullableInt8 = ColumnType<bigint | null, bigint | string | null | undefined, bigint | string | null>;
type WithDefault<T> = ColumnType<T, T | undefined, T>;

export type DisputeReason =
  | 'unauthorised'
  | 'not_received'
  | 'wrong_amount'
  | 'duplicate'
  | 'refund_not_received';
export type DisputeStatus = 'open' | 'deciding' | 'decided' | 'withdrawn';
export type DisputeOutcome = 'upheld' | 'rejected';
/**
 * Where a dispute's provisional credit stands: `pending` is decided but not yet posted
 * (the posting and the move to `paid` commit together, so `pending` means "not paid");
 * `reversal_due` likewise until the reversal posts.
 */
export type ProvisionalStatus =
  | 'none'
  | 'declined'
  | 'pending'
  | 'paid'
  | 'failed'
  | 'cancelled'
  | 'kept'
  | 'reversal_due'
  | 'reversed'
  | 'reversal_failed';

export interface SupportDisputesTable {
  id: string;
  customer_id: string;
  entry_id: string;
  entry_kind: string;
  merchant_id: string | null;
  wallet_id: string;
  currency: string;
  amount_minor: Int8;
  reason: DisputeReason;
  description: string;
  status: DisputeStatus;
  case_id: string;
  due_at: Timestamp;
  overdue_at: Timestamp | null;
  provisional_status: ProvisionalStatus;
  provisional_note: string | null;
  provisional_entry_id: string | null;
  provisional_reversal_id: string | null;
  pending_outcome: DisputeOutcome | null;
  pending_refund_minor: NullableInt8;
  refund_attempts: WithDefault<number>;
  outcome: DisputeOutcome | null;
  decision_reason_en: string | null;
  decision_reason_zh: string | null;
  refund_minor: NullableInt8;
  refund_entry_id: string | null;
  decided_by: string | null;
  decided_at: Timestamp | null;
  withdrawn_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SupportDisputeAttachmentsTable {
  id: string;
  dispute_id: string;
  filename: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  content: Uint8Array;
  created_by: string;
  created_at: Timestamp;
}

export type FeedbackCategory =
  | 'payment_problem'
  | 'security_concern'
  | 'suspected_fraud'
  | 'account_access'
  | 'suggestion';
export type FeedbackStatus = 'open' | 'answered' | 'closed';
export type ReportKind = 'scam' | 'compromised';

export interface SupportFeedbackTable {
  id: string;
  customer_id: string;
  category: FeedbackCategory;
  subject: string;
  status: FeedbackStatus;
  /** Set when the item is a self-service report (it froze the account and opened a risk case). */
  report_kind: ReportKind | null;
  entry_id: string | null;
  case_id: string | null;
  first_response_due_at: Timestamp;
  first_response_at: Timestamp | null;
  first_responder_id: string | null;
  escalated_at: Timestamp | null;
  escalated_case_id: string | null;
  message_count: WithDefault<number>;
  closed_at: Timestamp | null;
  closed_by: string | null;
  rating: number | null;
  rating_comment: string | null;
  rated_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SupportFeedbackMessagesTable {
  id: Generated<Int8>;
  feedback_id: string;
  author_type: 'customer' | 'staff';
  author_id: string;
  body: string;
  created_at: Timestamp;
}

/** Tables of the support module (merged into `Database`). */
export interface SupportTables {
  support_disputes: SupportDisputesTable;
  support_dispute_attachments: SupportDisputeAttachmentsTable;
  support_feedback: SupportFeedbackTable;
  support_feedback_messages: SupportFeedbackMessagesTable;
}
