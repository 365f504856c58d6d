import type { Kysely } from 'kysely';
import { runStatements } from './run-statements.ts';

/**
 * Disputes, feedback and self-service reports (`src/support/`).
 *
 * - `support_disputes`: one per disputed journal entry (unique), with its case, service
 *   level, provisional credit and decision. `deciding` is held while a decision's refund
 *   runs, so two people deciding at once cannot both move money.
 * - `support_dispute_attachments`: files a user adds as evidence, with their SHA-256;
 *   size and type are checked before they are stored.
 * - `support_feedback` and `support_feedback_messages`: feedback and complaints with the
 *   first-response deadline (24 h), escalation, closure and the user's rating. A
 *   self-service report (scam, compromised account) is a feedback item with `report_kind`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    create table support_disputes (
      id text primary key,
      customer_id text not null references customers(id),
      entry_id text not null unique,
      entry_kind text not null,
      merchant_id text,
      wallet_id text not null references ledger_accounts(id),
      currency text not null references currencies(code),
      amount_minor bigint not null check (amount_minor > 0),
      reason text not null check (reason in ('unauthorised','not_received','wrong_amount','duplicate','refund_not_received')),
      description text not null,
      status text not null check (status in ('open','deciding','decided','withdrawn')),
      case_id text not null references cases(id),
      due_at timestamptz not null,
      overdue_at timestamptz,
      provisional_status text not null check (provisional_status in
        ('none','declined','pending','paid','failed','cancelled','kept','reversal_due','reversed','reversal_failed')),
      provisional_note text,
      provisional_entry_id text,
      provisional_reversal_id text,
      pending_outcome text check (pending_outcome in ('upheld','rejected')),
      pending_refund_minor bigint check (pending_refund_minor > 0),
      refund_attempts int not null default 0,
      outcome text check (outcome in ('upheld','rejected')),
      decision_reason_en text,
      decision_reason_zh text,
      refund_minor bigint check (refund_minor > 0),
      refund_entry_id text,
      decided_by text,
      decided_at timestamptz,
      withdrawn_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      check ((status = 'decided') = (outcome is not null))
    );
    create index support_disputes_customer on support_disputes (customer_id, created_at desc, id desc);
    create index support_disputes_due on support_disputes (due_at, id);
    create index support_disputes_queue on support_disputes (due_at, id) where status in ('open','deciding');
    create index support_disputes_provisional on support_disputes (updated_at)
      where provisional_status in ('pending','reversal_due');

    create table support_dispute_attachments (
      id text primary key,
      dispute_id text not null references support_disputes(id),
      filename text not null,
      content_type text not null check (content_type in ('image/png','image/jpeg','application/pdf','text/plain')),
      size_bytes int not null check (size_bytes > 0 and size_bytes <= 5242880),
      sha256 text not null,
      content bytea not null,
      created_by text not null,
      created_at timestamptz not null,
      unique (dispute_id, sha256)
    );

    create table support_feedback (
      id text primary key,
      customer_id text not null references customers(id),
      category text not null check (category in
        ('payment_problem','security_concern','suspected_fraud','account_access','suggestion')),
      subject text not null,
      status text not null check (status in ('open','answered','closed')),
      report_kind text check (report_kind in ('scam','compromised')),
      entry_id text,
      case_id text references cases(id),
      first_response_due_at timestamptz not null,
      first_response_at timestamptz,
      first_responder_id text,
      escalated_at timestamptz,
      escalated_case_id text references cases(id),
      message_count int not null default 0,
      closed_at timestamptz,
      closed_by text,
      rating smallint check (rating between 1 and 5),
      rating_comment text,
      rated_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );
    create index support_feedback_customer on support_feedback (customer_id, created_at desc, id desc);
    create index support_feedback_due on support_feedback (first_response_due_at, id);
    create index support_feedback_created on support_feedback (created_at);
    create index support_feedback_queue on support_feedback (first_response_due_at, id) where status <> 'closed';
    -- The escalation job reads only items still waiting for their first human answer.
    create index support_feedback_unanswered on support_feedback (first_response_due_at)
      where first_response_at is null and escalated_at is null and status <> 'closed' and report_kind is null;

    create table support_feedback_messages (
      id bigserial primary key,
      feedback_id text not null references support_feedback(id),
      author_type text not null check (author_type in ('customer','staff')),
      author_id text not null,
      body text not null,
      created_at timestamptz not null
    );
    create index support_feedback_messages_item on support_feedback_messages (feedback_id, id);
    `,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    drop table support_feedback_messages;
    drop table support_feedback;
    drop table support_dispute_attachments;
    drop table support_disputes;
    `,
  );
}
