import { AppError } from '../platform/errors.ts';

/**
 * Opaque page cursors for keyset pagination. A cursor names the last row of a page by
 * the columns the list is ordered by, so the next page starts right after it with an
 * index seek: no OFFSET, no count. Each list stamps its cursors with its own tag, so a
 * cursor from one list (or one ordering) is refused by another instead of misread.
 */

/** A timestamp as PostgreSQL stores it (microseconds), in UTC: exact for keyset comparisons. */
const PG_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
/** Row ids (`cus_…`, `hold_…`, `dec_…`) and journal sequence numbers. */
const KEY = /^[0-9a-z_]{1,64}$/;
const CURSOR_MAX = 160;

export interface Position {
  /** The ordering timestamp of the last row, as `PG_TIME` text (absent for seq-ordered lists). */
  at?: string;
  /** The last row's id or sequence number. */
  key: string;
}

export function encodeCursor(tag: string, position: Position): string {
  const text = position.at === undefined ? `${tag}|${position.key}` : `${tag}|${position.at}|${position.key}`;
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** The position in a cursor of this list, or a 400 for anything else. */
export function decodeCursor(tag: string, cursor: string, timed: boolean): Position {
  const invalid = () => new AppError('VALIDATION_FAILED', 'cursor is not valid for this list.');
  if (cursor.length > CURSOR_MAX || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (parts[0] !== tag || parts.length !== (timed ? 3 : 2)) throw invalid();
  const key = parts[parts.length - 1] ?? '';
  if (!KEY.test(key)) throw invalid();
  if (!timed) return { key };
  const at = parts[1] ?? '';
  if (!PG_TIME.test(at) || Number.isNaN(Date.parse(at))) throw invalid();
  return { at, key };
}

/** A sequence-number key from a cursor, as a bigint. */
export function seqOf(position: Position): bigint {
  if (!/^[0-9]{1,19}$/.test(position.key)) {
    throw new AppError('VALIDATION_FAILED', 'cursor is not valid for this list.');
  }
  return BigInt(position.key);
}

/**
 * One page: the rows fetched with `limit + 1` tell whether another page follows without
 * a count; the cursor points after the last row shown.
 */
export function pageOf<R>(
  rows: R[],
  limit: number,
  tag: string,
  positionOf: (row: R) => Position,
): { rows: R[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return { rows: page, nextCursor: more && last !== undefined ? encodeCursor(tag, positionOf(last)) : null };
}
