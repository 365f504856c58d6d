import { createHmac, randomBytes } from 'node:crypto';
import type { Db } from '../platform/db.ts';
import { type KeyProvider, openWithKey, sealWithKey } from './keys.ts';

const PREFIX = 'enc1';

/**
 * Field-level envelope encryption. Values are sealed with AES-256-GCM under the current
 * data key; the data keys are stored wrapped by the KEK. The associated data binds a
 * ciphertext to its place (table, column, row id), so a ciphertext copied into another
 * row does not decrypt. Blind indexes (keyed HMAC) allow equality lookups.
 *
 * Sealed form: `enc1:<data key version>:<iv>.<ciphertext>.<tag>`.
 */
export class Vault {
  private constructor(
    private readonly fieldKeys: Map<number, Buffer>,
    private currentVersion: number,
    private readonly blindKey: Buffer,
  ) {}

  /** Loads (and on first use creates) the data keys, unwrapping them with the provider. */
  static async open(db: Db, provider: KeyProvider): Promise<Vault> {
    for (const purpose of ['field', 'blind'] as const) {
      const existing = await db
        .selectFrom('security_keys')
        .select('id')
        .where('purpose', '=', purpose)
        .executeTakeFirst();
      if (!existing) {
        await db
          .insertInto('security_keys')
          .values({
            id: `${purpose}-1`,
            purpose,
            version: 1,
            kek_id: provider.kekId,
            wrapped: provider.wrap(randomBytes(32)),
          })
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    }
    const rows = await db.selectFrom('security_keys').selectAll().orderBy('version').execute();
    const field = new Map<number, Buffer>();
    let blind: Buffer | undefined;
    for (const r of rows) {
      const key = unwrapDataKey(provider, r);
      if (r.purpose === 'field') field.set(r.version, key);
      else blind = key;
    }
    const current = Math.max(...field.keys());
    if (!blind || !Number.isFinite(current)) throw new Error('security keys are missing');
    return new Vault(field, current, blind);
  }

  /** Adds a new field data key version; new values use it, old ones still open. */
  static async addFieldKey(db: Db, provider: KeyProvider): Promise<number> {
    const row = await db
      .selectFrom('security_keys')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('purpose', '=', 'field')
      .executeTakeFirst();
    const version = Number(row?.v ?? 0) + 1;
    await db
      .insertInto('security_keys')
      .values({
        id: `field-${version}`,
        purpose: 'field',
        version,
        kek_id: provider.kekId,
        wrapped: provider.wrap(randomBytes(32)),
      })
      .execute();
    return version;
  }

  /**
   * Picks up field-key versions added since this vault was opened (a rotation run from the
   * CLI, or another process), so a long-running server opens values re-sealed under a newer
   * key and seals new ones under it. Keys already loaded are kept as they are; the current
   * version never goes back. Returns the current version.
   */
  async reload(db: Db, provider: KeyProvider): Promise<number> {
    const rows = await db
      .selectFrom('security_keys')
      .select(['id', 'version', 'kek_id', 'wrapped'])
      .where('purpose', '=', 'field')
      .orderBy('version')
      .execute();
    // Unwrap everything first: a key that does not unwrap leaves the vault as it was.
    const added = rows
      .filter((r) => !this.fieldKeys.has(r.version))
      .map((r) => [r.version, unwrapDataKey(provider, r)] as const);
    for (const [version, key] of added) {
      this.fieldKeys.set(version, key);
      if (version > this.currentVersion) this.currentVersion = version;
    }
    return this.currentVersion;
  }

  get fieldKeyVersion(): number {
    return this.currentVersion;
  }

  seal(plaintext: string, context: string): string {
    const key = this.fieldKeys.get(this.currentVersion);
    if (!key) throw new Error('current field key is missing');
    return `${PREFIX}:${this.currentVersion}:${sealWithKey(key, Buffer.from(plaintext, 'utf8'), context)}`;
  }

  /** Opens a sealed value; throws when it was tampered with or moved to another context. */
  open(sealed: string, context: string): string {
    const [prefix, version, body] = splitSealed(sealed);
    if (prefix !== PREFIX) throw new Error('not a sealed value');
    const key = this.fieldKeys.get(version);
    if (!key) throw new Error(`field key version ${version} is not available`);
    return openWithKey(key, body, context).toString('utf8');
  }

  /** The key version a sealed value uses (rotation re-seals values below the current one). */
  versionOf(sealed: string): number {
    return splitSealed(sealed)[1];
  }

  /** Keyed HMAC of a normalised value, for lookups without decrypting; `purpose` separates uses. */
  blindIndex(purpose: string, normalised: string): string {
    return createHmac('sha256', this.blindKey).update(`${purpose}\u0000${normalised}`).digest('hex');
  }
}

/** Unwraps one stored data key, naming it when the KEK refuses (a wrong or missing KEK). */
export function unwrapDataKey(
  provider: KeyProvider,
  row: { id: string; kek_id: string; wrapped: string },
): Buffer {
  try {
    return provider.unwrap(row.wrapped, row.kek_id);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`data key ${row.id} (KEK ${row.kek_id}) does not unwrap: ${reason}`, { cause: err });
  }
}

function splitSealed(sealed: string): [string, number, string] {
  const first = sealed.indexOf(':');
  const second = sealed.indexOf(':', first + 1);
  const version = Number(sealed.slice(first + 1, second));
  if (first < 0 || second < 0 || !Number.isInteger(version) || version < 1)
    throw new Error('sealed value is malformed');
  return [sealed.slice(0, first), version, sealed.slice(second + 1)];
}
