import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { StaffRole } from '../src/access/permissions.ts';
import { type Bulwark, buildBulwark } from '../src/app.ts';
import { type Config, loadConfig } from '../src/platform/config.ts';
import { type DbHandle, dropSchema, openDatabase } from '../src/platform/db.ts';
import { newId } from '../src/platform/ids.ts';
import { createLogger, type Logger } from '../src/platform/logger.ts';
import type { LimitPolicyConfig } from '../src/risk/limit-policy.ts';
import { maskEmail } from '../src/security/mask.ts';
import { sealContext } from '../src/security/sealed-fields.ts';

/** The databases every storage test runs on: PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export const DATABASES: Array<{ name: 'pglite' | 'postgres'; url?: string }> = [
  { name: 'pglite' },
  ...(process.env.TEST_DATABASE_URL
    ? [{ name: 'postgres' as const, url: process.env.TEST_DATABASE_URL }]
    : []),
];

if (!process.env.TEST_DATABASE_URL && !process.env.BULWARK_QUIET_SKIPS) {
  console.warn(
    '[skip] TEST_DATABASE_URL is not set: PostgreSQL variants of the storage tests are skipped (PGlite only).',
  );
}

/** Opens a fresh, empty database: an in-memory PGlite, or a new schema on PostgreSQL (dropped by the caller). */
export async function freshDatabase(target: {
  name: string;
  url?: string;
}): Promise<DbHandle & { drop(): Promise<void> }> {
  if (!target.url) {
    const h = await openDatabase({ dataDir: 'memory' });
    return { ...h, drop: () => h.close() };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const h = await openDatabase({ url: target.url, schema, poolMax: 24 });
  return {
    ...h,
    drop: async () => {
      await h.close();
      if (target.url) await dropSchema(target.url, schema);
    },
  };
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({}),
    rateLimitPerMinute: 0,
    channelDelayMs: 20,
    keyFile: join(tmpdir(), 'bulwark-test-keys', 'kek.key'),
    // Cheaper password hashing keeps the suites fast; the parameters are tested on their own.
    passwordCostLn: 12,
    // A loaded CI machine must not turn decisions degraded: the fail-safe path has its own tests.
    riskDeadlineMs: 5000,
    modelRetrainDays: 0,
    ...overrides,
  };
}

export interface TestBulwark extends Bulwark {
  drop(): Promise<void>;
  /** `Bearer …` for an integrator API client created for this instance. */
  integratorAuth: string;
  /** `Bearer …` for a signed-in staff user of the role (one user per role, created on first use). */
  staffAuth(role: StaffRole): Promise<string>;
}

/**
 * A staff user of a role with a signed-in session, made directly in the tables (the
 * sign-in flow itself has its own tests). Returns the Authorization header value.
 */
export async function staffSession(bw: Bulwark, role: StaffRole): Promise<{ id: string; auth: string }> {
  const id = newId('stf');
  const email = `${role}.${id.slice(-8)}@staff.test`;
  const now = new Date();
  const pair = await bw.dbHandle.db.transaction().execute(async (tx) => {
    await tx
      .insertInto('staff_users')
      .values({
        id,
        email_sealed: bw.vault.seal(email, sealContext('staff_users', 'email_sealed', id)),
        email_index: bw.vault.blindIndex('email', email),
        email_masked: maskEmail(email),
        display_name: `Test ${role}`,
        role,
        status: 'active',
        password_hash: null,
        created_at: now,
        created_by: 'test',
      })
      .execute();
    return bw.sessions.start(tx, { type: 'staff', id, role, amr: ['pwd', 'otp'] }, {});
  });
  return { id, auth: `Bearer ${pair.pair.accessToken}` };
}

/** A whole Bulwark (modules and HTTP app, not listening) on a fresh database. */
export async function startBulwark(
  target: { name: string; url?: string },
  options: {
    config?: Partial<Config>;
    limits?: LimitPolicyConfig;
    log?: Logger;
    starterRules?: boolean;
  } = {},
): Promise<TestBulwark> {
  const handle = await freshDatabase(target);
  const bulwark = await buildBulwark({
    config: testConfig(options.config),
    log: options.log ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    dbHandle: handle,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.starterRules === false ? { starterRules: false } : {}),
  });
  const client = await bulwark.apiClients.create(
    { name: 'test integrator', role: 'integrator' },
    { type: 'system', id: 'test' },
  );
  const staff = new Map<StaffRole, Promise<string>>();
  return {
    ...bulwark,
    integratorAuth: `Bearer ${client.key}`,
    staffAuth: (role) => {
      let auth = staff.get(role);
      if (!auth) {
        auth = staffSession(bulwark, role).then((s) => s.auth);
        staff.set(role, auth);
      }
      return auth;
    },
    drop: async () => {
      await bulwark.close();
      await handle.drop();
    },
  };
}

/** beforeAll/afterAll pair that gives a describe block its own Bulwark. */
export function useBulwark(
  target: { name: string; url?: string },
  options: Parameters<typeof startBulwark>[1] = {},
): () => TestBulwark {
  let instance: TestBulwark | undefined;
  beforeAll(async () => {
    instance = await startBulwark(target, options);
  });
  afterAll(async () => {
    await instance?.drop();
  });
  return () => {
    if (!instance) throw new Error('Bulwark not started');
    return instance;
  };
}

let keySeq = 0;
/** A unique idempotency key. */
export function idemKey(prefix = 'test'): string {
  keySeq += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${keySeq}`;
}
