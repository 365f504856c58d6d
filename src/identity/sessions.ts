import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Role } from '../access/permissions.ts';
import type { TokenService } from '../access/tokens.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { writeOutbox } from '../platform/outbox.ts';
import { type AuditEvent, appendAudit } from '../security/audit.ts';

export interface SessionSettings {
  customerTtlS: number;
  staffTtlS: number;
}

export interface ClientInfo {
  deviceId?: string | undefined;
  userAgent?: string | undefined;
  ip?: string | undefined;
  requestId?: string | undefined;
}

export interface TokenPair {
  sessionId: string;
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
  tokenType: 'Bearer';
}

export interface SessionView {
  id: string;
  deviceId: string | null;
  userAgent: string | null;
  ip: string | null;
  methods: string[];
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  current: boolean;
}

export interface DeviceView {
  deviceId: string;
  userAgent: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  lastIp: string | null;
}

const ACTIVE_CACHE_MS = 5_000;
const hashToken = (t: string) => createHash('sha256').update(t).digest('hex');

/**
 * Sign-in sessions for customers and staff: a short-lived access token plus a rotating
 * refresh token. Each refresh token works once; presenting one that was already rotated
 * means it was copied, so the whole session (the token family) is ended and audited.
 * A device registry records where each subject signs in from; a customer's first sign-in
 * from a device raises a `identity.login.new_device` event for notification.
 */
export class SessionService {
  /** Session id → (active, checked at); revocations in this process clear entries at once. */
  private readonly active = new Map<string, { ok: boolean; at: number }>();

  constructor(
    private readonly db: Db,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
    private readonly settings: SessionSettings,
    private readonly log: Logger,
  ) {}

  /** Starts a session inside the caller's transaction (the sign-in and its audit record commit together). */
  async start(
    tx: Tx,
    subject: { type: 'customer' | 'staff'; id: string; role: Role; amr: string[] },
    client: ClientInfo,
  ): Promise<{ pair: TokenPair; newDevice: boolean }> {
    const now = this.clock.now();
    const ttlS = subject.type === 'staff' ? this.settings.staffTtlS : this.settings.customerTtlS;
    const expiresAt = new Date(now.getTime() + ttlS * 1000);
    const sessionId = newId('ses');
    await tx
      .insertInto('auth_sessions')
      .values({
        id: sessionId,
        subject_type: subject.type,
        subject_id: subject.id,
        role: subject.role,
        device_id: client.deviceId ?? null,
        user_agent: client.userAgent?.slice(0, 300) ?? null,
        ip: client.ip ?? null,
        amr: JSON.stringify(subject.amr),
        created_at: now,
        last_seen_at: now,
        expires_at: expiresAt,
      })
      .execute();
    let newDevice = false;
    if (client.deviceId) {
      const inserted = await sql<{ inserted: boolean }>`
        insert into devices (subject_id, device_id, user_agent, first_ip, last_ip, first_seen_at, last_seen_at)
        values (${subject.id}, ${client.deviceId}, ${client.userAgent?.slice(0, 300) ?? null}, ${client.ip ?? null},
                ${client.ip ?? null}, ${now}, ${now})
        on conflict (subject_id, device_id) do update
          set last_seen_at = excluded.last_seen_at, last_ip = excluded.last_ip, user_agent = excluded.user_agent
        returning (xmax = 0) as inserted`.execute(tx);
      // The very first device of an account is not news; a further one is.
      const firstSighting = inserted.rows[0]?.inserted === true;
      const other = firstSighting
        ? await tx
            .selectFrom('devices')
            .select('device_id')
            .where('subject_id', '=', subject.id)
            .where('device_id', '!=', client.deviceId)
            .limit(1)
            .executeTakeFirst()
        : undefined;
      newDevice = other !== undefined;
      if (newDevice) {
        await writeOutbox(tx, [
          {
            topic: 'identity.login.new_device',
            aggregateId: subject.id,
            payload: {
              subjectType: subject.type,
              subjectId: subject.id,
              sessionId,
              deviceId: client.deviceId,
              ip: client.ip ?? null,
              at: now.toISOString(),
            },
          },
        ]);
      }
    }
    const refresh = await this.newRefreshToken(tx, sessionId, expiresAt, now);
    const access = await this.tokens.issue(
      { sub: subject.id, typ: subject.type, role: subject.role, sid: sessionId, amr: subject.amr },
      now,
    );
    return {
      pair: {
        sessionId,
        accessToken: access.token,
        accessTokenExpiresAt: access.expiresAt.toISOString(),
        refreshToken: refresh,
        refreshTokenExpiresAt: expiresAt.toISOString(),
        tokenType: 'Bearer',
      },
      newDevice,
    };
  }

  private async newRefreshToken(tx: Tx, sessionId: string, expiresAt: Date, now: Date): Promise<string> {
    const token = `rt_${randomBytes(32).toString('base64url')}`;
    await tx
      .insertInto('refresh_tokens')
      .values({
        id: newId('rtk'),
        session_id: sessionId,
        token_hash: hashToken(token),
        status: 'active',
        created_at: now,
        expires_at: expiresAt,
      })
      .execute();
    return token;
  }

  /**
   * Exchanges a refresh token for a new pair. The old token is marked rotated in the same
   * statement that checks it, so two concurrent refreshes cannot both succeed; a rotated
   * token presented again revokes the session.
   */
  async refresh(refreshToken: string, client: ClientInfo): Promise<TokenPair> {
    if (!/^rt_[A-Za-z0-9_-]{43}$/.test(refreshToken)) throw new AppError('AUTH_REFRESH_INVALID');
    const now = this.clock.now();
    const hash = hashToken(refreshToken);
    const outcome = await this.db.transaction().execute(async (tx) => {
      const rotated = await tx
        .updateTable('refresh_tokens')
        .set({ status: 'rotated', used_at: now })
        .where('token_hash', '=', hash)
        .where('status', '=', 'active')
        .where('expires_at', '>', now)
        .returning('session_id')
        .executeTakeFirst();
      if (rotated) {
        const session = await tx
          .selectFrom('auth_sessions')
          .selectAll()
          .where('id', '=', rotated.session_id)
          .executeTakeFirstOrThrow();
        if (session.revoked_at || session.expires_at <= now) return { kind: 'ended' as const };
        await tx
          .updateTable('auth_sessions')
          .set({ last_seen_at: now, ip: client.ip ?? session.ip })
          .where('id', '=', session.id)
          .execute();
        const token = await this.newRefreshToken(tx, session.id, session.expires_at, now);
        const access = await this.tokens.issue(
          {
            sub: session.subject_id,
            typ: session.subject_type,
            role: session.role as Role,
            sid: session.id,
            amr: session.amr,
          },
          now,
        );
        return {
          kind: 'ok' as const,
          pair: {
            sessionId: session.id,
            accessToken: access.token,
            accessTokenExpiresAt: access.expiresAt.toISOString(),
            refreshToken: token,
            refreshTokenExpiresAt: session.expires_at.toISOString(),
            tokenType: 'Bearer' as const,
          },
        };
      }
      const known = await tx
        .selectFrom('refresh_tokens')
        .innerJoin('auth_sessions', 'auth_sessions.id', 'refresh_tokens.session_id')
        .select([
          'refresh_tokens.status',
          'auth_sessions.id as session_id',
          'auth_sessions.subject_id',
          'auth_sessions.subject_type',
          'auth_sessions.revoked_at',
        ])
        .where('refresh_tokens.token_hash', '=', hash)
        .executeTakeFirst();
      if (!known) return { kind: 'invalid' as const };
      if (known.revoked_at) return { kind: 'ended' as const };
      if (known.status !== 'rotated') return { kind: 'invalid' as const };
      // Reuse of a rotated token: someone holds a copy. End the whole family.
      await this.revokeInTx(tx, known.session_id, 'refresh_token_reuse', now);
      await appendAudit(tx, [
        {
          actorType: known.subject_type,
          actorId: known.subject_id,
          action: 'auth.refresh.reuse_detected',
          targetType: 'session',
          targetId: known.session_id,
          after: { status: 'revoked' },
          ...(client.requestId ? { requestId: client.requestId } : {}),
          ...(client.ip ? { ip: client.ip } : {}),
          at: now,
        },
      ]);
      return { kind: 'reused' as const, sessionId: known.session_id };
    });
    if (outcome.kind === 'reused') {
      this.active.delete(outcome.sessionId);
      this.log.warn({ sessionId: outcome.sessionId }, 'refresh token reuse: session revoked');
      throw new AppError('AUTH_REFRESH_REUSED');
    }
    if (outcome.kind === 'ended') throw new AppError('AUTH_SESSION_REVOKED');
    if (outcome.kind === 'invalid') throw new AppError('AUTH_REFRESH_INVALID');
    return outcome.pair;
  }

  private async revokeInTx(tx: Tx, sessionId: string, reason: string, now: Date): Promise<boolean> {
    const r = await tx
      .updateTable('auth_sessions')
      .set({ revoked_at: now, revoke_reason: reason })
      .where('id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    await tx
      .updateTable('refresh_tokens')
      .set({ status: 'revoked' })
      .where('session_id', '=', sessionId)
      .where('status', '=', 'active')
      .execute();
    return r !== undefined;
  }

  /** True when the session exists, is not revoked and has not expired (cached a few seconds). */
  async isActive(sessionId: string): Promise<boolean> {
    const nowMs = Date.now();
    const hit = this.active.get(sessionId);
    if (hit && nowMs - hit.at < ACTIVE_CACHE_MS) return hit.ok;
    const row = await this.db
      .selectFrom('auth_sessions')
      .select(['revoked_at', 'expires_at'])
      .where('id', '=', sessionId)
      .executeTakeFirst();
    const ok = !!row && row.revoked_at === null && row.expires_at > this.clock.now();
    if (this.active.size > 50_000) this.active.clear();
    this.active.set(sessionId, { ok, at: nowMs });
    return ok;
  }

  async list(subjectId: string, currentSessionId?: string): Promise<SessionView[]> {
    const now = this.clock.now();
    const rows = await this.db
      .selectFrom('auth_sessions')
      .selectAll()
      .where('subject_id', '=', subjectId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .limit(100)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      deviceId: r.device_id,
      userAgent: r.user_agent,
      ip: r.ip,
      methods: r.amr,
      createdAt: r.created_at.toISOString(),
      lastSeenAt: r.last_seen_at.toISOString(),
      expiresAt: r.expires_at.toISOString(),
      current: r.id === currentSessionId,
    }));
  }

  async devices(subjectId: string): Promise<DeviceView[]> {
    const rows = await this.db
      .selectFrom('devices')
      .selectAll()
      .where('subject_id', '=', subjectId)
      .orderBy('last_seen_at', 'desc')
      .limit(100)
      .execute();
    return rows.map((r) => ({
      deviceId: r.device_id,
      userAgent: r.user_agent,
      firstSeenAt: r.first_seen_at.toISOString(),
      lastSeenAt: r.last_seen_at.toISOString(),
      lastIp: r.last_ip,
    }));
  }

  /** Ends one session (or all of a subject's, except `keep`), audited with the actor. */
  async revoke(
    subjectId: string,
    which: { sessionId: string } | { all: true; keep?: string | undefined },
    actor: Pick<AuditEvent, 'actorType' | 'actorId' | 'actorRole'>,
    reason: string,
    client: ClientInfo = {},
  ): Promise<number> {
    const now = this.clock.now();
    const ended = await this.db.transaction().execute(async (tx) => {
      let q = tx
        .selectFrom('auth_sessions')
        .select('id')
        .where('subject_id', '=', subjectId)
        .where('revoked_at', 'is', null);
      if ('sessionId' in which) q = q.where('id', '=', which.sessionId);
      else if (which.keep) q = q.where('id', '!=', which.keep);
      const ids = (await q.execute()).map((r) => r.id);
      if ('sessionId' in which && ids.length === 0) {
        throw new AppError('NOT_FOUND', `No active session ${which.sessionId}.`);
      }
      for (const id of ids) await this.revokeInTx(tx, id, reason, now);
      await appendAudit(tx, [
        {
          ...actor,
          action: 'all' in which ? 'auth.session.revoke_all' : 'auth.session.revoke',
          targetType: 'sessionId' in which ? 'session' : 'subject',
          targetId: 'sessionId' in which ? which.sessionId : subjectId,
          after: { revoked: String(ids.length) },
          reason,
          ...(client.requestId ? { requestId: client.requestId } : {}),
          ...(client.ip ? { ip: client.ip } : {}),
          at: now,
        },
      ]);
      return ids;
    });
    for (const id of ended) this.active.delete(id);
    return ended.length;
  }

  /** Ends every session of a subject inside a caller's transaction (password change or reset). */
  async revokeAllInTx(tx: Tx, subjectId: string, reason: string, keep?: string): Promise<string[]> {
    const now = this.clock.now();
    let q = tx
      .selectFrom('auth_sessions')
      .select('id')
      .where('subject_id', '=', subjectId)
      .where('revoked_at', 'is', null);
    if (keep) q = q.where('id', '!=', keep);
    const ids = (await q.execute()).map((r) => r.id);
    for (const id of ids) {
      await this.revokeInTx(tx, id, reason, now);
      this.active.delete(id);
    }
    return ids;
  }
}
