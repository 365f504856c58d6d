import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import type { Db, Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { sealContext } from '../security/sealed-fields.ts';
import type { Vault } from '../security/vault.ts';
import { newRecoveryCodes, newTotpSecret, otpauthUri, verifyTotp } from './totp.ts';

export interface FactorView {
  id: string;
  kind: 'totp' | 'webauthn' | 'sms' | 'email';
  status: 'pending' | 'active' | 'removed';
  label: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

const hashCode = (code: string) =>
  createHash('sha256').update(code.trim().toLowerCase().replaceAll(' ', '')).digest('hex');

/**
 * Authenticator-app (TOTP) factors and recovery codes for customers and staff alike.
 * The shared secret is sealed (AAD binds it to its factor row); a verified code's time
 * step is stored in the same statement that accepts it, so a code works once even when
 * two requests race with it. Recovery codes are stored as hashes and each works once.
 */
export class TotpFactors {
  constructor(
    private readonly db: Db,
    private readonly vault: Vault,
    private readonly clock: Clock,
  ) {}

  /** Starts enrolment: a pending factor whose secret the user loads into their app. */
  async enrol(
    subject: { type: 'customer' | 'staff'; id: string; account: string },
    executor: Db | Tx = this.db,
  ): Promise<{ factorId: string; secret: string; otpauthUri: string }> {
    const active = await executor
      .selectFrom('mfa_factors')
      .select('id')
      .where('subject_id', '=', subject.id)
      .where('kind', '=', 'totp')
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (active) throw new AppError('AUTH_MFA_ALREADY_ENROLLED', 'An authenticator app is already enrolled.');
    // An abandoned enrolment is replaced, never left to be confirmed later.
    await executor
      .updateTable('mfa_factors')
      .set({ status: 'removed' })
      .where('subject_id', '=', subject.id)
      .where('kind', '=', 'totp')
      .where('status', '=', 'pending')
      .execute();
    const factorId = newId('mfa');
    const secret = newTotpSecret();
    await executor
      .insertInto('mfa_factors')
      .values({
        id: factorId,
        subject_type: subject.type,
        subject_id: subject.id,
        kind: 'totp',
        status: 'pending',
        label: 'Authenticator app',
        secret_sealed: this.vault.seal(secret, sealContext('mfa_factors', 'secret_sealed', factorId)),
        created_at: this.clock.now(),
      })
      .execute();
    return { factorId, secret, otpauthUri: otpauthUri(secret, subject.account) };
  }

  /** Confirms enrolment with a current code; returns ten recovery codes, shown once. */
  async confirm(subjectId: string, factorId: string, code: string, executor: Db | Tx = this.db) {
    const row = await executor
      .selectFrom('mfa_factors')
      .select(['id', 'secret_sealed'])
      .where('id', '=', factorId)
      .where('subject_id', '=', subjectId)
      .where('kind', '=', 'totp')
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (!row?.secret_sealed)
      throw new AppError('AUTH_MFA_NOT_ENROLLED', 'No pending enrolment with this id.');
    const secret = this.vault.open(row.secret_sealed, sealContext('mfa_factors', 'secret_sealed', factorId));
    const step = verifyTotp(secret, code, this.clock.now().getTime(), null);
    if (step === undefined) throw new AppError('AUTH_MFA_INVALID');
    const now = this.clock.now();
    await executor
      .updateTable('mfa_factors')
      .set({ status: 'active', last_step: BigInt(step), last_used_at: now })
      .where('id', '=', factorId)
      .execute();
    const codes = newRecoveryCodes();
    await executor.deleteFrom('recovery_codes').where('subject_id', '=', subjectId).execute();
    await executor
      .insertInto('recovery_codes')
      .values(codes.map((c) => ({ subject_id: subjectId, code_hash: hashCode(c), created_at: now })))
      .execute();
    return { recoveryCodes: codes };
  }

  async hasActive(subjectId: string, executor: Db | Tx = this.db): Promise<boolean> {
    const row = await executor
      .selectFrom('mfa_factors')
      .select('id')
      .where('subject_id', '=', subjectId)
      .where('kind', '=', 'totp')
      .where('status', '=', 'active')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Checks a code against the active factor; the matched step is recorded atomically (no replay). */
  async verify(subjectId: string, code: string, executor: Db | Tx = this.db): Promise<boolean> {
    const row = await executor
      .selectFrom('mfa_factors')
      .select(['id', 'secret_sealed', 'last_step'])
      .where('subject_id', '=', subjectId)
      .where('kind', '=', 'totp')
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (!row?.secret_sealed) return false;
    const secret = this.vault.open(row.secret_sealed, sealContext('mfa_factors', 'secret_sealed', row.id));
    const last = row.last_step === null ? null : Number(row.last_step);
    const step = verifyTotp(secret, code, this.clock.now().getTime(), last);
    if (step === undefined) return false;
    const claimed = await sql<{ id: string }>`
      update mfa_factors set last_step = ${step}, last_used_at = ${this.clock.now()}
      where id = ${row.id} and (last_step is null or last_step < ${step}) returning id`.execute(executor);
    return claimed.rows.length === 1;
  }

  /** Spends one recovery code. */
  async useRecoveryCode(subjectId: string, code: string, executor: Db | Tx = this.db): Promise<boolean> {
    if (!/^[a-z0-9]{4}-?[a-z0-9]{4}-?[a-z0-9]{4}$/i.test(code.trim())) return false;
    const normalised = code.trim().toLowerCase().replaceAll('-', '');
    const formatted = `${normalised.slice(0, 4)}-${normalised.slice(4, 8)}-${normalised.slice(8, 12)}`;
    const used = await executor
      .updateTable('recovery_codes')
      .set({ used_at: this.clock.now() })
      .where('subject_id', '=', subjectId)
      .where('code_hash', '=', hashCode(formatted))
      .where('used_at', 'is', null)
      .returning('code_hash')
      .executeTakeFirst();
    return used !== undefined;
  }

  /** Every active second factor of the subject, of any kind (authenticator apps and passkeys). */
  async list(subjectId: string): Promise<FactorView[]> {
    const rows = await this.db
      .selectFrom('mfa_factors')
      .select(['id', 'kind', 'status', 'label', 'created_at', 'last_used_at'])
      .where('subject_id', '=', subjectId)
      .where('status', '=', 'active')
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      status: r.status,
      label: r.label,
      createdAt: r.created_at.toISOString(),
      lastUsedAt: r.last_used_at?.toISOString() ?? null,
    }));
  }

  /** Removes any active factor of the subject (the caller requires a step-up first). */
  async remove(subjectId: string, factorId: string, executor: Db | Tx = this.db): Promise<void> {
    const r = await executor
      .updateTable('mfa_factors')
      .set({ status: 'removed' })
      .where('id', '=', factorId)
      .where('subject_id', '=', subjectId)
      .where('status', '=', 'active')
      .returning('id')
      .executeTakeFirst();
    if (!r) throw new AppError('NOT_FOUND', `No active factor ${factorId}.`);
  }
}
