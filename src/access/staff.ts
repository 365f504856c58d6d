import { createHash, randomBytes } from 'node:crypto';
import { normaliseEmail } from '../identity/contacts.ts';
import type { TotpFactors } from '../identity/factors.ts';
import type { LoginGuard } from '../identity/login-guard.ts';
import {
  hashPassword,
  judgePassword,
  needsRehash,
  type ScryptParams,
  verifyPassword,
} from '../identity/passwords.ts';
import type { ClientInfo, SessionService, TokenPair } from '../identity/sessions.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { type AuditEvent, appendAudit } from '../security/audit.ts';
import { maskEmail } from '../security/mask.ts';
import { sealContext } from '../security/sealed-fields.ts';
import type { Vault } from '../security/vault.ts';
import { isStaffRole, type StaffRole } from './permissions.ts';
import type { Principal } from './principal.ts';

export interface StaffSettings {
  scrypt: ScryptParams;
  /** An activation token works this long (seconds). */
  activationTtlS: number;
  /** Between setting the password and confirming the first code (seconds). */
  enrolmentTtlS: number;
}

export const DEFAULT_STAFF_TIMES = { activationTtlS: 72 * 3600, enrolmentTtlS: 30 * 60 } as const;

export interface StaffView {
  id: string;
  /** Masked: staff e-mail addresses are personal data too. */
  email: string;
  displayName: string;
  role: string;
  status: 'pending' | 'active' | 'disabled';
  mfaEnrolled: boolean;
  createdAt: string;
  createdBy: string;
  passwordChangedAt: string | null;
}

/** Who does something, as the audit log records it. */
export interface Actor {
  type: AuditEvent['actorType'];
  id: string;
  role?: string | undefined;
}

/** Where a request came from, for audit records. */
export interface RequestMeta {
  requestId?: string | undefined;
  ip?: string | undefined;
}

export interface ActivationStart {
  staffId: string;
  factorId: string;
  /** The TOTP secret (base32) and its otpauth:// URI, shown once for the authenticator app. */
  totpSecret: string;
  otpauthUri: string;
  /** Confirms the enrolment with a first code; single use, short-lived. */
  enrolmentToken: string;
  enrolmentTokenExpiresAt: string;
}

const ACTIVATION = 'staff-activation';
const ENROLMENT = 'staff-enrolment';
/** Wrong codes against one enrolment token before it stops working. */
const ENROLMENT_ATTEMPTS_MAX = 5;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function auditActor(actor: Actor): Pick<AuditEvent, 'actorType' | 'actorId' | 'actorRole'> {
  return { actorType: actor.type, actorId: actor.id, ...(actor.role ? { actorRole: actor.role } : {}) };
}

export function auditMeta(meta: RequestMeta): Pick<AuditEvent, 'requestId' | 'ip'> {
  return { ...(meta.requestId ? { requestId: meta.requestId } : {}), ...(meta.ip ? { ip: meta.ip } : {}) };
}

/**
 * Staff users (I5). An administrator's request, approved by another administrator,
 * creates a pending user and a single-use activation token; the user sets a password,
 * enrols an authenticator app and confirms it with a first code, and only then can sign
 * in. Every sign-in needs the password and a second factor (a TOTP code or a recovery
 * code); unknown e-mail, wrong password and wrong code all give the same answer after
 * the same work, and failures are throttled per name and address by the login guard.
 */
export class StaffService {
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly db: Db,
    private readonly vault: Vault,
    private readonly sessions: SessionService,
    private readonly guard: LoginGuard,
    private readonly totp: TotpFactors,
    private readonly clock: Clock,
    private readonly settings: StaffSettings,
  ) {}

  /** Lookup key of a staff e-mail (unique per staff user). */
  emailIndex(email: string): string {
    return this.vault.blindIndex('email', email);
  }

  /** The login guard's key for a staff e-mail, whether or not such a user exists. */
  private loginKey(email: string): string {
    return this.vault.blindIndex('staff-login', email);
  }

  /** Checks a new user's details before anything is written (a maker's request checks them too). */
  async checkNew(executor: Db | Tx, email: string): Promise<string> {
    const normalised = normaliseEmail(email);
    const existing = await executor
      .selectFrom('staff_users')
      .select('id')
      .where('email_index', '=', this.emailIndex(normalised))
      .executeTakeFirst();
    if (existing) throw new AppError('STAFF_EXISTS');
    return normalised;
  }

  /** Creates a pending staff user and their activation token inside the caller's transaction. */
  async createInTx(
    tx: Tx,
    input: { email: string; displayName: string; role: StaffRole },
    actor: Actor,
    meta: RequestMeta,
  ): Promise<{ staffId: string; activationToken: string; activationTokenExpiresAt: string }> {
    const email = await this.checkNew(tx, input.email);
    const id = newId('stf');
    const now = this.clock.now();
    await tx
      .insertInto('staff_users')
      .values({
        id,
        email_sealed: this.vault.seal(email, sealContext('staff_users', 'email_sealed', id)),
        email_index: this.emailIndex(email),
        email_masked: maskEmail(email),
        display_name: input.displayName,
        role: input.role,
        status: 'pending',
        password_hash: null,
        created_at: now,
        created_by: actor.id,
      })
      .execute();
    const token = await this.issueToken(tx, ACTIVATION, id, this.settings.activationTtlS, now);
    await appendAudit(tx, [
      {
        ...auditActor(actor),
        action: 'staff.create',
        targetType: 'staff',
        targetId: id,
        after: { email: maskEmail(email), role: input.role, status: 'pending' },
        ...auditMeta(meta),
        at: now,
      },
    ]);
    return { staffId: id, activationToken: token.token, activationTokenExpiresAt: token.expiresAt };
  }

  /**
   * The first administrator, for a fresh installation (nobody can approve them). Refused
   * once an active administrator exists: later staff are created through an approval.
   */
  async bootstrapAdmin(input: {
    email: string;
    displayName: string;
  }): Promise<{ staffId: string; activationToken: string; activationTokenExpiresAt: string }> {
    return this.db.transaction().execute(async (tx) => {
      const admin = await tx
        .selectFrom('staff_users')
        .select('id')
        .where('role', '=', 'admin')
        .where('status', '=', 'active')
        .executeTakeFirst();
      if (admin) {
        throw new AppError(
          'STAFF_STATE',
          'An active administrator exists; create further staff through an approval request.',
        );
      }
      return this.createInTx(tx, { ...input, role: 'admin' }, { type: 'system', id: 'bootstrap' }, {});
    });
  }

  /** A fresh activation token for a pending user (the first was lost or expired); earlier ones stop working. */
  async reissueActivation(
    staffId: string,
    actor: Actor,
    meta: RequestMeta,
  ): Promise<{ staffId: string; activationToken: string; activationTokenExpiresAt: string }> {
    return this.db.transaction().execute(async (tx) => {
      const row = await this.row(tx, staffId);
      if (row.status !== 'pending')
        throw new AppError('STAFF_STATE', `Staff user ${staffId} is ${row.status}.`);
      const now = this.clock.now();
      await this.spendTokens(tx, staffId, now);
      const token = await this.issueToken(tx, ACTIVATION, staffId, this.settings.activationTtlS, now);
      await appendAudit(tx, [
        {
          ...auditActor(actor),
          action: 'staff.activation.reissue',
          targetType: 'staff',
          targetId: staffId,
          ...auditMeta(meta),
          at: now,
        },
      ]);
      return { staffId, activationToken: token.token, activationTokenExpiresAt: token.expiresAt };
    });
  }

  /**
   * Activation, step 1: spends the activation token, sets the password and starts the
   * authenticator enrolment. The answer carries the TOTP secret and a short-lived token
   * for step 2; the user stays pending until a first code confirms the enrolment.
   */
  async startActivation(
    activationToken: string,
    password: string,
    client: ClientInfo,
  ): Promise<ActivationStart> {
    const now = this.clock.now();
    const token = await this.findToken(this.db, ACTIVATION, activationToken, now);
    const row = await this.row(this.db, token.subject_id);
    if (row.status !== 'pending') throw new AppError('AUTH_TOKEN_USED');
    const email = this.vault.open(row.email_sealed, sealContext('staff_users', 'email_sealed', row.id));
    // Judged before the token is spent, so a weak password does not cost the user their link.
    const verdict = judgePassword(password, [email, email.split('@')[0] ?? '', row.display_name]);
    if (!verdict.ok) {
      throw new AppError('IDENTITY_PASSWORD_WEAK', verdict.warning || 'Choose a stronger password.', {
        reason: verdict.reason,
        suggestions: verdict.suggestions,
      });
    }
    const hash = await hashPassword(password, this.settings.scrypt);
    return this.db.transaction().execute(async (tx) => {
      const spent = await tx
        .updateTable('one_time_tokens')
        .set({ used_at: now })
        .where('id', '=', token.id)
        .where('used_at', 'is', null)
        .returning('id')
        .executeTakeFirst();
      if (!spent) throw new AppError('AUTH_TOKEN_USED');
      await tx
        .updateTable('staff_users')
        .set({ password_hash: hash, password_changed_at: now })
        .where('id', '=', row.id)
        .execute();
      const factor = await this.totp.enrol({ type: 'staff', id: row.id, account: email }, tx);
      const enrolment = await this.issueToken(tx, ENROLMENT, row.id, this.settings.enrolmentTtlS, now);
      await appendAudit(tx, [
        {
          actorType: 'staff',
          actorId: row.id,
          actorRole: row.role,
          action: 'staff.activation.password_set',
          targetType: 'staff',
          targetId: row.id,
          ...auditMeta(client),
          at: now,
        },
      ]);
      return {
        staffId: row.id,
        factorId: factor.factorId,
        totpSecret: factor.secret,
        otpauthUri: factor.otpauthUri,
        enrolmentToken: enrolment.token,
        enrolmentTokenExpiresAt: enrolment.expiresAt,
      };
    });
  }

  /** Activation, step 2: a current code confirms the authenticator; the user becomes active. */
  async confirmActivation(
    enrolmentToken: string,
    code: string,
    client: ClientInfo,
  ): Promise<{ staff: StaffView; recoveryCodes: string[] }> {
    const now = this.clock.now();
    const token = await this.findToken(this.db, ENROLMENT, enrolmentToken, now);
    if (token.attempts >= ENROLMENT_ATTEMPTS_MAX) throw new AppError('AUTH_TOKEN_USED');
    // Counted in its own statement: a wrong code rolls back the confirmation, not the count.
    await this.db
      .updateTable('one_time_tokens')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', token.id)
      .execute();
    const staffId = token.subject_id;
    const recoveryCodes = await this.db.transaction().execute(async (tx) => {
      const factor = await tx
        .selectFrom('mfa_factors')
        .select('id')
        .where('subject_id', '=', staffId)
        .where('kind', '=', 'totp')
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (!factor) throw new AppError('AUTH_MFA_NOT_ENROLLED');
      const confirmed = await this.totp.confirm(staffId, factor.id, code, tx);
      const spent = await tx
        .updateTable('one_time_tokens')
        .set({ used_at: now })
        .where('id', '=', token.id)
        .where('used_at', 'is', null)
        .returning('id')
        .executeTakeFirst();
      if (!spent) throw new AppError('AUTH_TOKEN_USED');
      const activated = await tx
        .updateTable('staff_users')
        .set({ status: 'active' })
        .where('id', '=', staffId)
        .where('status', '=', 'pending')
        .returning('role')
        .executeTakeFirst();
      if (!activated) throw new AppError('STAFF_STATE', 'The staff user is no longer pending activation.');
      await appendAudit(tx, [
        {
          actorType: 'staff',
          actorId: staffId,
          actorRole: activated.role,
          action: 'staff.activate',
          targetType: 'staff',
          targetId: staffId,
          before: { status: 'pending' },
          after: { status: 'active', mfa: 'totp' },
          ...auditMeta(client),
          at: now,
        },
      ]);
      return confirmed.recoveryCodes;
    });
    return { staff: await this.view(staffId), recoveryCodes };
  }

  /**
   * Staff sign-in: e-mail, password and a second factor. Every failure (unknown e-mail,
   * wrong password, wrong or replayed code, a user not active) is the same
   * AUTH_INVALID_CREDENTIALS after a password verification, so neither the answer nor
   * its timing tells which part was wrong; the audit log and the guard know.
   */
  async login(
    input: { email: string; password: string; code?: string | undefined; recoveryCode?: string | undefined },
    client: ClientInfo,
  ): Promise<{ tokens: TokenPair; staff: StaffView }> {
    const email = input.email.trim().toLowerCase();
    const nameKey = this.loginKey(email);
    const row = await this.db
      .selectFrom('staff_users')
      .selectAll()
      .where('email_index', '=', this.emailIndex(email))
      .executeTakeFirst();
    const knownDevice = row && client.deviceId ? await this.knownDevice(row.id, client.deviceId) : false;
    try {
      await this.guard.check(nameKey, client.ip, knownDevice);
    } catch (err) {
      await this.loginFailed(row?.id, row?.role, nameKey, 'throttled', client);
      throw err;
    }
    const passwordOk = row?.password_hash
      ? await verifyPassword(input.password, row.password_hash)
      : await verifyPassword(input.password, await this.dummy()).then(() => false);
    let failure: string | undefined;
    let method: 'totp' | 'recovery_code' = 'totp';
    if (!row) failure = 'unknown_email';
    else if (!passwordOk) failure = 'password';
    else if (row.status !== 'active') failure = `status_${row.status}`;
    else if (input.code !== undefined) {
      if (!(await this.totp.verify(row.id, input.code))) failure = 'totp';
    } else if (input.recoveryCode !== undefined) {
      method = 'recovery_code';
      if (!(await this.totp.useRecoveryCode(row.id, input.recoveryCode))) failure = 'recovery_code';
    } else failure = 'second_factor_missing';
    if (failure !== undefined || !row || !isStaffRole(row.role)) {
      await this.guard.failed(nameKey, client.ip);
      await this.loginFailed(row?.id, row?.role, nameKey, failure ?? 'role', client);
      throw new AppError('AUTH_INVALID_CREDENTIALS');
    }
    const role = row.role;
    const now = this.clock.now();
    const rehash =
      row.password_hash && needsRehash(row.password_hash, this.settings.scrypt)
        ? await hashPassword(input.password, this.settings.scrypt)
        : undefined;
    const started = await this.db.transaction().execute(async (tx) => {
      if (rehash) {
        await tx.updateTable('staff_users').set({ password_hash: rehash }).where('id', '=', row.id).execute();
      }
      const s = await this.sessions.start(
        tx,
        { type: 'staff', id: row.id, role, amr: ['pwd', 'otp'] },
        client,
      );
      await appendAudit(tx, [
        {
          actorType: 'staff',
          actorId: row.id,
          actorRole: role,
          action: 'auth.login',
          targetType: 'session',
          targetId: s.pair.sessionId,
          after: { method, knownDevice: String(knownDevice) },
          ...auditMeta(client),
          at: now,
        },
      ]);
      return s;
    });
    await this.guard.succeeded(nameKey);
    return { tokens: started.pair, staff: await this.view(row.id) };
  }

  /** Ends the caller's own session. */
  async logout(principal: Principal, meta: RequestMeta): Promise<void> {
    if (principal.type !== 'staff' || !principal.sessionId) throw new AppError('AUTH_REQUIRED');
    await this.sessions.revoke(
      principal.id,
      { sessionId: principal.sessionId },
      { actorType: 'staff', actorId: principal.id, actorRole: principal.role },
      'logout',
      meta,
    );
  }

  async view(id: string, executor: Db | Tx = this.db): Promise<StaffView> {
    const row = await this.row(executor, id);
    const factor = await executor
      .selectFrom('mfa_factors')
      .select('id')
      .where('subject_id', '=', id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return toView(row, factor !== undefined);
  }

  async list(): Promise<StaffView[]> {
    const rows = await this.db.selectFrom('staff_users').selectAll().orderBy('id').limit(1000).execute();
    const enrolled = new Set(
      (
        await this.db
          .selectFrom('mfa_factors')
          .select('subject_id')
          .where('subject_type', '=', 'staff')
          .where('status', '=', 'active')
          .execute()
      ).map((r) => r.subject_id),
    );
    return rows.map((r) => toView(r, enrolled.has(r.id)));
  }

  /**
   * Disables a staff user: their sessions end at once and unused activation tokens stop
   * working. Disabling a disabled user changes nothing; nobody can disable themselves.
   */
  async disable(staffId: string, actor: Actor, reason: string, meta: RequestMeta): Promise<StaffView> {
    if (actor.type === 'staff' && actor.id === staffId) {
      throw new AppError('STAFF_STATE', 'Staff users cannot disable themselves.');
    }
    await this.db.transaction().execute(async (tx) => {
      const row = await this.row(tx, staffId);
      if (row.status === 'disabled') return;
      const now = this.clock.now();
      await tx.updateTable('staff_users').set({ status: 'disabled' }).where('id', '=', staffId).execute();
      const ended = await this.sessions.revokeAllInTx(tx, staffId, 'staff_disabled');
      await this.spendTokens(tx, staffId, now);
      await appendAudit(tx, [
        {
          ...auditActor(actor),
          action: 'staff.disable',
          targetType: 'staff',
          targetId: staffId,
          before: { status: row.status },
          after: { status: 'disabled', sessionsEnded: String(ended.length) },
          reason,
          ...auditMeta(meta),
          at: now,
        },
      ]);
    });
    return this.view(staffId);
  }

  /** Checks that a role change can be asked for (the target exists, is not disabled, has another role). */
  async checkRoleChange(executor: Db | Tx, staffId: string, role: StaffRole): Promise<void> {
    const row = await this.row(executor, staffId);
    if (row.status === 'disabled') throw new AppError('STAFF_STATE', `Staff user ${staffId} is disabled.`);
    if (row.role === role)
      throw new AppError('STAFF_STATE', `Staff user ${staffId} already has the role ${role}.`);
  }

  /**
   * Changes a role inside the caller's transaction (an approved request). The user's
   * sessions end: their tokens carry the old role, and the new one applies from the next sign-in.
   */
  async changeRoleInTx(
    tx: Tx,
    staffId: string,
    role: StaffRole,
    actor: Actor,
    reason: string,
    meta: RequestMeta,
  ): Promise<{ before: string; after: StaffRole }> {
    await this.checkRoleChange(tx, staffId, role);
    const row = await this.row(tx, staffId);
    const now = this.clock.now();
    await tx.updateTable('staff_users').set({ role }).where('id', '=', staffId).execute();
    const ended = await this.sessions.revokeAllInTx(tx, staffId, 'role_changed');
    await appendAudit(tx, [
      {
        ...auditActor(actor),
        action: 'staff.role.change',
        targetType: 'staff',
        targetId: staffId,
        before: { role: row.role },
        after: { role, sessionsEnded: String(ended.length) },
        reason,
        ...auditMeta(meta),
        at: now,
      },
    ]);
    return { before: row.role, after: role };
  }

  private async row(executor: Db | Tx, id: string) {
    const row = await executor.selectFrom('staff_users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('STAFF_NOT_FOUND', `Staff user ${id} does not exist.`);
    return row;
  }

  private async issueToken(
    tx: Tx,
    purpose: string,
    subjectId: string,
    ttlS: number,
    now: Date,
  ): Promise<{ token: string; expiresAt: string }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + ttlS * 1000);
    await tx
      .insertInto('one_time_tokens')
      .values({
        id: newId('ott'),
        purpose,
        subject_id: subjectId,
        token_hash: hashToken(token),
        destination: null,
        created_at: now,
        expires_at: expiresAt,
      })
      .execute();
    return { token, expiresAt: expiresAt.toISOString() };
  }

  /** A usable token of the purpose, or AUTH_TOKEN_USED for anything else (unknown, spent, expired). */
  private async findToken(executor: Db | Tx, purpose: string, token: string, now: Date) {
    if (!TOKEN_PATTERN.test(token)) throw new AppError('AUTH_TOKEN_USED');
    const row = await executor
      .selectFrom('one_time_tokens')
      .select(['id', 'subject_id', 'attempts'])
      .where('token_hash', '=', hashToken(token))
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (!row) throw new AppError('AUTH_TOKEN_USED');
    return row;
  }

  /** Spends every unused activation or enrolment token of a user. */
  private async spendTokens(tx: Tx, staffId: string, now: Date): Promise<void> {
    await tx
      .updateTable('one_time_tokens')
      .set({ used_at: now })
      .where('subject_id', '=', staffId)
      .where('purpose', 'in', [ACTIVATION, ENROLMENT])
      .where('used_at', 'is', null)
      .execute();
  }

  private async knownDevice(staffId: string, deviceId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('devices')
      .select('device_id')
      .where('subject_id', '=', staffId)
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** A hash with today's parameters, verified when there is no user, so timing does not tell. */
  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'), this.settings.scrypt);
    return this.dummyHash;
  }

  /** A failed staff sign-in is a security event: who (when known), which name key, why, from where. */
  private async loginFailed(
    staffId: string | undefined,
    role: string | undefined,
    nameKey: string,
    why: string,
    client: ClientInfo,
  ): Promise<void> {
    await this.db.transaction().execute((tx) =>
      appendAudit(tx, [
        {
          actorType: 'staff',
          actorId: staffId ?? 'unknown',
          ...(role ? { actorRole: role } : {}),
          action: 'auth.login.failed',
          targetType: 'staff_login',
          targetId: nameKey,
          after: { reason: why },
          ...auditMeta(client),
          at: this.clock.now(),
        },
      ]),
    );
  }
}

function toView(
  row: {
    id: string;
    email_masked: string;
    display_name: string;
    role: string;
    status: 'pending' | 'active' | 'disabled';
    created_at: Date;
    created_by: string;
    password_changed_at: Date | null;
  },
  mfaEnrolled: boolean,
): StaffView {
  return {
    id: row.id,
    email: row.email_masked,
    displayName: row.display_name,
    role: row.role,
    status: row.status,
    mfaEnrolled,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    passwordChangedAt: row.password_changed_at?.toISOString() ?? null,
  };
}
