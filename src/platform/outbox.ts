import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Db, Tx } from './db.ts';

/** An event written in the same transaction as the state change it describes. */
export interface OutboxEvent {
  topic: string;
  aggregateId: string;
  payload: Record<string, unknown>;
}

export interface DeliveredEvent extends OutboxEvent {
  id: bigint;
  createdAt: Date;
}

export type Subscriber = (event: DeliveredEvent) => Promise<void> | void;

/** Appends events to the outbox inside the caller's transaction. */
export async function writeOutbox(tx: Tx | Db, events: OutboxEvent[]): Promise<void> {
  if (events.length === 0) return;
  await sql`
    insert into outbox (topic, aggregate_id, payload)
    select t, a, p::jsonb from unnest(${events.map((e) => e.topic)}::text[],
      ${events.map((e) => e.aggregateId)}::text[],
      ${events.map((e) => JSON.stringify(e.payload))}::text[]) as v(t, a, p)
  `.execute(tx);
}

/** The bus that consumers subscribe to; delivery is at least once, so consumers are idempotent. */
export interface EventBus {
  subscribe(topicPrefix: string, subscriber: Subscriber): void;
}

/**
 * Delivers committed outbox rows to in-process subscribers, oldest first, at least once.
 * A row is marked published only after every matching subscriber has returned; a
 * subscriber that throws leaves the row for the next round.
 */
export class OutboxRelay implements EventBus {
  private readonly subscribers: Array<{ prefix: string; fn: Subscriber }> = [];
  private running = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  delivered = 0;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly options: { batchSize: number; pollMs: number; kickDelayMs: number } = {
      batchSize: 1000,
      pollMs: 1000,
      kickDelayMs: 100,
    },
  ) {}

  subscribe(topicPrefix: string, fn: Subscriber): void {
    this.subscribers.push({ prefix: topicPrefix, fn });
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.options.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 5));
  }

  /** Asks for a delivery round soon; cheap to call after every commit. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    // A pause lets one round carry the events of many commits instead of one round per commit.
    setTimeout(() => void this.loop(), this.options.kickDelayMs);
  }

  /** Delivers until the outbox is empty; returns how many events went out. */
  async drain(): Promise<number> {
    let total = 0;
    for (let round = 0; round < 10_000; round++) {
      const n = await this.deliverBatch();
      total += n;
      if (n === 0) break;
    }
    return total;
  }

  /** Events waiting to be delivered (a backlog metric). */
  async backlog(): Promise<number> {
    const row = await sql<{
      n: bigint;
    }>`select count(*)::int8 as n from outbox where published_at is null`.execute(this.db);
    return Number(row.rows[0]?.n ?? 0n);
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        while ((await this.deliverBatch()) === this.options.batchSize && !this.stopped) {}
      } while (this.again && !this.stopped);
    } catch (err) {
      this.log.error({ err }, 'outbox delivery failed; will retry');
    } finally {
      this.running = false;
    }
  }

  /**
   * Marks the oldest undelivered events as published and hands them to the subscribers
   * in the same transaction: if a subscriber throws, the marks roll back and the events
   * come again in the next round.
   */
  private async deliverBatch(): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const rows = await sql<{
        id: bigint;
        topic: string;
        aggregate_id: string;
        payload: Record<string, unknown>;
        created_at: Date;
      }>`
        update outbox set published_at = now()
        where id in (select id from outbox where published_at is null order by id
          limit ${this.options.batchSize} for update skip locked)
        returning id, topic, aggregate_id, payload, created_at`.execute(tx);
      const events = rows.rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      for (const row of events) {
        const event: DeliveredEvent = {
          id: row.id,
          topic: row.topic,
          aggregateId: row.aggregate_id,
          payload: row.payload,
          createdAt: row.created_at,
        };
        for (const s of this.subscribers) {
          if (event.topic.startsWith(s.prefix)) await s.fn(event);
        }
      }
      this.delivered += events.length;
      return events.length;
    });
  }
}
