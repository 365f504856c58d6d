import { type Insertable, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import { newId } from '../platform/ids.ts';
import type { DeliveredEvent } from '../platform/outbox.ts';
import type { NotifySettings } from './config.ts';
import { notifyCreated, notifyInvalidEvents } from './metrics.ts';
import { InvalidPayload } from './payload.ts';
import type { NotifyDeliveriesTable, NotifyEventsTable, NotifyNotificationsTable } from './tables.ts';
import {
  isNotifyTopic,
  type Message,
  NOTIFY_TOPICS,
  type NotifyTopic,
  patternCovers,
  planEvent,
} from './topics.ts';

/** An outbox event of a notification topic, as the intake reads it. */
export interface SourceEvent {
  id: bigint;
  topic: NotifyTopic;
  payload: unknown;
  createdAt: Date;
}

export interface IntakeDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  settings: Pick<NotifySettings, 'maxAttempts'>;
  /** A customer's e-mail address, or null; only asked whether there is one, never kept. */
  emailOf(customerId: string): Promise<string | null>;
  /** Told after deliveries were created, so the worker sends them soon. */
  onDeliveries(): void;
}

/** Events waiting in memory for the intake; beyond this they are left to the catch-up scan. */
const QUEUE_MAX = 10_000;
/** Events taken in per transaction. */
const INGEST_BATCH = 100;
/** Outbox rows the catch-up scan looks at per round. */
const CATCH_UP_BATCH = 500;
/** The catch-up leaves events published this recently to the live path. */
const CATCH_UP_AFTER_S = 30;
/**
 * The cursor never passes an event published this recently, nor one not yet published:
 * an event whose transaction committed late (a smaller id published after a larger one)
 * is still scanned.
 */
const CURSOR_GRACE_S = 300;

const EMAIL_FOOTER =
  '此邮件由系统自动发送，请勿直接回复。\nThis message was sent automatically; please do not reply to it.';

/**
 * Turns outbox events into inbox items and deliveries, exactly once per (event,
 * recipient, channel).
 *
 * Live path: the relay hands each event to `accept` inside its delivery transaction.
 * On PGlite that transaction holds the only connection, so nothing is written there:
 * the event is queued and taken in right after, in the intake's own transaction. Its
 * record in `notify_events` and what it produced commit together, and the unique keys
 * on (event, recipient) and (event, channel, target) make a second take-in a no-op.
 *
 * Catch-up: a process that stops between the relay's commit and the intake's loses the
 * queued events from memory, not from the outbox. `catchUp` scans published outbox rows
 * of notification topics that have no `notify_events` record, from a cursor that only
 * advances past rows every one of which is taken in; the maintenance round runs it.
 */
export class NotifyIntake {
  private queue: SourceEvent[] = [];
  private draining: Promise<void> | undefined;
  private serial: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Events left to the catch-up because the queue was full (a metric for operators). */
  overflowed = 0;

  constructor(private readonly deps: IntakeDeps) {}

  /** The relay's subscriber: queues an event of a notification topic, never waits for the database. */
  accept(event: DeliveredEvent): void {
    if (this.closed || !isNotifyTopic(event.topic)) return;
    if (this.queue.length >= QUEUE_MAX) {
      this.overflowed++;
      return;
    }
    this.queue.push({ id: event.id, topic: event.topic, payload: event.payload, createdAt: event.createdAt });
    // After the relay's transaction has moved on: a whole relay batch is taken in together.
    if (!this.draining) this.draining = new Promise((r) => setImmediate(r)).then(() => this.drain());
  }

  /** Waits until every queued event is taken in (tests, and close). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Takes in what is queued, then refuses new events (they stay in the outbox for the catch-up). */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, INGEST_BATCH);
        try {
          await this.ingest(batch);
        } catch (err) {
          this.deps.log.error(
            { err },
            'notification intake failed; the catch-up scan will take these events in',
          );
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  /**
   * One round of the catch-up scan: events published at least `publishedBeforeS` seconds
   * ago (default 30) that were never taken in. Returns how many were found.
   */
  async catchUp(options: { publishedBeforeS?: number } = {}): Promise<number> {
    const { db } = this.deps;
    const afterS = options.publishedBeforeS ?? CATCH_UP_AFTER_S;
    const cursor =
      (
        await db
          .selectFrom('notify_intake_cursor')
          .select('last_event_id')
          .where('id', '=', 1)
          .executeTakeFirst()
      )?.last_event_id ?? 0n;
    const found = await sql<{ id: bigint; topic: string; payload: unknown; created_at: Date }>`
      select o.id, o.topic, o.payload, o.created_at from outbox o
      where o.id > ${cursor} and o.published_at is not null
        and o.published_at <= now() - ${afterS}::int * interval '1 second'
        and o.topic = any(${[...NOTIFY_TOPICS]}::text[])
        and not exists (select 1 from notify_events e where e.event_id = o.id)
      order by o.id limit ${CATCH_UP_BATCH}`.execute(db);
    const events = found.rows.flatMap((r): SourceEvent[] =>
      isNotifyTopic(r.topic)
        ? [{ id: r.id, topic: r.topic, payload: r.payload, createdAt: r.created_at }]
        : [],
    );
    for (let i = 0; i < events.length; i += INGEST_BATCH)
      await this.ingest(events.slice(i, i + INGEST_BATCH));

    const bounds = await sql<{ unpublished: bigint | null; recent: bigint | null; head: bigint | null }>`
      select (select min(id) from outbox where published_at is null) as unpublished,
        (select min(id) from outbox where id > ${cursor}
          and published_at > now() - ${CURSOR_GRACE_S}::int * interval '1 second') as recent,
        (select max(id) from outbox) as head`.execute(db);
    const b = bounds.rows[0];
    let frontier = b?.head ?? cursor;
    if (b?.unpublished != null && b.unpublished - 1n < frontier) frontier = b.unpublished - 1n;
    if (b?.recent != null && b.recent - 1n < frontier) frontier = b.recent - 1n;
    const last = found.rows[found.rows.length - 1];
    if (found.rows.length === CATCH_UP_BATCH && last && last.id < frontier) frontier = last.id;
    if (frontier > cursor) {
      await sql`update notify_intake_cursor set last_event_id = greatest(last_event_id, ${frontier}::int8),
        updated_at = now() where id = 1`.execute(db);
    }
    return events.length;
  }

  /** Takes in a batch of events; one at a time per process (other processes are kept out by the keys). */
  ingest(events: SourceEvent[]): Promise<{ notifications: number; deliveries: number }> {
    const run = this.serial.then(() => this.ingestNow(events));
    this.serial = run.catch(() => undefined);
    return run;
  }

  private async ingestNow(events: SourceEvent[]): Promise<{ notifications: number; deliveries: number }> {
    const { db, clock, log } = this.deps;
    if (events.length === 0) return { notifications: 0, deliveries: 0 };
    // A redelivered event (the common case of a second take-in) costs one lookup.
    const known = await db
      .selectFrom('notify_events')
      .select('event_id')
      .where(
        'event_id',
        'in',
        events.map((e) => e.id),
      )
      .execute();
    // Events already taken in are skipped, and so is the second copy of an event queued
    // twice in one batch (live and by the catch-up).
    const seen = new Set(known.map((k) => k.event_id));
    const todo: SourceEvent[] = [];
    for (const e of events) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      todo.push(e);
    }
    if (todo.length === 0) return { notifications: 0, deliveries: 0 };

    const plans = todo.map((event) => ({ event, messages: this.plan(event) }));
    // Addresses are looked up before the transaction (PGlite has one connection) and not
    // kept: the worker looks the address up again when it sends.
    const hasEmail = new Map<string, boolean>();
    for (const p of plans) {
      for (const m of p.messages ?? []) {
        if (m.email && !hasEmail.has(m.recipient.id)) {
          hasEmail.set(m.recipient.id, (await this.deps.emailOf(m.recipient.id)) !== null);
        }
      }
    }
    const hooks = await db
      .selectFrom('notify_webhooks')
      .select(['id', 'topics'])
      .where('enabled', '=', true)
      .where('deleted_at', 'is', null)
      .execute();

    const now = clock.now();
    // Every event's record and what it produces are made first, then written in a few
    // statements for the whole batch (not three per event).
    const made = plans.map(({ event, messages }) => {
      const notifications = (messages ?? []).map((m) => this.notificationRow(event, m, now));
      const deliveries = messages === null ? [] : this.deliveryRows(event, messages, hooks, hasEmail, now);
      const record: Insertable<NotifyEventsTable> = {
        event_id: event.id,
        topic: event.topic,
        outcome: messages === null ? 'invalid' : 'notified',
        notifications: notifications.length,
        deliveries: deliveries.length,
        processed_at: now,
      };
      return { event, record, notifications, deliveries };
    });
    const created = { notifications: 0, deliveries: 0, email: 0, webhook: 0 };
    const byRecipient = new Map<string, number>();
    await db.transaction().execute(async (tx) => {
      const claimed = await tx
        .insertInto('notify_events')
        .values(made.map((m) => m.record))
        .onConflict((oc) => oc.column('event_id').doNothing())
        .returning('event_id')
        .execute();
      // An event another process took in meanwhile is its to notify: only claimed events produce anything.
      const ours = new Set(claimed.map((c) => c.event_id));
      const mine = made.filter((m) => ours.has(m.event.id));
      for (const rows of chunks(mine.flatMap((m) => m.notifications))) {
        const inserted = await tx
          .insertInto('notify_notifications')
          .values(rows)
          .onConflict((oc) => oc.columns(['event_id', 'recipient_id']).doNothing())
          .returning('recipient_type')
          .execute();
        for (const r of inserted)
          byRecipient.set(r.recipient_type, (byRecipient.get(r.recipient_type) ?? 0) + 1);
        created.notifications += inserted.length;
      }
      for (const rows of chunks(mine.flatMap((m) => m.deliveries))) {
        const inserted = await tx
          .insertInto('notify_deliveries')
          .values(rows)
          .onConflict((oc) => oc.columns(['event_id', 'channel', 'target_id']).doNothing())
          .returning('channel')
          .execute();
        for (const r of inserted) created[r.channel]++;
        created.deliveries += inserted.length;
      }
    });
    for (const [type, n] of byRecipient) notifyCreated.inc({ kind: `inbox_${type}` }, n);
    if (created.email > 0) notifyCreated.inc({ kind: 'email' }, created.email);
    if (created.webhook > 0) notifyCreated.inc({ kind: 'webhook' }, created.webhook);
    if (created.deliveries > 0) this.deps.onDeliveries();
    log.debug({ events: todo.length, ...created }, 'notification events taken in');
    return { notifications: created.notifications, deliveries: created.deliveries };
  }

  /** The event's messages, or null when its payload is malformed (recorded, never retried). */
  private plan(event: SourceEvent): Message[] | null {
    try {
      return planEvent(event.topic, event.payload);
    } catch (err) {
      if (!(err instanceof InvalidPayload)) throw err;
      notifyInvalidEvents.inc({ topic: event.topic });
      this.deps.log.error(
        { topic: event.topic, eventId: String(event.id), detail: err.message },
        'notification event has an invalid payload; no notification made',
      );
      return null;
    }
  }

  private notificationRow(event: SourceEvent, m: Message, now: Date): Insertable<NotifyNotificationsTable> {
    return {
      id: newId('ntf'),
      event_id: event.id,
      topic: event.topic,
      recipient_type: m.recipient.type,
      recipient_id: m.recipient.id,
      title_en: m.en.title,
      body_en: m.en.body,
      title_zh: m.zhCN.title,
      body_zh: m.zhCN.body,
      data: JSON.stringify(m.data),
      created_at: now,
    };
  }

  /** An e-mail per message to a recipient with an address, and a call per webhook endpoint of the topic. */
  private deliveryRows(
    event: SourceEvent,
    messages: Message[],
    hooks: Array<{ id: string; topics: string[] }>,
    hasEmail: Map<string, boolean>,
    now: Date,
  ): Array<Insertable<NotifyDeliveriesTable>> {
    const rows: Array<Insertable<NotifyDeliveriesTable>> = [];
    for (const m of messages) {
      if (m.email && hasEmail.get(m.recipient.id) === true) {
        rows.push(this.deliveryRow(event, 'email', m.recipient.id, emailBody(m), now));
      }
    }
    for (const hook of hooks) {
      if (!hook.topics.some((p) => patternCovers(p, event.topic))) continue;
      const id = newId('dlv');
      rows.push(this.deliveryRow(event, 'webhook', hook.id, webhookBody(id, event), now, id));
    }
    return rows;
  }

  private deliveryRow(
    event: SourceEvent,
    channel: 'webhook' | 'email',
    targetId: string,
    body: string,
    now: Date,
    id = newId('dlv'),
  ): Insertable<NotifyDeliveriesTable> {
    return {
      id,
      event_id: event.id,
      topic: event.topic,
      channel,
      target_id: targetId,
      body,
      status: 'pending',
      max_attempts: this.deps.settings.maxAttempts,
      next_attempt_at: now,
      created_at: now,
      updated_at: now,
    };
  }
}

/**
 * A webhook's body, fixed when the delivery is made so every attempt sends the same
 * bytes: the delivery id (the receiver's deduplication key), the event and its payload.
 */
function webhookBody(deliveryId: string, event: SourceEvent): string {
  return JSON.stringify({
    id: deliveryId,
    eventId: String(event.id),
    topic: event.topic,
    createdAt: event.createdAt.toISOString(),
    data: event.payload,
  });
}

/** An e-mail in both languages, Chinese first: the customer's language is not on file. */
function emailBody(m: Message): string {
  return JSON.stringify({
    subject: `${m.zhCN.title} / ${m.en.title}`,
    text: `${m.zhCN.title}\n\n${m.zhCN.body}\n\n——\n\n${m.en.title}\n\n${m.en.body}\n\n——\n${EMAIL_FOOTER}\n`,
  });
}

/** Rows per insert statement: well inside PostgreSQL's 65,535 parameters at a dozen columns a row. */
const INSERT_ROWS_MAX = 1000;

/** Rows in slices of at most `INSERT_ROWS_MAX`, one insert statement each. */
function chunks<T>(rows: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += INSERT_ROWS_MAX) out.push(rows.slice(i, i + INSERT_ROWS_MAX));
  return out;
}
