import { createHash } from 'node:crypto';
import { type Selectable, sql } from 'kysely';
import { type CanonicalValue, canonicalJson } from '../platform/canonical-json.ts';
import type { Db, Tx } from '../platform/db.ts';
import { newId } from '../platform/ids.ts';
import type { AuditLogTable } from '../platform/schema.ts';

/** The hash before the first audit record. */
export const AUDIT_GENESIS = '0'.repeat(64);

export type ActorType = 'staff' | 'customer' | 'system' | 'api_client';

/** What happened, by whom, to what: personal fields in `before`/`after` must already be masked. */
export interface AuditEvent {
  actorType: ActorType;
  actorId: string;
  actorRole?: string;
  action: string;
  targetType?: string;
  targetId?: string;
  before?: Record<string, string | null>;
  after?: Record<string, string | null>;
  reason?: string;
  requestId?: string;
  ip?: string;
  at: Date;
}

export interface AuditRecord extends AuditEvent {
  seq: bigint;
  id: string;
  prevHash: string;
  hash: string;
}

/** Who acted and from where: what an audit record needs of a request. */
export interface AuditContext {
  actor?: { type: ActorType; id: string; role?: string } | undefined;
  ip?: string | undefined;
  requestId?: string | undefined;
}

/** An audit event for an action taken on behalf of the request's actor. */
export function auditOf(
  ctx: AuditContext,
  action: string,
  target: { type: string; id: string },
  change: { before?: Record<string, string | null>; after?: Record<string, string | null>; reason?: string },
  at: Date,
): AuditEvent {
  return {
    actorType: ctx.actor?.type ?? 'system',
    actorId: ctx.actor?.id ?? 'bulwark',
    ...(ctx.actor?.role ? { actorRole: ctx.actor.role } : {}),
    action,
    targetType: target.type,
    targetId: target.id,
    ...(change.before ? { before: change.before } : {}),
    ...(change.after ? { after: change.after } : {}),
    ...(change.reason ? { reason: change.reason } : {}),
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    ...(ctx.ip ? { ip: ctx.ip } : {}),
    at,
  };
}

/**
 * The canonical form of an audit record, hashed like the journal:
 * hash = SHA-256(prevHash ‖ "\n" ‖ canonicalJson(record without hashes)).
 */
export function auditCanonical(r: Omit<AuditRecord, 'prevHash' | 'hash'>): string {
  const value: Record<string, CanonicalValue> = {
    action: r.action,
    actorId: r.actorId,
    actorRole: r.actorRole ?? null,
    actorType: r.actorType,
    after: r.after ?? null,
    at: r.at.toISOString(),
    before: r.before ?? null,
    id: r.id,
    ip: r.ip ?? null,
    reason: r.reason ?? null,
    requestId: r.requestId ?? null,
    seq: r.seq.toString(),
    targetId: r.targetId ?? null,
    targetType: r.targetType ?? null,
  };
  return canonicalJson(value);
}

export function auditHash(prevHash: string, canonical: string): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

/**
 * Appends events to the audit log inside the caller's transaction, so the record
 * exists exactly when the action does. The chain-head lock orders writers.
 */
export async function appendAudit(tx: Tx, events: AuditEvent[]): Promise<AuditRecord[]> {
  if (events.length === 0) return [];
  const head = await sql<{ seq: bigint; hash: string }>`
    select seq, hash from audit_chain_head where id = 1 for update`.execute(tx);
  const row = head.rows[0];
  if (!row) throw new Error('audit chain head is missing');
  let seq = BigInt(row.seq);
  let prev = row.hash;
  const records: AuditRecord[] = [];
  for (const e of events) {
    seq += 1n;
    const draft = { ...e, seq, id: newId('aud') };
    const hash = auditHash(prev, auditCanonical(draft));
    records.push({ ...draft, prevHash: prev, hash });
    prev = hash;
  }
  await tx
    .insertInto('audit_log')
    .values(
      records.map((r) => ({
        seq: r.seq,
        id: r.id,
        at: r.at,
        actor_type: r.actorType,
        actor_id: r.actorId,
        actor_role: r.actorRole ?? null,
        action: r.action,
        target_type: r.targetType ?? null,
        target_id: r.targetId ?? null,
        before: r.before ? JSON.stringify(r.before) : null,
        after: r.after ? JSON.stringify(r.after) : null,
        reason: r.reason ?? null,
        request_id: r.requestId ?? null,
        ip: r.ip ?? null,
        prev_hash: r.prevHash,
        hash: r.hash,
      })),
    )
    .execute();
  await sql`update audit_chain_head set seq = ${seq.toString()}::int8, hash = ${prev} where id = 1`.execute(
    tx,
  );
  return records;
}

/** One record as exported (JSON Lines): everything needed to re-verify the chain alone. */
export interface AuditExportLine {
  seq: string;
  id: string;
  at: string;
  actorType: ActorType;
  actorId: string;
  actorRole: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  before: Record<string, string | null> | null;
  after: Record<string, string | null> | null;
  reason: string | null;
  requestId: string | null;
  ip: string | null;
  prevHash: string;
  hash: string;
}

/** A stored audit row as an export line. */
export function auditLineOf(r: Selectable<AuditLogTable>): AuditExportLine {
  return {
    seq: BigInt(r.seq).toString(),
    id: r.id,
    at: r.at.toISOString(),
    actorType: r.actor_type as ActorType,
    actorId: r.actor_id,
    actorRole: r.actor_role,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    before: r.before as Record<string, string | null> | null,
    after: r.after as Record<string, string | null> | null,
    reason: r.reason,
    requestId: r.request_id,
    ip: r.ip,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Reads the log in sequence order, a page at a time. */
export async function* readAudit(db: Db | Tx, pageSize = 2000): AsyncGenerator<AuditExportLine> {
  let after = 0n;
  for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    for (const r of rows) {
      yield auditLineOf(r);
      after = BigInt(r.seq);
    }
    if (rows.length < pageSize) return;
  }
}

export interface AuditVerifyReport {
  ok: boolean;
  records: number;
  problems: Array<{ seq: string; id: string; message: string }>;
}

/**
 * Verifies a sequence of exported records without the database: gapless sequence,
 * each prevHash linking to the previous hash, each hash recomputed. `head`, when
 * given, must match the last record (it detects a truncated tail).
 */
export async function verifyAuditLines(
  lines: AsyncIterable<AuditExportLine> | Iterable<AuditExportLine>,
  head?: { seq: string; hash: string },
): Promise<AuditVerifyReport> {
  const problems: AuditVerifyReport['problems'] = [];
  let prev = AUDIT_GENESIS;
  let expected = 1n;
  let count = 0;
  let lastSeq = '0';
  for await (const l of lines) {
    count++;
    const where = { seq: l.seq, id: l.id };
    if (BigInt(l.seq) !== expected) problems.push({ ...where, message: `expected sequence ${expected}` });
    if (l.prevHash !== prev)
      problems.push({ ...where, message: 'prevHash does not link to the previous record' });
    const recomputed = auditHash(
      l.prevHash,
      auditCanonical({
        seq: BigInt(l.seq),
        id: l.id,
        at: new Date(l.at),
        actorType: l.actorType,
        actorId: l.actorId,
        ...(l.actorRole !== null ? { actorRole: l.actorRole } : {}),
        action: l.action,
        ...(l.targetType !== null ? { targetType: l.targetType } : {}),
        ...(l.targetId !== null ? { targetId: l.targetId } : {}),
        ...(l.before !== null ? { before: l.before } : {}),
        ...(l.after !== null ? { after: l.after } : {}),
        ...(l.reason !== null ? { reason: l.reason } : {}),
        ...(l.requestId !== null ? { requestId: l.requestId } : {}),
        ...(l.ip !== null ? { ip: l.ip } : {}),
      }),
    );
    if (recomputed !== l.hash) problems.push({ ...where, message: 'hash differs from the recomputed hash' });
    prev = l.hash;
    expected = BigInt(l.seq) + 1n;
    lastSeq = l.seq;
  }
  if (head && (head.seq !== lastSeq || head.hash !== prev)) {
    problems.push({
      seq: head.seq,
      id: '',
      message: `chain head ${head.seq} does not match the last record ${lastSeq}`,
    });
  }
  return { ok: problems.length === 0, records: count, problems };
}

/** Verifies the audit log in the database, in one snapshot. */
export async function verifyAudit(db: Db): Promise<AuditVerifyReport> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (tx) => {
      const head = await tx.selectFrom('audit_chain_head').select(['seq', 'hash']).executeTakeFirstOrThrow();
      return verifyAuditLines(readAudit(tx), { seq: BigInt(head.seq).toString(), hash: head.hash });
    });
}

/** The audit log, newest first, a page at a time (the cursor is the last sequence number seen). */
export async function queryAudit(
  db: Db,
  q: { actorId?: string; action?: string; targetId?: string; limit: number; cursor?: string },
): Promise<{ records: AuditExportLine[]; nextCursor: string | null }> {
  let query = db
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('seq', 'desc')
    .limit(q.limit + 1);
  if (q.actorId !== undefined) query = query.where('actor_id', '=', q.actorId);
  if (q.action !== undefined) query = query.where('action', '=', q.action);
  if (q.targetId !== undefined) query = query.where('target_id', '=', q.targetId);
  if (q.cursor !== undefined) query = query.where('seq', '<', BigInt(q.cursor));
  const rows = await query.execute();
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    records: page.map(auditLineOf),
    nextCursor: rows.length > q.limit && last ? BigInt(last.seq).toString() : null,
  };
}
