// Shared steps of the support tests: signed-in customers, payments, the outbox and case timeline of a record.
import { expect } from 'vitest';
import { Api, str } from '../api/client.ts';
import type { TestBulwark } from '../helpers.ts';

/** A signed-in customer's Authorization header, with the session made directly (sign-in has its own tests). */
export async function customerAuth(bw: TestBulwark, customerId: string): Promise<string> {
  const started = await bw.dbHandle.db
    .transaction()
    .execute((tx) =>
      bw.sessions.start(tx, { type: 'customer', id: customerId, role: 'customer', amr: ['pwd'] }, {}),
    );
  return `Bearer ${started.pair.accessToken}`;
}

/** The API as the signed-in customer (a fresh session each call, so a moved clock never finds it expired). */
export function asCustomer(bw: () => TestBulwark, customerId: string): Api {
  return new Api(bw, () => customerAuth(bw(), customerId));
}

/** Pays a merchant (integrator side) and returns the payment's journal entry. */
export async function pay(
  api: Api,
  walletId: string,
  merchantId: string,
  amountMinor: string,
): Promise<string> {
  const res = await api.post('/v1/payments', { walletId, merchantId, amountMinor, currency: 'CNY' });
  expect(res.status, res.text).toBe(201);
  return str(res.body, 'entryId');
}

/** The outbox events written for one record, oldest first. */
export async function outboxOf(bw: TestBulwark, aggregateId: string) {
  return bw.dbHandle.db
    .selectFrom('outbox')
    .select(['topic', 'payload'])
    .where('aggregate_id', '=', aggregateId)
    .orderBy('id')
    .execute();
}

/** The types of a case's timeline events, oldest first, with their details. */
export async function timeline(bw: TestBulwark, caseId: string) {
  return bw.dbHandle.db
    .selectFrom('case_events')
    .select(['type', 'detail', 'actor_type', 'actor_id'])
    .where('case_id', '=', caseId)
    .orderBy('id')
    .execute();
}
