import { createHash } from 'node:crypto';
import { canonicalJson } from '../platform/canonical-json.ts';
import type { Entry } from './types.ts';

/** The hash that precedes the first entry of the chain. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The canonical serialization of a journal entry, documented in docs/ledger-hash-chain.md:
 * a JSON object with keys in code-point order at every level, no whitespace, every
 * number written as a decimal string, times as ISO 8601 UTC with milliseconds, and
 * postings in their index order.
 */
export function canonicalEntry(entry: Omit<Entry, 'hash' | 'prevHash'>): string {
  return canonicalJson({
    amountMinor: entry.amountMinor.toString(),
    currency: entry.currency,
    decisionId: entry.decisionId,
    holdId: entry.holdId,
    id: entry.id,
    kind: entry.kind,
    metadata: entry.metadata,
    occurredAt: entry.occurredAt.toISOString(),
    params: entry.params,
    postings: entry.postings.map((p) => ({
      accountId: p.accountId,
      amountMinor: p.amountMinor.toString(),
      balanceAfterMinor: p.balanceAfterMinor.toString(),
      idx: p.idx.toString(),
    })),
    reversesId: entry.reversesId,
    rule: entry.rule,
    seq: entry.seq.toString(),
  });
}

/** hash = SHA-256(prevHash ‖ "\n" ‖ canonical(entry)), lowercase hex. */
export function chainHash(prevHash: string, canonical: string): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}
