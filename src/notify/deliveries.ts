import type { Selectable } from 'kysely';
import { decodeCursor, pageOf } from '../console-api/cursor.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { type IdempotencyContext, runIdempotent } from '../platform/idempotency.ts';
import { type AuditContext, appendAudit, auditOf } from '../security/audit.ts';
import type { OutgoingMail } from './mailer.ts';
import type {
  AttemptOutcome,
  DeliveryChannel,
  DeliveryStatus,
  NotifyDeliveriesTable,
  NotifyDeliveryAttemptsTable,
} from './tables.ts';

export const PAGE_MAX = 100;
export const PAGE_DEFAULT = 20;

export interface AttemptView {
  attempt: number;
  startedAt: string;
  durationMs: number;
  statusCode: number | null;
  outcome: AttemptOutcome;
  error: string | null;
}

export interface DeliveryView {
  id: string;
  eventId: string;
  topic: string;
  channel: DeliveryChannel;
  /** The webhook endpoint, or the customer an e-mail goes to. */
  targetId: string;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  /** When the next attempt is due, while one is. */
  nextAttemptAt: string | null;
  lastError: string | null;
  lastStatusCode: number | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
  /** The delivery log: one line per attempt, oldest first. */
  log: AttemptView[];
}

/** An e-mail of the embedded mailbox as it was handed over; `to` is masked (the address is sealed). */
export interface EmailView extends OutgoingMail {
  id: string;
  createdAt: string;
}

type DeliveryRow = Omit<Selectable<NotifyDeliveriesTable>, 'body' | 'claim_token' | 'locked_until'>;
const DELIVERY_COLUMNS = [
  'id',
  'event_id',
  'topic',
  'channel',
  'target_id',
  'status',
  'attempts',
  'max_attempts',
  'next_attempt_at',
  'last_error',
  'last_status_code',
  'created_at',
  'updated_at',
  'delivered_at',
] as const;

function deliveryView(r: DeliveryRow, log: Array<Selectable<NotifyDeliveryAttemptsTable>>): DeliveryView {
  return {
    id: r.id,
    eventId: String(r.event_id),
    topic: r.topic,
    channel: r.channel,
    targetId: r.target_id,
    status: r.status,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    nextAttemptAt: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
    lastError: r.last_error,
    lastStatusCode: r.last_status_code,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    deliveredAt: r.delivered_at?.toISOString() ?? null,
    log: log.map((a) => ({
      attempt: a.attempt,
      startedAt: a.started_at.toISOString(),
      durationMs: a.duration_ms,
      statusCode: a.status_code,
      outcome: a.outcome,
      error: a.error,
    })),
  };
}

/** The delivery log (per webhook endpoint, per delivery), manual redelivery, and the embedded mailbox. */
export class DeliveryLog {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** The deliveries with their attempts, in one query however many there are. */
  private async withLogs(rows: DeliveryRow[], db: Db | Tx = this.db): Promise<DeliveryView[]> {
    if (rows.length === 0) return [];
    const attempts = await db
      .selectFrom('notify_delivery_attempts')
      .selectAll()
      .where(
        'delivery_id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('delivery_id')
      .orderBy('attempt')
      .execute();
    const byDelivery = new Map<string, Array<Selectable<NotifyDeliveryAttemptsTable>>>();
    for (const a of attempts) {
      const list = byDelivery.get(a.delivery_id) ?? [];
      list.push(a);
      byDelivery.set(a.delivery_id, list);
    }
    return rows.map((r) => deliveryView(r, byDelivery.get(r.id) ?? []));
  }

  /** A page of an endpoint's deliveries, newest first, each with its attempts. */
  async forWebhook(
    webhookId: string,
    query: { status?: DeliveryStatus | undefined; limit?: number | undefined; cursor?: string | undefined },
  ): Promise<{ deliveries: DeliveryView[]; nextCursor: string | null }> {
    const limit = Math.min(query.limit ?? PAGE_DEFAULT, PAGE_MAX);
    let q = this.db
      .selectFrom('notify_deliveries')
      .select(DELIVERY_COLUMNS)
      .where('target_id', '=', webhookId)
      .where('channel', '=', 'webhook')
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (query.status) q = q.where('status', '=', query.status);
    if (query.cursor) q = q.where('id', '<', decodeCursor('dlv', query.cursor, false).key);
    const page = pageOf(await q.execute(), limit, 'dlv', (r) => ({ key: r.id }));
    return { deliveries: await this.withLogs(page.rows), nextCursor: page.nextCursor };
  }

  async get(id: string): Promise<DeliveryView> {
    const row = await this.db
      .selectFrom('notify_deliveries')
      .select(DELIVERY_COLUMNS)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new AppError('NOTIFY_DELIVERY_NOT_FOUND');
    const [v] = await this.withLogs([row]);
    if (!v) throw new AppError('NOTIFY_DELIVERY_NOT_FOUND');
    return v;
  }

  /**
   * Sends a finished delivery (delivered or failed) once more, with the same id and body:
   * it becomes pending, due now, with one attempt added to its budget. A delivery still
   * pending or being sent is refused (409): it is going out anyway.
   */
  redeliver(id: string, ctx: AuditContext, idem: IdempotencyContext) {
    return runIdempotent(this.db, idem, async (tx) => {
      const row = await tx
        .selectFrom('notify_deliveries')
        .select(['id', 'status', 'attempts', 'channel', 'target_id'])
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!row) throw new AppError('NOTIFY_DELIVERY_NOT_FOUND');
      if (row.status !== 'delivered' && row.status !== 'failed') {
        throw new AppError(
          'NOTIFY_DELIVERY_STATE',
          `The delivery is ${row.status}; it is going out already.`,
        );
      }
      const now = this.clock.now();
      await tx
        .updateTable('notify_deliveries')
        .set({ status: 'pending', next_attempt_at: now, max_attempts: row.attempts + 1, updated_at: now })
        .where('id', '=', id)
        .execute();
      await appendAudit(tx, [
        auditOf(
          ctx,
          'notify.delivery.redeliver',
          { type: 'delivery', id },
          { before: { status: row.status }, after: { status: 'pending', target: row.target_id } },
          now,
        ),
      ]);
      const updated = await tx
        .selectFrom('notify_deliveries')
        .select(DELIVERY_COLUMNS)
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const [body] = await this.withLogs([updated], tx);
      return { statusCode: 202, body };
    });
  }

  /** The embedded mailbox, newest first; addresses masked. */
  async emails(query: {
    limit?: number | undefined;
    cursor?: string | undefined;
  }): Promise<{ emails: EmailView[]; nextCursor: string | null }> {
    const limit = Math.min(query.limit ?? PAGE_DEFAULT, PAGE_MAX);
    let q = this.db
      .selectFrom('notify_emails')
      .select([
        'id',
        'delivery_id',
        'recipient_id',
        'to_masked',
        'subject',
        'body_text',
        'message_id',
        'created_at',
      ])
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (query.cursor) q = q.where('id', '<', decodeCursor('eml', query.cursor, false).key);
    const page = pageOf(await q.execute(), limit, 'eml', (r) => ({ key: r.id }));
    return {
      emails: page.rows.map((r) => ({
        id: r.id,
        deliveryId: r.delivery_id,
        recipientId: r.recipient_id,
        to: r.to_masked,
        subject: r.subject,
        text: r.body_text,
        messageId: r.message_id,
        createdAt: r.created_at.toISOString(),
      })),
      nextCursor: page.nextCursor,
    };
  }
}
