import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STAFF_ROLES, type StaffRole } from '../access/permissions.ts';
import type { Bulwark } from '../app.ts';
import { totpAt } from '../identity/totp.ts';

export interface DemoStaff {
  role: StaffRole;
  email: string;
  password: string;
  /** The authenticator secret (base32): load it into an authenticator app, or compute codes with it. */
  totpSecret: string;
}

export interface DemoAccess {
  file: string;
  apiKey: string;
  staff: DemoStaff[];
}

const FILE = 'demo-credentials.json';

function demoPassword(): string {
  // Four random groups: strong for the password policy, easy to copy.
  return Array.from({ length: 4 }, () => randomBytes(3).toString('hex')).join('-');
}

/**
 * Credentials for trying the demo: an integrator API key and one staff user per role,
 * created through the real flows (activation, password, TOTP enrolment) on the first demo
 * start and kept in `<data dir>/demo-credentials.json` with mode 0600. Demo only: a real
 * deployment bootstraps its first administrator with `bulwark staff create-admin`.
 */
export async function ensureDemoAccess(bw: Bulwark, dataDir: string): Promise<DemoAccess> {
  const file = join(dataDir, FILE);
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as Omit<DemoAccess, 'file'>;
    if (typeof saved.apiKey === 'string' && Array.isArray(saved.staff)) return { file, ...saved };
  } catch {
    // Not there yet (or unreadable): create them.
  }
  const actor = { type: 'system' as const, id: 'demo' };
  const client = await bw.apiClients.create({ name: 'Demo integrator', role: 'integrator' }, actor);
  const staff: DemoStaff[] = [];
  for (const role of STAFF_ROLES) {
    const email = `${role}@demo.bulwark.dev`;
    const password = demoPassword();
    const created = await bw.dbHandle.db
      .transaction()
      .execute((tx) => bw.staff.createInTx(tx, { email, displayName: `Demo ${role}`, role }, actor, {}));
    const started = await bw.staff.startActivation(created.activationToken, password, {});
    await bw.staff.confirmActivation(started.enrolmentToken, totpAt(started.totpSecret, Date.now()), {});
    staff.push({ role, email, password, totpSecret: started.totpSecret });
  }
  await mkdir(dataDir, { recursive: true });
  const access = { apiKey: client.key, staff };
  await writeFile(file, `${JSON.stringify(access, null, 2)}\n`, { mode: 0o600 });
  return { file, ...access };
}
