import type { Db, Tx } from '../platform/db.ts';
import type { RiskDecision } from './gate.ts';

/**
 * Stores one decision outside a ledger batch (a top-up refusal, an account event). The
 * ledger writes the decisions of its batches itself, with the same columns.
 */
export async function insertDecision(tx: Tx | Db, d: RiskDecision): Promise<void> {
  await tx
    .insertInto('risk_decisions')
    .values({
      id: d.id,
      event_type: d.eventType,
      subject_id: d.subjectId,
      currency: d.currency,
      amount_minor: d.amountMinor,
      outcome: d.outcome,
      reason_codes: JSON.stringify(d.reasonCodes),
      customer_message: d.customerMessage,
      policy: d.policy,
      input: JSON.stringify(d.input),
      latency_us: d.latencyUs,
      created_at: d.createdAt,
      event_at: d.eventAt ?? d.createdAt,
      score: d.score ?? 0,
      degraded: d.degraded ?? false,
      detail: d.detail ? JSON.stringify(d.detail) : null,
    })
    .execute();
}
