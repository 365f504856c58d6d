import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import type { Vault } from '../security/vault.ts';
import type { Role } from './permissions.ts';

/** What an access token says: who, in which role, in which session, signed in how. */
export interface AccessClaims {
  sub: string;
  typ: 'customer' | 'staff';
  role: Role;
  sid: string;
  /** Authentication methods used at sign-in (`pwd`, `otp`, `webauthn`). */
  amr: string[];
}

const ISSUER = 'bulwark';
const AUDIENCE = 'bulwark-api';
const KEY_SETTING = 'auth.token.signing-key';
const KEY_CONTEXT = 'platform_settings.value:auth.token.signing-key';
/** The one protected header Bulwark issues and accepts: {"alg":"HS256","kid":"v1","typ":"JWT"}. */
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', kid: 'v1', typ: 'JWT' })).toString('base64url');

/**
 * Short-lived access tokens: compact JWS (RFC 7515) with HS256 under a 256-bit key kept
 * sealed in the database, so every process of one deployment shares it and nobody reads
 * it from a backup without the KEK. Tokens signed with any other key, altered, expired,
 * or issued for another audience or algorithm are refused with a clear code.
 *
 * Signing and checking use Node's synchronous HMAC on purpose: WebCrypto (what JOSE
 * libraries use) runs on libuv's thread pool, where it queued behind password hashing —
 * measured by the sign-in benchmark, a token check waited 170–490 ms during a login
 * burst. An HMAC of a few hundred bytes takes microseconds on the event loop.
 */
export class TokenService {
  private constructor(
    private readonly key: Buffer,
    private readonly ttlS: number,
  ) {}

  static async open(db: Db, vault: Vault, ttlS: number): Promise<TokenService> {
    const fresh = vault.seal(randomBytes(32).toString('base64url'), KEY_CONTEXT);
    await db
      .insertInto('platform_settings')
      .values({ key: KEY_SETTING, value: fresh })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const row = await db
      .selectFrom('platform_settings')
      .select('value')
      .where('key', '=', KEY_SETTING)
      .executeTakeFirstOrThrow();
    return new TokenService(Buffer.from(vault.open(row.value, KEY_CONTEXT), 'base64url'), ttlS);
  }

  get accessTtlS(): number {
    return this.ttlS;
  }

  private mac(signingInput: string): Buffer {
    return createHmac('sha256', this.key).update(signingInput).digest();
  }

  async issue(claims: AccessClaims, now: Date = new Date()): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + this.ttlS;
    const payload = {
      sub: claims.sub,
      typ: claims.typ,
      role: claims.role,
      sid: claims.sid,
      amr: claims.amr,
      iss: ISSUER,
      aud: AUDIENCE,
      iat,
      exp,
    };
    const signingInput = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return {
      token: `${signingInput}.${this.mac(signingInput).toString('base64url')}`,
      expiresAt: new Date(exp * 1000),
    };
  }

  async verify(token: string, now: Date = new Date()): Promise<AccessClaims> {
    const parts = token.split('.');
    const [header, body, signature] = parts;
    if (parts.length !== 3 || header === undefined || body === undefined || signature === undefined) {
      throw new AppError('AUTH_TOKEN_INVALID');
    }
    // Only our own header is accepted: no algorithm choice is left to the token.
    if (header !== HEADER) throw new AppError('AUTH_TOKEN_INVALID');
    const expected = this.mac(`${header}.${body}`);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AppError('AUTH_TOKEN_INVALID');
    }
    let payload: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      payload = parsed as Record<string, unknown>;
    } catch {
      throw new AppError('AUTH_TOKEN_INVALID');
    }
    const { sub, typ, role, sid, amr, iss, aud, exp } = payload;
    if (
      typeof sub !== 'string' ||
      (typ !== 'customer' && typ !== 'staff') ||
      typeof role !== 'string' ||
      typeof sid !== 'string' ||
      !Array.isArray(amr) ||
      iss !== ISSUER ||
      aud !== AUDIENCE ||
      typeof exp !== 'number'
    ) {
      throw new AppError('AUTH_TOKEN_INVALID', 'The access token is missing required claims.');
    }
    if (exp * 1000 <= now.getTime()) throw new AppError('AUTH_TOKEN_EXPIRED');
    return { sub, typ, role: role as Role, sid, amr: amr.map(String) };
  }
}
