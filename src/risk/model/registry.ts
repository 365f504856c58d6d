import { type Selectable, sql } from 'kysely';
import type { Actor, RequestMeta } from '../../access/staff.ts';
import { auditActor, auditMeta } from '../../access/staff.ts';
import type { StoredResponse } from '../../ledger/commands.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Db, Tx } from '../../platform/db.ts';
import { AppError } from '../../platform/errors.ts';
import { type IdempotencyContext, runIdempotent } from '../../platform/idempotency.ts';
import { newId } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { ModelStatus, RiskModelsTable } from '../../platform/schema.ts';
import { appendAudit } from '../../security/audit.ts';
import type { ModelOutput, RiskModel } from '../engine.ts';
import type { FeatureValue } from '../features/compute.ts';
import type { RuleEvent } from '../rules/schema.ts';
import { computeDrift, type DriftWeek, driftHistory, weekStartOf } from './drift.ts';
import { averagePrecision, rocAuc } from './metrics.ts';
import { ForestModel, type LoadedModel, loadModelFile, ModelFormatError } from './model-file.ts';
import { retrainFromDecisions } from './retrain.ts';

/**
 * The model registry: every model version the engine may serve, what it was trained on,
 * how it scored, and where it stands.
 *
 *   candidate ──shadow──▶ challenger ──promote (maker-checker)──▶ champion
 *       ▲                     │                                     │
 *       └──────unshadow───────┘        a promotion retires the champion it replaces;
 *   candidate / challenger ──retire──▶ retired ──promote (rollback)──▶ champion
 *
 * One champion per scope (an event type, or `all` for every money movement without its
 * own): its score reaches the rules as `features.model.*`. Challengers are scored on the
 * same live features in shadow and stored with the decision, so they can be compared
 * before anyone promotes them; they never change an outcome. Making a version champion,
 * or retiring a champion, goes through maker-checker (`risk.model.change`): a second staff
 * user approves, and the version's own author cannot. A scheduled retraining registers a
 * candidate, never a champion.
 */

export const MODEL_SCOPES = ['all', 'transfer', 'payment', 'withdrawal', 'topup', 'refund'] as const;
export type ModelScope = (typeof MODEL_SCOPES)[number];

/** Registered versions are immutable; a listing shows at most this many. */
const LIST_MAX = 200;
/** A model file larger than this is refused (a 2,000-tree depth-8 forest is about 20 MB). */
export const MODEL_FILE_MAX_BYTES = 32 * 1024 * 1024;

export interface ModelView {
  id: string;
  name: string;
  version: number;
  scope: string;
  status: ModelStatus;
  features: string[];
  trees: number;
  thresholds: unknown;
  training: unknown;
  metrics: Record<string, unknown> | null;
  trainedFrom: string | null;
  trainedTo: string | null;
  createdBy: string;
  createdAt: string;
  statusChangedAt: string;
}

export interface ModelEventView {
  fromStatus: ModelStatus | null;
  toStatus: ModelStatus;
  actor: string;
  approvalId: string | null;
  reason: string;
  at: string;
}

export interface ChallengerComparison {
  challenger: string;
  champion: string | null;
  days: number;
  /** Decisions the challenger scored in shadow beside a champion. */
  decisions: number;
  /** Share of them where both gave the same level. */
  levelAgreement: number | null;
  /** Of them, decisions whose outcome is known (labelled, or the delay passed), and frauds among them. */
  settled: number;
  frauds: number;
  championFigures: ComparisonFigures;
  challengerFigures: ComparisonFigures;
}

export interface ComparisonFigures {
  rocAuc: number | null;
  averagePrecision: number | null;
  /** Settled decisions scored high, and the legitimate share of them (misjudged). */
  high: number;
  misjudgedHighRate: number | null;
}

/** The stored request of a `risk.model.change` approval. */
export interface ModelChangeRequest {
  modelId: string;
  /** `champion`: the version starts serving (the champion of its scope is retired); `retired`: the champion stops. */
  status: 'champion' | 'retired';
  /** The version's author, when a staff user: the approval service refuses them as checker. */
  staffId?: string | undefined;
}

export interface ModelChangeContext {
  approvalId: string;
  reason: string;
  maker: Actor;
  checker: Actor;
  meta: RequestMeta;
}

/** What the maker-checker action needs from the registry. */
export interface ModelPublisher {
  prepareChange(tx: Tx, input: ModelChangeRequest): Promise<{ payload: ModelChangeRequest; summary: string }>;
  changeInTx(tx: Tx, request: ModelChangeRequest, ctx: ModelChangeContext): Promise<Record<string, unknown>>;
  changed(): void;
}

type Row = Selectable<RiskModelsTable>;

function view(r: Row): ModelView {
  const body = r.body as { forest?: { roots?: unknown[] }; thresholds?: unknown; training?: unknown };
  return {
    id: r.id,
    name: r.name,
    version: r.version,
    scope: r.scope,
    status: r.status,
    features: r.features,
    trees: Array.isArray(body.forest?.roots) ? body.forest.roots.length : 0,
    thresholds: body.thresholds ?? null,
    training: body.training ?? null,
    metrics: r.metrics,
    trainedFrom: r.trained_from ? r.trained_from.toISOString() : null,
    trainedTo: r.trained_to ? r.trained_to.toISOString() : null,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    statusChangedAt: r.status_changed_at.toISOString(),
  };
}

function isScope(s: string): s is ModelScope {
  return (MODEL_SCOPES as readonly string[]).includes(s);
}

const dateOf = (v: unknown): Date | null => {
  if (typeof v !== 'string') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
};

export interface RegistryDeps {
  db: Db;
  clock: Clock;
  log?: Logger | undefined;
  /** How long the serving snapshot is trusted before the registry is read again. */
  refreshMs?: number;
}

/** What is served: the champion of each scope and every challenger, parsed once per version. */
interface Serving {
  champions: Map<string, ForestModel>;
  challengers: ForestModel[];
  loadedAt: number;
}

export class ModelRegistry implements ModelPublisher, RiskModel {
  readonly name = 'registry';
  private serving: Serving = { champions: new Map(), challengers: [], loadedAt: Number.NEGATIVE_INFINITY };
  private refreshing: Promise<void> | undefined;
  /** Parsed versions by id: a version never changes once registered. */
  private readonly parsed = new Map<string, ForestModel>();
  private readonly refreshMs: number;

  constructor(private readonly deps: RegistryDeps) {
    this.refreshMs = deps.refreshMs ?? 5_000;
  }

  // ---- Registering and reading -------------------------------------------------------

  /**
   * Registers a model file as the next version of its name, a candidate. The file is
   * checked in full first (format, forest structure, features this engine computes); a
   * bad file answers 422 MODEL_INVALID naming the field, and nothing is stored.
   */
  async register(
    raw: unknown,
    actor: Actor,
    options: {
      scope?: string | undefined;
      metrics?: Record<string, unknown> | undefined;
      meta?: RequestMeta;
    },
    idem?: IdempotencyContext,
  ): Promise<{ replayed: boolean; response: StoredResponse }> {
    let loaded: LoadedModel;
    try {
      loaded = loadModelFile(raw);
    } catch (err) {
      if (err instanceof ModelFormatError || (err instanceof Error && 'field' in err)) {
        const field = (err as Error & { field: string }).field;
        throw new AppError('MODEL_INVALID', `The model file is not valid: ${err.message}`, { field });
      }
      throw err;
    }
    const scope = options.scope ?? 'all';
    if (!isScope(scope))
      throw new AppError('MODEL_INVALID', `Unknown scope "${scope}"; one of ${MODEL_SCOPES.join(', ')}.`, {
        field: 'scope',
      });
    const now = this.deps.clock.now();
    const training = loaded.file.training as { from?: unknown; to?: unknown } | undefined;
    const work = async (tx: Tx): Promise<StoredResponse> => {
      // One registration of a name at a time: versions are numbered without gaps or clashes.
      await tx.selectFrom('risk_models').select('id').where('name', '=', loaded.name).forUpdate().execute();
      const last = await tx
        .selectFrom('risk_models')
        .select((eb) => eb.fn.max('version').as('v'))
        .where('name', '=', loaded.name)
        .executeTakeFirst();
      const version = Number(last?.v ?? 0) + 1;
      const id = newId('mdl');
      await tx
        .insertInto('risk_models')
        .values({
          id,
          name: loaded.name,
          version,
          scope,
          status: 'candidate',
          body: JSON.stringify(loaded.file),
          features: JSON.stringify(loaded.forest.features),
          metrics: options.metrics ? JSON.stringify(options.metrics) : null,
          trained_from: dateOf(training?.from),
          trained_to: dateOf(training?.to),
          created_by: actor.id,
          created_at: now,
          status_changed_at: now,
        })
        .execute();
      await this.recordEvent(tx, id, null, 'candidate', actor.id, null, 'registered', now);
      await appendAudit(tx, [
        {
          ...auditActor(actor),
          action: 'risk.model.register',
          targetType: 'risk_model',
          targetId: id,
          after: { name: loaded.name, version: String(version), scope, status: 'candidate' },
          ...auditMeta(options.meta ?? {}),
          at: now,
        },
      ]);
      return { statusCode: 201, body: view(await this.rowIn(tx, id)) as unknown as Record<string, unknown> };
    };
    if (idem) return runIdempotent(this.deps.db, idem, work);
    return { replayed: false, response: await this.deps.db.transaction().execute(work) };
  }

  async list(
    filter: { status?: ModelStatus | undefined; scope?: string | undefined } = {},
  ): Promise<ModelView[]> {
    let q = this.deps.db.selectFrom('risk_models').selectAll();
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.scope) q = q.where('scope', '=', filter.scope);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(LIST_MAX).execute();
    return rows.map(view);
  }

  async get(id: string): Promise<ModelView & { events: ModelEventView[] }> {
    const row = await this.rowIn(this.deps.db, id);
    const events = await this.deps.db
      .selectFrom('risk_model_events')
      .selectAll()
      .where('model_id', '=', id)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return {
      ...view(row),
      events: events.map((e) => ({
        fromStatus: e.from_status,
        toStatus: e.to_status,
        actor: e.actor,
        approvalId: e.approval_id,
        reason: e.reason,
        at: e.created_at.toISOString(),
      })),
    };
  }

  /** The stored model file of a version (for export and for the drift job). */
  async file(id: string): Promise<LoadedModel> {
    const row = await this.rowIn(this.deps.db, id);
    return loadModelFile(row.body);
  }

  // ---- Status changes without maker-checker ------------------------------------------

  /**
   * Moves a version that does not serve: a candidate into shadow (challenger), a
   * challenger out of it, either of them to retired. A champion only changes through
   * maker-checker.
   */
  async setStatus(
    id: string,
    to: 'candidate' | 'challenger' | 'retired',
    actor: Actor,
    reason: string,
    meta: RequestMeta = {},
  ): Promise<ModelView> {
    const allowed: Record<ModelStatus, readonly ModelStatus[]> = {
      candidate: ['challenger', 'retired'],
      challenger: ['candidate', 'retired'],
      champion: [],
      retired: [],
    };
    const now = this.deps.clock.now();
    const result = await this.deps.db.transaction().execute(async (tx) => {
      const row = await this.rowIn(tx, id, true);
      if (row.status === to) return view(row);
      if (row.status === 'champion')
        throw new AppError(
          'MODEL_STATE_CONFLICT',
          'The champion changes only through maker-checker: promote another version, or ask for the champion to be retired.',
          { status: row.status },
        );
      if (!allowed[row.status].includes(to))
        throw new AppError('MODEL_STATE_CONFLICT', `A ${row.status} version cannot become ${to}.`, {
          status: row.status,
        });
      await tx
        .updateTable('risk_models')
        .set({ status: to, status_changed_at: now })
        .where('id', '=', id)
        .execute();
      await this.recordEvent(tx, id, row.status, to, actor.id, null, reason, now);
      await appendAudit(tx, [
        {
          ...auditActor(actor),
          action: `risk.model.${to === 'challenger' ? 'shadow' : to === 'candidate' ? 'unshadow' : 'retire'}`,
          targetType: 'risk_model',
          targetId: id,
          before: { status: row.status },
          after: { status: to },
          reason,
          ...auditMeta(meta),
          at: now,
        },
      ]);
      return view(await this.rowIn(tx, id));
    });
    this.changed();
    return result;
  }

  /**
   * Registers a model and makes it the champion of its scope at once, as the system: for
   * a fresh demo only (like the starter rules), where no second staff user exists yet to
   * approve. Refused when a champion already serves the scope.
   */
  async bootstrapChampion(raw: unknown, reason: string, scope: ModelScope = 'all'): Promise<string> {
    const system: Actor = { type: 'system', id: 'bootstrap' };
    const r = await this.register(raw, system, { scope });
    const id = (r.response.body as { id: string }).id;
    const now = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (tx) => {
      const current = await tx
        .selectFrom('risk_models')
        .select('id')
        .where('scope', '=', scope)
        .where('status', '=', 'champion')
        .forUpdate()
        .executeTakeFirst();
      if (current)
        throw new AppError('MODEL_STATE_CONFLICT', `A champion already serves ${scope}.`, {
          status: 'champion',
        });
      await tx
        .updateTable('risk_models')
        .set({ status: 'champion', status_changed_at: now })
        .where('id', '=', id)
        .execute();
      await this.recordEvent(tx, id, 'candidate', 'champion', system.id, null, reason, now);
      await appendAudit(tx, [
        {
          ...auditActor(system),
          action: 'risk.model.promote',
          targetType: 'risk_model',
          targetId: id,
          before: { status: 'candidate' },
          after: { status: 'champion', bootstrap: 'true' },
          reason,
          at: now,
        },
      ]);
    });
    this.changed();
    return id;
  }

  // ---- Maker-checker -----------------------------------------------------------------

  async prepareChange(
    tx: Tx,
    input: ModelChangeRequest,
  ): Promise<{ payload: ModelChangeRequest; summary: string }> {
    const row = await this.rowIn(tx, input.modelId);
    assertChangeable(row, input.status);
    const payload: ModelChangeRequest = {
      modelId: input.modelId,
      status: input.status,
      ...(row.created_by.startsWith('stf_') ? { staffId: row.created_by } : {}),
    };
    const summary =
      input.status === 'champion'
        ? `Make model ${row.name} v${row.version} (${row.status}) the champion for ${row.scope}: its score reaches the rules`
        : `Retire the champion model ${row.name} v${row.version} for ${row.scope}: the rules then read no model score`;
    return { payload, summary };
  }

  async changeInTx(
    tx: Tx,
    request: ModelChangeRequest,
    ctx: ModelChangeContext,
  ): Promise<Record<string, unknown>> {
    const row = await this.rowIn(tx, request.modelId, true);
    assertChangeable(row, request.status);
    const now = this.deps.clock.now();
    const common = { reason: ctx.reason, ...auditMeta(ctx.meta), at: now };
    let replaced: string | null = null;
    if (request.status === 'champion') {
      const current = await tx
        .selectFrom('risk_models')
        .select(['id', 'status'])
        .where('scope', '=', row.scope)
        .where('status', '=', 'champion')
        .forUpdate()
        .executeTakeFirst();
      if (current) {
        replaced = current.id;
        await tx
          .updateTable('risk_models')
          .set({ status: 'retired', status_changed_at: now })
          .where('id', '=', current.id)
          .execute();
        await this.recordEvent(
          tx,
          current.id,
          'champion',
          'retired',
          ctx.checker.id,
          ctx.approvalId,
          ctx.reason,
          now,
        );
      }
    }
    await tx
      .updateTable('risk_models')
      .set({ status: request.status, status_changed_at: now })
      .where('id', '=', row.id)
      .execute();
    await this.recordEvent(
      tx,
      row.id,
      row.status,
      request.status,
      ctx.checker.id,
      ctx.approvalId,
      ctx.reason,
      now,
    );
    await appendAudit(tx, [
      {
        ...auditActor(ctx.maker),
        action: request.status === 'champion' ? 'risk.model.promote' : 'risk.model.retire',
        targetType: 'risk_model',
        targetId: row.id,
        before: { status: row.status, replaced: null },
        after: {
          status: request.status,
          replaced,
          approvalId: ctx.approvalId,
          checker: ctx.checker.id,
        },
        ...common,
      },
    ]);
    return { modelId: row.id, name: row.name, version: row.version, status: request.status, replaced };
  }

  /** Called after a change committed: the serving snapshot is read again on the next decision. */
  changed(): void {
    this.serving = { ...this.serving, loadedAt: Number.NEGATIVE_INFINITY };
  }

  // ---- Serving -----------------------------------------------------------------------

  /**
   * The engine's model: the champion of the event's type (else of `all`) scores; every
   * challenger of the same scope scores in shadow. No champion: no score (null), and the
   * rules read the defaults. The snapshot of what serves is read at most every
   * `refreshMs` (and at once after a change in this process).
   */
  score(
    features: Readonly<Record<string, FeatureValue>>,
    event: RuleEvent,
  ): ModelOutput | null | Promise<ModelOutput | null> {
    if (this.deps.clock.now().getTime() - this.serving.loadedAt > this.refreshMs) {
      return this.refresh().then(() => this.scoreWith(features, event));
    }
    return this.scoreWith(features, event);
  }

  private scoreWith(features: Readonly<Record<string, FeatureValue>>, event: RuleEvent): ModelOutput | null {
    const own = this.serving.champions.get(event.type);
    const general = this.serving.champions.get('all');
    const champion = own ?? (general?.appliesTo(event.type) ? general : undefined);
    // Most decisions have no challenger to score: no list is made for them.
    let shadow: NonNullable<ModelOutput['shadow']> | undefined;
    for (const c of this.serving.challengers) {
      if (!c.appliesTo(event.type)) continue;
      const out = c.score(features, event);
      shadow ??= [];
      shadow.push({ name: c.name, score: Math.round(out.score * 1e6) / 1e6, level: out.level });
    }
    if (!champion) return shadow ? { score: 0, level: 'low', shadow, shadowOnly: true } : null;
    const out = champion.score(features, event);
    return shadow ? { ...out, name: champion.name, shadow } : { ...out, name: champion.name };
  }

  /** Reads what serves now; a failed read keeps the last snapshot (and is logged). */
  refresh(): Promise<void> {
    this.refreshing ??= this.load()
      .catch((err: unknown) => {
        this.deps.log?.error({ err }, 'model registry unavailable; serving the last known models');
        this.serving = { ...this.serving, loadedAt: this.deps.clock.now().getTime() };
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const rows = await this.deps.db
      .selectFrom('risk_models')
      .select(['id', 'name', 'version', 'scope', 'status'])
      .where('status', 'in', ['champion', 'challenger'])
      .execute();
    const champions = new Map<string, ForestModel>();
    const challengers: ForestModel[] = [];
    for (const r of rows) {
      let m = this.parsed.get(r.id);
      if (!m) {
        const full = await this.rowIn(this.deps.db, r.id);
        m = new ForestModel(loadModelFile(full.body), { label: `${r.name}@${r.version}`, scope: r.scope });
        this.parsed.set(r.id, m);
      }
      if (r.status === 'champion') champions.set(r.scope, m);
      else challengers.push(m);
    }
    this.serving = { champions, challengers, loadedAt: this.deps.clock.now().getTime() };
  }

  // ---- Retraining --------------------------------------------------------------------

  /**
   * Retrains from the stored decisions and the labels known now, and registers the result
   * as a challenger (scored in shadow): never a champion. The name is the champion's of
   * the scope (its next version), or `fraud-gbdt` when none serves.
   */
  async retrain(
    options: { scope?: ModelScope; trainDays?: number; validDays?: number; labelDelayDays?: number } = {},
  ): Promise<{ model: ModelView | null; rows: number; positives: number; reason?: string }> {
    const scope = options.scope ?? 'all';
    const champion = await this.deps.db
      .selectFrom('risk_models')
      .select(['name', 'features'])
      .where('scope', '=', scope)
      .where('status', '=', 'champion')
      .executeTakeFirst();
    const result = await retrainFromDecisions(this.deps.db, {
      name: champion?.name ?? 'fraud-gbdt',
      now: this.deps.clock.now(),
      trainDays: options.trainDays ?? 28,
      validDays: options.validDays ?? 7,
      labelDelayDays: options.labelDelayDays ?? 7,
      features: champion?.features,
      log: this.deps.log,
    });
    if (!result.trained) {
      this.deps.log?.info({ scope, reason: result.reason }, 'model retraining skipped');
      return { model: null, rows: result.rows, positives: result.positives, reason: result.reason };
    }
    const system: Actor = { type: 'system', id: 'retrain' };
    const registered = await this.register(result.file, system, { scope });
    const id = (registered.response.body as { id: string }).id;
    const model = await this.setStatus(
      id,
      'challenger',
      system,
      'scheduled retraining: compare in shadow before any promotion',
    );
    return { model, rows: result.rows, positives: result.positives };
  }

  /** The newest registration time of a scope's versions (for the retraining schedule). */
  async lastRegisteredAt(scope: ModelScope = 'all'): Promise<Date | null> {
    const row = await this.deps.db
      .selectFrom('risk_models')
      .select((eb) => eb.fn.max('created_at').as('at'))
      .where('scope', '=', scope)
      .executeTakeFirst();
    return row?.at ? new Date(row.at) : null;
  }

  // ---- Champion against challenger ---------------------------------------------------

  /**
   * How a challenger did against the champion on the same live decisions (its shadow
   * scores beside the champion's): how often they agree on the level, and — on decisions
   * whose outcome is known (a fraud label arrived, or the label delay passed without one) —
   * the ranking quality of each (ROC AUC, average precision) and the misjudged share of
   * each one's high scores.
   */
  async comparison(
    id: string,
    options: { days?: number; labelDelayDays?: number } = {},
  ): Promise<ChallengerComparison> {
    const row = await this.rowIn(this.deps.db, id);
    const label = `${row.name}@${row.version}`;
    const now = this.deps.clock.now().getTime();
    const days = options.days ?? 30;
    const delayMs = (options.labelDelayDays ?? 7) * 86_400_000;
    const from = new Date(now - days * 86_400_000);
    const rows = await sql<{
      t: Date;
      champion: { name?: string; score?: number; level?: string } | null;
      shadow: Array<{ name?: string; score?: number; level?: string }> | null;
      fraud: boolean;
      legit: boolean;
    }>`
      select coalesce(d.event_at, d.created_at) as t, d.detail->'model' as champion, d.detail->'modelShadow' as shadow,
        exists (select 1 from risk_labels l where l.decision_id = d.id and l.label = 'fraud') as fraud,
        exists (select 1 from risk_labels l where l.decision_id = d.id and l.label = 'legit') as legit
      from risk_decisions d
      where coalesce(d.event_at, d.created_at) >= ${from.toISOString()}::timestamptz
        and d.detail->'modelShadow' @> ${JSON.stringify([{ name: label }])}::jsonb
        and jsonb_typeof(d.detail->'model') = 'object'
      order by coalesce(d.event_at, d.created_at), d.id
      limit 200000`.execute(this.deps.db);
    let agree = 0;
    let championName: string | null = null;
    const known: Array<{
      champion: number;
      challenger: number;
      championHigh: boolean;
      challengerHigh: boolean;
      fraud: boolean;
    }> = [];
    for (const r of rows.rows) {
      const mine = (r.shadow ?? []).find((s) => s.name === label);
      const champion = r.champion;
      if (!mine || !champion) continue;
      championName ??= champion.name ?? null;
      if (mine.level === champion.level) agree++;
      const settled = r.fraud || r.legit || new Date(r.t).getTime() + delayMs <= now;
      if (settled)
        known.push({
          champion: champion.score ?? 0,
          challenger: mine.score ?? 0,
          championHigh: champion.level === 'high',
          challengerHigh: mine.level === 'high',
          fraud: r.fraud,
        });
    }
    const labels = Uint8Array.from(known.map((k) => (k.fraud ? 1 : 0)));
    const positives = labels.reduce((a, b) => a + b, 0);
    const judge = (scores: number[], high: boolean[]) => {
      const s = Float64Array.from(scores);
      const ranked = positives > 0 && positives < labels.length;
      const flagged = high.filter(Boolean).length;
      const falseHigh = high.filter((h, i) => h && labels[i] === 0).length;
      return {
        rocAuc: ranked ? rocAuc(s, labels) : null,
        averagePrecision: ranked ? averagePrecision(s, labels) : null,
        high: flagged,
        misjudgedHighRate: flagged > 0 ? falseHigh / flagged : null,
      };
    };
    return {
      challenger: label,
      champion: championName,
      days,
      decisions: rows.rows.length,
      levelAgreement: rows.rows.length > 0 ? agree / rows.rows.length : null,
      settled: known.length,
      frauds: positives,
      championFigures: judge(
        known.map((k) => k.champion),
        known.map((k) => k.championHigh),
      ),
      challengerFigures: judge(
        known.map((k) => k.challenger),
        known.map((k) => k.challengerHigh),
      ),
    };
  }

  // ---- Drift -------------------------------------------------------------------------

  /** Computes the drift of one version for the week starting at `weekStart` (default: the last complete week). */
  async drift(id: string, weekStart?: Date): Promise<DriftWeek> {
    const row = await this.rowIn(this.deps.db, id);
    const now = this.deps.clock.now();
    const week = weekStart ?? new Date(weekStartOf(now).getTime() - 7 * 86_400_000);
    return computeDrift(
      this.deps.db,
      { id: row.id, label: `${row.name}@${row.version}`, features: row.features },
      week,
      { now, log: this.deps.log },
    );
  }

  async driftWeeks(id: string): Promise<DriftWeek[]> {
    await this.rowIn(this.deps.db, id);
    return driftHistory(this.deps.db, id);
  }

  /**
   * The weekly job: the last complete week of every serving version (champion and
   * challengers), once. Cheap to call often: a week already computed is skipped.
   */
  async monitorDrift(): Promise<DriftWeek[]> {
    const week = new Date(weekStartOf(this.deps.clock.now()).getTime() - 7 * 86_400_000);
    const serving = await this.deps.db
      .selectFrom('risk_models')
      .select('id')
      .where('status', 'in', ['champion', 'challenger'])
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('risk_model_drift')
              .select('risk_model_drift.id')
              .whereRef('risk_model_drift.model_id', '=', 'risk_models.id')
              .where('risk_model_drift.week_start', '=', week),
          ),
        ),
      )
      .execute();
    const out: DriftWeek[] = [];
    for (const m of serving) out.push(await this.drift(m.id, week));
    return out;
  }

  // ---- Internals ---------------------------------------------------------------------

  private async rowIn(db: Db | Tx, id: string, lock = false): Promise<Row> {
    let q = db.selectFrom('risk_models').selectAll().where('id', '=', id);
    if (lock) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) throw new AppError('MODEL_NOT_FOUND', `Model ${id} does not exist.`, { modelId: id });
    return row;
  }

  private async recordEvent(
    tx: Tx,
    modelId: string,
    from: ModelStatus | null,
    to: ModelStatus,
    actor: string,
    approvalId: string | null,
    reason: string,
    at: Date,
  ): Promise<void> {
    await tx
      .insertInto('risk_model_events')
      .values({
        id: newId('mev'),
        model_id: modelId,
        from_status: from,
        to_status: to,
        actor,
        approval_id: approvalId,
        reason: reason.slice(0, 500),
        created_at: at,
      })
      .execute();
  }
}

function assertChangeable(row: Row, to: 'champion' | 'retired'): void {
  if (to === 'champion' && row.status === 'champion')
    throw new AppError('MODEL_STATE_CONFLICT', `Model ${row.name} v${row.version} is already the champion.`, {
      status: row.status,
    });
  if (to === 'retired' && row.status !== 'champion')
    throw new AppError(
      'MODEL_STATE_CONFLICT',
      `Only a champion is retired through maker-checker; a ${row.status} version is retired directly.`,
      { status: row.status },
    );
}
