// Proves field encryption round-trips, refuses tampered or misplaced ciphertexts, survives a new key version and a restart, and that blind indexes match without revealing the value.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyProviderFromEnv, keyProviderFromFile } from '../../src/security/keys.ts';
import { maskAccountNumber, maskEmail, maskIdNumber, maskName, maskPhone } from '../../src/security/mask.ts';
import { Vault } from '../../src/security/vault.ts';
import { DATABASES, freshDatabase } from '../helpers.ts';

for (const target of DATABASES) {
  describe(`vault on ${target.name}`, () => {
    it('seals and opens, bound to its context, across key versions and reopenings', async () => {
      const handle = await freshDatabase(target);
      try {
        const { migrateToLatest } = await import('../../src/platform/migrate.ts');
        await migrateToLatest(handle.db);
        const keyFile = join(mkdtempSync(join(tmpdir(), 'bulwark-vault-')), 'kek.key');
        const provider = keyProviderFromFile(keyFile);
        expect(statSync(keyFile).mode & 0o777).toBe(0o600);
        const vault = await Vault.open(handle.db, provider);

        const sealed = vault.seal('110101199003074477', 'customers.id_number:cus_1');
        expect(sealed).not.toContain('110101199003074477');
        expect(sealed.startsWith('enc1:1:')).toBe(true);
        expect(vault.open(sealed, 'customers.id_number:cus_1')).toBe('110101199003074477');
        // Same plaintext, fresh nonce: no equality leak between rows.
        expect(vault.seal('110101199003074477', 'customers.id_number:cus_1')).not.toBe(sealed);
        // Moved to another row or tampered with: refused.
        expect(() => vault.open(sealed, 'customers.id_number:cus_2')).toThrow();
        const flipped = `${sealed.slice(0, -3)}${sealed.at(-3) === 'A' ? 'B' : 'A'}${sealed.slice(-2)}`;
        expect(() => vault.open(flipped, 'customers.id_number:cus_1')).toThrow();

        // A new data key version: new values use it, old ones still open after a restart.
        const version = await Vault.addFieldKey(handle.db, provider);
        expect(version).toBe(2);
        const reopened = await Vault.open(handle.db, keyProviderFromFile(keyFile));
        const sealed2 = reopened.seal('13812345678', 'customers.phone:cus_1');
        expect(reopened.versionOf(sealed2)).toBe(2);
        expect(reopened.open(sealed, 'customers.id_number:cus_1')).toBe('110101199003074477');

        // Blind index: deterministic per purpose, different across purposes, no plaintext inside.
        expect(reopened.blindIndex('phone', '13812345678')).toBe(vault.blindIndex('phone', '13812345678'));
        expect(reopened.blindIndex('phone', '13812345678')).not.toBe(vault.blindIndex('id', '13812345678'));
        expect(reopened.blindIndex('phone', '13812345678')).toMatch(/^[0-9a-f]{64}$/);

        // Without the right KEK the data keys stay closed.
        const other = keyProviderFromEnv(`local-1:${Buffer.alloc(32, 7).toString('base64')}`);
        await expect(Vault.open(handle.db, other)).rejects.toThrow();
      } finally {
        await handle.drop();
      }
    });
  });
}

describe('key providers and masking', () => {
  it('refuses malformed environment keys', () => {
    expect(() => keyProviderFromEnv('nokey')).toThrow(/BULWARK_KEKS/);
    expect(() => keyProviderFromEnv(`k1:${Buffer.alloc(16).toString('base64')}`)).toThrow(/32 bytes/);
  });

  it('masks personal data', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskIdNumber('110101199003074477')).toBe('1101**********4477');
    expect(maskAccountNumber('6222 0202 0011 2233 445')).toBe('****3445');
    expect(maskEmail('li.wei@example.com')).toBe('l*****@example.com');
    expect(maskName('李伟')).toBe('李*');
    expect(maskPhone('12')).toBe('****');
  });
});
