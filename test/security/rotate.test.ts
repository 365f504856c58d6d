// Proves field-key rotation re-seals every sealed value under the new key without changing what it opens to, stops between batches and resumes, reports values that do not open without stopping, lets a running vault pick up the new key, and that KEK re-wrapping lets the old KEK go.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/platform/db.ts';
import { migrateToLatest } from '../../src/platform/migrate.ts';
import { type KeyProvider, keyProviderFromEnv } from '../../src/security/keys.ts';
import { keyStatus, rewrapDataKeys, rotateFieldKey } from '../../src/security/rotate.ts';
import { SEALED_FIELDS, sealContext } from '../../src/security/sealed-fields.ts';
import { Vault } from '../../src/security/vault.ts';
import { DATABASES, freshDatabase } from '../helpers.ts';

const kek = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

/** `<table>.<column>:<row key>` → plaintext, for every sealed value the seed wrote. */
type Plain = Map<string, string>;

/** Rows with sealed values in five of the sealed tables, plus a plain setting that must stay as it is. */
async function seed(db: Db, vault: Vault, customers: number): Promise<Plain> {
  const plain: Plain = new Map();
  const seal = (table: string, column: string, key: string, value: string) => {
    plain.set(sealContext(table, column, key), value);
    return vault.seal(value, sealContext(table, column, key));
  };
  const now = new Date();
  for (let i = 1; i <= customers; i++) {
    const id = `cus_${String(i).padStart(3, '0')}`;
    await db
      .insertInto('customers')
      .values({ id, display_name: `Customer ${i}` })
      .execute();
    await db
      .insertInto('customer_logins')
      .values({
        customer_id: id,
        phone_sealed: seal('customer_logins', 'phone_sealed', id, `138${String(i).padStart(8, '0')}`),
        phone_index: `phone-${id}`,
        email_sealed: i % 2 === 0 ? seal('customer_logins', 'email_sealed', id, `c${i}@example.com`) : null,
        email_index: i % 2 === 0 ? `email-${id}` : null,
        password_hash: 'hash',
        password_changed_at: now,
        created_at: now,
      })
      .execute();
    if (i % 3 === 0) {
      await db
        .insertInto('customer_kyc')
        .values({
          customer_id: id,
          name_sealed: seal('customer_kyc', 'name_sealed', id, `李伟${i}`),
          name_masked: '李*',
          document_type: 'id_card',
          document_sealed: seal('customer_kyc', 'document_sealed', id, `1101011990030744${i}`),
          document_index: `doc-${id}`,
          document_masked: '1101****',
          provider: 'test',
          basic_ref: `ref-${id}`,
          basic_verified_at: now,
          updated_at: now,
        })
        .execute();
    }
  }
  for (let i = 1; i <= 4; i++) {
    await db
      .insertInto('mfa_factors')
      .values({
        id: `mfa_${i}`,
        subject_type: 'customer',
        subject_id: `cus_00${i}`,
        kind: 'totp',
        status: 'active',
        secret_sealed: seal('mfa_factors', 'secret_sealed', `mfa_${i}`, `JBSWY3DPEHPK3PX${i}`),
        created_at: now,
      })
      .execute();
    await db
      .insertInto('staff_users')
      .values({
        id: `stf_${i}`,
        email_sealed: seal('staff_users', 'email_sealed', `stf_${i}`, `staff${i}@bulwark.test`),
        email_index: `staff-${i}`,
        email_masked: 's*****@bulwark.test',
        display_name: `Staff ${i}`,
        role: 'support',
        status: 'active',
        created_at: now,
        created_by: 'system',
      })
      .execute();
  }
  await db
    .insertInto('platform_settings')
    .values([
      { key: 'test.secret', value: seal('platform_settings', 'value', 'test.secret', 'signing-key') },
      { key: 'test.plain', value: 'enc1 is not sealed here' },
    ])
    .execute();
  return plain;
}

/** Every sealed value in the database, by context. */
async function sealedValues(db: Db): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const f of SEALED_FIELDS) {
    const rows = await sql<{ k: string; v: string }>`
      select ${sql.ref(f.key)} as k, ${sql.ref(f.column)} as v from ${sql.table(f.table)}
      where ${sql.ref(f.column)} like 'enc1:%'`.execute(db);
    for (const r of rows.rows) values.set(sealContext(f.table, f.column, r.k), r.v);
  }
  return values;
}

/** Every sealed value opens, with `vault`, to what the seed wrote; returns the versions seen. */
async function expectOpens(db: Db, vault: Vault, plain: Plain): Promise<Set<number>> {
  const values = await sealedValues(db);
  expect([...values.keys()].sort()).toEqual([...plain.keys()].sort());
  const versions = new Set<number>();
  for (const [context, sealed] of values) {
    expect(vault.open(sealed, context)).toBe(plain.get(context));
    versions.add(vault.versionOf(sealed));
  }
  return versions;
}

async function withDatabase(
  target: (typeof DATABASES)[number],
  fn: (db: Db, provider: KeyProvider) => Promise<void>,
): Promise<void> {
  const handle = await freshDatabase(target);
  try {
    await migrateToLatest(handle.db);
    await fn(handle.db, keyProviderFromEnv(kek('kek-1')));
  } finally {
    await handle.drop();
  }
}

for (const target of DATABASES) {
  describe(`field-key rotation on ${target.name}`, () => {
    it('re-seals every value under a new key, and running vaults pick it up', () =>
      withDatabase(target, async (db, provider) => {
        const vault = await Vault.open(db, provider);
        const plain = await seed(db, vault, 12);

        const before = await keyStatus(db);
        expect(before.fieldKeyVersion).toBe(1);
        expect(before.kekIds).toEqual(['kek-1']);
        const logins = before.fields.find(
          (f) => f.table === 'customer_logins' && f.column === 'phone_sealed',
        );
        expect(logins).toMatchObject({ versions: [{ version: 1, count: 12 }], sealed: 12, belowCurrent: 0 });
        // The plain setting is not counted as sealed.
        const settings = before.fields.find((f) => f.table === 'platform_settings');
        expect(settings?.sealed).toBe(1);

        const progress: Array<[number, number, string]> = [];
        const report = await rotateFieldKey(db, provider, {
          newKey: true,
          batchSize: 5,
          onProgress: (done, total, field) => progress.push([done, total, `${field.table}.${field.column}`]),
        });
        expect(report).toMatchObject({
          fieldKeyVersion: 2,
          addedVersion: 2,
          total: plain.size,
          resealed: plain.size,
          failed: [],
          remaining: 0,
          aborted: false,
        });
        expect(report.fields.find((f) => f.table === 'staff_users')?.resealed).toBe(4);
        expect(progress.at(-1)?.[0]).toBe(plain.size);
        expect(progress.every(([done, total]) => done <= total && total === plain.size)).toBe(true);

        // A vault opened afterwards reads everything, all under version 2.
        const fresh = await Vault.open(db, provider);
        expect(await expectOpens(db, fresh, plain)).toEqual(new Set([2]));
        const plainSetting = await db
          .selectFrom('platform_settings')
          .select('value')
          .where('key', '=', 'test.plain')
          .executeTakeFirstOrThrow();
        expect(plainSetting.value).toBe('enc1 is not sealed here');

        // The vault opened before the rotation needs a reload, then reads and seals under version 2.
        const anyValue = [...(await sealedValues(db))][0];
        if (!anyValue) throw new Error('no sealed value');
        expect(() => vault.open(anyValue[1], anyValue[0])).toThrow(/version 2 is not available/);
        expect(await vault.reload(db, provider)).toBe(2);
        expect(vault.fieldKeyVersion).toBe(2);
        expect(await expectOpens(db, vault, plain)).toEqual(new Set([2]));
        expect(vault.versionOf(vault.seal('x', 'ctx'))).toBe(2);
        expect(vault.blindIndex('phone', '1')).toBe(fresh.blindIndex('phone', '1'));
        // Nothing new: a reload changes nothing.
        expect(await vault.reload(db, provider)).toBe(2);

        const after = await keyStatus(db);
        expect(after.fieldKeyVersion).toBe(2);
        expect(after.fields.every((f) => f.belowCurrent === 0)).toBe(true);
        expect(after.fields.find((f) => f.column === 'phone_sealed')?.versions).toEqual([
          { version: 2, count: 12 },
        ]);

        // With nothing left, a resume does nothing and adds no key.
        const again = await rotateFieldKey(db, provider, { newKey: false, batchSize: 5 });
        expect(again).toMatchObject({ fieldKeyVersion: 2, addedVersion: null, total: 0, resealed: 0 });
      }));

    it('stops between batches when aborted, and a resume finishes the work', () =>
      withDatabase(target, async (db, provider) => {
        const plain = await seed(db, await Vault.open(db, provider), 12);
        const controller = new AbortController();
        const interrupted = await rotateFieldKey(db, provider, {
          newKey: true,
          batchSize: 3,
          signal: controller.signal,
          onProgress: (done) => {
            if (done > 0) controller.abort();
          },
        });
        expect(interrupted.aborted).toBe(true);
        expect(interrupted.resealed).toBe(3);
        expect(interrupted.remaining).toBe(plain.size - 3);

        const mixed = await keyStatus(db);
        expect(mixed.fieldKeyVersion).toBe(2);
        expect(mixed.fields.reduce((n, f) => n + f.belowCurrent, 0)).toBe(plain.size - 3);
        // Old and new versions side by side: everything still opens.
        const vault = await Vault.open(db, provider);
        expect(await expectOpens(db, vault, plain)).toEqual(new Set([1, 2]));

        const resumed = await rotateFieldKey(db, provider, { newKey: false, batchSize: 3 });
        expect(resumed).toMatchObject({
          fieldKeyVersion: 2,
          addedVersion: null,
          total: plain.size - 3,
          resealed: plain.size - 3,
          remaining: 0,
          aborted: false,
        });
        expect(await expectOpens(db, vault, plain)).toEqual(new Set([2]));
      }));

    it('reports values that do not open, leaves them unchanged, and rotates the rest', () =>
      withDatabase(target, async (db, provider) => {
        const vault = await Vault.open(db, provider);
        const plain = await seed(db, vault, 6);
        const values = await sealedValues(db);
        const phone2 = values.get('customer_logins.phone_sealed:cus_002') ?? '';
        const phone3 = values.get('customer_logins.phone_sealed:cus_003') ?? '';
        const tampered = `${phone2.slice(0, -3)}${phone2.at(-3) === 'A' ? 'B' : 'A'}${phone2.slice(-2)}`;
        // One value altered, one copied from another row: neither opens where it is.
        await db
          .updateTable('customer_logins')
          .set({ phone_sealed: tampered })
          .where('customer_id', '=', 'cus_002')
          .execute();
        await db
          .updateTable('staff_users')
          .set({ email_sealed: values.get('staff_users.email_sealed:stf_1') ?? '' })
          .where('id', '=', 'stf_2')
          .execute();

        const report = await rotateFieldKey(db, provider, { newKey: true, batchSize: 2 });
        expect(report.aborted).toBe(false);
        expect(report.failed.map(({ table, column, rowKey }) => ({ table, column, rowKey }))).toEqual([
          { table: 'customer_logins', column: 'phone_sealed', rowKey: 'cus_002' },
          { table: 'staff_users', column: 'email_sealed', rowKey: 'stf_2' },
        ]);
        expect(report.resealed).toBe(plain.size - 2);
        expect(report.remaining).toBe(2);
        // The report names places, never values.
        const text = JSON.stringify(report);
        for (const secret of [tampered, phone3, ...plain.values()]) expect(text).not.toContain(secret);

        const after = await sealedValues(db);
        expect(after.get('customer_logins.phone_sealed:cus_002')).toBe(tampered);
        expect(after.get('staff_users.email_sealed:stf_2')).toBe(
          values.get('staff_users.email_sealed:stf_1'),
        );
        const reopened = await Vault.open(db, provider);
        const broken = new Set(['customer_logins.phone_sealed:cus_002', 'staff_users.email_sealed:stf_2']);
        for (const [context, sealed] of after) {
          if (broken.has(context)) continue;
          expect(reopened.versionOf(sealed)).toBe(2);
          expect(reopened.open(sealed, context)).toBe(plain.get(context));
        }

        // A later run tries the failed ones again, and only them.
        const again = await rotateFieldKey(db, provider, { newKey: false, batchSize: 2 });
        expect(again.total).toBe(2);
        expect(again.failed).toHaveLength(2);
        expect(again.resealed).toBe(0);
      }));

    it('re-wraps the data keys under a new KEK so the old one can go', () =>
      withDatabase(target, async (db) => {
        const oldKek = kek('kek-1');
        const newKek = kek('kek-2');
        const first = keyProviderFromEnv(oldKek);
        const vault = await Vault.open(db, first);
        const plain = await seed(db, vault, 4);
        await rotateFieldKey(db, first, { newKey: true, batchSize: 10 });
        const index = vault.blindIndex('phone', '13800000001');

        // The new KEK alone cannot read keys wrapped by the old one.
        const onlyNew = keyProviderFromEnv(newKek);
        await expect(Vault.open(db, onlyNew)).rejects.toThrow(/KEK kek-1 is not available/);
        // The rotation's provider did not carry the old KEK: a clear error, nothing written.
        await expect(rewrapDataKeys(db, onlyNew)).rejects.toThrow(
          /data key .* \(KEK kek-1\) does not unwrap/,
        );

        const both = keyProviderFromEnv(`${newKek},${oldKek}`);
        expect(await rewrapDataKeys(db, both)).toEqual({
          kekId: 'kek-2',
          keys: 3,
          rewrapped: 3,
          alreadyCurrent: 0,
        });
        expect((await keyStatus(db)).kekIds).toEqual(['kek-2']);
        expect(await rewrapDataKeys(db, both)).toMatchObject({ rewrapped: 0, alreadyCurrent: 3 });

        const reopened = await Vault.open(db, onlyNew);
        expect(await expectOpens(db, reopened, plain)).toEqual(new Set([2]));
        expect(reopened.blindIndex('phone', '13800000001')).toBe(index);
        // A key added later is wrapped by the new KEK too, and a vault with it alone reloads it.
        await Vault.addFieldKey(db, onlyNew);
        expect(await reopened.reload(db, onlyNew)).toBe(3);
      }));
  });
}
