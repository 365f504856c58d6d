import { sql } from 'kysely';
import { Gauge } from 'prom-client';
import type { Db } from '../../platform/db.ts';
import { newId } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import { registry as metrics } from '../../platform/metrics.ts';
import type { FeatureValue } from '../features/compute.ts';
import { psi } from './metrics.ts';
import { AMOUNT_FEATURE, numeric } from './vector.ts';

/**
 * Drift monitoring of a serving model, week over week, from what the engine stored with
 * each decision: the features the model read and the score it gave. For each feature and
 * for the score, the population stability index (PSI) of one week against the week before;
 * above `threshold` (0.25 by convention: a shift worth a look) the week is flagged and an
 * alert is logged and exported as a metric. Alongside, the misjudgement indicator (误判):
 * of the decisions the model scored high that have since been labelled, the share found
 * legitimate.
 */

export const DRIFT_ALERT_PSI = 0.25;
/** Decisions read per week: a sample this size gives a PSI that is stable to about 0.01. */
export const DRIFT_SAMPLE_MAX = 50_000;
const WEEK_MS = 7 * 86_400_000;

const driftGauge = new Gauge({
  name: 'bulwark_model_drift_psi',
  help: 'Population stability index of the model score against the week before, per model (latest computed week).',
  labelNames: ['model'],
  registers: [metrics],
});

export interface DriftWeek {
  modelId: string;
  weekStart: string;
  rows: number;
  /** Rows of the week before, the reference. */
  referenceRows: number;
  scorePsi: number | null;
  featurePsi: Record<string, number | null>;
  /** Features (and `score`) over the threshold. */
  drifted: string[];
  alert: boolean;
  /** High-scored decisions of the week that were labelled, and how many of them legitimate. */
  misjudged: { labelledHigh: number; legit: number; rate: number | null };
}

interface Sample {
  score: Float64Array;
  features: Map<string, Float64Array>;
  rows: number;
}

async function sample(
  db: Db,
  label: string,
  features: readonly string[],
  from: Date,
  to: Date,
): Promise<Sample> {
  const rows = await sql<{
    detail: { features?: Record<string, FeatureValue>; model?: { score?: number } };
    amount_minor: string | null;
  }>`
    select d.detail, d.amount_minor::text as amount_minor from risk_decisions d
    where coalesce(d.event_at, d.created_at) >= ${from.toISOString()}::timestamptz
      and coalesce(d.event_at, d.created_at) < ${to.toISOString()}::timestamptz
      and d.detail->'model'->>'name' = ${label}
    order by coalesce(d.event_at, d.created_at), d.id
    limit ${DRIFT_SAMPLE_MAX}`.execute(db);
  const n = rows.rows.length;
  const score = new Float64Array(n);
  const columns = new Map(features.map((f) => [f, new Float64Array(n)]));
  rows.rows.forEach((r, i) => {
    score[i] = r.detail.model?.score ?? Number.NaN;
    for (const [name, column] of columns) {
      column[i] =
        name === AMOUNT_FEATURE
          ? r.amount_minor === null
            ? Number.NaN
            : Number(r.amount_minor)
          : numeric(r.detail.features?.[name]);
    }
  });
  return { score, features: columns, rows: n };
}

/** PSI, or null when either week has no value to compare (a feature always missing). */
function stability(expected: Float64Array, actual: Float64Array): number | null {
  if (expected.length === 0 || actual.length === 0) return null;
  const value = psi(expected, actual);
  return Number.isFinite(value) ? Math.round(value * 10_000) / 10_000 : null;
}

/** Monday 00:00 UTC of the week holding `at`. */
export function weekStartOf(at: Date): Date {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const monday = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - monday * 86_400_000);
}

/**
 * Computes (and stores, replacing an earlier computation of the same week) the drift of a
 * model for the week starting at `weekStart`, against the week before.
 */
export async function computeDrift(
  db: Db,
  model: { id: string; label: string; features: readonly string[] },
  weekStart: Date,
  options: { threshold?: number; now: Date; log?: Logger | undefined },
): Promise<DriftWeek> {
  const threshold = options.threshold ?? DRIFT_ALERT_PSI;
  const weekEnd = new Date(weekStart.getTime() + WEEK_MS);
  const reference = await sample(
    db,
    model.label,
    model.features,
    new Date(weekStart.getTime() - WEEK_MS),
    weekStart,
  );
  const current = await sample(db, model.label, model.features, weekStart, weekEnd);
  const featurePsi: Record<string, number | null> = {};
  const drifted: string[] = [];
  const scorePsi = stability(reference.score, current.score);
  if (scorePsi !== null && scorePsi > threshold) drifted.push('score');
  for (const name of model.features) {
    const value = stability(
      reference.features.get(name) ?? new Float64Array(),
      current.features.get(name) ?? new Float64Array(),
    );
    featurePsi[name] = value;
    if (value !== null && value > threshold) drifted.push(name);
  }
  const labelled = await sql<{ labelled: string; legit: string }>`
    select count(*)::text as labelled, count(*) filter (where l.label = 'legit')::text as legit
    from risk_decisions d
    join lateral (select label from risk_labels where decision_id = d.id order by reported_at desc limit 1) l on true
    where coalesce(d.event_at, d.created_at) >= ${weekStart.toISOString()}::timestamptz
      and coalesce(d.event_at, d.created_at) < ${weekEnd.toISOString()}::timestamptz
      and d.detail->'model'->>'name' = ${model.label}
      and d.detail->'model'->>'level' = 'high'`.execute(db);
  const labelledHigh = Number(labelled.rows[0]?.labelled ?? 0);
  const legit = Number(labelled.rows[0]?.legit ?? 0);
  const week: DriftWeek = {
    modelId: model.id,
    weekStart: weekStart.toISOString(),
    rows: current.rows,
    referenceRows: reference.rows,
    scorePsi,
    featurePsi,
    drifted,
    alert: drifted.length > 0,
    misjudged: {
      labelledHigh,
      legit,
      rate: labelledHigh > 0 ? Math.round((legit / labelledHigh) * 10_000) / 10_000 : null,
    },
  };
  await db
    .insertInto('risk_model_drift')
    .values({
      id: newId('mdr'),
      model_id: model.id,
      week_start: weekStart,
      rows: String(current.rows),
      score_psi: scorePsi,
      feature_psi: JSON.stringify({
        ...featurePsi,
        _referenceRows: reference.rows,
        _misjudged: week.misjudged,
      }),
      alert: week.alert,
      created_at: options.now,
    })
    .onConflict((oc) =>
      oc.columns(['model_id', 'week_start']).doUpdateSet((eb) => ({
        rows: eb.ref('excluded.rows'),
        score_psi: eb.ref('excluded.score_psi'),
        feature_psi: eb.ref('excluded.feature_psi'),
        alert: eb.ref('excluded.alert'),
        created_at: eb.ref('excluded.created_at'),
      })),
    )
    .execute();
  if (scorePsi !== null) driftGauge.set({ model: model.label }, scorePsi);
  if (week.alert)
    options.log?.warn(
      { model: model.label, weekStart: week.weekStart, drifted, scorePsi },
      'model drift: the population the model scores has shifted against the week before',
    );
  return week;
}

/** Stored drift weeks of a model, newest first. */
export async function driftHistory(db: Db, modelId: string, limit = 26): Promise<DriftWeek[]> {
  const rows = await db
    .selectFrom('risk_model_drift')
    .selectAll()
    .where('model_id', '=', modelId)
    .orderBy('week_start', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => {
    const stored = { ...(r.feature_psi as Record<string, unknown>) };
    const referenceRows = Number(stored._referenceRows ?? 0);
    const misjudged = (stored._misjudged as DriftWeek['misjudged'] | undefined) ?? {
      labelledHigh: 0,
      legit: 0,
      rate: null,
    };
    delete stored._referenceRows;
    delete stored._misjudged;
    const featurePsi = stored as Record<string, number | null>;
    const drifted = Object.entries(featurePsi)
      .filter(([, v]) => v !== null && v > DRIFT_ALERT_PSI)
      .map(([k]) => k);
    if (r.score_psi !== null && r.score_psi > DRIFT_ALERT_PSI) drifted.unshift('score');
    return {
      modelId: r.model_id,
      weekStart: r.week_start.toISOString(),
      rows: Number(r.rows),
      referenceRows,
      scorePsi: r.score_psi,
      featurePsi,
      drifted,
      alert: r.alert,
      misjudged,
    };
  });
}
