import { sql } from 'kysely';
import { decodeCursor, pageOf } from '../console-api/cursor.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { PAGE_DEFAULT, PAGE_MAX } from './deliveries.ts';
import type { Lang } from './format.ts';

/** The unread count stops counting here ("10000 or more"): a badge, not a report. */
export const UNREAD_COUNT_MAX = 10_000;

export interface NotificationView {
  id: string;
  topic: string;
  title: string;
  body: string;
  /** The language of `title` and `body`. */
  language: Lang;
  /** Ids to link to (`holdId`, `disputeId`…). */
  data: Record<string, string>;
  createdAt: string;
  readAt: string | null;
}

export interface InboxPage {
  notifications: NotificationView[];
  unreadCount: number;
  nextCursor: string | null;
}

const COLUMNS = [
  'id',
  'topic',
  'title_en',
  'body_en',
  'title_zh',
  'body_zh',
  'data',
  'created_at',
  'read_at',
] as const;

type Row = {
  id: string;
  topic: string;
  title_en: string;
  body_en: string;
  title_zh: string;
  body_zh: string;
  data: Record<string, string>;
  created_at: Date;
  read_at: Date | null;
};

function view(r: Row, lang: Lang): NotificationView {
  return {
    id: r.id,
    topic: r.topic,
    title: lang === 'en' ? r.title_en : r.title_zh,
    body: lang === 'en' ? r.body_en : r.body_zh,
    language: lang,
    data: r.data,
    createdAt: r.created_at.toISOString(),
    readAt: r.read_at?.toISOString() ?? null,
  };
}

/**
 * Inboxes of customers, merchants and staff: one per recipient id. Every query is scoped
 * to the recipient, so one recipient's item is "not found" for everyone else.
 */
export class Inbox {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async list(
    recipientId: string,
    query: { limit?: number | undefined; cursor?: string | undefined; unread?: boolean | undefined },
    lang: Lang,
  ): Promise<InboxPage> {
    const limit = Math.min(query.limit ?? PAGE_DEFAULT, PAGE_MAX);
    let q = this.db
      .selectFrom('notify_notifications')
      .select(COLUMNS)
      .where('recipient_id', '=', recipientId)
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (query.unread) q = q.where('read_at', 'is', null);
    if (query.cursor) q = q.where('id', '<', decodeCursor('ntf', query.cursor, false).key);
    const page = pageOf(await q.execute(), limit, 'ntf', (r) => ({ key: r.id }));
    return {
      notifications: page.rows.map((r) => view(r, lang)),
      unreadCount: await this.unreadCount(recipientId),
      nextCursor: page.nextCursor,
    };
  }

  async unreadCount(recipientId: string): Promise<number> {
    const r = await sql<{ n: bigint }>`
      select count(*)::int8 as n from (select 1 from notify_notifications
        where recipient_id = ${recipientId} and read_at is null limit ${UNREAD_COUNT_MAX}) as unread`.execute(
      this.db,
    );
    return Number(r.rows[0]?.n ?? 0n);
  }

  /** Marks one item read; reading it again changes nothing (the first time stays). */
  async markRead(recipientId: string, id: string, lang: Lang): Promise<NotificationView> {
    await this.db
      .updateTable('notify_notifications')
      .set({ read_at: this.clock.now() })
      .where('id', '=', id)
      .where('recipient_id', '=', recipientId)
      .where('read_at', 'is', null)
      .execute();
    const row = await this.db
      .selectFrom('notify_notifications')
      .select(COLUMNS)
      .where('id', '=', id)
      .where('recipient_id', '=', recipientId)
      .executeTakeFirst();
    if (!row) throw new AppError('NOTIFY_NOTIFICATION_NOT_FOUND');
    return view(row, lang);
  }

  /** Marks unread items read, at most `UNREAD_COUNT_MAX` per call; returns how many were. */
  async markAllRead(recipientId: string): Promise<{ marked: number }> {
    const r = await sql<{ n: bigint }>`
      with marked as (
        update notify_notifications set read_at = ${this.clock.now()}
        where id in (select id from notify_notifications where recipient_id = ${recipientId} and read_at is null
          limit ${UNREAD_COUNT_MAX})
        returning 1)
      select count(*)::int8 as n from marked`.execute(this.db);
    return { marked: Number(r.rows[0]?.n ?? 0n) };
  }
}
