// Access tokens: what the service issues verifies; another key, another algorithm, an altered payload, another audience, a missing claim or an expired token does not.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenService } from '../../src/access/tokens.ts';
import { migrateToLatest } from '../../src/platform/migrate.ts';
import { keyProviderFromEnv } from '../../src/security/keys.ts';
import { Vault } from '../../src/security/vault.ts';
import { freshDatabase } from '../helpers.ts';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const claims = {
  sub: 'cus_1',
  typ: 'customer' as const,
  role: 'customer' as const,
  sid: 'ses_1',
  amr: ['pwd'],
};

describe('access tokens', () => {
  let tokens: TokenService;
  let other: TokenService;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const a = await freshDatabase({ name: 'pglite' });
    const b = await freshDatabase({ name: 'pglite' });
    await migrateToLatest(a.db);
    await migrateToLatest(b.db);
    const provider = keyProviderFromEnv(`t1:${Buffer.alloc(32, 7).toString('base64')}`);
    tokens = await TokenService.open(a.db, await Vault.open(a.db, provider), 900);
    other = await TokenService.open(b.db, await Vault.open(b.db, provider), 900);
    drop = async () => {
      await a.drop();
      await b.drop();
    };
  });
  afterAll(() => drop());

  const code = async (p: Promise<unknown>) =>
    p.then(() => 'ok').catch((e: { code?: string }) => e.code ?? 'error');

  it('verifies what it issued, until it expires', async () => {
    const now = new Date('2026-11-21T10:00:00Z');
    const { token, expiresAt } = await tokens.issue(claims, now);
    expect(expiresAt.getTime() - now.getTime()).toBe(900_000);
    expect(await tokens.verify(token, now)).toEqual(claims);
    expect(await code(tokens.verify(token, new Date(now.getTime() + 899_000)))).toBe('ok');
    expect(await code(tokens.verify(token, expiresAt))).toBe('AUTH_TOKEN_EXPIRED');
  });

  it('refuses another deployment key, alg none, altered payloads and foreign audiences', async () => {
    const now = new Date();
    const { token } = await tokens.issue(claims, now);
    const [header, body] = token.split('.');
    expect(await code(other.verify(token, now))).toBe('AUTH_TOKEN_INVALID');
    expect(await code(tokens.verify(`${b64({ alg: 'none', typ: 'JWT' })}.${body}.`, now))).toBe(
      'AUTH_TOKEN_INVALID',
    );
    const raised = b64({ ...JSON.parse(Buffer.from(body ?? '', 'base64url').toString()), role: 'admin' });
    expect(await code(tokens.verify(`${header}.${raised}.${token.split('.')[2]}`, now))).toBe(
      'AUTH_TOKEN_INVALID',
    );
    // A token signed with some other HS256 key, well formed in every other way.
    const forgedInput = `${header}.${body}`;
    const forged = createHmac('sha256', Buffer.alloc(32, 1)).update(forgedInput).digest('base64url');
    expect(await code(tokens.verify(`${forgedInput}.${forged}`, now))).toBe('AUTH_TOKEN_INVALID');
    expect(await code(tokens.verify('a.b', now))).toBe('AUTH_TOKEN_INVALID');
    expect(await code(tokens.verify('', now))).toBe('AUTH_TOKEN_INVALID');
  });
});
