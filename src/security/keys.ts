import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';

/**
 * The key-encryption key (KEK) that wraps Bulwark's data keys. Data keys live in the
 * database only in wrapped form; whoever reads the database without the KEK reads
 * ciphertext.
 */
export interface KeyProvider {
  /** Identifies the KEK that wraps new data keys. */
  readonly kekId: string;
  wrap(dataKey: Buffer): string;
  unwrap(wrapped: string, kekId: string): Buffer;
}

const KEY_BYTES = 32;

/** AES-256-GCM with a 96-bit random nonce: `<iv>.<ciphertext>.<tag>` in base64url. */
export function sealWithKey(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return `${iv.toString('base64url')}.${ct.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
}

/** Opens what sealWithKey produced; throws if the key, the data or the AAD differ. */
export function openWithKey(key: Buffer, sealed: string, aad: string): Buffer {
  const [iv, ct, tag] = sealed.split('.');
  if (iv === undefined || ct === undefined || tag === undefined) throw new Error('sealed value is malformed');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
}

class StaticKeyProvider implements KeyProvider {
  constructor(
    readonly kekId: string,
    private readonly keks: Map<string, Buffer>,
  ) {}

  wrap(dataKey: Buffer): string {
    const kek = this.keks.get(this.kekId);
    if (!kek) throw new Error(`KEK ${this.kekId} is not available`);
    return sealWithKey(kek, dataKey, `kek:${this.kekId}`);
  }

  unwrap(wrapped: string, kekId: string): Buffer {
    const kek = this.keks.get(kekId);
    if (!kek) throw new Error(`KEK ${kekId} is not available; supply it to read data keys it wrapped`);
    return openWithKey(kek, wrapped, `kek:${kekId}`);
  }
}

/**
 * Scaled mode: KEKs from the environment, `BULWARK_KEKS="kek-2:<base64>,kek-1:<base64>"`,
 * the first one wrapping new data keys, the others kept to unwrap older ones.
 */
export function keyProviderFromEnv(value: string): KeyProvider {
  const keks = new Map<string, Buffer>();
  let first: string | undefined;
  for (const part of value.split(',')) {
    const i = part.indexOf(':');
    const id = part.slice(0, i).trim();
    const key = Buffer.from(part.slice(i + 1).trim(), 'base64');
    if (i <= 0 || !/^[A-Za-z0-9._-]{1,40}$/.test(id) || key.length !== KEY_BYTES) {
      throw new Error('BULWARK_KEKS must be "id:<base64 of 32 bytes>[,id:<base64>…]"');
    }
    keks.set(id, key);
    first ??= id;
  }
  if (!first) throw new Error('BULWARK_KEKS is empty');
  return new StaticKeyProvider(first, keks);
}

/**
 * Embedded mode: one KEK in a local file, created on first start with mode 0600 (a file
 * found readable by others is tightened back to 0600).
 */
export function keyProviderFromFile(path: string): KeyProvider {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // Written aside, then linked into place: two processes starting together end up with one key.
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    try {
      linkSync(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
  }
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    chmodSync(path, 0o600);
  }
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new Error(`${path} does not hold a 32-byte base64 key`);
  return new StaticKeyProvider('local-1', new Map([['local-1', key]]));
}
