import { sql } from 'kysely';
import type { Db } from '../../platform/db.ts';
import type { Logger } from '../../platform/logger.ts';
import type { FeatureValue } from '../features/compute.ts';
import { DAY_MS, trainingSets } from './evaluate.ts';
import { type GbdtParams, trainSync } from './gbdt.ts';
import { buildModelFile, MONEY_MOVEMENT_TYPES, trainingFacts } from './model-file.ts';
import { type FeatureTable, PayerIndex } from './table.ts';
import { DEFAULT_MODEL_FEATURES, vectorize } from './vector.ts';

/**
 * Retraining from Bulwark's own history: the decisions the engine stored, with the
 * features exactly as they were computed at decision time (no replay, no skew), and the
 * labels that arrived for them (case outcomes, disputes, chargebacks, `/v1/risk/labels`)
 * with their arrival times. A decision is fraud once a fraud label has arrived for it; one
 * without a fraud label counts as legitimate only once the label delay has passed (or a
 * legitimate label arrived), so a model trained at T never learns from what was unknown
 * at T. The result is registered as a challenger, scored in shadow; it never becomes
 * champion without maker-checker.
 */

/** Most decisions read for one retraining: enough for a month of a busy wallet at this scale. */
export const RETRAIN_ROWS_MAX = 500_000;
/** Fewer fraud labels than this and a retraining would learn noise: it is skipped. */
export const RETRAIN_MIN_POSITIVES = 20;

interface DecisionRow {
  t: Date;
  event_type: string;
  subject_id: string | null;
  amount_minor: string | null;
  features: Record<string, FeatureValue> | null;
  fraud_at: Date | null;
  legit_at: Date | null;
}

/** The stored money-movement decisions of a period as a feature table, labels as known at `asOfMs`. */
export async function decisionTable(
  db: Db,
  o: { fromMs: number; toMs: number; asOfMs: number; labelDelayMs: number; features?: readonly string[] },
): Promise<FeatureTable> {
  const names = o.features ?? DEFAULT_MODEL_FEATURES;
  const types = [...MONEY_MOVEMENT_TYPES];
  const result = await sql<DecisionRow>`
    select coalesce(d.event_at, d.created_at) as t, d.event_type, d.subject_id, d.amount_minor::text as amount_minor,
      d.detail->'features' as features,
      (select min(l.created_at) from risk_labels l where l.decision_id = d.id and l.label = 'fraud') as fraud_at,
      (select min(l.created_at) from risk_labels l where l.decision_id = d.id and l.label = 'legit') as legit_at
    from risk_decisions d
    where coalesce(d.event_at, d.created_at) >= ${new Date(o.fromMs).toISOString()}::timestamptz
      and coalesce(d.event_at, d.created_at) < ${new Date(o.toMs).toISOString()}::timestamptz
      and d.event_type in (${sql.join(types)})
      and d.detail->'features' is not null
    order by coalesce(d.event_at, d.created_at), d.id
    limit ${RETRAIN_ROWS_MAX}`.execute(db);
  const rows = result.rows;
  const n = rows.length;
  const columns = names.map(() => new Float64Array(n));
  const labels = new Uint8Array(n);
  const atMs = new Float64Array(n);
  const labelKnownAtMs = new Float64Array(n);
  const payer = new Int32Array(n);
  const payers = new PayerIndex();
  const amountMinor = new Float64Array(n);
  const x = new Float64Array(names.length);
  rows.forEach((r, i) => {
    const t = new Date(r.t).getTime();
    const amount = r.amount_minor === null ? 0n : BigInt(r.amount_minor);
    vectorize(names, r.features ?? {}, { amountMinor: amount }, x);
    for (let f = 0; f < names.length; f++) (columns[f] as Float64Array)[i] = x[f] as number;
    const fraudAt = r.fraud_at === null ? Number.POSITIVE_INFINITY : new Date(r.fraud_at).getTime();
    const legitAt = r.legit_at === null ? Number.POSITIVE_INFINITY : new Date(r.legit_at).getTime();
    // Fraud as soon as a fraud label arrived (by asOf); otherwise legitimate once a legit
    // label arrived or the delay passed without a fraud report.
    const fraud = fraudAt <= o.asOfMs;
    labels[i] = fraud ? 1 : 0;
    labelKnownAtMs[i] = fraud ? Math.max(t, fraudAt) : Math.max(t, Math.min(legitAt, t + o.labelDelayMs));
    atMs[i] = t;
    amountMinor[i] = Number(amount);
    payer[i] = payers.of(r.subject_id ?? '');
  });
  return {
    features: names,
    columns,
    labels,
    atMs,
    labelKnownAtMs,
    payer,
    payerIds: payers.ids,
    amountMinor,
    ruleScore: new Float64Array(n),
    ruleSeverity: new Uint8Array(n),
    rows: n,
  };
}

export interface RetrainOptions {
  name: string;
  now: Date;
  trainDays: number;
  validDays: number;
  labelDelayDays: number;
  features?: readonly string[];
  params?: Partial<GbdtParams>;
  log?: Logger | undefined;
}

export type RetrainResult =
  | { trained: true; file: ReturnType<typeof buildModelFile>; rows: number; positives: number }
  | { trained: false; reason: string; rows: number; positives: number };

/** Trains a model file from the stored decisions and labels known now (nothing is registered here). */
export async function retrainFromDecisions(db: Db, o: RetrainOptions): Promise<RetrainResult> {
  const asOfMs = o.now.getTime();
  const table = await decisionTable(db, {
    fromMs: asOfMs - (o.trainDays + o.labelDelayDays) * DAY_MS,
    toMs: asOfMs,
    asOfMs,
    labelDelayMs: o.labelDelayDays * DAY_MS,
    features: o.features,
  });
  const sets = trainingSets(table, asOfMs, {
    labelDelayDays: o.labelDelayDays,
    trainDays: o.trainDays,
    validDays: o.validDays,
  });
  const { positives } = sets;
  const rows = sets.trainRows + sets.validRows;
  if (positives < RETRAIN_MIN_POSITIVES || sets.trainPositives === 0)
    return {
      trained: false,
      reason: `${positives} fraud labels known in the window (at least ${RETRAIN_MIN_POSITIVES} needed)`,
      rows,
      positives,
    };
  const params = {
    trees: 150,
    maxDepth: 6,
    learningRate: 0.1,
    seed: 1,
    earlyStoppingRounds: 20,
    ...o.params,
  };
  const t0 = performance.now();
  const { forest } = trainSync(sets.train, params, { validation: sets.valid });
  const file = buildModelFile({
    name: o.name,
    forest,
    trainedAtMs: asOfMs,
    ...trainingFacts(sets),
    params,
    seconds: (performance.now() - t0) / 1000,
    source: `Bulwark decisions and labels, ${o.trainDays} days before ${o.now.toISOString().slice(0, 10)} (labels after ${o.labelDelayDays} days)`,
  });
  o.log?.info(
    { name: o.name, rows, positives, trees: forest.roots.length },
    'model retrained from decisions',
  );
  return { trained: true, file, rows, positives };
}
