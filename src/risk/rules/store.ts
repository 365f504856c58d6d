import { type Selectable, sql } from 'kysely';
import type { Actor, RequestMeta } from '../../access/staff.ts';
import { auditActor, auditMeta } from '../../access/staff.ts';
import type { StoredResponse } from '../../ledger/commands.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Db, Tx } from '../../platform/db.ts';
import { AppError } from '../../platform/errors.ts';
import { type IdempotencyContext, runIdempotent } from '../../platform/idempotency.ts';
import type { RiskRulesTable, RiskRuleVersionsTable } from '../../platform/schema.ts';
import { type AuditEvent, appendAudit } from '../../security/audit.ts';
import { checkRuleFields, compileExpression, type LiveVersion } from './compile.ts';
import type { RuleSource } from './evaluate.ts';
import { isRuleAction, type RuleAction, type RuleDefinition, type RuleState } from './model.ts';

/** What an analyst writes: the parts of a version. */
export interface RuleDraftInput {
  expression: string;
  action: RuleAction;
  score: number;
  reasonCode: string;
  messageKey: string;
  warningKey?: string | null | undefined;
}

export interface RuleCreateInput extends RuleDraftInput {
  id: string;
  name: string;
  description?: string | undefined;
}

export interface RuleVersionInput extends RuleDraftInput {
  name?: string | undefined;
  description?: string | undefined;
}

export interface RuleVersionView {
  ruleId: string;
  version: number;
  expression: string;
  action: RuleAction;
  score: number;
  reasonCode: string;
  messageKey: string;
  warningKey: string | null;
  state: RuleState;
  createdBy: string;
  createdAt: string;
  stateChangedBy: string;
  stateChangedAt: string;
  publishedBy: string | null;
  publishedAt: string | null;
  approvalId: string | null;
}

export interface RuleView {
  id: string;
  name: string;
  description: string;
  /** The version the editor starts from: the latest one written. */
  draftVersion: number;
  activeVersion: number | null;
  shadowVersion: number | null;
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedAt: string;
  /** Newest first. */
  versions: RuleVersionView[];
}

/** The stored request of a `risk.rule.publish` approval. */
export interface PublishRequest {
  ruleId: string;
  version: number;
  /** `active`: the version starts acting (and supersedes the acting one); `retired`: the acting version stops. */
  state: 'active' | 'retired';
  /** The version's author, when a staff user: the approval service refuses them as checker. */
  staffId?: string | undefined;
}

/** Who made and who approved a publication, for the records. */
export interface PublishContext {
  approvalId: string;
  reason: string;
  maker: Actor;
  checker: Actor;
  meta: RequestMeta;
}

/** What the maker-checker action needs from the store. */
export interface RulePublisher {
  preparePublish(tx: Tx, input: PublishRequest): Promise<{ payload: PublishRequest; summary: string }>;
  publishInTx(tx: Tx, request: PublishRequest, ctx: PublishContext): Promise<Record<string, unknown>>;
  /** Called after a publication committed: the compiled rule set must be dropped. */
  changed(): void;
}

/** A starter rule as shipped: id, name and the first version's content. */
export interface StarterRule extends Omit<RuleDefinition, 'ruleId' | 'version'> {
  id: string;
  name: string;
  description: string;
}

type RuleRow = Selectable<RiskRulesTable>;
type VersionRow = Selectable<RiskRuleVersionsTable>;

/** The actor recorded for what Bulwark itself does (the starter rules). */
const SYSTEM = 'system';
const LIST_MAX = 500;

/**
 * Rules and their versions. A version's content is immutable; only its state moves.
 * Drafts and moves to shadow are the analyst's own, audited; a version starts acting,
 * or an acting version stops, only through maker-checker (`risk.rule.publish`). Every
 * change to the live set (active and shadow versions) advances the rule-set revision in
 * the same transaction, and tells this process's engine at once (`onChange`).
 */
export class RuleStore implements RuleSource, RulePublisher {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly onChange: () => void = () => {},
  ) {}

  changed(): void {
    this.onChange();
  }

  // ---- The engine's view -------------------------------------------------------------

  async revision(): Promise<string> {
    const row = await this.db
      .selectFrom('risk_rule_set_head')
      .select('revision')
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    return BigInt(row.revision).toString();
  }

  async live(): Promise<{ revision: string; versions: LiveVersion[] }> {
    // One snapshot: the revision and the versions it stands for.
    return this.db.transaction().execute(async (tx) => {
      const head = await tx
        .selectFrom('risk_rule_set_head')
        .select('revision')
        .where('id', '=', 1)
        .executeTakeFirstOrThrow();
      const rows = await tx
        .selectFrom('risk_rule_versions')
        .selectAll()
        .where('state', 'in', ['active', 'shadow'])
        .orderBy('rule_id')
        .execute();
      return { revision: BigInt(head.revision).toString(), versions: rows.map(liveOf) };
    });
  }

  /** One stored version as the compiler needs it (the test panel evaluates it alone). */
  async version(ruleId: string, version: number): Promise<LiveVersion> {
    return liveOf(await this.versionRow(this.db, ruleId, version));
  }

  // ---- Reading -----------------------------------------------------------------------

  async list(): Promise<RuleView[]> {
    const rules = await this.db.selectFrom('risk_rules').selectAll().orderBy('id').limit(LIST_MAX).execute();
    if (rules.length === 0) return [];
    const versions = await this.db
      .selectFrom('risk_rule_versions')
      .selectAll()
      .where(
        'rule_id',
        'in',
        rules.map((r) => r.id),
      )
      .orderBy('rule_id')
      .orderBy('version', 'desc')
      .execute();
    const byRule = new Map<string, VersionRow[]>();
    for (const v of versions) {
      const list = byRule.get(v.rule_id) ?? [];
      list.push(v);
      byRule.set(v.rule_id, list);
    }
    return rules.map((r) => ruleView(r, byRule.get(r.id) ?? []));
  }

  async get(ruleId: string): Promise<RuleView> {
    return this.getIn(this.db, ruleId);
  }

  private async getIn(executor: Db | Tx, ruleId: string): Promise<RuleView> {
    const rule = await executor
      .selectFrom('risk_rules')
      .selectAll()
      .where('id', '=', ruleId)
      .executeTakeFirst();
    if (!rule) throw new AppError('RISK_RULE_NOT_FOUND', `Rule ${ruleId} does not exist.`);
    const versions = await executor
      .selectFrom('risk_rule_versions')
      .selectAll()
      .where('rule_id', '=', ruleId)
      .orderBy('version', 'desc')
      .execute();
    return ruleView(rule, versions);
  }

  // ---- Drafts ------------------------------------------------------------------------

  /** Creates a rule with its first version as a draft (201); idempotent per the caller's key. */
  async create(
    input: RuleCreateInput,
    actor: Actor,
    meta: RequestMeta,
    idem: IdempotencyContext,
  ): Promise<{ replayed: boolean; response: StoredResponse }> {
    const draft = validated(input);
    return runIdempotent(this.db, idem, async (tx) => {
      const now = this.clock.now();
      const inserted = await tx
        .insertInto('risk_rules')
        .values({
          id: input.id,
          name: input.name,
          description: input.description ?? '',
          draft_version: 1,
          ...draftColumns(draft),
          created_by: actor.id,
          created_at: now,
          updated_by: actor.id,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) throw new AppError('RISK_RULE_EXISTS', `A rule with the id ${input.id} exists.`);
      await this.insertVersion(tx, input.id, 1, draft, 'draft', actor.id, now);
      await appendAudit(tx, [
        {
          ...auditActor(actor),
          action: 'risk.rule.create',
          targetType: 'risk_rule',
          targetId: input.id,
          after: { version: '1', name: input.name, ...auditContent(draft), state: 'draft' },
          ...auditMeta(meta),
          at: now,
        },
      ]);
      return { statusCode: 201, body: await this.getIn(tx, input.id) };
    });
  }

  /** Writes a new draft version of a rule (201); earlier versions keep their states. */
  async addVersion(
    ruleId: string,
    input: RuleVersionInput,
    actor: Actor,
    meta: RequestMeta,
    idem: IdempotencyContext,
  ): Promise<{ replayed: boolean; response: StoredResponse }> {
    const draft = validated(input);
    return runIdempotent(this.db, idem, async (tx) => {
      const now = this.clock.now();
      const rule = await tx
        .selectFrom('risk_rules')
        .selectAll()
        .where('id', '=', ruleId)
        .forUpdate()
        .executeTakeFirst();
      if (!rule) throw new AppError('RISK_RULE_NOT_FOUND', `Rule ${ruleId} does not exist.`);
      const version = rule.draft_version + 1;
      await this.insertVersion(tx, ruleId, version, draft, 'draft', actor.id, now);
      await tx
        .updateTable('risk_rules')
        .set({
          draft_version: version,
          ...draftColumns(draft),
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          updated_by: actor.id,
          updated_at: now,
        })
        .where('id', '=', ruleId)
        .execute();
      await appendAudit(tx, [
        {
          ...auditActor(actor),
          action: 'risk.rule.draft',
          targetType: 'risk_rule',
          targetId: ruleId,
          before: { version: String(rule.draft_version) },
          after: {
            version: String(version),
            ...auditContent(draft),
            state: 'draft',
            ...(input.name !== undefined ? { name: input.name } : {}),
          },
          ...auditMeta(meta),
          at: now,
        },
      ]);
      return { statusCode: 201, body: await this.getIn(tx, ruleId) };
    });
  }

  // ---- State changes made directly ---------------------------------------------------

  /**
   * Puts a draft version in shadow: evaluated on every event and reported, never acting.
   * A shadow version already there for the rule is retired. Repeating it changes nothing.
   */
  async shadow(
    ruleId: string,
    version: number,
    actor: Actor,
    reason: string,
    meta: RequestMeta,
  ): Promise<RuleView> {
    const changed = await this.db.transaction().execute(async (tx) => {
      await this.lockRule(tx, ruleId);
      const row = await this.versionRow(tx, ruleId, version);
      if (row.state === 'shadow') return false;
      if (row.state !== 'draft') {
        throw new AppError(
          'RISK_RULE_STATE',
          `Version ${version} of rule ${ruleId} is ${row.state}; only a draft can move to shadow.`,
          { state: row.state },
        );
      }
      // The environment may have changed since the draft was written.
      assertCompiles(row.expression);
      const now = this.clock.now();
      const events: AuditEvent[] = [];
      const previous = await this.setState(tx, ruleId, 'shadow', 'retired', actor.id, now);
      if (previous !== undefined) {
        events.push({
          ...auditActor(actor),
          action: 'risk.rule.retire',
          targetType: 'risk_rule',
          targetId: ruleId,
          before: { version: String(previous), state: 'shadow' },
          after: { version: String(previous), state: 'retired', supersededBy: String(version) },
          reason,
          ...auditMeta(meta),
          at: now,
        });
      }
      await this.moveVersion(tx, ruleId, version, 'shadow', actor.id, now);
      events.push({
        ...auditActor(actor),
        action: 'risk.rule.shadow',
        targetType: 'risk_rule',
        targetId: ruleId,
        before: { version: String(version), state: 'draft' },
        after: { version: String(version), state: 'shadow' },
        reason,
        ...auditMeta(meta),
        at: now,
      });
      await appendAudit(tx, events);
      await this.bumpRevision(tx, now);
      return true;
    });
    if (changed) this.changed();
    return this.get(ruleId);
  }

  /**
   * Retires a draft or shadow version. An acting version is retired only through
   * maker-checker (see `publishInTx`): stopping a rule weakens protection as much as
   * starting one changes decisions. Repeating it changes nothing.
   */
  async retire(
    ruleId: string,
    version: number,
    actor: Actor,
    reason: string,
    meta: RequestMeta,
  ): Promise<RuleView> {
    const changed = await this.db.transaction().execute(async (tx) => {
      await this.lockRule(tx, ruleId);
      const row = await this.versionRow(tx, ruleId, version);
      if (row.state === 'retired') return false;
      if (row.state === 'active') {
        throw new AppError(
          'RISK_RULE_STATE',
          `Version ${version} of rule ${ruleId} is acting; retiring it needs an approval.`,
          { state: row.state },
        );
      }
      const now = this.clock.now();
      await this.moveVersion(tx, ruleId, version, 'retired', actor.id, now);
      await appendAudit(tx, [
        {
          ...auditActor(actor),
          action: 'risk.rule.retire',
          targetType: 'risk_rule',
          targetId: ruleId,
          before: { version: String(version), state: row.state },
          after: { version: String(version), state: 'retired' },
          reason,
          ...auditMeta(meta),
          at: now,
        },
      ]);
      if (row.state === 'shadow') await this.bumpRevision(tx, now);
      return row.state === 'shadow';
    });
    if (changed) this.changed();
    return this.get(ruleId);
  }

  /** The state of a version (the routes choose between a direct change and an approval with it). */
  async stateOf(ruleId: string, version: number): Promise<RuleState> {
    const row = await this.versionRow(this.db, ruleId, version);
    return row.state;
  }

  // ---- Maker-checker -----------------------------------------------------------------

  async preparePublish(tx: Tx, input: PublishRequest): Promise<{ payload: PublishRequest; summary: string }> {
    const row = await this.versionRow(tx, input.ruleId, input.version);
    assertPublishable(row, input.state);
    const payload: PublishRequest = {
      ruleId: input.ruleId,
      version: input.version,
      state: input.state,
      ...(row.created_by.startsWith('stf_') ? { staffId: row.created_by } : {}),
    };
    const summary =
      input.state === 'active'
        ? `Activate version ${input.version} of risk rule ${input.ruleId} (${row.action}, score ${row.score}, ${row.reason_code}): ${clip(row.expression, 300)}`
        : `Retire the acting version ${input.version} of risk rule ${input.ruleId} (${row.action}, ${row.reason_code})`;
    return { payload, summary };
  }

  /**
   * Executes an approved publication inside the approval's transaction: the version
   * starts acting (the version acting before it, if any, is retired) or the acting
   * version is retired; the audit records and the new revision commit with it.
   */
  async publishInTx(tx: Tx, request: PublishRequest, ctx: PublishContext): Promise<Record<string, unknown>> {
    const { ruleId, version } = request;
    await this.lockRule(tx, ruleId);
    const row = await this.versionRow(tx, ruleId, version);
    assertPublishable(row, request.state);
    const now = this.clock.now();
    const who = ctx.checker.id;
    const common = { reason: ctx.reason, ...auditMeta(ctx.meta), at: now };
    const events: AuditEvent[] = [];
    let superseded: number | undefined;
    if (request.state === 'active') {
      superseded = await this.setState(tx, ruleId, 'active', 'retired', who, now);
      if (superseded !== undefined) {
        events.push({
          ...auditActor(ctx.maker),
          action: 'risk.rule.retire',
          targetType: 'risk_rule',
          targetId: ruleId,
          before: { version: String(superseded), state: 'active' },
          after: { version: String(superseded), state: 'retired', supersededBy: String(version) },
          ...common,
        });
      }
      await tx
        .updateTable('risk_rule_versions')
        .set({
          state: 'active',
          state_changed_by: who,
          state_changed_at: now,
          published_by: who,
          published_at: now,
          approval_id: ctx.approvalId,
        })
        .where('rule_id', '=', ruleId)
        .where('version', '=', version)
        .execute();
      events.push({
        ...auditActor(ctx.maker),
        action: 'risk.rule.activate',
        targetType: 'risk_rule',
        targetId: ruleId,
        before: { version: String(version), state: row.state },
        after: {
          version: String(version),
          state: 'active',
          ...auditContent(definitionOf(row)),
          approvalId: ctx.approvalId,
          checker: ctx.checker.id,
        },
        ...common,
      });
    } else {
      await this.moveVersion(tx, ruleId, version, 'retired', who, now);
      events.push({
        ...auditActor(ctx.maker),
        action: 'risk.rule.retire',
        targetType: 'risk_rule',
        targetId: ruleId,
        before: { version: String(version), state: 'active' },
        after: {
          version: String(version),
          state: 'retired',
          approvalId: ctx.approvalId,
          checker: ctx.checker.id,
        },
        ...common,
      });
    }
    await appendAudit(tx, events);
    const revision = await this.bumpRevision(tx, now);
    return {
      ruleId,
      version,
      state: request.state,
      supersededVersion: superseded ?? null,
      revision,
    };
  }

  // ---- The starter set ---------------------------------------------------------------

  /**
   * Loads the starter rules as acting versions published by the system, once: a rule
   * whose id exists is left as it is (an analyst may have changed or retired it).
   * Returns the ids loaded now. The versions themselves record `system` as author and
   * publisher, with the time; the audit log is kept for what people do to rules.
   */
  async loadStarter(rules: readonly StarterRule[]): Promise<string[]> {
    for (const r of rules) {
      assertCompiles(r.expression);
      const problems = checkRuleFields(r);
      if (problems.length > 0)
        throw new Error(`starter rule ${r.id}: ${problems.map((p) => p.message).join('; ')}`);
    }
    const loaded = await this.db.transaction().execute(async (tx) => {
      const now = this.clock.now();
      const ids: string[] = [];
      for (const r of rules) {
        const draft: DraftContent = { ...r, warningKey: r.warningKey };
        const inserted = await tx
          .insertInto('risk_rules')
          .values({
            id: r.id,
            name: r.name,
            description: r.description,
            draft_version: 1,
            ...draftColumns(draft),
            created_by: SYSTEM,
            created_at: now,
            updated_by: SYSTEM,
            updated_at: now,
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) continue;
        await this.insertVersion(tx, r.id, 1, draft, 'active', SYSTEM, now);
        ids.push(r.id);
      }
      if (ids.length > 0) await this.bumpRevision(tx, now);
      return ids;
    });
    if (loaded.length > 0) this.changed();
    return loaded;
  }

  // ---- Helpers -----------------------------------------------------------------------

  private async insertVersion(
    tx: Tx,
    ruleId: string,
    version: number,
    d: DraftContent,
    state: 'draft' | 'active',
    by: string,
    now: Date,
  ): Promise<void> {
    await tx
      .insertInto('risk_rule_versions')
      .values({
        rule_id: ruleId,
        version,
        ...draftColumns(d),
        state,
        created_by: by,
        created_at: now,
        state_changed_by: by,
        state_changed_at: now,
        published_by: state === 'active' ? by : null,
        published_at: state === 'active' ? now : null,
        approval_id: null,
      })
      .execute();
  }

  /** Serialises state changes of one rule (its versions' states depend on each other). */
  private async lockRule(tx: Tx, ruleId: string): Promise<void> {
    const rule = await tx
      .selectFrom('risk_rules')
      .select('id')
      .where('id', '=', ruleId)
      .forUpdate()
      .executeTakeFirst();
    if (!rule) throw new AppError('RISK_RULE_NOT_FOUND', `Rule ${ruleId} does not exist.`);
  }

  private async versionRow(executor: Db | Tx, ruleId: string, version: number): Promise<VersionRow> {
    const row = await executor
      .selectFrom('risk_rule_versions')
      .selectAll()
      .where('rule_id', '=', ruleId)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row) throw new AppError('RISK_RULE_NOT_FOUND', `Rule ${ruleId} has no version ${version}.`);
    return row;
  }

  private async moveVersion(
    tx: Tx,
    ruleId: string,
    version: number,
    state: RuleState,
    by: string,
    now: Date,
  ) {
    await tx
      .updateTable('risk_rule_versions')
      .set({ state, state_changed_by: by, state_changed_at: now })
      .where('rule_id', '=', ruleId)
      .where('version', '=', version)
      .execute();
  }

  /** Moves the rule's version in `from` (at most one) to `to`; returns its number, if there was one. */
  private async setState(
    tx: Tx,
    ruleId: string,
    from: 'active' | 'shadow',
    to: RuleState,
    by: string,
    now: Date,
  ): Promise<number | undefined> {
    const row = await tx
      .updateTable('risk_rule_versions')
      .set({ state: to, state_changed_by: by, state_changed_at: now })
      .where('rule_id', '=', ruleId)
      .where('state', '=', from)
      .returning('version')
      .executeTakeFirst();
    return row?.version;
  }

  private async bumpRevision(tx: Tx, now: Date): Promise<string> {
    const row = await sql<{ revision: bigint | string }>`
      update risk_rule_set_head set revision = revision + 1, updated_at = ${now.toISOString()}::timestamptz
      where id = 1 returning revision`.execute(tx);
    return BigInt(row.rows[0]?.revision ?? 0n).toString();
  }
}

type DraftContent = Omit<RuleDefinition, 'ruleId' | 'version'>;

/** Checks a draft: the expression compiles, the message keys fit; refused with every problem found. */
function validated(input: RuleDraftInput): DraftContent {
  const draft: DraftContent = {
    expression: input.expression,
    action: input.action,
    score: input.score,
    reasonCode: input.reasonCode,
    messageKey: input.messageKey,
    warningKey: input.warningKey ?? null,
  };
  assertCompiles(draft.expression);
  const problems = checkRuleFields(draft);
  const first = problems[0];
  if (first) {
    throw new AppError('VALIDATION_FAILED', `body/${first.field}: ${first.message}`, {
      errors: problems.map((p) => ({ path: `body/${p.field}`, message: p.message })),
    });
  }
  return draft;
}

function assertCompiles(expression: string): void {
  const compiled = compileExpression(expression);
  if (compiled.ok) return;
  const first = compiled.errors[0];
  throw new AppError(
    'RISK_RULE_INVALID',
    first ? `Line ${first.line}, column ${first.column}: ${first.message}` : undefined,
    { errors: compiled.errors },
  );
}

function assertPublishable(row: VersionRow, to: 'active' | 'retired'): void {
  if (to === 'active') {
    if (row.state !== 'draft' && row.state !== 'shadow') {
      throw new AppError(
        'RISK_RULE_STATE',
        `Version ${row.version} of rule ${row.rule_id} is ${row.state}; only a draft or shadow version can start acting.`,
        { state: row.state },
      );
    }
    assertCompiles(row.expression);
  } else if (row.state !== 'active') {
    throw new AppError(
      'RISK_RULE_STATE',
      `Version ${row.version} of rule ${row.rule_id} is ${row.state}, not acting; retire it directly.`,
      { state: row.state },
    );
  }
}

function draftColumns(d: DraftContent) {
  return {
    expression: d.expression,
    action: d.action,
    score: d.score,
    reason_code: d.reasonCode,
    message_key: d.messageKey,
    warning_key: d.warningKey,
  };
}

function auditContent(d: DraftContent): Record<string, string | null> {
  return {
    expression: d.expression,
    action: d.action,
    score: String(d.score),
    reasonCode: d.reasonCode,
    messageKey: d.messageKey,
    warningKey: d.warningKey,
  };
}

function actionOf(value: string): RuleAction {
  // The column's check constraint allows only these; anything else is a damaged row.
  if (!isRuleAction(value)) throw new Error(`stored rule action ${value} is unknown`);
  return value;
}

function definitionOf(r: VersionRow): RuleDefinition {
  return {
    ruleId: r.rule_id,
    version: r.version,
    expression: r.expression,
    action: actionOf(r.action),
    score: r.score,
    reasonCode: r.reason_code,
    messageKey: r.message_key,
    warningKey: r.warning_key,
  };
}

function liveOf(r: VersionRow): LiveVersion {
  return { ...definitionOf(r), state: r.state };
}

function versionView(r: VersionRow): RuleVersionView {
  return {
    ...definitionOf(r),
    state: r.state,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    stateChangedBy: r.state_changed_by,
    stateChangedAt: r.state_changed_at.toISOString(),
    publishedBy: r.published_by,
    publishedAt: r.published_at?.toISOString() ?? null,
    approvalId: r.approval_id,
  };
}

function ruleView(r: RuleRow, versions: VersionRow[]): RuleView {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    draftVersion: r.draft_version,
    activeVersion: versions.find((v) => v.state === 'active')?.version ?? null,
    shadowVersion: versions.find((v) => v.state === 'shadow')?.version ?? null,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    updatedBy: r.updated_by,
    updatedAt: r.updated_at.toISOString(),
    versions: versions.map(versionView),
  };
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
