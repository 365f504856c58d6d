/**
 * The benchmark's operations: about half P2P transfers between random wallets and half
 * payments, a fixed share of the payments to one hot merchant, small amounts so that no
 * risk limit is reached. Deterministic for a given seed.
 */

import { Random } from '../src/simulator/random.ts';
import type { PlannedRequest } from './driver.ts';

export interface WorkloadSpec {
  walletIds: readonly string[];
  /** The first merchant is the hot one. */
  merchantIds: readonly string[];
  transferShare: number;
  hotShareOfPayments: number;
  amountMinorMin: number;
  amountMinorMax: number;
  seed: number;
}

export type OpKind = 'transfer' | 'payment' | 'payment-hot';

/** The demo's seeded generator (mulberry32), as a function: the same seed gives the same load. */
export function rng(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}

function pick<T>(items: readonly T[], r: number): T {
  const item = items[Math.floor(r * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/**
 * Returns the request generator: `keyPrefix` makes every Idempotency-Key of the run
 * unique, `path` overrides the route (the baseline sends the same bodies elsewhere).
 */
export function ledgerWorkload(spec: WorkloadSpec, keyPrefix: string, path?: string) {
  if (spec.walletIds.length < 2) throw new Error('the workload needs at least two wallets');
  if (spec.merchantIds.length < 1) throw new Error('the workload needs at least one merchant');
  const random = rng(spec.seed);
  const hot = spec.merchantIds[0];
  const others = spec.merchantIds.length > 1 ? spec.merchantIds.slice(1) : spec.merchantIds;
  const span = spec.amountMinorMax - spec.amountMinorMin + 1;
  const counts: Record<OpKind, number> = { transfer: 0, payment: 0, 'payment-hot': 0 };
  const next = (i: number): PlannedRequest => {
    const amountMinor = String(spec.amountMinorMin + Math.floor(random() * span));
    const idempotencyKey = `${keyPrefix}-${i}`;
    if (random() < spec.transferShare) {
      const from = pick(spec.walletIds, random());
      let to = pick(spec.walletIds, random());
      while (to === from) to = pick(spec.walletIds, random());
      counts.transfer++;
      return {
        tag: 'transfer',
        path: path ?? '/v1/transfers',
        body: JSON.stringify({ fromWalletId: from, toWalletId: to, amountMinor, currency: 'CNY' }),
        idempotencyKey,
      };
    }
    const isHot = random() < spec.hotShareOfPayments;
    const merchantId = isHot ? hot : pick(others, random());
    counts[isHot ? 'payment-hot' : 'payment']++;
    return {
      tag: isHot ? 'payment-hot' : 'payment',
      path: path ?? '/v1/payments',
      body: JSON.stringify({
        walletId: pick(spec.walletIds, random()),
        merchantId,
        amountMinor,
        currency: 'CNY',
        orderRef: `order-${i}`,
      }),
      idempotencyKey,
    };
  };
  return { next, counts };
}
