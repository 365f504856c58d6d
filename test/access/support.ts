// Shared steps of the access tests: a controllable clock, staff made through the real approval and activation flow, and TOTP codes.
import { expect } from 'vitest';
import { totpAt } from '../../src/identity/totp.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { sealContext } from '../../src/security/sealed-fields.ts';
import { Api, str } from '../api/client.ts';
import { staffSession, type TestBulwark } from '../helpers.ts';

/** A password the policy accepts and that contains nothing of the test users' names. */
export const GOOD_PASSWORD = 'Violet-Harbour-Kettle-93!';

/** Puts the instance on a manual clock starting now; returns a way to move it. */
export function manualClock(bw: TestBulwark): { clock: ManualClock; advance(ms: number): void } {
  const clock = new ManualClock(new Date());
  bw.clock.use(clock);
  return { clock, advance: (ms) => clock.set(new Date(clock.now().getTime() + ms)) };
}

/** The TOTP code for the instance's current time. */
export function codeNow(bw: TestBulwark, secret: string): string {
  return totpAt(secret, bw.clock.now().getTime());
}

let seq = 0;
/** An e-mail address no other test uses. */
export function freshEmail(prefix = 'staff'): string {
  seq += 1;
  return `${prefix}.${process.pid}.${seq}.${Date.now().toString(36)}@bulwark.test`;
}

export interface ActivatedStaff {
  id: string;
  email: string;
  secret: string;
  recoveryCodes: string[];
}

/**
 * A staff user of a role made the way production makes one: an administrator asks,
 * another approves (getting the activation token once), the user sets a password,
 * enrols TOTP and confirms it.
 */
export async function activatedStaff(bw: TestBulwark, role: string, email = freshEmail(role)) {
  const api = new Api(() => bw);
  const maker = await staffSession(bw, 'admin');
  const checker = await staffSession(bw, 'admin');
  const asked = await api
    .as(maker.auth)
    .post('/v1/staff', { email, displayName: `Test ${role}`, role, reason: 'new team member' });
  expect(asked.status, asked.text).toBe(202);
  const approved = await api.as(checker.auth).post(`/v1/approvals/${str(asked.body, 'id')}/approve`, {});
  expect(approved.status, approved.text).toBe(200);
  expect(str(approved.body, 'approval', 'status')).toBe('approved');
  const token = str(approved.body, 'secret', 'activationToken');
  return activate(bw, token, email);
}

/** Completes activation with a token: password, enrolment, first code. */
export async function activate(bw: TestBulwark, token: string, email: string): Promise<ActivatedStaff> {
  const api = new Api(() => bw).as(null);
  const started = await api.post('/v1/staff/activate', { token, password: GOOD_PASSWORD });
  expect(started.status, started.text).toBe(200);
  const secret = str(started.body, 'totpSecret');
  expect(str(started.body, 'otpauthUri')).toMatch(/^otpauth:\/\/totp\//);
  const confirmed = await api.post('/v1/staff/activate/confirm', {
    enrolmentToken: str(started.body, 'enrolmentToken'),
    code: codeNow(bw, secret),
  });
  expect(confirmed.status, confirmed.text).toBe(200);
  expect(str(confirmed.body, 'staff', 'status')).toBe('active');
  const codes = (confirmed.body as { recoveryCodes: string[] }).recoveryCodes;
  expect(codes).toHaveLength(10);
  return { id: str(started.body, 'staffId'), email, secret, recoveryCodes: codes };
}

/** Signs in with e-mail, password and a code; returns the raw reply. */
export function login(
  bw: TestBulwark,
  input: { email: string; password?: string; code?: string; recoveryCode?: string },
) {
  return new Api(() => bw).as(null).post('/v1/staff/auth/login', {
    email: input.email,
    password: input.password ?? GOOD_PASSWORD,
    ...(input.code !== undefined ? { code: input.code } : {}),
    ...(input.recoveryCode !== undefined ? { recoveryCode: input.recoveryCode } : {}),
  });
}

/** A customer with a CNY wallet, registered by the integrator (no verification: these tests need none). */
export async function customer(api: Api, displayName: string): Promise<{ id: string; walletId: string }> {
  const res = await api.post('/v1/customers', { displayName, currencies: ['CNY'] });
  expect(res.status, res.text).toBe(201);
  return { id: str(res.body, 'id'), walletId: str(res.body, 'wallets', 0, 'id') };
}

/** Inserts a customer's sealed contact details and verified identity, as the identity module writes them. */
export async function personalData(
  bw: TestBulwark,
  customerId: string,
  v: { phone: string; email: string; name: string; document: string },
): Promise<void> {
  const seal = (value: string, table: string, column: string) =>
    bw.vault.seal(value, sealContext(table, column, customerId));
  const now = new Date();
  await bw.dbHandle.db
    .insertInto('customer_logins')
    .values({
      customer_id: customerId,
      phone_sealed: seal(v.phone, 'customer_logins', 'phone_sealed'),
      phone_index: bw.vault.blindIndex('test-phone', v.phone),
      phone_masked: '138****0000',
      email_sealed: seal(v.email, 'customer_logins', 'email_sealed'),
      email_index: bw.vault.blindIndex('test-email', v.email),
      email_masked: 'x*****@example.com',
      password_hash: 'not-a-hash',
      password_changed_at: now,
      created_at: now,
    })
    .execute();
  await bw.dbHandle.db
    .insertInto('customer_kyc')
    .values({
      customer_id: customerId,
      name_sealed: seal(v.name, 'customer_kyc', 'name_sealed'),
      name_masked: '*',
      document_type: 'CN_RESIDENT_ID',
      document_sealed: seal(v.document, 'customer_kyc', 'document_sealed'),
      document_index: bw.vault.blindIndex('test-document', v.document),
      document_masked: '****',
      provider: 'test',
      basic_ref: 'ref',
      basic_verified_at: now,
      updated_at: now,
    })
    .execute();
}
