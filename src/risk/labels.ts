import type { Db, Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import type { RiskEngine } from './engine.ts';
import { eventFromSnapshot } from './history.ts';

export type LabelValue = 'fraud' | 'legit' | 'laundering';

export interface LabelInput {
  decisionId: string;
  label: LabelValue;
  scenario?: string | null | undefined;
  /** When the truth became known; the label features count it from then. Default: now. */
  reportedAt?: Date | undefined;
}

/**
 * Stores labels (what decisions turned out to be) for one source, all or nothing: an
 * unknown decision refuses the whole call. A label replaces the same source's earlier
 * label of the decision. Returns the decisions that got their first fraud label, which
 * the caller hands to `applyFraudLabels` after its transaction commits.
 */
export async function storeLabels(
  tx: Db | Tx,
  labels: LabelInput[],
  source: string,
  now: Date,
): Promise<{ stored: number; newFraud: string[] }> {
  if (labels.length === 0) return { stored: 0, newFraud: [] };
  const ids = [...new Set(labels.map((l) => l.decisionId))];
  const found = await tx.selectFrom('risk_decisions').select('id').where('id', 'in', ids).execute();
  if (found.length !== ids.length) {
    const known = new Set(found.map((r) => r.id));
    const missing = ids.find((id) => !known.has(id));
    throw new AppError('RISK_LABEL_UNKNOWN_DECISION', `Decision ${missing} does not exist.`, {
      decisionId: missing,
    });
  }
  // Only a decision's first fraud label counts in the label features; a repeat or a
  // second source confirming it is the same fraud.
  const fraudIds = [...new Set(labels.filter((l) => l.label === 'fraud').map((l) => l.decisionId))];
  const alreadyFraud = new Set(
    fraudIds.length === 0
      ? []
      : (
          await tx
            .selectFrom('risk_labels')
            .select('decision_id')
            .where('decision_id', 'in', fraudIds)
            .where('label', '=', 'fraud')
            .execute()
        ).map((r) => r.decision_id),
  );
  const rows = labels.map((l) => ({
    decision_id: l.decisionId,
    source: source.slice(0, 80),
    label: l.label,
    scenario: l.scenario ?? null,
    reported_at: l.reportedAt ?? now,
    created_at: now,
  }));
  // The last label of a decision in one call wins, as it would over several calls.
  const byDecision = new Map(rows.map((r) => [r.decision_id, r]));
  await tx
    .insertInto('risk_labels')
    .values([...byDecision.values()])
    .onConflict((oc) =>
      oc.columns(['decision_id', 'source']).doUpdateSet((eb) => ({
        label: eb.ref('excluded.label'),
        scenario: eb.ref('excluded.scenario'),
        reported_at: eb.ref('excluded.reported_at'),
        created_at: eb.ref('excluded.created_at'),
      })),
    )
    .execute();
  const newFraud = fraudIds.filter((id) => !alreadyFraud.has(id) && byDecision.get(id)?.label === 'fraud');
  return { stored: byDecision.size, newFraud };
}

/** Feeds first fraud labels to the engine's label features (after the labels are committed). */
export async function applyFraudLabels(db: Db, engine: RiskEngine, decisionIds: string[], now: Date) {
  if (decisionIds.length === 0) return;
  const decided = await db
    .selectFrom('risk_decisions')
    .select(['event_type', 'subject_id', 'currency', 'amount_minor', 'input', 'event_at', 'created_at'])
    .where('id', 'in', decisionIds)
    .execute();
  for (const row of decided) {
    const input = row.input as Record<string, unknown>;
    const event = eventFromSnapshot({ ...row, input, t: row.event_at ?? row.created_at });
    if (event) await engine.labelled(event, 'fraud', now);
  }
}
