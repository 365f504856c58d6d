import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { LedgerService } from '../ledger/service.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { parseCurrency } from '../platform/money.ts';
import { writeOutbox } from '../platform/outbox.ts';
import { type AuditEvent, appendAudit, auditOf } from '../security/audit.ts';
import { maskEmail, maskPhone } from '../security/mask.ts';
import { sealContext } from '../security/sealed-fields.ts';
import type { Vault } from '../security/vault.ts';
import { nationalPhone, normaliseEmail, normaliseLogin, normalisePhone } from './contacts.ts';
import type { TotpFactors } from './factors.ts';
import type { LoginGuard } from './login-guard.ts';
import type { OtpService } from './otp.ts';
import { hashPassword, judgePassword, needsRehash, type ScryptParams, verifyPassword } from './passwords.ts';
import type { ClientInfo, SessionService, TokenPair } from './sessions.ts';

export interface AccountSettings {
  /** The privacy policy version a registration must accept. */
  privacyPolicyVersion: string;
  scrypt: ScryptParams;
  /** Passwords remembered and refused for reuse. */
  passwordHistory: number;
}

export interface RegisterInput {
  phone?: string | undefined;
  email?: string | undefined;
  password: string;
  displayName?: string | undefined;
  currencies?: string[] | undefined;
  consent: { policyVersion: string; accepted: boolean };
}

const RESET_PURPOSE = 'password-reset';

/**
 * Customer accounts (I1, I2, I4): registration with consent, sign-in with brute-force
 * protection and optional second factor, password change and reset, contact details.
 * Phone and e-mail are stored sealed with a blind index for lookups and a masked form
 * for display; passwords as scrypt hashes with a history that refuses reuse.
 */
export class CustomerAccounts {
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly db: Db,
    private readonly vault: Vault,
    private readonly ledger: LedgerService,
    private readonly sessions: SessionService,
    private readonly guard: LoginGuard,
    private readonly totp: TotpFactors,
    private readonly otp: OtpService,
    private readonly clock: Clock,
    private readonly settings: AccountSettings,
    private readonly log: Logger,
  ) {}

  private loginIndex(kind: 'phone' | 'email', value: string): string {
    return this.vault.blindIndex(kind, value);
  }

  private checkPassword(password: string, personal: string[]) {
    const verdict = judgePassword(password, personal);
    if (!verdict.ok) {
      throw new AppError('IDENTITY_PASSWORD_WEAK', verdict.warning || 'Choose a stronger password.', {
        reason: verdict.reason,
        suggestions: verdict.suggestions,
      });
    }
  }

  async register(
    input: RegisterInput,
    client: ClientInfo,
  ): Promise<{ customerId: string; tokens: TokenPair }> {
    if (!input.consent.accepted || input.consent.policyVersion !== this.settings.privacyPolicyVersion) {
      throw new AppError(
        'IDENTITY_CONSENT_REQUIRED',
        `Accept privacy policy version ${this.settings.privacyPolicyVersion} to register.`,
        { policyVersion: this.settings.privacyPolicyVersion },
      );
    }
    if (!input.phone && !input.email) {
      throw new AppError('VALIDATION_FAILED', 'A phone number or an e-mail address is required.');
    }
    const phone = input.phone ? normalisePhone(input.phone) : undefined;
    const email = input.email ? normaliseEmail(input.email) : undefined;
    const currencies = [...new Set((input.currencies ?? ['CNY']).map(parseCurrency))];
    this.checkPassword(input.password, [
      ...(phone ? [nationalPhone(phone)] : []),
      ...(email ? [email, email.split('@')[0] ?? ''] : []),
      ...(input.displayName ? [input.displayName] : []),
    ]);
    const passwordHash = await hashPassword(input.password, this.settings.scrypt);
    const id = newId('cus');
    const now = this.clock.now();
    const displayName =
      input.displayName?.trim() || (phone ? maskPhone(nationalPhone(phone)) : maskEmail(email ?? ''));
    try {
      const tokens = await this.db.transaction().execute(async (tx) => {
        await tx.insertInto('customers').values({ id, display_name: displayName, created_at: now }).execute();
        await tx
          .insertInto('customer_logins')
          .values({
            customer_id: id,
            phone_sealed: phone
              ? this.vault.seal(phone, sealContext('customer_logins', 'phone_sealed', id))
              : null,
            phone_index: phone ? this.loginIndex('phone', phone) : null,
            phone_masked: phone ? maskPhone(nationalPhone(phone)) : null,
            email_sealed: email
              ? this.vault.seal(email, sealContext('customer_logins', 'email_sealed', id))
              : null,
            email_index: email ? this.loginIndex('email', email) : null,
            email_masked: email ? maskEmail(email) : null,
            password_hash: passwordHash,
            password_changed_at: now,
            created_at: now,
          })
          .execute();
        await tx
          .insertInto('password_history')
          .values({ subject_id: id, hash: passwordHash, created_at: now })
          .execute();
        await tx
          .insertInto('consents')
          .values({
            id: newId('csn'),
            subject_id: id,
            policy: 'privacy',
            version: input.consent.policyVersion,
            accepted_at: now,
            ip: client.ip ?? null,
          })
          .execute();
        for (const currency of currencies) {
          await this.ledger.openAccount(
            { kind: 'customer_wallet', currency, ownerId: id, createdAt: now },
            tx,
          );
        }
        await writeOutbox(tx, [
          { topic: 'identity.customer.registered', aggregateId: id, payload: { customerId: id } },
          { topic: 'wallet.customer.created', aggregateId: id, payload: { customerId: id } },
        ]);
        await appendAudit(tx, [
          this.audit(id, 'identity.register', client, now, {
            after: {
              phone: phone ? maskPhone(nationalPhone(phone)) : null,
              email: email ? maskEmail(email) : null,
              consent: `privacy ${input.consent.policyVersion}`,
            },
          }),
        ]);
        const started = await this.sessions.start(
          tx,
          { type: 'customer', id, role: 'customer', amr: ['pwd'] },
          client,
        );
        return started.pair;
      });
      return { customerId: id, tokens };
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new AppError('IDENTITY_LOGIN_TAKEN');
      }
      throw err;
    }
  }

  private audit(
    customerId: string,
    action: string,
    client: ClientInfo,
    at: Date,
    change: {
      before?: Record<string, string | null>;
      after?: Record<string, string | null>;
      reason?: string;
    } = {},
  ): AuditEvent {
    const actor = { type: 'customer' as const, id: customerId, role: 'customer' };
    return auditOf(
      { actor, ip: client.ip, requestId: client.requestId },
      action,
      { type: 'customer', id: customerId },
      change,
      at,
    );
  }

  private async auditAlone(event: AuditEvent): Promise<void> {
    await this.db.transaction().execute((tx) => appendAudit(tx, [event]));
  }

  /** A hash to verify against when the account does not exist, so timing does not tell. */
  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'), this.settings.scrypt);
    return this.dummyHash;
  }

  private async findByLogin(login: string) {
    const { kind, value } = normaliseLogin(login);
    const index = this.loginIndex(kind, value);
    const row = await this.db
      .selectFrom('customer_logins')
      .innerJoin('customers', 'customers.id', 'customer_logins.customer_id')
      .select(['customer_logins.customer_id', 'customer_logins.password_hash', 'customers.status'])
      .where(kind === 'phone' ? 'customer_logins.phone_index' : 'customer_logins.email_index', '=', index)
      .executeTakeFirst();
    return { index, kind, row };
  }

  /**
   * Signs in. Unknown login, wrong password and wrong second factor all answer
   * AUTH_INVALID_CREDENTIALS after the same work; the login guard delays and locks per
   * login name and per address. With an authenticator enrolled, the code is required.
   */
  async login(
    input: { login: string; password: string; otp?: string | undefined },
    client: ClientInfo,
  ): Promise<TokenPair> {
    let found: Awaited<ReturnType<CustomerAccounts['findByLogin']>>;
    try {
      found = await this.findByLogin(input.login);
    } catch {
      // A malformed login is a failed sign-in like any other, not a hint about validation.
      await verifyPassword(input.password, await this.dummy());
      throw new AppError('AUTH_INVALID_CREDENTIALS');
    }
    const { index, row } = found;
    const customerId = row?.customer_id;
    const knownDevice =
      customerId !== undefined &&
      client.deviceId !== undefined &&
      (await this.isKnownDevice(customerId, client.deviceId));
    await this.guard.check(index, client.ip, knownDevice);
    const passwordOk = await verifyPassword(input.password, row?.password_hash ?? (await this.dummy()));
    const now = this.clock.now();
    if (!row || !passwordOk || row.status === 'closed') {
      await this.guard.failed(index, client.ip);
      await this.auditAlone({
        actorType: row ? 'customer' : 'api_client',
        actorId: row?.customer_id ?? 'anonymous',
        action: 'auth.login.failed',
        targetType: row ? 'customer' : 'login',
        targetId: row?.customer_id ?? index.slice(0, 16),
        after: { reason: row ? 'password' : 'unknown_login' },
        ...(client.requestId ? { requestId: client.requestId } : {}),
        ...(client.ip ? { ip: client.ip } : {}),
        at: now,
      });
      throw new AppError('AUTH_INVALID_CREDENTIALS');
    }
    const amr = ['pwd'];
    if (await this.totp.hasActive(row.customer_id)) {
      if (!input.otp) {
        throw new AppError('AUTH_MFA_REQUIRED', 'Enter the code from your authenticator app.', {
          methods: ['totp', 'recovery_code'],
        });
      }
      const ok =
        (await this.totp.verify(row.customer_id, input.otp)) ||
        (await this.totp.useRecoveryCode(row.customer_id, input.otp));
      if (!ok) {
        await this.guard.failed(index, client.ip);
        await this.auditAlone(
          this.audit(row.customer_id, 'auth.login.failed', client, now, {
            after: { reason: 'second_factor' },
          }),
        );
        throw new AppError('AUTH_INVALID_CREDENTIALS');
      }
      amr.push('otp');
    }
    await this.guard.succeeded(index);
    const rehash = needsRehash(row.password_hash, this.settings.scrypt)
      ? await hashPassword(input.password, this.settings.scrypt)
      : undefined;
    const started = await this.db.transaction().execute(async (tx) => {
      if (rehash) {
        await tx
          .updateTable('customer_logins')
          .set({ password_hash: rehash })
          .where('customer_id', '=', row.customer_id)
          .execute();
      }
      const s = await this.sessions.start(
        tx,
        { type: 'customer', id: row.customer_id, role: 'customer', amr },
        client,
      );
      await appendAudit(tx, [
        this.audit(row.customer_id, 'auth.login', client, now, {
          after: { session: s.pair.sessionId, methods: amr.join('+'), newDevice: String(s.newDevice) },
        }),
      ]);
      return s;
    });
    if (row.status === 'frozen') this.log.info({ customerId: row.customer_id }, 'frozen customer signed in');
    return started.pair;
  }

  private async isKnownDevice(customerId: string, deviceId: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('devices')
      .select('device_id')
      .where('subject_id', '=', customerId)
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    return r !== undefined;
  }

  /** Clear contact details for sending codes; never returned by the API. */
  async contacts(customerId: string): Promise<{ phone: string | null; email: string | null }> {
    const row = await this.db
      .selectFrom('customer_logins')
      .select(['phone_sealed', 'email_sealed'])
      .where('customer_id', '=', customerId)
      .executeTakeFirst();
    if (!row) return { phone: null, email: null };
    return {
      phone: row.phone_sealed
        ? this.vault.open(row.phone_sealed, sealContext('customer_logins', 'phone_sealed', customerId))
        : null,
      email: row.email_sealed
        ? this.vault.open(row.email_sealed, sealContext('customer_logins', 'email_sealed', customerId))
        : null,
    };
  }

  async profile(customerId: string) {
    const row = await this.db
      .selectFrom('customers')
      .leftJoin('customer_logins', 'customer_logins.customer_id', 'customers.id')
      .select([
        'customers.id',
        'customers.display_name',
        'customers.status',
        'customers.kyc_tier',
        'customers.created_at',
        'customer_logins.phone_masked',
        'customer_logins.email_masked',
        'customer_logins.password_changed_at',
      ])
      .where('customers.id', '=', customerId)
      .executeTakeFirst();
    if (!row) throw new AppError('WALLET_CUSTOMER_NOT_FOUND');
    const consents = await this.db
      .selectFrom('consents')
      .select(['policy', 'version', 'accepted_at', 'withdrawn_at'])
      .where('subject_id', '=', customerId)
      .orderBy('accepted_at')
      .execute();
    return {
      id: row.id,
      displayName: row.display_name,
      status: row.status,
      kycTier: row.kyc_tier,
      phone: row.phone_masked,
      email: row.email_masked,
      passwordChangedAt: row.password_changed_at?.toISOString() ?? null,
      createdAt: row.created_at.toISOString(),
      consents: consents.map((c) => ({
        policy: c.policy,
        version: c.version,
        acceptedAt: c.accepted_at.toISOString(),
        withdrawnAt: c.withdrawn_at?.toISOString() ?? null,
      })),
    };
  }

  private async assertNotRecent(tx: Tx, customerId: string, password: string): Promise<void> {
    const recent = await tx
      .selectFrom('password_history')
      .select('hash')
      .where('subject_id', '=', customerId)
      .orderBy('created_at', 'desc')
      .limit(this.settings.passwordHistory)
      .execute();
    for (const r of recent) {
      if (await verifyPassword(password, r.hash)) throw new AppError('IDENTITY_PASSWORD_REUSED');
    }
  }

  private async setPassword(tx: Tx, customerId: string, password: string, now: Date): Promise<void> {
    await this.assertNotRecent(tx, customerId, password);
    const hash = await hashPassword(password, this.settings.scrypt);
    await tx
      .updateTable('customer_logins')
      .set({ password_hash: hash, password_changed_at: now })
      .where('customer_id', '=', customerId)
      .execute();
    await tx
      .insertInto('password_history')
      .values({ subject_id: customerId, hash, created_at: now })
      .execute();
  }

  private async personalOf(customerId: string): Promise<string[]> {
    const c = await this.contacts(customerId);
    return [
      ...(c.phone ? [nationalPhone(c.phone)] : []),
      ...(c.email ? [c.email, c.email.split('@')[0] ?? ''] : []),
    ];
  }

  /** Changes the password (after a step-up); every other session of the customer ends. */
  async changePassword(
    customerId: string,
    input: { currentPassword: string; newPassword: string },
    currentSessionId: string | undefined,
    client: ClientInfo,
  ): Promise<{ endedSessions: number }> {
    const row = await this.db
      .selectFrom('customer_logins')
      .select('password_hash')
      .where('customer_id', '=', customerId)
      .executeTakeFirst();
    if (!row || !(await verifyPassword(input.currentPassword, row.password_hash))) {
      await this.auditAlone(
        this.audit(customerId, 'auth.password.change_failed', client, this.clock.now(), {
          after: { reason: 'current_password' },
        }),
      );
      throw new AppError('AUTH_INVALID_CREDENTIALS', 'The current password is not correct.');
    }
    this.checkPassword(input.newPassword, await this.personalOf(customerId));
    const now = this.clock.now();
    const ended = await this.db.transaction().execute(async (tx) => {
      await this.setPassword(tx, customerId, input.newPassword, now);
      const ids = await this.sessions.revokeAllInTx(tx, customerId, 'password_changed', currentSessionId);
      await appendAudit(tx, [
        this.audit(customerId, 'auth.password.change', client, now, {
          after: { endedSessions: String(ids.length) },
        }),
      ]);
      await writeOutbox(tx, [
        {
          topic: 'identity.password.changed',
          aggregateId: customerId,
          payload: { customerId, at: now.toISOString() },
        },
      ]);
      return ids.length;
    });
    return { endedSessions: ended };
  }

  /**
   * Starts a reset: a code goes to the phone (or e-mail) on file. The answer is the same
   * whether or not the login exists: an id that leads nowhere for unknown logins.
   */
  async requestReset(login: string, client: ClientInfo): Promise<{ resetId: string; expiresAt: string }> {
    let found: Awaited<ReturnType<CustomerAccounts['findByLogin']>> | undefined;
    try {
      found = await this.findByLogin(login);
    } catch {
      found = undefined;
    }
    const fake = () => ({
      resetId: newId('ott'),
      expiresAt: new Date(this.clock.now().getTime() + 300_000).toISOString(),
    });
    if (!found?.row) return fake();
    const customerId = found.row.customer_id;
    const contact = await this.contacts(customerId);
    const channel = found.kind === 'phone' ? 'sms' : 'email';
    const destination = channel === 'sms' ? contact.phone : contact.email;
    if (!destination) return fake();
    const sent = await this.otp.send({ subjectId: customerId, purpose: RESET_PURPOSE, channel, destination });
    await this.auditAlone(this.audit(customerId, 'auth.password.reset_requested', client, this.clock.now()));
    return { resetId: sent.id, expiresAt: sent.expiresAt };
  }

  /** Completes a reset with the code: new password, lock cleared, every session ended. */
  async confirmReset(
    input: { login: string; resetId: string; code: string; newPassword: string },
    client: ClientInfo,
  ): Promise<void> {
    let found: Awaited<ReturnType<CustomerAccounts['findByLogin']>> | undefined;
    try {
      found = await this.findByLogin(input.login);
    } catch {
      found = undefined;
    }
    const customerId = found?.row?.customer_id;
    const ok =
      customerId !== undefined &&
      (await this.otp.verify({
        id: input.resetId,
        subjectId: customerId,
        purpose: RESET_PURPOSE,
        code: input.code,
      }));
    if (!ok || !customerId || !found)
      throw new AppError('AUTH_TOKEN_USED', 'The reset code is not valid or has expired.');
    this.checkPassword(input.newPassword, await this.personalOf(customerId));
    const now = this.clock.now();
    await this.db.transaction().execute(async (tx) => {
      await this.setPassword(tx, customerId, input.newPassword, now);
      const ids = await this.sessions.revokeAllInTx(tx, customerId, 'password_reset');
      await appendAudit(tx, [
        this.audit(customerId, 'auth.password.reset', client, now, {
          after: { endedSessions: String(ids.length) },
        }),
      ]);
    });
    await this.guard.clear(found.index);
  }

  /**
   * Binds a payment card (after a step-up): only a token, the last four digits, the brand
   * and expiry are kept; the number itself is never stored (PCI DSS).
   */
  async bindCard(
    customerId: string,
    input: { number: string; expiryMonth: number; expiryYear: number },
    client: ClientInfo,
  ) {
    const digits = input.number.replace(/[\s-]/g, '');
    if (!/^\d{12,19}$/.test(digits) || !luhnValid(digits)) {
      throw new AppError('VALIDATION_FAILED', 'The card number is not valid.');
    }
    const now = this.clock.now();
    const expiry = new Date(Date.UTC(input.expiryYear, input.expiryMonth, 1));
    if (expiry <= now) throw new AppError('VALIDATION_FAILED', 'The card has expired.');
    const fingerprint = this.vault.blindIndex('card', digits);
    const id = newId('crd');
    // The token is random: it stands for the card at the card vault and reveals nothing of it.
    const token = `tok_${randomBytes(24).toString('base64url')}`;
    const card = {
      id,
      token,
      last4: digits.slice(-4),
      brand: cardBrand(digits),
      expiryMonth: input.expiryMonth,
      expiryYear: input.expiryYear,
    };
    try {
      await this.db.transaction().execute(async (tx) => {
        await tx
          .insertInto('payment_cards')
          .values({
            id,
            customer_id: customerId,
            token,
            fingerprint,
            last4: card.last4,
            brand: card.brand,
            expiry_month: input.expiryMonth,
            expiry_year: input.expiryYear,
            status: 'active',
            created_at: now,
          })
          .execute();
        await appendAudit(tx, [
          this.audit(customerId, 'identity.card.bind', client, now, {
            after: { card: `${card.brand} ****${card.last4}` },
          }),
        ]);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('IDENTITY_CARD_EXISTS');
      throw err;
    }
    return { ...card, createdAt: now.toISOString() };
  }

  async cards(customerId: string) {
    const rows = await this.db
      .selectFrom('payment_cards')
      .selectAll()
      .where('customer_id', '=', customerId)
      .where('status', '=', 'active')
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      token: r.token,
      last4: r.last4,
      brand: r.brand,
      expiryMonth: r.expiry_month,
      expiryYear: r.expiry_year,
      createdAt: r.created_at.toISOString(),
    }));
  }

  /** Step one of a phone change: a code to the new number proves the customer holds it. */
  async startPhoneChange(customerId: string, rawPhone: string) {
    const phone = normalisePhone(rawPhone);
    const taken = await this.db
      .selectFrom('customer_logins')
      .select('customer_id')
      .where('phone_index', '=', this.loginIndex('phone', phone))
      .executeTakeFirst();
    if (taken) throw new AppError('IDENTITY_LOGIN_TAKEN');
    const sent = await this.otp.send({
      subjectId: customerId,
      purpose: `phone-change:${this.loginIndex('phone', phone).slice(0, 16)}`,
      channel: 'sms',
      destination: phone,
    });
    return { verificationId: sent.id, sentTo: sent.destinationMasked, expiresAt: sent.expiresAt };
  }

  /** Step two (after a step-up with the old factors): the new number replaces the old one. */
  async confirmPhoneChange(
    customerId: string,
    input: { phone: string; verificationId: string; code: string },
    client: ClientInfo,
  ) {
    const phone = normalisePhone(input.phone);
    const index = this.loginIndex('phone', phone);
    const ok = await this.otp.verify({
      id: input.verificationId,
      subjectId: customerId,
      purpose: `phone-change:${index.slice(0, 16)}`,
      code: input.code,
    });
    if (!ok) throw new AppError('AUTH_MFA_INVALID');
    const now = this.clock.now();
    try {
      await this.db.transaction().execute(async (tx) => {
        const before = await tx
          .selectFrom('customer_logins')
          .select('phone_masked')
          .where('customer_id', '=', customerId)
          .executeTakeFirstOrThrow();
        await tx
          .updateTable('customer_logins')
          .set({
            phone_sealed: this.vault.seal(phone, sealContext('customer_logins', 'phone_sealed', customerId)),
            phone_index: index,
            phone_masked: maskPhone(nationalPhone(phone)),
          })
          .where('customer_id', '=', customerId)
          .execute();
        await appendAudit(tx, [
          this.audit(customerId, 'identity.phone.change', client, now, {
            before: { phone: before.phone_masked },
            after: { phone: maskPhone(nationalPhone(phone)) },
          }),
        ]);
        await writeOutbox(tx, [
          {
            topic: 'identity.phone.changed',
            aggregateId: customerId,
            payload: { customerId, at: now.toISOString() },
          },
        ]);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('IDENTITY_LOGIN_TAKEN');
      throw err;
    }
    return { phone: maskPhone(nationalPhone(phone)) };
  }
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function cardBrand(digits: string): string {
  if (/^62/.test(digits)) return 'unionpay';
  if (/^4/.test(digits)) return 'visa';
  if (/^(5[1-5]|2[2-7])/.test(digits)) return 'mastercard';
  if (/^3[47]/.test(digits)) return 'amex';
  if (/^35/.test(digits)) return 'jcb';
  return 'other';
}
