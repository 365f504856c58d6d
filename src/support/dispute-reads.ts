import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { OPEN_DISPUTE_STATUSES } from './model.ts';
import { keysetPage, type ListOrder, type PageQuery } from './pages.ts';
import { attachmentContent, attachmentsOf, loadDispute } from './store.ts';
import type { DisputeStatus } from './tables.ts';
import { disputeQueueLine, disputeView, staffDisputeView } from './views.ts';

export function forbidden(): AppError {
  return new AppError(
    'AUTH_FORBIDDEN',
    'A customer can dispute and read only their own transactions and disputes.',
  );
}

const OWN_ORDER: ListOrder = { tag: 'dsp', column: 'created_at', direction: 'desc', limitDefault: 20 };
const QUEUE_ORDER: ListOrder = { tag: 'dspq', column: 'due_at', direction: 'asc', limitDefault: 50 };

/** What customers and staff read of disputes: one dispute, the customer's list, the staff queue. */
export class DisputeReads {
  constructor(protected readonly deps: { db: Db; clock: Clock }) {}

  protected now(): Date {
    return this.deps.clock.now();
  }

  async customerView(customerId: string, id: string) {
    const d = await loadDispute(this.deps.db, id);
    if (!d || d.customer_id !== customerId) throw forbidden();
    return disputeView(d, await attachmentsOf(this.deps.db, id), this.now());
  }

  async staffView(id: string) {
    const d = await loadDispute(this.deps.db, id);
    if (!d) throw new AppError('SUPPORT_DISPUTE_NOT_FOUND', `Dispute ${id} does not exist.`);
    return staffDisputeView(d, await attachmentsOf(this.deps.db, id), this.now());
  }

  async attachment(disputeId: string, attachmentId: string) {
    const a = await attachmentContent(this.deps.db, disputeId, attachmentId);
    if (!a)
      throw new AppError('NOT_FOUND', `Attachment ${attachmentId} of dispute ${disputeId} does not exist.`);
    return a;
  }

  /** The customer's own disputes, newest first. */
  async listOwn(customerId: string, q: PageQuery) {
    const query = this.deps.db
      .selectFrom('support_disputes')
      .selectAll()
      .where('customer_id', '=', customerId);
    const page = await keysetPage(query, OWN_ORDER, q);
    const now = this.now();
    return { disputes: page.rows.map((d) => disputeView(d, undefined, now)), nextCursor: page.nextCursor };
  }

  /** The staff queue: soonest due first, filtered by status, overdue and due time. */
  async queue(
    q: PageQuery & {
      status?: DisputeStatus | undefined;
      overdue?: boolean | undefined;
      dueBefore?: Date | undefined;
    },
  ) {
    const now = this.now();
    let query = this.deps.db.selectFrom('support_disputes').selectAll();
    if (q.status !== undefined) query = query.where('status', '=', q.status);
    if (q.overdue === true)
      query = query.where('status', 'in', OPEN_DISPUTE_STATUSES).where('due_at', '<', now);
    if (q.overdue === false) {
      query = query.where((eb) =>
        eb.or([eb('status', 'not in', OPEN_DISPUTE_STATUSES), eb('due_at', '>=', now)]),
      );
    }
    if (q.dueBefore !== undefined) query = query.where('due_at', '<', q.dueBefore);
    const page = await keysetPage(query, QUEUE_ORDER, q);
    return { disputes: page.rows.map((d) => disputeQueueLine(d, now)), nextCursor: page.nextCursor };
  }
}
