// Proves the audit log is appended in the caller's transaction, hash-chained across concurrent writers, refuses edits, and that verification (in the database or from an export alone) names a tampered record.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/platform/migrate.ts';
import {
  type AuditEvent,
  appendAudit,
  readAudit,
  verifyAudit,
  verifyAuditLines,
} from '../../src/security/audit.ts';
import { DATABASES, freshDatabase } from '../helpers.ts';

function event(i: number): AuditEvent {
  return {
    actorType: 'staff',
    actorId: `stf_${i % 3}`,
    actorRole: 'risk_analyst',
    action: 'hold.release',
    targetType: 'hold',
    targetId: `hold_${i}`,
    before: { status: 'pending' },
    after: { status: 'posted', phone: '138****5678' },
    reason: `case ${i}`,
    at: new Date(Date.UTC(2026, 10, 21, 8, 0, i)),
  };
}

for (const target of DATABASES) {
  describe(`audit log on ${target.name}`, () => {
    it('chains concurrent appends, keeps nothing of a rolled-back action, and detects edits', async () => {
      const handle = await freshDatabase(target);
      try {
        await migrateToLatest(handle.db);
        await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            handle.db.transaction().execute((tx) => appendAudit(tx, [event(i)])),
          ),
        );
        await expect(
          handle.db.transaction().execute(async (tx) => {
            await appendAudit(tx, [event(99)]);
            throw new Error('the action failed');
          }),
        ).rejects.toThrow('the action failed');
        const report = await verifyAudit(handle.db);
        expect(report).toMatchObject({ ok: true, records: 30 });

        // The export verifies on its own, and a truncated tail is noticed against the head.
        const lines = [];
        for await (const l of readAudit(handle.db)) lines.push(l);
        expect((await verifyAuditLines(lines)).ok).toBe(true);
        const last = lines[lines.length - 1];
        if (!last) throw new Error('no records');
        expect((await verifyAuditLines(lines.slice(0, -1), { seq: last.seq, hash: last.hash })).ok).toBe(
          false,
        );
        const forged = lines.map((l) => (l.seq === '7' ? { ...l, reason: 'nothing to see' } : l));
        const forgedReport = await verifyAuditLines(forged);
        expect(forgedReport.ok).toBe(false);
        expect(forgedReport.problems[0]?.id).toBe(lines[6]?.id);

        // The application cannot change the log.
        await expect(sql`update audit_log set reason = 'x' where seq = 1`.execute(handle.db)).rejects.toThrow(
          /append-only/,
        );
        await expect(sql`delete from audit_log where seq = 1`.execute(handle.db)).rejects.toThrow(
          /append-only/,
        );

        // Someone with the power to disable triggers is still caught by verification.
        await sql`alter table audit_log disable trigger user`.execute(handle.db);
        await sql`update audit_log set after = '{"status":"voided"}'::jsonb where seq = 12`.execute(
          handle.db,
        );
        const tampered = await verifyAudit(handle.db);
        expect(tampered.ok).toBe(false);
        expect(tampered.problems.map((p) => p.seq)).toContain('12');
      } finally {
        await handle.drop();
      }
    });
  });
}
