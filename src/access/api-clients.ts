import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { isId, newId } from '../platform/ids.ts';
import { type AuditEvent, appendAudit, auditOf } from '../security/audit.ts';
import type { Role } from './permissions.ts';
import type { Principal } from './principal.ts';

const KEY_PATTERN = /^bwk_(cli_[0-9a-hjkmnp-tv-z]{26})_([A-Za-z0-9_-]{43})$/;
const CACHE_TTL_MS = 10_000;
const CACHE_MAX = 10_000;

export interface ApiClientView {
  id: string;
  name: string;
  role: string;
  status: string;
  createdAt: string;
  createdBy: string;
}

const hashSecret = (secret: string) => createHash('sha256').update(secret).digest();

/**
 * API clients: an integrator's backend calling with `Authorization: Bearer bwk_<id>_<secret>`.
 * The secret has 256 bits of entropy, so a SHA-256 of it is stored (a slow hash buys
 * nothing against a random secret and would cost every request). Verified keys are
 * cached for a few seconds; revoking clears this process's cache at once.
 */
export class ApiClientService {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async create(
    input: { name: string; role: Role },
    actor: { type: AuditEvent['actorType']; id: string; role?: string },
    ctx: { requestId?: string; ip?: string } = {},
  ): Promise<{ client: ApiClientView; key: string }> {
    const id = newId('cli');
    const secret = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('api_clients')
        .values({
          id,
          name: input.name,
          role: input.role,
          secret_hash: hashSecret(secret).toString('hex'),
          status: 'active',
          created_at: now,
          created_by: actor.id,
        })
        .execute();
      await appendAudit(tx, [
        auditOf(
          { actor, ...ctx },
          'apiclient.create',
          { type: 'api_client', id },
          { after: { name: input.name, role: input.role } },
          now,
        ),
      ]);
    });
    return { client: await this.get(id), key: `bwk_${id}_${secret}` };
  }

  async get(id: string): Promise<ApiClientView> {
    const row = await this.db.selectFrom('api_clients').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', `API client ${id} does not exist.`);
    return {
      id: row.id,
      name: row.name,
      role: row.role,
      status: row.status,
      createdAt: row.created_at.toISOString(),
      createdBy: row.created_by,
    };
  }

  async list(): Promise<ApiClientView[]> {
    const rows = await this.db.selectFrom('api_clients').select('id').orderBy('id').execute();
    return Promise.all(rows.map((r) => this.get(r.id)));
  }

  async revoke(
    id: string,
    actor: { type: AuditEvent['actorType']; id: string; role?: string },
    reason: string,
    ctx: { requestId?: string; ip?: string } = {},
  ): Promise<ApiClientView> {
    const now = this.clock.now();
    await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .updateTable('api_clients')
        .set({ status: 'revoked', revoked_at: now })
        .where('id', '=', id)
        .where('status', '=', 'active')
        .returning('id')
        .executeTakeFirst();
      if (!row) throw new AppError('NOT_FOUND', `No active API client ${id}.`);
      await appendAudit(tx, [
        auditOf(
          { actor, ...ctx },
          'apiclient.revoke',
          { type: 'api_client', id },
          { before: { status: 'active' }, after: { status: 'revoked' }, reason },
          now,
        ),
      ]);
    });
    for (const [k, v] of this.cache) if (v.principal.id === id) this.cache.delete(k);
    return this.get(id);
  }

  /** The principal for a presented key, or AUTH_API_KEY_INVALID (same error for every failure). */
  async authenticate(presented: string): Promise<Principal> {
    const nowMs = Date.now();
    const cached = this.cache.get(presented);
    if (cached && cached.until > nowMs) return cached.principal;
    const m = KEY_PATTERN.exec(presented);
    const id = m?.[1];
    const secret = m?.[2];
    if (!id || !secret || !isId(id, 'cli')) throw new AppError('AUTH_API_KEY_INVALID');
    const row = await this.db
      .selectFrom('api_clients')
      .select(['id', 'role', 'secret_hash', 'status'])
      .where('id', '=', id)
      .executeTakeFirst();
    const expected = row ? Buffer.from(row.secret_hash, 'hex') : undefined;
    const actual = hashSecret(secret);
    if (!row || !expected || row.status !== 'active' || !timingSafeEqual(expected, actual)) {
      throw new AppError('AUTH_API_KEY_INVALID');
    }
    const principal: Principal = { type: 'api_client', id: row.id, role: row.role as Role, amr: ['key'] };
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(presented, { principal, until: nowMs + CACHE_TTL_MS });
    return principal;
  }
}
