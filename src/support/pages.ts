import { type SelectQueryBuilder, sql } from 'kysely';
import { decodeCursor, pageOf } from '../console-api/cursor.ts';
import { exactTime } from '../console-api/views.ts';
import { LIMITS } from './model.ts';

/** What a caller asks of a list: a page size and the previous page's `nextCursor`. */
export interface PageQuery {
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** How a support list is ordered: by a time column, then the id (rows with the same time keep one order). */
export interface ListOrder {
  /** Stamped on the list's cursors: a cursor of another list, or of the other direction, is refused. */
  tag: string;
  column: string;
  direction: 'asc' | 'desc';
  limitDefault: number;
}

/**
 * One keyset page of a support list, with the console's cursors (`console-api/cursor.ts`):
 * the next page starts right after the last row shown, by an index seek on (time, id),
 * with no OFFSET and no count. The time goes into the cursor at PostgreSQL's precision.
 */
export async function keysetPage<DB, TB extends keyof DB, O extends { id: string }>(
  query: SelectQueryBuilder<DB, TB, O>,
  order: ListOrder,
  q: PageQuery,
): Promise<{ rows: O[]; nextCursor: string | null }> {
  const limit = Math.min(q.limit ?? order.limitDefault, LIMITS.pageSizeMax);
  const time = sql.ref(order.column);
  let page = query
    .select(exactTime(order.column).as('cursor_at'))
    // The row type is generic here, so TypeScript cannot merge the column just selected into it.
    .$castTo<O & { cursor_at: string }>()
    .orderBy(time, order.direction)
    .orderBy(sql.ref('id'), order.direction)
    .limit(limit + 1);
  if (q.cursor !== undefined) {
    const p = decodeCursor(order.tag, q.cursor, true);
    const after = order.direction === 'asc' ? sql.raw('>') : sql.raw('<');
    page = page.where(sql<boolean>`(${time}, id) ${after} (${p.at}::timestamptz, ${p.key})`);
  }
  return pageOf(await page.execute(), limit, order.tag, (r) => ({ at: r.cursor_at, key: r.id }));
}
