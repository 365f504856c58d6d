import { randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
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

/**
 * Short-lived access tokens: compact JWS (HS256) under a 256-bit key kept sealed in the
 * database, so every process of one deployment shares it and nobody reads it from a
 * backup without the KEK. Tokens signed with any other key, altered, expired, or issued
 * for another audience are refused with a clear code.
 */
export class TokenService {
  private constructor(
    private readonly key: Uint8Array,
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
    const key = Buffer.from(vault.open(row.value, KEY_CONTEXT), 'base64url');
    return new TokenService(new Uint8Array(key), ttlS);
  }

  get accessTtlS(): number {
    return this.ttlS;
  }

  async issue(claims: AccessClaims, now: Date = new Date()): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + this.ttlS;
    const token = await new SignJWT({ typ: claims.typ, role: claims.role, sid: claims.sid, amr: claims.amr })
      .setProtectedHeader({ alg: 'HS256', kid: 'v1' })
      .setSubject(claims.sub)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  async verify(token: string, now: Date = new Date()): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        currentDate: now,
      });
      const { sub, typ, role, sid, amr } = payload;
      if (
        typeof sub !== 'string' ||
        (typ !== 'customer' && typ !== 'staff') ||
        typeof role !== 'string' ||
        typeof sid !== 'string' ||
        !Array.isArray(amr)
      ) {
        throw new AppError('AUTH_TOKEN_INVALID', 'The access token is missing required claims.');
      }
      return { sub, typ, role: role as Role, sid, amr: amr.map(String) };
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new AppError('AUTH_TOKEN_EXPIRED');
      throw new AppError('AUTH_TOKEN_INVALID');
    }
  }
}
