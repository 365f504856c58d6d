import type { StoredResponse } from '../ledger/commands.ts';
import type { IdempotencyContext } from '../platform/idempotency.ts';
import type { Actor } from './model.ts';

/** What every change of the support module carries: its idempotency key and who acts. */
export interface SupportCtx {
  idem: IdempotencyContext;
  actor: Actor;
}

/** A change's answer, fresh or replayed from its idempotency key. */
export interface Answer {
  replayed: boolean;
  response: StoredResponse;
}

/**
 * The answer of a change that stored only `{ id }` under its key: its status with the
 * record as it is now, so a replay shows the record's current state too.
 */
export async function withView(
  result: { replayed: boolean },
  statusCode: number,
  view: () => Promise<unknown>,
): Promise<Answer> {
  return { replayed: result.replayed, response: { statusCode, body: await view() } };
}

/** The id in a stored `{ id }` answer; undefined when the stored answer is a problem. */
export function storedId(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('id' in body)) return undefined;
  return typeof body.id === 'string' ? body.id : undefined;
}
