import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { StoredResponse } from '../ledger/commands.ts';
import type { Db, Tx } from './db.ts';
import { AppError } from './errors.ts';

export interface IdempotencyContext {
  scope: string;
  key: string;
  requestHash: string;
}

const KEY_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

export function validateIdempotencyKey(key: string | undefined): string {
  if (key === undefined || key === '') throw new AppError('IDEMPOTENCY_KEY_MISSING');
  if (!KEY_PATTERN.test(key)) {
    throw new AppError(
      'IDEMPOTENCY_KEY_INVALID',
      'Idempotency-Key must be 8 to 128 characters of letters, digits, ".", "_", ":" or "-".',
    );
  }
  return key;
}

/** SHA-256 over the method, the path and the body with its keys sorted: the request's identity. */
export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${path}\n`).update(stableJson(body)).digest('hex');
}

export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

/**
 * Runs `effect` once per idempotency key: the key and the request hash are stored in
 * the same transaction as the effect and its response. A retry with the same request
 * gets the stored response; the same key with another request is a 409 conflict.
 * A concurrent duplicate waits on the key's row lock, then sees the stored response.
 */
export async function runIdempotent(
  db: Db,
  ctx: IdempotencyContext,
  effect: (tx: Tx) => Promise<StoredResponse>,
): Promise<{ replayed: boolean; response: StoredResponse }> {
  const result = await db.transaction().execute(async (tx) => {
    const claimed = await sql<{ key: string }>`
      insert into idempotency_keys (scope, key, request_hash) values (${ctx.scope}, ${ctx.key}, ${ctx.requestHash})
      on conflict do nothing returning key`.execute(tx);
    if (claimed.rows.length === 0) return undefined;
    const response = await effect(tx);
    await sql`update idempotency_keys set status_code = ${response.statusCode}, response = ${JSON.stringify(response.body)}::jsonb
      where scope = ${ctx.scope} and key = ${ctx.key}`.execute(tx);
    return response;
  });
  if (result) return { replayed: false, response: result };
  const stored = await lookupIdempotent(db, ctx);
  return { replayed: true, response: stored };
}

/** Whether this idempotency key already holds its answer: a retry is replayed before anything runs. */
export async function answered(db: Db, idem: Pick<IdempotencyContext, 'scope' | 'key'>): Promise<boolean> {
  const row = await db
    .selectFrom('idempotency_keys')
    .select('key')
    .where('scope', '=', idem.scope)
    .where('key', '=', idem.key)
    .where('status_code', 'is not', null)
    .executeTakeFirst();
  return row !== undefined;
}

export async function lookupIdempotent(db: Db, ctx: IdempotencyContext): Promise<StoredResponse> {
  const row = await db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status_code', 'response'])
    .where('scope', '=', ctx.scope)
    .where('key', '=', ctx.key)
    .executeTakeFirst();
  if (!row) throw new AppError('SERVICE_OVERLOADED', 'A concurrent request with this key failed; retry.');
  if (row.request_hash !== ctx.requestHash) throw new AppError('IDEMPOTENCY_KEY_CONFLICT');
  if (row.status_code === null) {
    throw new AppError('IDEMPOTENCY_KEY_CONFLICT', 'A request with this key is still in progress.');
  }
  return { statusCode: row.status_code, body: row.response };
}
