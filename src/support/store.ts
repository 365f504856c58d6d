import type { Selectable, Updateable } from 'kysely';
import type { Db, Tx } from '../platform/db.ts';
import type {
  SupportDisputeAttachmentsTable,
  SupportDisputesTable,
  SupportFeedbackMessagesTable,
  SupportFeedbackTable,
} from './tables.ts';

/** The SQL of the support module: reads and row locks; the services decide what to write. */

export type DisputeRow = Selectable<SupportDisputesTable>;
export type FeedbackRow = Selectable<SupportFeedbackTable>;
export type MessageRow = Selectable<SupportFeedbackMessagesTable>;
export type AttachmentMeta = Omit<Selectable<SupportDisputeAttachmentsTable>, 'content'>;

export async function loadDispute(db: Db | Tx, id: string): Promise<DisputeRow | undefined> {
  return db.selectFrom('support_disputes').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The dispute's row, locked until the transaction ends: every change to a dispute takes it first. */
export async function lockDispute(tx: Tx, id: string): Promise<DisputeRow | undefined> {
  return tx.selectFrom('support_disputes').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/** Writes a change the service decided on a dispute it holds locked. */
export async function updateDispute(
  tx: Tx,
  id: string,
  change: Updateable<SupportDisputesTable>,
): Promise<void> {
  await tx.updateTable('support_disputes').set(change).where('id', '=', id).execute();
}

const ATTACHMENT_META = [
  'id',
  'dispute_id',
  'filename',
  'content_type',
  'size_bytes',
  'sha256',
  'created_by',
  'created_at',
] as const;

export async function attachmentsOf(db: Db | Tx, disputeId: string): Promise<AttachmentMeta[]> {
  return db
    .selectFrom('support_dispute_attachments')
    .select(ATTACHMENT_META)
    .where('dispute_id', '=', disputeId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function attachmentBySha(tx: Tx, disputeId: string, sha256: string) {
  return tx
    .selectFrom('support_dispute_attachments')
    .select(ATTACHMENT_META)
    .where('dispute_id', '=', disputeId)
    .where('sha256', '=', sha256)
    .executeTakeFirst();
}

export async function attachmentContent(db: Db, disputeId: string, attachmentId: string) {
  return db
    .selectFrom('support_dispute_attachments')
    .select(['filename', 'content_type', 'content', 'sha256'])
    .where('dispute_id', '=', disputeId)
    .where('id', '=', attachmentId)
    .executeTakeFirst();
}

export async function countAttachments(tx: Tx, disputeId: string): Promise<number> {
  const row = await tx
    .selectFrom('support_dispute_attachments')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('dispute_id', '=', disputeId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function loadFeedback(db: Db | Tx, id: string): Promise<FeedbackRow | undefined> {
  return db.selectFrom('support_feedback').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function lockFeedback(tx: Tx, id: string): Promise<FeedbackRow | undefined> {
  return tx.selectFrom('support_feedback').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/**
 * Holds the customer's row until the transaction ends, so that their disputes or feedback
 * are counted and filed one at a time and the per-customer limits hold under concurrent
 * requests. `no key update`: it does not block rows elsewhere that merely refer to the customer.
 */
export async function lockCustomer(tx: Tx, customerId: string): Promise<void> {
  await tx.selectFrom('customers').select('id').where('id', '=', customerId).forNoKeyUpdate().execute();
}

/**
 * How many feedback items (or self-service reports) a customer wrote in the 24 hours
 * before `now`: the daily limits count them separately.
 */
export async function writtenInLastDay(
  tx: Tx,
  customerId: string,
  kind: 'feedback' | 'report',
  now: Date,
): Promise<number> {
  const row = await tx
    .selectFrom('support_feedback')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('customer_id', '=', customerId)
    .where('report_kind', kind === 'report' ? 'is not' : 'is', null)
    .where('created_at', '>', new Date(now.getTime() - 86_400_000))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Writes a change the service decided on a feedback item it holds locked. */
export async function updateFeedback(
  tx: Tx,
  id: string,
  change: Updateable<SupportFeedbackTable>,
): Promise<void> {
  await tx.updateTable('support_feedback').set(change).where('id', '=', id).execute();
}

export async function messagesOf(db: Db | Tx, feedbackId: string): Promise<MessageRow[]> {
  return db
    .selectFrom('support_feedback_messages')
    .selectAll()
    .where('feedback_id', '=', feedbackId)
    .orderBy('id')
    .execute();
}

/** A PostgreSQL unique violation (SQLSTATE 23505), from pg or PGlite. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === '23505';
}
