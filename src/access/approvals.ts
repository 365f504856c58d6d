import { type Static, type TSchema, Type } from 'typebox';
import { Check } from 'typebox/value';
import type { LedgerService } from '../ledger/service.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { type IdempotencyContext, runIdempotent } from '../platform/idempotency.ts';
import { newId } from '../platform/ids.ts';
import { type Currency, formatMinor, parseAmountMinor, parseCurrency } from '../platform/money.ts';
import type { RiskDecision, RiskEventType } from '../risk/gate.ts';
import type { ModelPublisher } from '../risk/model/registry.ts';
import { RULE_ID_PATTERN } from '../risk/rules/model.ts';
import type { RulePublisher } from '../risk/rules/store.ts';
import { type AuditEvent, appendAudit } from '../security/audit.ts';
import { maskEmail } from '../security/mask.ts';
import { sealContext } from '../security/sealed-fields.ts';
import type { Vault } from '../security/vault.ts';
import type { WalletService } from '../wallet/service.ts';
import { can, type Permission, STAFF_ROLES, type StaffRole } from './permissions.ts';
import { type Actor, auditActor, auditMeta, type RequestMeta, type StaffService } from './staff.ts';

export const APPROVAL_STATUSES = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'failed',
  'cancelled',
] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** A staff user making or deciding a request. */
export interface StaffActor {
  id: string;
  role: StaffRole;
}

export interface ApprovalView {
  id: string;
  action: string;
  summary: string;
  reason: string;
  /** What was asked, without sealed values. */
  payload: Record<string, unknown>;
  status: ApprovalStatus;
  maker: { id: string; role: string };
  checker: { id: string; role: string } | null;
  decisionReason: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
  createdAt: string;
  expiresAt: string;
  decidedAt: string | null;
}

/** What an action's execution gives back: a result kept with the request, and a secret shown once. */
export interface Outcome {
  result: Record<string, unknown>;
  /** Handed to the approving checker in the response and never stored (an activation token). */
  secret?: Record<string, string>;
}

/** What an action's executor gets: who asked and who approved, and the way to commit. */
export interface Execution {
  approvalId: string;
  /** The maker's stated reason. */
  reason: string;
  maker: Actor;
  checker: Actor;
  /** The approving request. */
  meta: RequestMeta;
  /** Runs the action's writes and the approval's own records (status, audit) in one new transaction. */
  transaction(work: (tx: Tx) => Promise<Outcome>): Promise<void>;
  /** Writes the approval's own records inside a transaction the action opened itself (the ledger writer's). */
  complete(tx: Tx, outcome: Outcome): Promise<void>;
}

/**
 * What a request says about itself once it has been checked. A payload's `staffId`
 * names the staff user the request is about: they may not decide it.
 */
export interface Prepared<S extends TSchema> {
  payload: Static<S>;
  summary: string;
}

/**
 * One kind of maker-checker action. The maker needs `permission` to ask and the checker
 * needs it to approve. `prepare` checks the request against the current state (so a
 * request that cannot work is refused at once) and turns the input into the stored
 * payload; `execute` runs when a checker approves, inside the approval's transaction.
 */
export interface ApprovalAction<I extends TSchema, S extends TSchema> {
  name: string;
  permission: Permission;
  input: I;
  stored: S;
  prepare(input: Static<I>, tx: Tx, approvalId: string): Promise<Prepared<S>>;
  execute(payload: Static<S>, x: Execution): Promise<void>;
}

/** An action with its types erased, as the registry keeps it. */
export interface RegisteredAction {
  name: string;
  permission: Permission;
  prepare(input: unknown, tx: Tx, approvalId: string): Promise<Prepared<TSchema>>;
  execute(payload: unknown, x: Execution): Promise<void>;
}

export function defineAction<I extends TSchema, S extends TSchema>(
  a: ApprovalAction<I, S>,
): RegisteredAction {
  return {
    name: a.name,
    permission: a.permission,
    prepare: (input, tx, approvalId) => {
      if (!Check(a.input, input))
        throw new AppError('VALIDATION_FAILED', `The ${a.name} request is not valid.`);
      return a.prepare(input, tx, approvalId);
    },
    execute: (payload, x) => {
      // The stored payload is checked again: the row could have been changed since it was made.
      if (!Check(a.stored, payload)) {
        throw new AppError('VALIDATION_FAILED', `The stored ${a.name} request is not valid.`);
      }
      return a.execute(payload, x);
    },
  };
}

export interface ApprovalSettings {
  /** Requests not decided within this time expire (seconds). */
  ttlS: number;
}

export const DEFAULT_APPROVAL_TTL_S = 24 * 3600;

type ApprovalRow = Awaited<ReturnType<ApprovalService['row']>>;

/**
 * Maker-checker (four eyes) for sensitive actions. A request names an action from the
 * registry and waits for a second staff user holding the same permission. Approving
 * executes the action atomically with the request's new status and the audit records of
 * maker and checker; if the action fails, the request becomes `failed` with the error
 * code and nothing else changes. Makers cannot decide their own requests (a security
 * event), nor can staff decide requests about themselves; requests expire.
 */
export class ApprovalService {
  private readonly actions = new Map<string, RegisteredAction>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    actions: RegisteredAction[],
    private readonly settings: ApprovalSettings = { ttlS: DEFAULT_APPROVAL_TTL_S },
  ) {
    for (const a of actions) this.actions.set(a.name, a);
  }

  /** Adds an action a module defines for itself (e.g. the cases module's compensation above its threshold). */
  register(action: RegisteredAction): void {
    if (this.actions.has(action.name))
      throw new Error(`approval action ${action.name} is already registered`);
    this.actions.set(action.name, action);
  }

  actionNames(): string[] {
    return [...this.actions.keys()];
  }

  private action(name: string): RegisteredAction {
    const a = this.actions.get(name);
    if (!a) throw new Error(`approval action ${name} is not registered`);
    return a;
  }

  /** Files a request (202 with the request); idempotent per the caller's key. */
  async request(
    actionName: string,
    input: unknown,
    reason: string,
    maker: StaffActor,
    ctx: RequestMeta & { idem: IdempotencyContext },
  ): Promise<{ replayed: boolean; response: { statusCode: number; body: unknown } }> {
    const action = this.action(actionName);
    if (!can(maker.role, action.permission)) {
      throw new AppError(
        'AUTH_FORBIDDEN',
        `The role "${maker.role}" lacks the permission "${action.permission}".`,
      );
    }
    return runIdempotent(this.db, ctx.idem, async (tx) => {
      const id = newId('apr');
      const now = this.clock.now();
      const prepared = await action.prepare(input, tx, id);
      await tx
        .insertInto('approval_requests')
        .values({
          id,
          action: action.name,
          payload: JSON.stringify(prepared.payload),
          summary: prepared.summary,
          reason,
          maker_id: maker.id,
          maker_role: maker.role,
          status: 'pending',
          created_at: now,
          expires_at: new Date(now.getTime() + this.settings.ttlS * 1000),
        })
        .execute();
      await appendAudit(tx, [
        {
          actorType: 'staff',
          actorId: maker.id,
          actorRole: maker.role,
          action: 'approval.request',
          targetType: 'approval',
          targetId: id,
          after: { action: action.name, summary: prepared.summary, status: 'pending' },
          reason,
          ...auditMeta(ctx),
          at: now,
        },
      ]);
      return { statusCode: 202, body: toView(await this.row(tx, id), now) };
    });
  }

  async get(id: string): Promise<ApprovalView> {
    return toView(await this.row(this.db, id), this.clock.now());
  }

  /** Requests newest first; `expired` includes pending requests whose time has passed. */
  async list(q: {
    status?: ApprovalStatus | undefined;
    limit: number;
    cursor?: string | undefined;
  }): Promise<{ approvals: ApprovalView[]; nextCursor: string | null }> {
    const now = this.clock.now();
    let query = this.db
      .selectFrom('approval_requests')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(q.limit + 1);
    if (q.cursor !== undefined) query = query.where('id', '<', q.cursor);
    if (q.status === 'pending') query = query.where('status', '=', 'pending').where('expires_at', '>', now);
    else if (q.status === 'expired') {
      query = query.where((eb) =>
        eb.or([
          eb('status', '=', 'expired'),
          eb.and([eb('status', '=', 'pending'), eb('expires_at', '<=', now)]),
        ]),
      );
    } else if (q.status !== undefined) query = query.where('status', '=', q.status);
    const rows = await query.execute();
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      approvals: page.map((r) => toView(r, now)),
      nextCursor: rows.length > q.limit && last ? last.id : null,
    };
  }

  /**
   * Approves and executes a request. Returns the request as it now is: `approved` with
   * the action's result, or `failed` with the error code when the action was refused.
   */
  async approve(
    id: string,
    checker: StaffActor,
    decisionReason: string | undefined,
    meta: RequestMeta,
  ): Promise<{ approval: ApprovalView; secret?: Record<string, string> }> {
    const row = await this.row(this.db, id);
    const action = this.action(row.action);
    await this.assertDecidable(row, action, checker, 'approve', meta);
    const maker: Actor = { type: 'staff', id: row.maker_id, role: row.maker_role };
    const checkerActor: Actor = { type: 'staff', id: checker.id, role: checker.role };
    let outcome: Outcome | undefined;
    const complete = async (tx: Tx, o: Outcome) => {
      await this.recordApproved(tx, row, checker, decisionReason, o.result, meta);
      outcome = o;
    };
    const x: Execution = {
      approvalId: id,
      reason: row.reason,
      maker,
      checker: checkerActor,
      meta,
      transaction: async (work) => {
        await this.db.transaction().execute(async (tx) => {
          await this.lockPending(tx, id);
          await complete(tx, await work(tx));
        });
      },
      complete,
    };
    try {
      await action.execute(row.payload, x);
      if (!outcome) throw new Error(`approval action ${row.action} did not record its completion`);
    } catch (err) {
      // Someone else decided meanwhile: that decision stands, and this one is simply refused.
      if (err instanceof AppError && err.code === 'APPROVAL_STATE') throw err;
      await this.recordFailed(row, checker, err instanceof AppError ? err.code : 'INTERNAL', meta);
      if (!(err instanceof AppError)) throw err;
      return { approval: await this.get(id) };
    }
    const secret = outcome.secret;
    return { approval: await this.get(id), ...(secret ? { secret } : {}) };
  }

  async reject(
    id: string,
    checker: StaffActor,
    decisionReason: string,
    meta: RequestMeta,
  ): Promise<ApprovalView> {
    const row = await this.row(this.db, id);
    await this.assertDecidable(row, this.action(row.action), checker, 'reject', meta);
    await this.decide(
      row,
      'rejected',
      { type: 'staff', id: checker.id, role: checker.role },
      decisionReason,
      meta,
      {
        checker_id: checker.id,
        checker_role: checker.role,
        decision_reason: decisionReason,
      },
    );
    return this.get(id);
  }

  /** The maker withdraws their own pending request. */
  async cancel(
    id: string,
    maker: StaffActor,
    reason: string | undefined,
    meta: RequestMeta,
  ): Promise<ApprovalView> {
    const row = await this.row(this.db, id);
    if (row.maker_id !== maker.id)
      throw new AppError('AUTH_FORBIDDEN', 'Only the maker can cancel a request.');
    await this.assertOpen(row);
    await this.decide(row, 'cancelled', { type: 'staff', id: maker.id, role: maker.role }, reason, meta, {
      decision_reason: reason ?? null,
    });
    return this.get(id);
  }

  /**
   * Hands a one-time result (a personal-data export) to the maker, once: the sealed
   * result is removed in the same transaction that records the hand-over.
   */
  async takeResult(
    id: string,
    maker: StaffActor,
    meta: RequestMeta,
    open: (sealed: string) => unknown,
  ): Promise<{ approval: ApprovalView; data: unknown }> {
    const data = await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('approval_requests')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!row) throw new AppError('APPROVAL_NOT_FOUND');
      if (row.maker_id !== maker.id) {
        throw new AppError('AUTH_FORBIDDEN', 'Only the maker of the request can take its result.');
      }
      const sealed = row.result?.sealed;
      if (row.status !== 'approved' || typeof sealed !== 'string') {
        throw new AppError('APPROVAL_STATE', 'There is no result to take: not approved, or already taken.');
      }
      const now = this.clock.now();
      const { sealed: _taken, ...rest } = row.result ?? {};
      await tx
        .updateTable('approval_requests')
        .set({ result: JSON.stringify({ ...rest, takenAt: now.toISOString() }) })
        .where('id', '=', id)
        .execute();
      await appendAudit(tx, [
        {
          actorType: 'staff',
          actorId: maker.id,
          actorRole: maker.role,
          action: `${row.action}.taken`,
          targetType: 'approval',
          targetId: id,
          reason: row.reason,
          ...auditMeta(meta),
          at: now,
        },
      ]);
      return open(sealed);
    });
    return { approval: await this.get(id), data };
  }

  async row(executor: Db | Tx, id: string) {
    const row = await executor
      .selectFrom('approval_requests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new AppError('APPROVAL_NOT_FOUND', `Approval request ${id} does not exist.`);
    return row;
  }

  /** Marks pending requests whose time has passed as expired (audited); returns how many. */
  async expireDue(limit = 500): Promise<number> {
    const now = this.clock.now();
    const due = await this.db
      .selectFrom('approval_requests')
      .select(['id', 'action', 'expires_at'])
      .where('status', '=', 'pending')
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(limit)
      .execute();
    let n = 0;
    for (const row of due) if (await this.markExpired(row, now)) n++;
    return n;
  }

  private async markExpired(row: { id: string; action: string }, now: Date): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const expired = await tx
        .updateTable('approval_requests')
        .set({ status: 'expired', decided_at: now })
        .where('id', '=', row.id)
        .where('status', '=', 'pending')
        .returning('id')
        .executeTakeFirst();
      if (!expired) return false;
      await appendAudit(tx, [
        {
          actorType: 'system',
          actorId: 'bulwark',
          action: 'approval.expire',
          targetType: 'approval',
          targetId: row.id,
          before: { status: 'pending' },
          after: { status: 'expired', action: row.action },
          at: now,
        },
      ]);
      return true;
    });
  }

  /** Pending and not expired; an expired request is marked so (and audited) before it is refused. */
  private async assertOpen(row: ApprovalRow): Promise<void> {
    if (row.status !== 'pending') {
      throw new AppError('APPROVAL_STATE', `Approval request ${row.id} is ${row.status}.`, {
        status: row.status,
      });
    }
    const now = this.clock.now();
    if (row.expires_at > now) return;
    await this.markExpired(row, now);
    throw new AppError(
      'APPROVAL_EXPIRED',
      `Approval request ${row.id} expired at ${row.expires_at.toISOString()}.`,
    );
  }

  /** Open, decided by someone else than the maker and the person it is about, holding the permission. */
  private async assertDecidable(
    row: ApprovalRow,
    action: RegisteredAction,
    checker: StaffActor,
    decision: 'approve' | 'reject',
    meta: RequestMeta,
  ): Promise<void> {
    await this.assertOpen(row);
    const staffTarget = typeof row.payload.staffId === 'string' ? row.payload.staffId : undefined;
    if (row.maker_id === checker.id || staffTarget === checker.id) {
      await this.audit({
        actorType: 'staff',
        actorId: checker.id,
        actorRole: checker.role,
        action: 'approval.self_decision_refused',
        targetType: 'approval',
        targetId: row.id,
        after: { decision, action: row.action, as: row.maker_id === checker.id ? 'maker' : 'subject' },
        ...auditMeta(meta),
        at: this.clock.now(),
      });
      throw new AppError(
        'APPROVAL_SELF',
        row.maker_id === checker.id
          ? 'The maker of a request cannot decide it; another staff user must.'
          : 'A staff user cannot decide a request about themselves.',
      );
    }
    if (!can(checker.role, action.permission)) {
      await this.audit({
        actorType: 'staff',
        actorId: checker.id,
        actorRole: checker.role,
        action: 'auth.permission_denied',
        targetType: 'approval',
        targetId: row.id,
        after: { required: action.permission, decision },
        ...auditMeta(meta),
        at: this.clock.now(),
      });
      throw new AppError(
        'AUTH_FORBIDDEN',
        `Deciding a ${row.action} request needs the permission "${action.permission}", which the role "${checker.role}" lacks.`,
      );
    }
  }

  /** Takes the request's row lock, so two checkers cannot both execute it. */
  private async lockPending(tx: Tx, id: string): Promise<void> {
    const row = await tx
      .selectFrom('approval_requests')
      .select('status')
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (row?.status !== 'pending') {
      throw new AppError('APPROVAL_STATE', `Approval request ${id} is ${row?.status ?? 'gone'}.`);
    }
  }

  private async recordApproved(
    tx: Tx,
    row: ApprovalRow,
    checker: StaffActor,
    decisionReason: string | undefined,
    result: Record<string, unknown>,
    meta: RequestMeta,
  ): Promise<void> {
    const now = this.clock.now();
    const updated = await tx
      .updateTable('approval_requests')
      .set({
        status: 'approved',
        checker_id: checker.id,
        checker_role: checker.role,
        decision_reason: decisionReason ?? null,
        result: JSON.stringify(result),
        decided_at: now,
      })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .returning('id')
      .executeTakeFirst();
    if (!updated) throw new AppError('APPROVAL_STATE', `Approval request ${row.id} was decided meanwhile.`);
    await appendAudit(tx, [
      {
        actorType: 'staff',
        actorId: checker.id,
        actorRole: checker.role,
        action: 'approval.approve',
        targetType: 'approval',
        targetId: row.id,
        before: { status: 'pending' },
        after: { status: 'approved', action: row.action, maker: row.maker_id },
        ...(decisionReason ? { reason: decisionReason } : {}),
        ...auditMeta(meta),
        at: now,
      },
    ]);
  }

  /** The action was refused: the request fails with the code, in a transaction of its own. */
  private async recordFailed(
    row: ApprovalRow,
    checker: StaffActor,
    code: string,
    meta: RequestMeta,
  ): Promise<void> {
    await this.decide(row, 'failed', { type: 'staff', id: checker.id, role: checker.role }, undefined, meta, {
      checker_id: checker.id,
      checker_role: checker.role,
      error: code,
    });
  }

  private async decide(
    row: ApprovalRow,
    status: 'rejected' | 'cancelled' | 'failed',
    actor: Actor,
    reason: string | undefined,
    meta: RequestMeta,
    fields: { checker_id?: string; checker_role?: string; decision_reason?: string | null; error?: string },
  ): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction().execute(async (tx) => {
      const updated = await tx
        .updateTable('approval_requests')
        .set({ status, decided_at: now, ...fields })
        .where('id', '=', row.id)
        .where('status', '=', 'pending')
        .returning('id')
        .executeTakeFirst();
      if (!updated) throw new AppError('APPROVAL_STATE', `Approval request ${row.id} was decided meanwhile.`);
      await appendAudit(tx, [
        {
          ...auditActor(actor),
          action: `approval.${status === 'rejected' ? 'reject' : status === 'cancelled' ? 'cancel' : 'fail'}`,
          targetType: 'approval',
          targetId: row.id,
          before: { status: 'pending' },
          after: { status, action: row.action, ...(fields.error ? { error: fields.error } : {}) },
          ...(reason ? { reason } : {}),
          ...auditMeta(meta),
          at: now,
        },
      ]);
    });
  }

  private async audit(event: AuditEvent): Promise<void> {
    await this.db.transaction().execute((tx) => appendAudit(tx, [event]));
  }
}

/** Keys holding sealed values are never shown. */
function visible(value: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!value) return null;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'sealed' && !k.endsWith('Sealed')));
}

function toView(row: ApprovalRow, now: Date): ApprovalView {
  const expired = row.status === 'pending' && row.expires_at <= now;
  return {
    id: row.id,
    action: row.action,
    summary: row.summary,
    reason: row.reason,
    payload: visible(row.payload) ?? {},
    status: expired ? 'expired' : row.status,
    maker: { id: row.maker_id, role: row.maker_role },
    checker: row.checker_id ? { id: row.checker_id, role: row.checker_role ?? '' } : null,
    decisionReason: row.decision_reason,
    result: visible(row.result),
    error: row.error,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    decidedAt: row.decided_at?.toISOString() ?? null,
  };
}

// ---------------------------------------------------------------------------------------
// Personal data: reveal one field with a reason, or read many for an approved export.

export const PII_FIELDS = ['phone', 'email', 'name', 'document'] as const;
export type PiiField = (typeof PII_FIELDS)[number];

/**
 * Clear personal values, read from their sealed columns only where someone with the
 * permission states why; the reason and the field (never the value) are audited in the
 * same transaction as the read. Everywhere else personal values are shown masked.
 */
export class PersonalData {
  constructor(
    private readonly db: Db,
    private readonly vault: Vault,
    private readonly clock: Clock,
  ) {}

  async reveal(
    customerId: string,
    field: PiiField,
    reason: string | undefined,
    actor: Actor,
    meta: RequestMeta,
  ): Promise<{ customerId: string; field: PiiField; value: string }> {
    const stated = reason?.trim() ?? '';
    if (stated.length < 10 || stated.length > 500) {
      throw new AppError('PII_REASON_REQUIRED', 'State why you need the value, in 10 to 500 characters.');
    }
    const value = await this.db.transaction().execute(async (tx) => {
      await this.assertCustomers(tx, [customerId]);
      const values = await this.read(tx, [customerId], [field]);
      const found = values[0]?.[field];
      if (typeof found !== 'string') {
        throw new AppError('NOT_FOUND', `Customer ${customerId} has no ${field} on file.`);
      }
      await appendAudit(tx, [
        {
          ...auditActor(actor),
          action: 'pii.reveal',
          targetType: 'customer',
          targetId: customerId,
          after: { field },
          reason: stated,
          ...auditMeta(meta),
          at: this.clock.now(),
        },
      ]);
      return found;
    });
    return { customerId, field, value };
  }

  async assertCustomers(executor: Db | Tx, ids: string[]): Promise<void> {
    const unique = [...new Set(ids)];
    const found = await executor.selectFrom('customers').select('id').where('id', 'in', unique).execute();
    if (found.length !== unique.length) {
      const known = new Set(found.map((r) => r.id));
      const missing = unique.find((id) => !known.has(id));
      throw new AppError('WALLET_CUSTOMER_NOT_FOUND', `Customer ${missing ?? ''} does not exist.`);
    }
  }

  /** The clear values of the fields for each customer (null where none is on file). */
  async read(
    executor: Db | Tx,
    customerIds: string[],
    fields: readonly PiiField[],
  ): Promise<Array<{ customerId: string } & Partial<Record<PiiField, string | null>>>> {
    const ids = [...new Set(customerIds)];
    const wantLogin = fields.includes('phone') || fields.includes('email');
    const wantKyc = fields.includes('name') || fields.includes('document');
    const logins = wantLogin
      ? await executor
          .selectFrom('customer_logins')
          .select(['customer_id', 'phone_sealed', 'email_sealed'])
          .where('customer_id', 'in', ids)
          .execute()
      : [];
    const kyc = wantKyc
      ? await executor
          .selectFrom('customer_kyc')
          .select(['customer_id', 'name_sealed', 'document_sealed'])
          .where('customer_id', 'in', ids)
          .execute()
      : [];
    const loginOf = new Map(logins.map((r) => [r.customer_id, r]));
    const kycOf = new Map(kyc.map((r) => [r.customer_id, r]));
    const open = (sealed: string | null | undefined, table: string, column: string, id: string) =>
      sealed ? this.vault.open(sealed, sealContext(table, column, id)) : null;
    return ids.map((id) => {
      const l = loginOf.get(id);
      const k = kycOf.get(id);
      const out: { customerId: string } & Partial<Record<PiiField, string | null>> = { customerId: id };
      for (const f of fields) {
        if (f === 'phone') out.phone = open(l?.phone_sealed, 'customer_logins', 'phone_sealed', id);
        else if (f === 'email') out.email = open(l?.email_sealed, 'customer_logins', 'email_sealed', id);
        else if (f === 'name') out.name = open(k?.name_sealed, 'customer_kyc', 'name_sealed', id);
        else out.document = open(k?.document_sealed, 'customer_kyc', 'document_sealed', id);
      }
      return out;
    });
  }
}

// ---------------------------------------------------------------------------------------
// The actions.

const CustomerId = Type.String({ pattern: '^cus_[0-9a-z]{26}$', maxLength: 30 });
const OwnerId = Type.String({ pattern: '^(cus|mer)_[0-9a-z]{26}$', maxLength: 30 });
const StaffId = Type.String({ pattern: '^stf_[0-9a-z]{26}$', maxLength: 30 });
const AccountId = Type.String({ pattern: '^acct_[0-9a-z]{26}$', maxLength: 31 });
const Minor = Type.String({ pattern: '^[1-9][0-9]{0,17}$', maxLength: 18 });
const CurrencyCode = Type.String({ pattern: '^[A-Z]{3}$', maxLength: 3 });
const Role = Type.Union(STAFF_ROLES.map((r) => Type.Literal(r)));
const Field = Type.Union(PII_FIELDS.map((f) => Type.Literal(f)));
const Direction = Type.Union([Type.Literal('credit'), Type.Literal('debit')]);

export const ACTION_INPUTS = {
  unfreeze: Type.Object({ ownerId: OwnerId }, { additionalProperties: false }),
  staffCreate: Type.Object(
    {
      email: Type.String({ minLength: 3, maxLength: 254 }),
      displayName: Type.String({ minLength: 1, maxLength: 100 }),
      role: Role,
    },
    { additionalProperties: false },
  ),
  roleChange: Type.Object({ staffId: StaffId, role: Role }, { additionalProperties: false }),
  limits: Type.Object(
    {
      customerId: CustomerId,
      currency: CurrencyCode,
      singleMinor: Minor,
      dailyMinor: Minor,
      monthlyMinor: Minor,
      balanceCapMinor: Minor,
    },
    { additionalProperties: false },
  ),
  adjustment: Type.Object(
    { walletId: AccountId, direction: Direction, amountMinor: Minor, currency: CurrencyCode },
    { additionalProperties: false },
  ),
  piiExport: Type.Object(
    {
      customerIds: Type.Array(CustomerId, { minItems: 1, maxItems: 100, uniqueItems: true }),
      fields: Type.Array(Field, { minItems: 1, maxItems: 4, uniqueItems: true }),
    },
    { additionalProperties: false },
  ),
  modelChange: Type.Object(
    {
      modelId: Type.String({ pattern: '^mdl_[0-9a-z]{26}$' }),
      status: Type.Union([Type.Literal('champion'), Type.Literal('retired')]),
    },
    { additionalProperties: false },
  ),
  rulePublish: Type.Object(
    {
      ruleId: Type.String({ pattern: RULE_ID_PATTERN, maxLength: 64 }),
      version: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
      state: Type.Union([Type.Literal('active'), Type.Literal('retired')]),
    },
    { additionalProperties: false },
  ),
};

/** A model status change as stored: the version's registrant (a staff user) may not be its checker. */
const ModelChangeStored = Type.Object(
  {
    modelId: Type.String({ pattern: '^mdl_[0-9a-z]{26}$' }),
    status: Type.Union([Type.Literal('champion'), Type.Literal('retired')]),
    staffId: Type.Optional(StaffId),
  },
  { additionalProperties: false },
);

/** A rule publication as stored: the version's author (a staff user) may not be its checker. */
const RulePublishStored = Type.Object(
  {
    ruleId: Type.String({ pattern: RULE_ID_PATTERN, maxLength: 64 }),
    version: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    state: Type.Union([Type.Literal('active'), Type.Literal('retired')]),
    staffId: Type.Optional(StaffId),
  },
  { additionalProperties: false },
);

const StaffCreateStored = Type.Object({
  emailSealed: Type.String({ maxLength: 2000 }),
  emailMasked: Type.String({ maxLength: 300 }),
  displayName: Type.String({ minLength: 1, maxLength: 100 }),
  role: Role,
});

export interface ActionDeps {
  db: Db;
  vault: Vault;
  clock: Clock;
  wallet: WalletService;
  ledger: LedgerService;
  staff: StaffService;
  personal: PersonalData;
  /** Told after a limit override commits (the risk gate forgets its cached limits). */
  limitsChanged: (customerId: string) => void;
  /** Risk rule versions: publication changes their states (and the engine recompiles). */
  rules: RulePublisher;
  /** The model registry: promotion and retirement of champions. */
  models?: ModelPublisher | undefined;
}

/**
 * The risk event type of a manual adjustment. The gate's type list does not name it yet;
 * no limit counts it, which is right: an approved correction is not the customer's spending.
 */
const ADJUSTMENT_EVENT: RiskEventType = 'adjustment';
const ADJUSTMENT_POLICY = 'maker-checker/1';

/**
 * The built-in actions: unfreeze, staff creation and role change, limit override, ledger
 * adjustment, bulk export, risk rule publication.
 */
export function standardActions(d: ActionDeps): RegisteredAction[] {
  const unfreeze = defineAction({
    name: 'owner.unfreeze',
    permission: 'owner.unfreeze',
    input: ACTION_INPUTS.unfreeze,
    stored: ACTION_INPUTS.unfreeze,
    async prepare(input, tx) {
      const table = input.ownerId.startsWith('mer_') ? 'merchants' : 'customers';
      const owner = await tx
        .selectFrom(table)
        .select('status')
        .where('id', '=', input.ownerId)
        .executeTakeFirst();
      if (!owner) {
        throw new AppError(table === 'merchants' ? 'WALLET_MERCHANT_NOT_FOUND' : 'WALLET_CUSTOMER_NOT_FOUND');
      }
      const kind = table === 'merchants' ? 'merchant' : 'customer';
      return { payload: input, summary: `Unfreeze ${kind} ${input.ownerId} and all of their accounts` };
    },
    async execute(p, x) {
      await x.transaction(async (tx) => {
        const r = await d.wallet.applyOwnerStatus(tx, p.ownerId, 'active', x.reason, {
          actor: x.maker,
          ...auditMeta(x.meta),
        });
        return {
          result: { ownerId: p.ownerId, status: 'active', before: r.previous, accountIds: r.accountIds },
        };
      });
      d.wallet.ownerStatusCommitted(p.ownerId);
    },
  });

  const staffCreate = defineAction({
    name: 'staff.create',
    permission: 'staff.manage',
    input: ACTION_INPUTS.staffCreate,
    stored: StaffCreateStored,
    async prepare(input, tx, approvalId) {
      const email = await d.staff.checkNew(tx, input.email);
      return {
        payload: {
          emailSealed: d.vault.seal(email, sealContext('approval_requests', 'payload.email', approvalId)),
          emailMasked: maskEmail(email),
          displayName: input.displayName,
          role: input.role,
        },
        summary: `Create staff user ${maskEmail(email)} (${input.displayName}) with the role ${input.role}`,
      };
    },
    async execute(p, x) {
      const email = d.vault.open(
        p.emailSealed,
        sealContext('approval_requests', 'payload.email', x.approvalId),
      );
      await x.transaction(async (tx) => {
        const created = await d.staff.createInTx(
          tx,
          { email, displayName: p.displayName, role: p.role },
          x.maker,
          x.meta,
        );
        return {
          result: { staffId: created.staffId, activationTokenExpiresAt: created.activationTokenExpiresAt },
          secret: {
            activationToken: created.activationToken,
            activationTokenExpiresAt: created.activationTokenExpiresAt,
          },
        };
      });
    },
  });

  const roleChange = defineAction({
    name: 'staff.role.change',
    permission: 'staff.manage',
    input: ACTION_INPUTS.roleChange,
    stored: ACTION_INPUTS.roleChange,
    async prepare(input, tx) {
      await d.staff.checkRoleChange(tx, input.staffId, input.role);
      return {
        payload: input,
        summary: `Change the role of staff user ${input.staffId} to ${input.role}`,
      };
    },
    async execute(p, x) {
      await x.transaction(async (tx) => {
        const r = await d.staff.changeRoleInTx(tx, p.staffId, p.role, x.maker, x.reason, x.meta);
        return { result: { staffId: p.staffId, before: r.before, after: r.after } };
      });
    },
  });

  const limits = defineAction({
    name: 'limits.raise',
    permission: 'limits.raise',
    input: ACTION_INPUTS.limits,
    stored: ACTION_INPUTS.limits,
    async prepare(input, tx) {
      const currency = parseCurrency(input.currency);
      await d.personal.assertCustomers(tx, [input.customerId]);
      const single = parseAmountMinor(input.singleMinor, 'singleMinor');
      const daily = parseAmountMinor(input.dailyMinor, 'dailyMinor');
      const monthly = parseAmountMinor(input.monthlyMinor, 'monthlyMinor');
      const cap = parseAmountMinor(input.balanceCapMinor, 'balanceCapMinor');
      if (single > daily || daily > monthly) {
        throw new AppError('VALIDATION_FAILED', 'Limits must satisfy single ≤ daily ≤ monthly.');
      }
      const fmt = (v: bigint) => `${formatMinor(v, currency)} ${currency}`;
      return {
        payload: input,
        summary: `Set the limits of customer ${input.customerId} in ${currency}: single ${fmt(single)}, daily ${fmt(daily)}, monthly ${fmt(monthly)}, balance cap ${fmt(cap)}`,
      };
    },
    async execute(p, x) {
      await x.transaction(async (tx) => {
        const now = d.clock.now();
        const before = await tx
          .selectFrom('customer_limit_overrides')
          .selectAll()
          .where('customer_id', '=', p.customerId)
          .where('currency', '=', p.currency)
          .executeTakeFirst();
        const values = {
          single_minor: p.singleMinor,
          daily_minor: p.dailyMinor,
          monthly_minor: p.monthlyMinor,
          balance_cap_minor: p.balanceCapMinor,
          approval_id: x.approvalId,
          created_at: now,
        };
        await tx
          .insertInto('customer_limit_overrides')
          .values({ customer_id: p.customerId, currency: p.currency, ...values })
          .onConflict((oc) => oc.columns(['customer_id', 'currency']).doUpdateSet(values))
          .execute();
        const limitsOf = (r: { single: string; daily: string; monthly: string; cap: string }) => ({
          currency: p.currency,
          singleMinor: r.single,
          dailyMinor: r.daily,
          monthlyMinor: r.monthly,
          balanceCapMinor: r.cap,
        });
        await appendAudit(tx, [
          {
            ...auditActor(x.maker),
            action: 'limits.override',
            targetType: 'customer',
            targetId: p.customerId,
            ...(before
              ? {
                  before: limitsOf({
                    single: BigInt(before.single_minor).toString(),
                    daily: BigInt(before.daily_minor).toString(),
                    monthly: BigInt(before.monthly_minor).toString(),
                    cap: BigInt(before.balance_cap_minor).toString(),
                  }),
                }
              : {}),
            after: {
              ...limitsOf({
                single: p.singleMinor,
                daily: p.dailyMinor,
                monthly: p.monthlyMinor,
                cap: p.balanceCapMinor,
              }),
              approvalId: x.approvalId,
            },
            reason: x.reason,
            ...auditMeta(x.meta),
            at: now,
          },
        ]);
        return { result: { customerId: p.customerId, currency: p.currency } };
      });
      d.limitsChanged(p.customerId);
    },
  });

  const adjustment = defineAction({
    name: 'ledger.adjust',
    permission: 'ledger.adjust',
    input: ACTION_INPUTS.adjustment,
    stored: ACTION_INPUTS.adjustment,
    async prepare(input, tx) {
      const currency = parseCurrency(input.currency);
      const amount = parseAmountMinor(input.amountMinor);
      // Read in the request's transaction: the embedded database has one connection.
      const row = await tx
        .selectFrom('ledger_accounts')
        .select(['id', 'kind', 'currency', 'owner_id'])
        .where('id', '=', input.walletId)
        .executeTakeFirst();
      const account = row && { id: row.id, kind: row.kind, currency: row.currency, ownerId: row.owner_id };
      if (account?.kind !== 'customer_wallet') {
        throw new AppError('WALLET_NOT_FOUND', `${input.walletId} is not a customer wallet.`);
      }
      if (account.currency !== currency) {
        throw new AppError(
          'CURRENCY_MISMATCH',
          `Wallet ${account.id} holds ${account.currency}, not ${currency}.`,
        );
      }
      const verb = input.direction === 'credit' ? 'Credit' : 'Debit';
      return {
        payload: input,
        summary: `${verb} ${formatMinor(amount, currency)} ${currency} ${input.direction === 'credit' ? 'to' : 'from'} wallet ${account.id} of ${account.ownerId} (manual adjustment)`,
      };
    },
    async execute(p, x) {
      const currency: Currency = parseCurrency(p.currency);
      const amount = parseAmountMinor(p.amountMinor);
      const account = await d.ledger.getAccount(p.walletId);
      const now = d.clock.now();
      const decision: RiskDecision = {
        id: newId('dec'),
        eventType: ADJUSTMENT_EVENT,
        subjectId: account.ownerId,
        currency,
        amountMinor: amount,
        outcome: 'ALLOW',
        reasonCodes: ['MANUAL_ADJUSTMENT_APPROVED'],
        customerMessage: null,
        policy: ADJUSTMENT_POLICY,
        input: {
          approvalId: x.approvalId,
          walletId: account.id,
          direction: p.direction,
          makerId: x.maker.id,
          checkerId: x.checker.id,
        },
        latencyUs: 0,
        createdAt: now,
      };
      const metadata = {
        approvalId: x.approvalId,
        direction: p.direction,
        reason: x.reason.slice(0, 200),
        makerId: x.maker.id,
        checkerId: x.checker.id,
        ...(p.direction === 'credit' ? { payeeId: account.ownerId } : { payerId: account.ownerId }),
      };
      const submitted = await d.ledger.submit({
        type: 'post',
        kind: 'adjustment',
        rule: p.direction === 'credit' ? 'adjustment_credit' : 'adjustment_debit',
        params: { wallet: account.id, custody: d.ledger.systemAccountId('customer_custody', currency) },
        currency,
        amountMinor: amount,
        decision: { record: decision },
        metadata,
        // The ledger's own transaction carries the audit records and the approval's new status.
        inTx: async (tx, o) => {
          await appendAudit(tx, [
            {
              ...auditActor(x.maker),
              action: 'ledger.adjust',
              targetType: 'account',
              targetId: account.id,
              after: {
                entryId: o.entry?.id ?? null,
                direction: p.direction,
                amountMinor: p.amountMinor,
                currency,
                approvalId: x.approvalId,
              },
              reason: x.reason,
              ...auditMeta(x.meta),
              at: now,
            },
          ]);
          await x.complete(tx, {
            result: {
              entryId: o.entry?.id ?? null,
              decisionId: decision.id,
              walletId: account.id,
              direction: p.direction,
              amountMinor: p.amountMinor,
              currency,
            },
          });
        },
      });
      if (!submitted.replayed && !submitted.outcome.ok) throw submitted.outcome.error;
    },
  });

  const piiExport = defineAction({
    name: 'pii.reveal.bulk',
    permission: 'pii.reveal.bulk',
    input: ACTION_INPUTS.piiExport,
    stored: ACTION_INPUTS.piiExport,
    async prepare(input, tx) {
      await d.personal.assertCustomers(tx, input.customerIds);
      return {
        payload: input,
        summary: `Export ${input.fields.join(', ')} of ${input.customerIds.length} customer(s) in clear`,
      };
    },
    async execute(p, x) {
      await x.transaction(async (tx) => {
        const rows = await d.personal.read(tx, p.customerIds, p.fields);
        await appendAudit(tx, [
          {
            ...auditActor(x.maker),
            action: 'pii.export.prepare',
            targetType: 'approval',
            targetId: x.approvalId,
            after: { customers: String(rows.length), fields: p.fields.join(',') },
            reason: x.reason,
            ...auditMeta(x.meta),
            at: d.clock.now(),
          },
        ]);
        return {
          result: {
            customers: rows.length,
            fields: p.fields,
            // Sealed until the maker takes it, once; then it is removed.
            sealed: d.vault.seal(JSON.stringify(rows), exportContext(x.approvalId)),
          },
        };
      });
    },
  });

  const rulePublish = defineAction({
    name: 'risk.rule.publish',
    permission: 'rule.publish',
    input: ACTION_INPUTS.rulePublish,
    stored: RulePublishStored,
    async prepare(input, tx) {
      return d.rules.preparePublish(tx, input);
    },
    async execute(p, x) {
      await x.transaction(async (tx) => ({
        result: await d.rules.publishInTx(tx, p, {
          approvalId: x.approvalId,
          reason: x.reason,
          maker: x.maker,
          checker: x.checker,
          meta: x.meta,
        }),
      }));
      // Only after the commit: the engine must not reload the set before the change is visible.
      d.rules.changed();
    },
  });

  const models = d.models;
  const modelChange = models
    ? defineAction({
        name: 'risk.model.change',
        permission: 'model.publish',
        input: ACTION_INPUTS.modelChange,
        stored: ModelChangeStored,
        async prepare(input, tx) {
          return models.prepareChange(tx, input);
        },
        async execute(p, x) {
          await x.transaction(async (tx) => ({
            result: await models.changeInTx(tx, p, {
              approvalId: x.approvalId,
              reason: x.reason,
              maker: x.maker,
              checker: x.checker,
              meta: x.meta,
            }),
          }));
          // Only after the commit: the engine reads what serves again on its next decision.
          models.changed();
        },
      })
    : undefined;

  return [
    unfreeze,
    staffCreate,
    roleChange,
    limits,
    adjustment,
    piiExport,
    rulePublish,
    ...(modelChange ? [modelChange] : []),
  ];
}

/** Where a bulk export's sealed result is bound. */
export function exportContext(approvalId: string): string {
  return sealContext('approval_requests', 'result', approvalId);
}
