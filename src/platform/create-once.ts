import { sql } from 'kysely';
import type { StoredResponse } from '../ledger/commands.ts';
import type { Db } from './db.ts';
import { type IdempotencyContext, lookupIdempotent } from './idempotency.ts';

/**
 * Idempotency for a change whose answer holds a secret shown once (an API key, a webhook
 * signing secret): `runIdempotent` would store the secret with the answer. Here the key is
 * claimed first, the change commits on its own, and the key then stores `stored`, the
 * answer without the secret, while the caller gets `fresh`, the answer with it. A retry
 * gets the stored answer; a retry while the first is still running gets a conflict; a
 * change that throws gives its key back.
 */
export async function createOnce(
  db: Db,
  idem: IdempotencyContext,
  create: () => Promise<{ stored: StoredResponse; fresh: StoredResponse }>,
): Promise<{ replayed: boolean; response: StoredResponse }> {
  const claimed = await sql<{ key: string }>`
    insert into idempotency_keys (scope, key, request_hash) values (${idem.scope}, ${idem.key}, ${idem.requestHash})
    on conflict do nothing returning key`.execute(db);
  if (claimed.rows.length === 0) return { replayed: true, response: await lookupIdempotent(db, idem) };
  let made: { stored: StoredResponse; fresh: StoredResponse };
  try {
    made = await create();
  } catch (err) {
    await db
      .deleteFrom('idempotency_keys')
      .where('scope', '=', idem.scope)
      .where('key', '=', idem.key)
      .where('status_code', 'is', null)
      .execute();
    throw err;
  }
  await sql`update idempotency_keys set status_code = ${made.stored.statusCode},
      response = ${JSON.stringify(made.stored.body)}::jsonb
    where scope = ${idem.scope} and key = ${idem.key}`.execute(db);
  return { replayed: false, response: made.fresh };
}
