import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { type ApprovalService, defineAction } from '../access/approvals.ts';
import { can, STAFF_ROLES, type StaffRole } from '../access/permissions.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import type { IdempotencyContext } from '../platform/idempotency.ts';
import { newId } from '../platform/ids.ts';
import { formatMinor, parseAmountMinor, parseCurrency } from '../platform/money.ts';
import { writeOutbox } from '../platform/outbox.ts';
import type { RiskEngine } from '../risk/engine.ts';
import type { RiskDecision } from '../risk/gate.ts';
import { applyFraudLabels, storeLabels } from '../risk/labels.ts';
import { type ActorType, appendAudit } from '../security/audit.ts';
import type { FundingService } from '../wallet/funding.ts';
import type { WalletService } from '../wallet/service.ts';
import { problemResponse } from '../wallet/views.ts';
import { type AlertInput, caseEvent, linkEntities, raiseAlert, setAlertsOpen } from './intake.ts';
import {
  AGE_POINTS_MAX,
  AGE_POINTS_PER_HOUR,
  type AlertSource,
  type CaseStatus,
  canTransition,
  type Disposition,
  type EntityRef,
  type Severity,
} from './model.ts';
import type { Reserve } from './reserve.ts';
import { COMPENSATION_ACTION, CompensationInput } from './schemas.ts';

export interface CaseSettings {
  slaMinutes?: Record<string, number>;
  /** Largest attachment accepted, in bytes. */
  attachmentMaxBytes: number;
  /** Compensations above this amount (minor units of any currency) need a second person. */
  compensationApprovalMinor: bigint;
}

export const DEFAULT_CASE_SETTINGS: CaseSettings = {
  attachmentMaxBytes: 5 * 1024 * 1024,
  compensationApprovalMinor: 50_000n,
};

export interface CaseDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  ledger: LedgerService;
  wallet: WalletService;
  funding: FundingService;
  engine: RiskEngine;
  approvals: ApprovalService;
  reserve: Reserve;
}

/** The staff user acting, as the routes establish it. */
export interface CaseActor {
  type: ActorType;
  id: string;
  role: StaffRole;
  ip?: string | undefined;
  requestId?: string | undefined;
}

const INTAKE_LOOKBACK_MS = 10 * 60_000;
const INTAKE_CURSOR = 'cases.intake.cursor';
const ROUND_ROBIN = 'cases.round_robin.last';
/** Roles that work cases (round-robin assignment picks among their active users). */
const WORKER_ROLES = STAFF_ROLES.filter((r) => can(r, 'case.work'));
const DISPOSITION_LABEL: Record<Disposition, 'fraud' | 'legit' | null> = {
  confirmed_fraud: 'fraud',
  false_positive: 'legit',
  inconclusive: null,
};

/** Magic bytes of the attachment types a case accepts. */
const ATTACHMENT_TYPES: Array<{ type: string; test: (b: Buffer) => boolean }> = [
  { type: 'image/png', test: (b) => b.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])) },
  { type: 'image/jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'application/pdf', test: (b) => b.subarray(0, 5).toString('latin1') === '%PDF-' },
  {
    type: 'text/plain',
    test: (b) => !b.includes(0) && Buffer.from(b.toString('utf8'), 'utf8').equals(b),
  },
];

/**
 * Alerts and cases: intake from the engine's held and frozen decisions, the queue, case
 * work (assignment, state machine, notes, attachments) and the decisions an analyst takes
 * from a case, each in one transaction with the case's timeline and audit record.
 */
export class CaseService {
  constructor(
    private readonly deps: CaseDeps,
    readonly settings: CaseSettings = DEFAULT_CASE_SETTINGS,
  ) {
    deps.approvals.register(this.compensationAction());
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  /** Raises an alert in its own transaction (sources that have no transaction of their own). */
  async raise(input: AlertInput) {
    return this.deps.db
      .transaction()
      .execute((tx) => raiseAlert(tx, input, this.now(), this.intakeOptions()));
  }

  intakeOptions() {
    return this.settings.slaMinutes ? { slaMinutes: this.settings.slaMinutes } : {};
  }

  /**
   * Raises an alert for every decision that held money for review or froze an account and
   * has none yet. Reads from a cursor with a look-back, so a decision committed late is
   * still found; raising is idempotent per decision. Returns the alerts raised.
   */
  async intakeDecisions(limit = 500): Promise<number> {
    const { db } = this.deps;
    const cursorRow = await db
      .selectFrom('platform_settings')
      .select('value')
      .where('key', '=', INTAKE_CURSOR)
      .executeTakeFirst();
    const from = new Date((cursorRow ? Date.parse(cursorRow.value) : 0) - INTAKE_LOOKBACK_MS);
    const rows = await db
      .selectFrom('risk_decisions as d')
      .select([
        'd.id',
        'd.event_type',
        'd.subject_id',
        'd.currency',
        'd.amount_minor',
        'd.outcome',
        'd.reason_codes',
        'd.customer_message',
        'd.score',
        'd.input',
        'd.detail',
        'd.created_at',
      ])
      .where('d.outcome', 'in', ['REVIEW', 'BLOCK_AND_FREEZE'])
      .where('d.created_at', '>=', from)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('alerts as a')
              .select('a.id')
              .whereRef('a.source_ref', '=', 'd.id')
              .where('a.source', '=', 'decision'),
          ),
        ),
      )
      .orderBy('d.created_at')
      .limit(limit)
      .execute();
    let raised = 0;
    let latest = cursorRow?.value;
    for (const d of rows) {
      const r = await db.transaction().execute(async (tx) => {
        const hold = await tx
          .selectFrom('ledger_holds')
          .select(['id', 'kind', 'status', 'account_id'])
          .where('decision_id', '=', d.id)
          .executeTakeFirst();
        const withdrawal = await tx
          .selectFrom('wallet_withdrawals')
          .select(['id', 'hold_id'])
          .where('decision_id', '=', d.id)
          .executeTakeFirst();
        // A review someone already decided outside a case (the hold posted or voided) needs no alert.
        if (d.outcome === 'REVIEW' && hold && hold.status !== 'pending') {
          return { alertId: '', caseId: '', created: false, newCase: false };
        }
        const input = alertOfDecision(d, hold ?? null, withdrawal ?? null);
        const raisedAlert = await raiseAlert(tx, input, this.now(), this.intakeOptions());
        if (raisedAlert.created && hold && hold.status === 'pending' && d.subject_id) {
          await writeOutbox(tx, [
            {
              topic: 'wallet.hold.placed',
              aggregateId: hold.id,
              payload: {
                holdId: hold.id,
                customerId: d.subject_id,
                decisionId: d.id,
                kind: withdrawal ? 'withdrawal' : hold.kind,
                amountMinor: d.amount_minor === null ? '0' : BigInt(d.amount_minor).toString(),
                currency: d.currency,
                reasonCodes: d.reason_codes,
                customerMessage: d.customer_message,
              },
            },
          ]);
        }
        return raisedAlert;
      });
      if (r.created) raised++;
      latest = d.created_at.toISOString();
    }
    if (latest && latest !== cursorRow?.value) {
      await db
        .insertInto('platform_settings')
        .values({ key: INTAKE_CURSOR, value: latest, updated_at: this.now() })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: latest, updated_at: this.now() }))
        .execute();
    }
    return raised;
  }

  /**
   * The alert queue: open alerts by priority (severity, amount, plus age points), with
   * their case's state and assignee. Filters combine; `assignee` is a staff id, `me` or `none`.
   */
  async queue(q: QueueQuery, me: string) {
    const now = this.now();
    const limit = Math.min(q.limit ?? 50, 200);
    let query = this.deps.db
      .selectFrom('alerts as a')
      .innerJoin('cases as c', 'c.id', 'a.case_id')
      .where('a.status', '=', q.status ?? 'open');
    if (q.severity) query = query.where('a.severity', '=', q.severity);
    if (q.type) query = query.where('a.type', '=', q.type);
    if (q.source) query = query.where('a.source', '=', q.source);
    if (q.subjectId) query = query.where('a.subject_id', '=', q.subjectId);
    if (q.caseStatus) query = query.where('c.status', '=', q.caseStatus);
    if (q.assignee === 'none') query = query.where('c.assignee_id', 'is', null);
    else if (q.assignee) query = query.where('c.assignee_id', '=', q.assignee === 'me' ? me : q.assignee);
    if (q.overdue) query = query.where('a.due_at', '<', now);
    const rank = sql<number>`a.priority + least(${AGE_POINTS_MAX}::int,
      floor(extract(epoch from (${now}::timestamptz - a.created_at)) / 3600 * ${AGE_POINTS_PER_HOUR})::int)`;
    const [rows, total] = await Promise.all([
      query
        .select([
          'a.id',
          'a.source',
          'a.type',
          'a.severity',
          'a.priority',
          'a.status',
          'a.case_id',
          'a.subject_id',
          'a.amount_minor',
          'a.currency',
          'a.decision_id',
          'a.hold_id',
          'a.withdrawal_id',
          'a.title',
          'a.due_at',
          'a.created_at',
          'c.status as case_status',
          'c.assignee_id',
          'c.version as case_version',
        ])
        .select(rank.as('rank'))
        .orderBy(rank, 'desc')
        .orderBy('a.created_at')
        .orderBy('a.id')
        .limit(limit)
        .offset(q.offset ?? 0)
        .execute(),
      query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return {
      total: Number(total.n),
      alerts: rows.map((r) => ({
        id: r.id,
        source: r.source,
        type: r.type,
        severity: r.severity,
        priority: r.priority,
        rank: Number(r.rank),
        status: r.status,
        caseId: r.case_id,
        caseStatus: r.case_status,
        caseVersion: r.case_version,
        assigneeId: r.assignee_id,
        subjectId: r.subject_id,
        amountMinor: r.amount_minor === null ? null : BigInt(r.amount_minor).toString(),
        currency: r.currency,
        decisionId: r.decision_id,
        holdId: r.hold_id,
        withdrawalId: r.withdrawal_id,
        title: r.title,
        dueAt: r.due_at.toISOString(),
        overdue: r.due_at.getTime() < now.getTime(),
        createdAt: r.created_at.toISOString(),
      })),
    };
  }

  async alert(id: string) {
    const a = await this.deps.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
    if (!a) throw new AppError('ALERT_NOT_FOUND', `Alert ${id} does not exist.`);
    return alertView(a, this.now());
  }

  /** Cases, most urgent first: filters by status (default: not closed), kind, assignee, subject. */
  async list(q: CaseListQuery, me: string) {
    const now = this.now();
    const limit = Math.min(q.limit ?? 50, 200);
    let query = this.deps.db.selectFrom('cases');
    if (q.status) query = query.where('status', '=', q.status);
    else query = query.where('status', '<>', 'closed');
    if (q.kind) query = query.where('kind', '=', q.kind);
    if (q.subjectId) query = query.where('subject_id', '=', q.subjectId);
    if (q.assignee === 'none') query = query.where('assignee_id', 'is', null);
    else if (q.assignee) query = query.where('assignee_id', '=', q.assignee === 'me' ? me : q.assignee);
    if (q.overdue) query = query.where('due_at', '<', now).where('status', 'not in', ['decided', 'closed']);
    const [rows, total] = await Promise.all([
      query
        .selectAll()
        .orderBy('priority', 'desc')
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit)
        .offset(q.offset ?? 0)
        .execute(),
      query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { total: Number(total.n), cases: rows.map((c) => caseSummary(c, now)) };
  }

  /** A case with everything an analyst needs: alerts, entities, timeline, attachments, holds, compensations. */
  async get(id: string) {
    const { db } = this.deps;
    const now = this.now();
    const c = await db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst();
    if (!c) throw new AppError('CASE_NOT_FOUND', `Case ${id} does not exist.`);
    const [alerts, entities, events, attachments, compensations] = await Promise.all([
      db.selectFrom('alerts').selectAll().where('case_id', '=', id).orderBy('created_at').execute(),
      db.selectFrom('case_entities').selectAll().where('case_id', '=', id).orderBy('added_at').execute(),
      db.selectFrom('case_events').selectAll().where('case_id', '=', id).orderBy('id').execute(),
      db
        .selectFrom('case_attachments')
        .select(['id', 'filename', 'content_type', 'size_bytes', 'sha256', 'created_by', 'created_at'])
        .where('case_id', '=', id)
        .orderBy('created_at')
        .execute(),
      db
        .selectFrom('case_compensations')
        .selectAll()
        .where('case_id', '=', id)
        .orderBy('created_at')
        .execute(),
    ]);
    const holdIds = entities.filter((e) => e.kind === 'hold').map((e) => e.ref);
    const withdrawalIds = entities.filter((e) => e.kind === 'withdrawal').map((e) => e.ref);
    const [holds, withdrawals] = await Promise.all([
      holdIds.length === 0
        ? []
        : db
            .selectFrom('ledger_holds')
            .select([
              'id',
              'kind',
              'status',
              'amount_minor',
              'currency',
              'account_id',
              'expires_at',
              'decision_id',
            ])
            .where('id', 'in', holdIds)
            .execute(),
      withdrawalIds.length === 0
        ? []
        : db
            .selectFrom('wallet_withdrawals')
            .select(['id', 'status', 'amount_minor', 'currency', 'hold_id'])
            .where('id', 'in', withdrawalIds)
            .execute(),
    ]);
    return {
      ...caseSummary(c, now),
      alerts: alerts.map((a) => alertView(a, now)),
      entities: entities.map((e) => ({ kind: e.kind, id: e.ref, addedAt: e.added_at.toISOString() })),
      holds: holds.map((h) => ({
        id: h.id,
        kind: h.kind,
        status: h.status,
        amountMinor: BigInt(h.amount_minor).toString(),
        currency: h.currency,
        accountId: h.account_id,
        decisionId: h.decision_id,
        expiresAt: h.expires_at.toISOString(),
        expired: h.status === 'pending' && h.expires_at.getTime() <= now.getTime(),
        withdrawalId: withdrawals.find((w) => w.hold_id === h.id)?.id ?? null,
      })),
      withdrawals: withdrawals.map((w) => ({
        id: w.id,
        status: w.status,
        amountMinor: BigInt(w.amount_minor).toString(),
        currency: w.currency,
        holdId: w.hold_id,
      })),
      timeline: events.map((e) => ({
        id: String(e.id),
        at: e.at.toISOString(),
        actor: { type: e.actor_type, id: e.actor_id },
        type: e.type,
        detail: e.detail,
      })),
      attachments: attachments.map((a) => ({
        id: a.id,
        filename: a.filename,
        contentType: a.content_type,
        sizeBytes: a.size_bytes,
        sha256: a.sha256,
        createdBy: a.created_by,
        createdAt: a.created_at.toISOString(),
      })),
      compensations: compensations.map(compensationView),
    };
  }

  /**
   * Locks a case for a change: it must exist, match the version the caller read (when
   * given), not be closed (unless `allowClosed`), and be the caller's (or they manage cases).
   */
  private async lockCase(
    tx: Tx,
    id: string,
    actor: CaseActor,
    opts: { version?: number | undefined; allowClosed?: boolean; allowUnassigned?: boolean } = {},
  ) {
    const c = await tx.selectFrom('cases').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!c) throw new AppError('CASE_NOT_FOUND', `Case ${id} does not exist.`);
    if (opts.version !== undefined && c.version !== opts.version) {
      throw new AppError(
        'CASE_CONFLICT',
        `Case ${id} is at version ${c.version}, not ${opts.version}: someone else changed it.`,
        { currentVersion: c.version },
      );
    }
    if (c.status === 'closed' && !opts.allowClosed)
      throw new AppError('CASE_CLOSED', `Case ${id} is closed.`);
    const mine = c.assignee_id === actor.id || (c.assignee_id === null && opts.allowUnassigned !== false);
    if (!mine && !can(actor.role, 'case.manage')) {
      throw new AppError(
        'CASE_NOT_ASSIGNED',
        c.assignee_id === null
          ? `Case ${id} is not assigned; take it first.`
          : `Case ${id} is assigned to ${c.assignee_id}.`,
      );
    }
    return c;
  }

  private async bump(tx: Tx, id: string, set: Record<string, unknown> = {}) {
    const now = this.now();
    const row = await tx
      .updateTable('cases')
      .set({ ...set, updated_at: now, version: sql`version + 1` })
      .where('id', '=', id)
      .returning('version')
      .executeTakeFirstOrThrow();
    return row.version;
  }

  private audit(tx: Tx, actor: CaseActor, action: string, id: string, change: AuditChange) {
    return appendAudit(tx, [
      {
        actorType: actor.type,
        actorId: actor.id,
        actorRole: actor.role,
        action,
        targetType: 'case',
        targetId: id,
        ...(change.before ? { before: change.before } : {}),
        ...(change.after ? { after: change.after } : {}),
        ...(change.reason ? { reason: change.reason } : {}),
        ...(actor.requestId ? { requestId: actor.requestId } : {}),
        ...(actor.ip ? { ip: actor.ip } : {}),
        at: this.now(),
      },
    ]);
  }

  /**
   * Assigns cases: to the caller ("take"), to a named staff user (needs case.manage), or
   * round-robin among active staff who can work cases (`auto`). All or nothing.
   */
  async assign(caseIds: string[], to: string | 'me' | 'auto', actor: CaseActor) {
    const ids = [...new Set(caseIds)];
    const assigned = await this.deps.db.transaction().execute(async (tx) => {
      const out: Array<{ caseId: string; assigneeId: string; version: number }> = [];
      for (const id of ids) {
        const target = to === 'me' ? actor.id : to === 'auto' ? await this.nextWorker(tx) : to;
        if (target !== actor.id && !can(actor.role, 'case.manage')) {
          throw new AppError('AUTH_FORBIDDEN', 'Assigning cases to others needs the case.manage permission.');
        }
        await this.checkWorker(tx, target);
        const c = await this.lockCase(tx, id, actor, { allowUnassigned: true });
        if (c.assignee_id === target) {
          out.push({ caseId: id, assigneeId: target, version: c.version });
          continue;
        }
        const version = await this.bump(tx, id, { assignee_id: target });
        await caseEvent(tx, id, actor, 'case.assigned', { from: c.assignee_id, to: target }, this.now());
        await this.audit(tx, actor, 'case.assign', id, {
          before: { assigneeId: c.assignee_id },
          after: { assigneeId: target },
        });
        await writeOutbox(tx, [
          {
            topic: 'cases.case.assigned',
            aggregateId: id,
            payload: { caseId: id, assigneeId: target, title: c.title },
          },
        ]);
        out.push({ caseId: id, assigneeId: target, version });
      }
      return out;
    });
    return { assigned };
  }

  private async checkWorker(tx: Tx, staffId: string) {
    const s = await tx
      .selectFrom('staff_users')
      .select(['role', 'status'])
      .where('id', '=', staffId)
      .executeTakeFirst();
    if (!s || s.status !== 'active' || !(WORKER_ROLES as readonly string[]).includes(s.role)) {
      throw new AppError(
        'CASE_ASSIGNEE_INVALID',
        `${staffId} is not an active staff user who can work cases.`,
      );
    }
  }

  /** The next active case worker after the last one picked, in id order (round-robin). */
  private async nextWorker(tx: Tx): Promise<string> {
    await tx
      .insertInto('platform_settings')
      .values({ key: ROUND_ROBIN, value: '', updated_at: this.now() })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const last = await tx
      .selectFrom('platform_settings')
      .select('value')
      .where('key', '=', ROUND_ROBIN)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const workers = tx
      .selectFrom('staff_users')
      .select('id')
      .where('status', '=', 'active')
      .where('role', 'in', [...WORKER_ROLES])
      .orderBy('id');
    const next =
      (await workers.where('id', '>', last.value).limit(1).executeTakeFirst()) ??
      (await workers.limit(1).executeTakeFirst());
    if (!next) throw new AppError('CASE_ASSIGNEE_INVALID', 'No active staff user can work cases.');
    await tx
      .updateTable('platform_settings')
      .set({ value: next.id, updated_at: this.now() })
      .where('key', '=', ROUND_ROBIN)
      .execute();
    return next.id;
  }

  /**
   * Moves a case through its state machine. Closing a risk case needs a disposition (given
   * now or when it was decided); the disposition becomes a label of every decision on the
   * case (confirmed fraud → fraud, false positive → legitimate), dated now, and closes its alerts.
   */
  async transition(
    id: string,
    input: {
      to: CaseStatus;
      version: number;
      note?: string | undefined;
      disposition?: Disposition | undefined;
      summary?: string | undefined;
    },
    actor: CaseActor,
  ) {
    const now = this.now();
    const result = await this.deps.db.transaction().execute(async (tx) => {
      const c = await this.lockCase(tx, id, actor, {
        version: input.version,
        allowClosed: input.to === 'investigating',
      });
      const from = c.status as CaseStatus;
      if (!canTransition(from, input.to)) {
        throw new AppError('CASE_TRANSITION', `Case ${id} cannot move from ${from} to ${input.to}.`, {
          from,
          to: input.to,
        });
      }
      const disposition =
        input.disposition ?? (input.to === 'closed' || input.to === 'decided' ? c.disposition : null);
      if (input.to === 'closed' && c.kind === 'risk' && !disposition) {
        throw new AppError('CASE_DISPOSITION_REQUIRED');
      }
      const set: Record<string, unknown> = { status: input.to };
      if (input.disposition) set.disposition = input.disposition;
      if (input.summary) set.summary = input.summary;
      if (input.to === 'decided') set.decided_at = now;
      if (input.to === 'closed') set.closed_at = now;
      const reopening = from === 'closed';
      if (reopening) {
        set.closed_at = null;
        set.reopened = c.reopened + 1;
        // Reopening must not collide with another open risk case of the subject.
        if (c.kind === 'risk' && c.subject_id) {
          const other = await tx
            .selectFrom('cases')
            .select('id')
            .where('kind', '=', 'risk')
            .where('subject_id', '=', c.subject_id)
            .where('status', '<>', 'closed')
            .executeTakeFirst();
          if (other) {
            throw new AppError(
              'CASE_TRANSITION',
              `The subject has another open case (${other.id}); work it there.`,
              {
                openCaseId: other.id,
              },
            );
          }
        }
      }
      const version = await this.bump(tx, id, set);
      await caseEvent(
        tx,
        id,
        actor,
        reopening ? 'case.reopened' : 'case.status',
        {
          from,
          to: input.to,
          ...(input.disposition ? { disposition: input.disposition } : {}),
          ...(input.note ? { note: input.note } : {}),
          ...(input.summary ? { summary: input.summary } : {}),
        },
        now,
      );
      await this.audit(tx, actor, reopening ? 'case.reopen' : 'case.transition', id, {
        before: { status: from },
        after: { status: input.to, disposition: disposition ?? null },
        ...(input.note ? { reason: input.note } : {}),
      });
      let newFraud: string[] = [];
      if (input.to === 'closed') {
        await setAlertsOpen(tx, id, false, now);
        const label = disposition ? DISPOSITION_LABEL[disposition] : null;
        if (label) {
          const decisions = await tx
            .selectFrom('alerts')
            .select('decision_id')
            .where('case_id', '=', id)
            .where('decision_id', 'is not', null)
            .execute();
          const ids = [
            ...new Set(decisions.map((d) => d.decision_id).filter((d): d is string => d !== null)),
          ];
          if (ids.length > 0) {
            const r = await storeLabels(
              tx,
              ids.map((decisionId) => ({ decisionId, label, reportedAt: now })),
              'cases',
              now,
            );
            newFraud = r.newFraud;
            await caseEvent(tx, id, actor, 'case.labelled', { label, decisions: ids }, now);
          }
        }
      } else if (reopening) {
        await setAlertsOpen(tx, id, true, now);
      }
      return { version, newFraud };
    });
    await applyFraudLabels(this.deps.db, this.deps.engine, result.newFraud, now);
    return this.get(id);
  }

  async note(id: string, text: string, actor: CaseActor, version?: number) {
    await this.deps.db.transaction().execute(async (tx) => {
      await this.lockCase(tx, id, actor, { version });
      await this.bump(tx, id);
      await caseEvent(tx, id, actor, 'note', { text }, this.now());
    });
    return this.get(id);
  }

  /** Records the loss a compensation may not exceed. */
  async setLoss(
    id: string,
    input: { lossMinor: string; currency: string; version: number },
    actor: CaseActor,
  ) {
    const loss = parseAmountMinor(input.lossMinor, 'lossMinor');
    const currency = parseCurrency(input.currency);
    await this.deps.db.transaction().execute(async (tx) => {
      const c = await this.lockCase(tx, id, actor, { version: input.version });
      const paid = await this.compensated(tx, id);
      if (paid > loss) {
        throw new AppError(
          'CASE_COMPENSATION_EXCEEDS_LOSS',
          `${paid} is already paid on this case; the loss cannot be less.`,
        );
      }
      await this.bump(tx, id, { loss_minor: loss, currency });
      await caseEvent(
        tx,
        id,
        actor,
        'case.loss',
        { lossMinor: loss.toString(), currency, before: c.loss_minor?.toString() ?? null },
        this.now(),
      );
      await this.audit(tx, actor, 'case.loss', id, {
        before: { lossMinor: c.loss_minor?.toString() ?? null },
        after: { lossMinor: loss.toString(), currency },
      });
    });
    return this.get(id);
  }

  /** Links more entities (a payee account, a device) to a case. */
  async link(id: string, entities: EntityRef[], actor: CaseActor, version?: number) {
    await this.deps.db.transaction().execute(async (tx) => {
      await this.lockCase(tx, id, actor, { version });
      await linkEntities(tx, id, entities, this.now());
      await this.bump(tx, id);
      await caseEvent(tx, id, actor, 'case.linked', { entities }, this.now());
    });
    return this.get(id);
  }

  /** Stores a file on a case: size limit, type checked by its first bytes, one copy per content hash. */
  async attach(id: string, file: { filename: string; contentBase64: string }, actor: CaseActor) {
    const content = Buffer.from(file.contentBase64, 'base64');
    if (content.length === 0)
      throw new AppError('VALIDATION_FAILED', 'The attachment is empty or not base64.');
    if (content.length > this.settings.attachmentMaxBytes) {
      throw new AppError(
        'CASE_ATTACHMENT_TOO_LARGE',
        `The attachment has ${content.length} bytes; at most ${this.settings.attachmentMaxBytes} are accepted.`,
      );
    }
    const type = ATTACHMENT_TYPES.find((t) => t.test(content))?.type;
    if (!type) {
      throw new AppError('CASE_ATTACHMENT_TYPE', 'Accepted: PNG, JPEG, PDF and plain text (UTF-8).');
    }
    const sha256 = createHash('sha256').update(content).digest('hex');
    const attachmentId = await this.deps.db.transaction().execute(async (tx) => {
      await this.lockCase(tx, id, actor);
      const existing = await tx
        .selectFrom('case_attachments')
        .select('id')
        .where('case_id', '=', id)
        .where('sha256', '=', sha256)
        .executeTakeFirst();
      if (existing) return existing.id;
      const attId = newId('att');
      await tx
        .insertInto('case_attachments')
        .values({
          id: attId,
          case_id: id,
          filename: file.filename,
          content_type: type,
          size_bytes: content.length,
          sha256,
          content,
          created_by: actor.id,
          created_at: this.now(),
        })
        .execute();
      await this.bump(tx, id);
      await caseEvent(
        tx,
        id,
        actor,
        'attachment.added',
        {
          attachmentId: attId,
          filename: file.filename,
          sha256,
          sizeBytes: content.length,
          contentType: type,
        },
        this.now(),
      );
      return attId;
    });
    return { attachmentId, sha256, contentType: type, sizeBytes: content.length };
  }

  async attachment(id: string, attachmentId: string) {
    const a = await this.deps.db
      .selectFrom('case_attachments')
      .selectAll()
      .where('case_id', '=', id)
      .where('id', '=', attachmentId)
      .executeTakeFirst();
    if (!a) throw new AppError('CASE_ATTACHMENT_NOT_FOUND');
    return a;
  }

  private async linked(tx: Tx | Db, id: string, kind: string, ref: string) {
    const row = await tx
      .selectFrom('case_entities')
      .select('ref')
      .where('case_id', '=', id)
      .where('kind', '=', kind)
      .where('ref', '=', ref)
      .executeTakeFirst();
    if (!row) throw new AppError('CASE_NOT_LINKED', `${ref} is not linked to case ${id}.`);
  }

  /** Checks the case before an action that runs in another module's transaction. */
  private async precheck(
    id: string,
    actor: CaseActor,
    version: number,
    link?: { kind: string; ref: string },
  ) {
    await this.deps.db.transaction().execute(async (tx) => {
      await this.lockCase(tx, id, actor, { version });
      if (link) await this.linked(tx, id, link.kind, link.ref);
    });
  }

  /** In the action's transaction: the version must still be the one read, then the timeline and audit. */
  private inCase(
    id: string,
    actor: CaseActor,
    version: number,
    type: string,
    detail: Record<string, unknown>,
  ) {
    return async (tx: Tx) => {
      const r = await tx
        .updateTable('cases')
        .set({ version: sql`version + 1`, updated_at: this.now() })
        .where('id', '=', id)
        .where('version', '=', version)
        .executeTakeFirst();
      if (r.numUpdatedRows === 0n) {
        throw new AppError('CASE_CONFLICT', `Case ${id} changed since version ${version}; reload it.`);
      }
      await caseEvent(tx, id, actor, type, detail, this.now());
      await this.audit(tx, actor, type, id, {
        after: Object.fromEntries(Object.entries(detail).map(([k, v]) => [k, v === null ? null : String(v)])),
      });
    };
  }

  private ctx(actor: CaseActor, idem: IdempotencyContext, inTx: (tx: Tx) => Promise<void>) {
    return {
      idem,
      actor: { type: actor.type, id: actor.id, role: actor.role },
      ip: actor.ip,
      requestId: actor.requestId,
      inTx,
    };
  }

  /**
   * Releases a held movement from a case: a transfer or payment is posted, a withdrawal is
   * approved for payout. Atomic with the case's timeline; a hold that expired or was
   * decided meanwhile is refused (LEDGER_HOLD_NOT_PENDING / WALLET_WITHDRAWAL_STATE).
   */
  async releaseHold(
    id: string,
    holdId: string,
    input: { version: number; reason: string },
    actor: CaseActor,
    idem: IdempotencyContext,
  ) {
    await this.precheck(id, actor, input.version, { kind: 'hold', ref: holdId });
    const hold = await this.deps.ledger.getHold(holdId);
    if (hold.status === 'pending' && hold.expiresAt.getTime() <= this.now().getTime()) {
      throw new AppError(
        'LEDGER_HOLD_NOT_PENDING',
        `Hold ${holdId} expired at ${hold.expiresAt.toISOString()}; it can no longer be released.`,
      );
    }
    const inTx = this.inCase(id, actor, input.version, 'hold.released', { holdId, reason: input.reason });
    if (hold.kind === 'withdrawal') {
      const w = await this.withdrawalOfHold(holdId);
      return this.deps.funding.approveWithdrawal(w, {}, this.ctx(actor, idem, inTx));
    }
    return this.deps.wallet.postHold(holdId, { reason: input.reason }, this.ctx(actor, idem, inTx));
  }

  /** Rejects a held movement from a case: the hold is voided and the money stays with the payer. */
  async voidHold(
    id: string,
    holdId: string,
    input: { version: number; reason: string },
    actor: CaseActor,
    idem: IdempotencyContext,
  ) {
    await this.precheck(id, actor, input.version, { kind: 'hold', ref: holdId });
    const hold = await this.deps.ledger.getHold(holdId);
    const inTx = this.inCase(id, actor, input.version, 'hold.voided', { holdId, reason: input.reason });
    if (hold.kind === 'withdrawal') {
      const w = await this.withdrawalOfHold(holdId);
      const r = await this.deps.funding.rejectWithdrawal(w, input.reason, this.ctx(actor, idem, inTx));
      return r.replayed ? r : { replayed: false, response: r.response ?? { statusCode: 200, body: {} } };
    }
    return this.deps.wallet.voidHold(holdId, { reason: input.reason }, this.ctx(actor, idem, inTx));
  }

  private async withdrawalOfHold(holdId: string): Promise<string> {
    const w = await this.deps.db
      .selectFrom('wallet_withdrawals')
      .select('id')
      .where('hold_id', '=', holdId)
      .executeTakeFirst();
    if (!w) throw new AppError('WALLET_WITHDRAWAL_NOT_FOUND', `No withdrawal holds ${holdId}.`);
    return w.id;
  }

  /** Freezes a customer or merchant linked to the case, with the case's timeline, in one transaction. */
  async freeze(id: string, ownerId: string, input: { version: number; reason: string }, actor: CaseActor) {
    const kind = ownerId.startsWith('mer_') ? 'merchant' : 'customer';
    await this.deps.db.transaction().execute(async (tx) => {
      await this.lockCase(tx, id, actor, { version: input.version });
      await this.linked(tx, id, kind, ownerId);
      await this.deps.wallet.applyOwnerStatus(tx, ownerId, 'frozen', input.reason, {
        actor: { type: actor.type, id: actor.id, role: actor.role },
        ip: actor.ip,
        requestId: actor.requestId,
      });
      await this.bump(tx, id);
      await caseEvent(tx, id, actor, 'owner.frozen', { ownerId, reason: input.reason }, this.now());
    });
    this.deps.wallet.ownerStatusCommitted(ownerId);
    return this.get(id);
  }

  /** Asks for an unfreeze (maker-checker `owner.unfreeze`); the request's id goes on the timeline. */
  async requestUnfreeze(
    id: string,
    ownerId: string,
    input: { version: number; reason: string },
    actor: CaseActor,
    idem: IdempotencyContext,
  ) {
    const kind = ownerId.startsWith('mer_') ? 'merchant' : 'customer';
    await this.precheck(id, actor, input.version, { kind, ref: ownerId });
    const r = await this.deps.approvals.request(
      'owner.unfreeze',
      { ownerId },
      `${input.reason} (case ${id})`,
      actor,
      {
        requestId: actor.requestId ?? '',
        ip: actor.ip ?? '',
        idem,
      },
    );
    const approvalId = (r.response.body as { id?: string }).id ?? null;
    if (!r.replayed) {
      await this.deps.db.transaction().execute(async (tx) => {
        await this.bump(tx, id);
        await caseEvent(
          tx,
          id,
          actor,
          'owner.unfreeze.requested',
          { ownerId, approvalId, reason: input.reason },
          this.now(),
        );
      });
    }
    return r;
  }

  /**
   * Reverses a completed transfer or payment linked to the case (all or part of what
   * remains): a reversal entry with a decision record, atomic with the timeline.
   */
  async reverse(
    id: string,
    entryId: string,
    input: { version: number; reason: string; amountMinor?: string | undefined },
    actor: CaseActor,
    idem: IdempotencyContext,
  ) {
    await this.precheck(id, actor, input.version, { kind: 'transaction', ref: entryId });
    const entry = await this.deps.ledger.getEntry(entryId);
    if (entry.kind !== 'transfer' && entry.kind !== 'payment') {
      throw new AppError(
        'LEDGER_ENTRY_NOT_REVERSIBLE',
        `Only transfers and payments are reversed from a case; ${entryId} is a ${entry.kind}.`,
      );
    }
    const amount = input.amountMinor === undefined ? undefined : parseAmountMinor(input.amountMinor);
    const decision: RiskDecision = {
      id: newId('dec'),
      eventType: 'refund',
      subjectId: entry.metadata.payerId ?? 'platform',
      currency: entry.currency,
      amountMinor: amount ?? entry.amountMinor,
      outcome: 'ALLOW',
      reasonCodes: ['CASE_REVERSAL'],
      customerMessage: null,
      policy: 'case-action',
      input: { caseId: id, entryId, actorId: actor.id },
      latencyUs: 0,
      createdAt: this.now(),
    };
    const inTx = this.inCase(id, actor, input.version, 'transaction.reversed', {
      entryId,
      amountMinor: input.amountMinor ?? null,
      reason: input.reason,
    });
    return this.deps.ledger.submit({
      type: 'reverse',
      entryId,
      kind: 'reversal',
      ...(amount === undefined ? {} : { amountMinor: amount }),
      decision: { record: decision },
      metadata: { caseId: id, reason: input.reason.slice(0, 200) },
      inTx: async (tx) => inTx(tx),
      idempotency: {
        ...idem,
        render: (o) =>
          o.ok
            ? {
                statusCode: 200,
                body: { entryId: o.entry?.id ?? null, reverses: entryId, decisionId: decision.id },
              }
            : problemResponse(o.error),
      },
    });
  }

  private async compensated(tx: Tx | Db, caseId: string): Promise<bigint> {
    const r = await tx
      .selectFrom('case_compensations')
      .select((eb) => eb.fn.sum<string | null>('amount_minor').as('total'))
      .where('case_id', '=', caseId)
      .where('status', 'in', ['paid', 'pending_approval'])
      .executeTakeFirstOrThrow();
    return BigInt(r.total ?? 0);
  }

  /**
   * Compensates the case's customer from the risk reserve. Within the case's recorded loss
   * (counting what is paid or awaiting approval); up to the threshold it is paid at once,
   * above it a second person approves (`compensation.pay`).
   */
  async compensate(
    id: string,
    input: { version: number; walletId: string; amountMinor: string; reason: string },
    actor: CaseActor,
    idem: IdempotencyContext,
  ) {
    const amount = parseAmountMinor(input.amountMinor);
    const { compensationId, customerId, currency } = await this.deps.db.transaction().execute(async (tx) => {
      const c = await this.lockCase(tx, id, actor, { version: input.version });
      const wallet = await tx
        .selectFrom('ledger_accounts')
        .select(['id', 'kind', 'owner_id', 'currency'])
        .where('id', '=', input.walletId)
        .executeTakeFirst();
      if (wallet?.kind !== 'customer_wallet')
        throw new AppError('WALLET_NOT_FOUND', `${input.walletId} is not a customer wallet.`);
      await this.linked(tx, id, 'customer', wallet.owner_id);
      this.checkLoss(c, wallet.currency, amount, await this.compensated(tx, id));
      return { compensationId: newId('cmp'), customerId: wallet.owner_id, currency: wallet.currency };
    });
    if (amount > this.settings.compensationApprovalMinor) {
      const r = await this.deps.approvals.request(
        COMPENSATION_ACTION,
        { caseId: id, walletId: input.walletId, amountMinor: input.amountMinor, compensationId },
        input.reason,
        actor,
        { requestId: actor.requestId ?? '', ip: actor.ip ?? '', idem },
      );
      return r;
    }
    const paid = await this.pay({
      compensationId,
      caseId: id,
      customerId,
      walletId: input.walletId,
      currency,
      amountMinor: amount,
      reason: input.reason,
      maker: actor,
      version: input.version,
    });
    return { replayed: false, response: { statusCode: 201, body: paid } };
  }

  private checkLoss(
    c: { id: string; loss_minor: bigint | null; currency: string | null },
    currency: string,
    amount: bigint,
    paid: bigint,
  ) {
    if (c.loss_minor === null || c.currency === null) {
      throw new AppError('CASE_LOSS_UNKNOWN', `Record the loss on case ${c.id} before compensating.`);
    }
    if (c.currency !== currency) {
      throw new AppError(
        'CURRENCY_MISMATCH',
        `The case's loss is in ${c.currency}; the wallet holds ${currency}.`,
      );
    }
    const loss = BigInt(c.loss_minor);
    if (paid + amount > loss) {
      throw new AppError(
        'CASE_COMPENSATION_EXCEEDS_LOSS',
        `Compensation would reach ${paid + amount} of a recorded loss of ${loss} (${paid} already paid or awaiting approval).`,
        { lossMinor: loss.toString(), paidMinor: paid.toString() },
      );
    }
  }

  /** Pays a compensation from the reserve and records it on the case, in the ledger's transaction. */
  private async pay(p: {
    compensationId: string;
    caseId: string;
    customerId: string;
    walletId: string;
    currency: string;
    amountMinor: bigint;
    reason: string;
    maker: { type: ActorType; id: string; role?: string };
    version?: number;
    approvalId?: string;
    checker?: { id: string };
    also?: (tx: Tx, entryId: string) => Promise<void>;
  }) {
    const now = this.now();
    const { entryId } = await this.deps.reserve.credit({
      customerId: p.customerId,
      walletId: p.walletId,
      currency: p.currency,
      amountMinor: p.amountMinor,
      kind: 'compensation',
      caseId: p.caseId,
      reason: p.reason,
      actor: p.maker,
      events: (entry) => [
        {
          topic: 'cases.compensation.paid',
          aggregateId: p.compensationId,
          payload: {
            compensationId: p.compensationId,
            caseId: p.caseId,
            customerId: p.customerId,
            amountMinor: p.amountMinor.toString(),
            currency: p.currency,
            entryId: entry,
          },
        },
      ],
      inTx: async (tx, entry) => {
        // Checked again under the case's lock: two compensations at once cannot pass the loss together.
        const c = await tx
          .selectFrom('cases')
          .selectAll()
          .where('id', '=', p.caseId)
          .forUpdate()
          .executeTakeFirstOrThrow();
        if (p.version !== undefined && c.version !== p.version) {
          throw new AppError(
            'CASE_CONFLICT',
            `Case ${p.caseId} changed since version ${p.version}; reload it.`,
          );
        }
        const pending = p.approvalId ? p.amountMinor : 0n;
        this.checkLoss(c, p.currency, p.amountMinor, (await this.compensated(tx, p.caseId)) - pending);
        if (p.approvalId) {
          await tx
            .updateTable('case_compensations')
            .set({ status: 'paid', entry_id: entry, paid_at: now })
            .where('id', '=', p.compensationId)
            .execute();
        } else {
          await tx
            .insertInto('case_compensations')
            .values({
              id: p.compensationId,
              case_id: p.caseId,
              customer_id: p.customerId,
              wallet_id: p.walletId,
              currency: p.currency,
              amount_minor: p.amountMinor,
              reason: p.reason,
              status: 'paid',
              approval_id: null,
              entry_id: entry,
              created_by: p.maker.id,
              created_at: now,
              paid_at: now,
            })
            .execute();
        }
        await tx
          .updateTable('cases')
          .set({ version: sql`version + 1`, updated_at: now })
          .where('id', '=', p.caseId)
          .execute();
        await caseEvent(
          tx,
          p.caseId,
          p.maker,
          'compensation.paid',
          {
            compensationId: p.compensationId,
            entryId: entry,
            amountMinor: p.amountMinor.toString(),
            currency: p.currency,
            reason: p.reason,
            ...(p.approvalId ? { approvalId: p.approvalId, checkerId: p.checker?.id ?? null } : {}),
          },
          now,
        );
        await p.also?.(tx, entry);
      },
    });
    return {
      compensationId: p.compensationId,
      caseId: p.caseId,
      entryId,
      amountMinor: p.amountMinor.toString(),
      currency: p.currency,
      status: 'paid',
    };
  }

  /** The maker-checker action for compensations above the threshold. */
  private compensationAction() {
    return defineAction({
      name: COMPENSATION_ACTION,
      permission: 'compensation.pay',
      input: CompensationInput,
      stored: CompensationInput,
      prepare: async (input, tx, approvalId) => {
        const c = await tx
          .selectFrom('cases')
          .selectAll()
          .where('id', '=', input.caseId)
          .forUpdate()
          .executeTakeFirst();
        if (!c) throw new AppError('CASE_NOT_FOUND', `Case ${input.caseId} does not exist.`);
        if (c.status === 'closed') throw new AppError('CASE_CLOSED', `Case ${input.caseId} is closed.`);
        const wallet = await tx
          .selectFrom('ledger_accounts')
          .select(['owner_id', 'currency', 'kind'])
          .where('id', '=', input.walletId)
          .executeTakeFirst();
        if (wallet?.kind !== 'customer_wallet')
          throw new AppError('WALLET_NOT_FOUND', `${input.walletId} is not a customer wallet.`);
        const amount = parseAmountMinor(input.amountMinor);
        this.checkLoss(c, wallet.currency, amount, await this.compensated(tx, c.id));
        const now = this.now();
        // The pending request counts against the loss at once, so two requests cannot exceed it together.
        await tx
          .insertInto('case_compensations')
          .values({
            id: input.compensationId,
            case_id: c.id,
            customer_id: wallet.owner_id,
            wallet_id: input.walletId,
            currency: wallet.currency,
            amount_minor: amount,
            reason: 'awaiting approval',
            status: 'pending_approval',
            approval_id: approvalId,
            entry_id: null,
            created_by: 'approval',
            created_at: now,
            paid_at: null,
          })
          .execute();
        await caseEvent(
          tx,
          c.id,
          { type: 'system', id: 'bulwark' },
          'compensation.requested',
          {
            compensationId: input.compensationId,
            approvalId,
            amountMinor: amount.toString(),
            currency: wallet.currency,
          },
          now,
        );
        return {
          payload: input,
          summary: `Compensate ${wallet.owner_id} ${formatMinor(amount, parseCurrency(wallet.currency))} ${wallet.currency} from the risk reserve (case ${c.id})`,
        };
      },
      execute: async (p, x) => {
        const row = await this.deps.db
          .selectFrom('case_compensations')
          .selectAll()
          .where('id', '=', p.compensationId)
          .executeTakeFirstOrThrow();
        await this.pay({
          compensationId: p.compensationId,
          caseId: p.caseId,
          customerId: row.customer_id,
          walletId: row.wallet_id,
          currency: row.currency,
          amountMinor: BigInt(row.amount_minor),
          reason: x.reason,
          maker: { type: 'staff', id: x.maker.id, role: x.maker.role },
          approvalId: x.approvalId,
          checker: x.checker,
          also: async (tx, entryId) => {
            await tx
              .updateTable('case_compensations')
              .set({ reason: x.reason })
              .where('id', '=', p.compensationId)
              .execute();
            await x.complete(tx, { result: { compensationId: p.compensationId, entryId, caseId: p.caseId } });
          },
        });
      },
    });
  }

  /** A compensation request that was rejected or expired no longer counts against the loss. */
  async releaseRejectedCompensations(): Promise<number> {
    const r = await this.deps.db
      .updateTable('case_compensations')
      .set({ status: 'rejected' })
      .where('status', '=', 'pending_approval')
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('approval_requests as r')
            .select('r.id')
            .whereRef('r.id', '=', 'case_compensations.approval_id')
            .where('r.status', 'in', ['rejected', 'expired', 'failed']),
        ),
      )
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /**
   * Per-rule precision from labelled outcomes: of the decisions a rule hit (acting hits,
   * shadow hits apart) whose truth is known, how many were fraud and how many legitimate
   * (误判). Labels from every source count; a decision with labels from several sources
   * counts once, fraud winning.
   */
  async rulePrecision(range: { from?: Date | undefined; to?: Date | undefined } = {}) {
    const from = range.from ?? new Date(0);
    const to = range.to ?? new Date('9999-12-31T00:00:00Z');
    const r = await sql<{
      rule_id: string;
      shadow: boolean;
      fraud: string;
      legit: string;
      laundering: string;
    }>`
      with labelled as (
        select decision_id,
          case when bool_or(label = 'fraud') then 'fraud'
               when bool_or(label = 'laundering') then 'laundering' else 'legit' end as label
        from risk_labels group by decision_id
      )
      select h->>'ruleId' as rule_id, coalesce((h->>'shadow')::boolean, false) as shadow,
        count(*) filter (where l.label = 'fraud')::text as fraud,
        count(*) filter (where l.label = 'legit')::text as legit,
        count(*) filter (where l.label = 'laundering')::text as laundering
      from risk_decisions d
      join labelled l on l.decision_id = d.id
      cross join lateral jsonb_array_elements(coalesce(d.detail->'rules'->'hits', '[]'::jsonb)) as h
      where d.created_at >= ${from} and d.created_at < ${to}
      group by 1, 2
      order by 1, 2`.execute(this.deps.db);
    return {
      rules: r.rows.map((x) => {
        const fraud = Number(x.fraud);
        const legit = Number(x.legit);
        const laundering = Number(x.laundering);
        const known = fraud + legit + laundering;
        return {
          ruleId: x.rule_id,
          shadow: x.shadow,
          labelled: known,
          fraud,
          laundering,
          legit,
          precision: known === 0 ? null : (fraud + laundering) / known,
          falsePositiveRate: known === 0 ? null : legit / known,
        };
      }),
    };
  }

  /** Overdue alerts and cases, for the dashboard and the maintenance log. */
  async overdueCounts() {
    const now = this.now();
    const r = await this.deps.db
      .selectFrom('cases')
      .select(['severity', (eb) => eb.fn.countAll<string>().as('n')])
      .where('status', 'not in', ['decided', 'closed'])
      .where('due_at', '<', now)
      .groupBy('severity')
      .execute();
    return Object.fromEntries(r.map((x) => [x.severity, Number(x.n)])) as Partial<Record<Severity, number>>;
  }
}

interface AuditChange {
  before?: Record<string, string | null>;
  after?: Record<string, string | null>;
  reason?: string;
}

export interface QueueQuery {
  status?: 'open' | 'closed' | undefined;
  severity?: Severity | undefined;
  type?: string | undefined;
  source?: AlertSource | undefined;
  subjectId?: string | undefined;
  caseStatus?: CaseStatus | undefined;
  assignee?: string | undefined;
  overdue?: boolean | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

export interface CaseListQuery {
  status?: CaseStatus | undefined;
  kind?: 'risk' | 'dispute' | 'feedback' | undefined;
  subjectId?: string | undefined;
  assignee?: string | undefined;
  overdue?: boolean | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

type DecisionRow = {
  id: string;
  event_type: string;
  subject_id: string | null;
  currency: string | null;
  amount_minor: bigint | null;
  outcome: string;
  reason_codes: string[];
  customer_message: string | null;
  score: number;
  input: Record<string, unknown>;
  detail: Record<string, unknown> | null;
  created_at: Date;
};

/** The alert a held or freezing decision raises, with its evidence. */
export function alertOfDecision(
  d: DecisionRow,
  hold: { id: string; kind: string } | null,
  withdrawal: { id: string } | null,
): AlertInput {
  const freeze = d.outcome === 'BLOCK_AND_FREEZE';
  const detail = d.detail ?? {};
  const model = (detail.model ?? null) as {
    name?: string;
    score?: number;
    level?: string;
    contributions?: unknown[];
  } | null;
  const rules = (detail.rules ?? null) as {
    hits?: Array<{ ruleId: string; version: number; reasonCode: string; shadow: boolean }>;
  } | null;
  const severity: Severity = freeze
    ? 'critical'
    : model?.level === 'high' || d.score >= 80
      ? 'high'
      : 'medium';
  const entities: EntityRef[] = [{ kind: 'decision', id: d.id }];
  if (d.subject_id)
    entities.push({ kind: d.subject_id.startsWith('mer_') ? 'merchant' : 'customer', id: d.subject_id });
  if (hold) entities.push({ kind: 'hold', id: hold.id });
  if (withdrawal) entities.push({ kind: 'withdrawal', id: withdrawal.id });
  const input = d.input;
  const counterparty = typeof input.counterpartyId === 'string' ? input.counterpartyId : null;
  if (counterparty?.startsWith('cus_')) entities.push({ kind: 'customer', id: counterparty });
  if (counterparty?.startsWith('mer_')) entities.push({ kind: 'merchant', id: counterparty });
  if (typeof input.deviceId === 'string') entities.push({ kind: 'device', id: input.deviceId });
  if (typeof input.ip === 'string') entities.push({ kind: 'ip', id: input.ip });
  const what = withdrawal ? 'withdrawal' : d.event_type;
  return {
    source: 'decision',
    sourceRef: d.id,
    type: freeze ? 'risk.freeze' : 'risk.review',
    severity,
    title: freeze ? `Account frozen on a ${what}` : `${capitalise(what)} held for review`,
    subjectId: d.subject_id,
    amountMinor: d.amount_minor === null ? null : BigInt(d.amount_minor),
    currency: d.currency,
    decisionId: d.id,
    holdId: hold?.id ?? null,
    withdrawalId: withdrawal?.id ?? null,
    entities,
    evidence: {
      outcome: d.outcome,
      eventType: d.event_type,
      reasonCodes: d.reason_codes,
      customerMessage: d.customer_message,
      score: d.score,
      rules: (rules?.hits ?? []).map((h) => ({
        ruleId: h.ruleId,
        version: h.version,
        reasonCode: h.reasonCode,
        shadow: h.shadow,
      })),
      model: model
        ? {
            name: model.name ?? null,
            score: model.score ?? null,
            level: model.level ?? null,
            contributions: (model.contributions ?? []).slice(0, 5),
          }
        : null,
      explanation: typeof detail.explanation === 'string' ? detail.explanation : null,
      features: detail.features ?? null,
      input,
    },
  };
}

function capitalise(s: string): string {
  return s.length === 0 ? s : s[0]?.toUpperCase() + s.slice(1).replaceAll('_', ' ');
}

function alertView(
  a: {
    id: string;
    source: string;
    source_ref: string;
    type: string;
    severity: string;
    priority: number;
    status: string;
    case_id: string;
    subject_id: string | null;
    amount_minor: bigint | null;
    currency: string | null;
    decision_id: string | null;
    hold_id: string | null;
    withdrawal_id: string | null;
    title: string;
    entities: Array<{ kind: string; id: string }>;
    evidence: Record<string, unknown>;
    due_at: Date;
    created_at: Date;
    closed_at: Date | null;
  },
  now: Date,
) {
  return {
    id: a.id,
    source: a.source,
    sourceRef: a.source_ref,
    type: a.type,
    severity: a.severity,
    priority: a.priority,
    status: a.status,
    caseId: a.case_id,
    subjectId: a.subject_id,
    amountMinor: a.amount_minor === null ? null : BigInt(a.amount_minor).toString(),
    currency: a.currency,
    decisionId: a.decision_id,
    holdId: a.hold_id,
    withdrawalId: a.withdrawal_id,
    title: a.title,
    entities: a.entities,
    evidence: a.evidence,
    dueAt: a.due_at.toISOString(),
    overdue: a.status === 'open' && a.due_at.getTime() < now.getTime(),
    createdAt: a.created_at.toISOString(),
    closedAt: a.closed_at?.toISOString() ?? null,
  };
}

function caseSummary(
  c: {
    id: string;
    kind: string;
    status: string;
    subject_id: string | null;
    title: string;
    severity: string;
    priority: number;
    assignee_id: string | null;
    disposition: string | null;
    summary: string | null;
    loss_minor: bigint | null;
    currency: string | null;
    due_at: Date;
    version: number;
    reopened: number;
    created_at: Date;
    updated_at: Date;
    decided_at: Date | null;
    closed_at: Date | null;
  },
  now: Date,
) {
  return {
    id: c.id,
    kind: c.kind,
    status: c.status,
    subjectId: c.subject_id,
    title: c.title,
    severity: c.severity,
    priority: c.priority,
    assigneeId: c.assignee_id,
    disposition: c.disposition,
    summary: c.summary,
    lossMinor: c.loss_minor === null ? null : BigInt(c.loss_minor).toString(),
    currency: c.currency,
    dueAt: c.due_at.toISOString(),
    overdue: c.status !== 'closed' && c.status !== 'decided' && c.due_at.getTime() < now.getTime(),
    version: c.version,
    reopened: c.reopened,
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
    decidedAt: c.decided_at?.toISOString() ?? null,
    closedAt: c.closed_at?.toISOString() ?? null,
  };
}

function compensationView(c: {
  id: string;
  case_id: string;
  customer_id: string;
  wallet_id: string;
  currency: string;
  amount_minor: bigint;
  reason: string;
  status: string;
  approval_id: string | null;
  entry_id: string | null;
  created_by: string;
  created_at: Date;
  paid_at: Date | null;
}) {
  return {
    id: c.id,
    caseId: c.case_id,
    customerId: c.customer_id,
    walletId: c.wallet_id,
    currency: c.currency,
    amountMinor: BigInt(c.amount_minor).toString(),
    reason: c.reason,
    status: c.status,
    approvalId: c.approval_id,
    entryId: c.entry_id,
    createdBy: c.created_by,
    createdAt: c.created_at.toISOString(),
    paidAt: c.paid_at?.toISOString() ?? null,
  };
}
