// Proves maker-checker for every action: the maker cannot decide their own request (refused and audited), the checker needs the action's permission, approval executes atomically with the audit records of maker and checker, a refused action fails the request and changes nothing else, requests expire and can be cancelled, and the ledger still verifies after manual adjustments.
import { describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { type AuditExportLine, readAudit, verifyAudit } from '../../src/security/audit.ts';
import { Api, arr, expectProblem, str } from '../api/client.ts';
import { DATABASES, staffSession, type TestBulwark, useBulwark } from '../helpers.ts';
import { activate, customer, freshEmail, manualClock, personalData } from './support.ts';

async function auditOf(bw: TestBulwark, pred: (r: AuditExportLine) => boolean): Promise<AuditExportLine[]> {
  const out: AuditExportLine[] = [];
  for await (const r of readAudit(bw.dbHandle.db)) if (pred(r)) out.push(r);
  return out;
}

for (const target of DATABASES) {
  describe(`maker-checker approvals on ${target.name}`, () => {
    const bw = useBulwark(target);
    const api = new Api(bw);

    it('unfreeze: 202 request; the maker and a role without the permission cannot approve; approval unfreezes atomically', async () => {
      const ann = await customer(api, 'Ann');
      const frozen = await api.post(`/v1/owners/${ann.id}/freeze`, { reason: 'court order 17' });
      expect(frozen.status, frozen.text).toBe(200);

      const analyst = await staffSession(bw(), 'analyst');
      const asked = await api
        .as(analyst.auth)
        .post(`/v1/owners/${ann.id}/unfreeze`, { reason: 'order lifted' });
      expect(asked.status, asked.text).toBe(202);
      expect(asked.body).toMatchObject({
        action: 'owner.unfreeze',
        status: 'pending',
        maker: { id: analyst.id, role: 'analyst' },
        payload: { ownerId: ann.id },
        reason: 'order lifted',
      });
      const id = str(asked.body, 'id');
      expect(str(await api.get(`/v1/customers/${ann.id}`).then((r) => r.body), 'status')).toBe('frozen');

      expectProblem(await api.as(analyst.auth).post(`/v1/approvals/${id}/approve`, {}), 403, 'APPROVAL_SELF');
      expectProblem(
        await api.as(analyst.auth).post(`/v1/approvals/${id}/reject`, { reason: 'x' }),
        403,
        'APPROVAL_SELF',
      );
      const refusedSelf = await auditOf(
        bw(),
        (r) => r.action === 'approval.self_decision_refused' && r.targetId === id,
      );
      expect(refusedSelf).toHaveLength(2);
      expect(refusedSelf[0]).toMatchObject({
        actorId: analyst.id,
        actorRole: 'analyst',
        after: { as: 'maker' },
      });
      expect(refusedSelf[0]?.ip).toBeTruthy();

      const support = await staffSession(bw(), 'support');
      expectProblem(
        await api.as(support.auth).post(`/v1/approvals/${id}/approve`, {}),
        403,
        'AUTH_FORBIDDEN',
      );
      // An API client is never a checker, whatever its permissions.
      expectProblem(await api.post(`/v1/approvals/${id}/approve`, {}), 403, 'AUTH_FORBIDDEN');

      const compliance = await staffSession(bw(), 'compliance');
      const approved = await api
        .as(compliance.auth)
        .post(`/v1/approvals/${id}/approve`, { reason: 'checked the order' });
      expect(approved.status, approved.text).toBe(200);
      expect(approved.body).toMatchObject({
        approval: {
          status: 'approved',
          checker: { id: compliance.id, role: 'compliance' },
          result: { ownerId: ann.id, status: 'active', before: 'frozen' },
        },
      });
      expect(str(await api.get(`/v1/customers/${ann.id}`).then((r) => r.body), 'status')).toBe('active');
      expect(str(await api.get(`/v1/accounts/${ann.walletId}`).then((r) => r.body), 'status')).toBe('active');
      expectProblem(
        await api.as(compliance.auth).post(`/v1/approvals/${id}/approve`, {}),
        409,
        'APPROVAL_STATE',
      );

      // The effect (by the maker) and the approval (by the checker) were recorded by one request.
      const unfreeze = (
        await auditOf(bw(), (r) => r.action === 'owner.unfreeze' && r.targetId === ann.id)
      )[0];
      const approval = (await auditOf(bw(), (r) => r.action === 'approval.approve' && r.targetId === id))[0];
      expect(unfreeze).toMatchObject({
        actorId: analyst.id,
        actorRole: 'analyst',
        reason: 'order lifted',
        after: { status: 'active' },
      });
      expect(approval).toMatchObject({
        actorId: compliance.id,
        actorRole: 'compliance',
        reason: 'checked the order',
      });
      expect(unfreeze?.requestId).toBe(approval?.requestId);
      expect(BigInt(approval?.seq ?? '0') - BigInt(unfreeze?.seq ?? '0')).toBe(1n);
      expect((await verifyAudit(bw().dbHandle.db)).ok).toBe(true);
    });

    it('lists, rejects and cancels; only the maker cancels; decided requests stay decided', async () => {
      const ben = await customer(api, 'Ben');
      await api.post(`/v1/owners/${ben.id}/freeze`, { reason: 'suspicious' });
      const analyst = await staffSession(bw(), 'analyst');
      const compliance = await staffSession(bw(), 'compliance');
      const first = str(
        (await api.as(analyst.auth).post(`/v1/owners/${ben.id}/unfreeze`, { reason: 'first try' })).body,
        'id',
      );
      const second = str(
        (await api.as(analyst.auth).post(`/v1/owners/${ben.id}/unfreeze`, { reason: 'second try' })).body,
        'id',
      );

      const pending = await api.as(compliance.auth).get('/v1/approvals?status=pending&limit=200');
      expect(pending.status, pending.text).toBe(200);
      const ids = arr(pending.body, 'approvals').map((a) => str(a, 'id'));
      expect(ids).toEqual(expect.arrayContaining([first, second]));
      expect(ids.indexOf(second)).toBeLessThan(ids.indexOf(first));

      expectProblem(
        await api.as(compliance.auth).post(`/v1/approvals/${first}/reject`, {}),
        400,
        'VALIDATION_FAILED',
      );
      const rejected = await api
        .as(compliance.auth)
        .post(`/v1/approvals/${first}/reject`, { reason: 'not enough evidence' });
      expect(rejected.status, rejected.text).toBe(200);
      expect(rejected.body).toMatchObject({ status: 'rejected', decisionReason: 'not enough evidence' });

      expectProblem(
        await api.as(compliance.auth).post(`/v1/approvals/${second}/cancel`, {}),
        403,
        'AUTH_FORBIDDEN',
      );
      const cancelled = await api
        .as(analyst.auth)
        .post(`/v1/approvals/${second}/cancel`, { reason: 'asked twice' });
      expect(cancelled.status, cancelled.text).toBe(200);
      expect(str(cancelled.body, 'status')).toBe('cancelled');
      expectProblem(
        await api.as(compliance.auth).post(`/v1/approvals/${second}/approve`, {}),
        409,
        'APPROVAL_STATE',
      );
      expectProblem(
        await api.as(analyst.auth).post(`/v1/approvals/${first}/cancel`, {}),
        409,
        'APPROVAL_STATE',
      );
      expect(str(await api.get(`/v1/customers/${ben.id}`).then((r) => r.body), 'status')).toBe('frozen');

      const rejectedList = await api.as(compliance.auth).get('/v1/approvals?status=rejected');
      expect(arr(rejectedList.body, 'approvals').map((a) => str(a, 'id'))).toContain(first);
      const actions = (await auditOf(bw(), (r) => r.targetId === first || r.targetId === second)).map(
        (r) => r.action,
      );
      expect(actions).toEqual(['approval.request', 'approval.request', 'approval.reject', 'approval.cancel']);
    });

    it('replays a repeated request with the same Idempotency-Key instead of filing it twice', async () => {
      const cy = await customer(api, 'Cy');
      await api.post(`/v1/owners/${cy.id}/freeze`, { reason: 'check' });
      const analyst = await staffSession(bw(), 'analyst');
      const once = await api
        .as(analyst.auth)
        .post(`/v1/owners/${cy.id}/unfreeze`, { reason: 'r' }, { key: 'unfreeze-cy-0001' });
      const twice = await api
        .as(analyst.auth)
        .post(`/v1/owners/${cy.id}/unfreeze`, { reason: 'r' }, { key: 'unfreeze-cy-0001' });
      expect(twice.status).toBe(202);
      expect(twice.headers['idempotent-replayed']).toBe('true');
      expect(str(twice.body, 'id')).toBe(str(once.body, 'id'));
      expectProblem(
        await api.as(analyst.auth).post(`/v1/owners/${cy.id}/unfreeze`, { reason: 'r' }, { key: null }),
        400,
        'IDEMPOTENCY_KEY_MISSING',
      );
      expectProblem(
        await api
          .as(analyst.auth)
          .post('/v1/owners/cus_00000000000000000000000000/unfreeze', { reason: 'r' }),
        404,
        'WALLET_CUSTOMER_NOT_FOUND',
      );
    });

    it('expires requests: an expired one cannot be approved and shows as expired', async () => {
      const dee = await customer(api, 'Dee');
      await api.post(`/v1/owners/${dee.id}/freeze`, { reason: 'check' });
      const analyst = await staffSession(bw(), 'analyst');
      const compliance = await staffSession(bw(), 'compliance');
      const id = str(
        (await api.as(analyst.auth).post(`/v1/owners/${dee.id}/unfreeze`, { reason: 'r' })).body,
        'id',
      );
      const { advance } = manualClock(bw());
      try {
        advance(24 * 3600 * 1000 + 1000);
        expect((await bw().approvals.get(id)).status).toBe('expired');
        const listed = await bw().approvals.list({ status: 'expired', limit: 200 });
        expect(listed.approvals.map((a) => a.id)).toContain(id);
        await expect(
          bw().approvals.approve(id, { id: compliance.id, role: 'compliance' }, undefined, {}),
        ).rejects.toMatchObject({ code: 'APPROVAL_EXPIRED' });
        await expect(
          bw().approvals.approve(id, { id: compliance.id, role: 'compliance' }, undefined, {}),
        ).rejects.toMatchObject({ code: 'APPROVAL_STATE' });
      } finally {
        bw().clock.reset();
      }
      const row = await bw()
        .dbHandle.db.selectFrom('approval_requests')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row.status).toBe('expired');
      // The maintenance sweep expires requests nobody touched.
      const other = str(
        (await api.as(analyst.auth).post(`/v1/owners/${dee.id}/unfreeze`, { reason: 'again' })).body,
        'id',
      );
      const later = manualClock(bw());
      try {
        later.advance(24 * 3600 * 1000 + 1000);
        expect(await bw().approvals.expireDue()).toBeGreaterThanOrEqual(1);
        expect(await bw().approvals.expireDue()).toBe(0);
      } finally {
        bw().clock.reset();
      }
      expect((await bw().approvals.get(other)).status).toBe('expired');
      expect(await auditOf(bw(), (r) => r.action === 'approval.expire' && r.targetId === id)).toHaveLength(1);
      expect(str(await api.get(`/v1/customers/${dee.id}`).then((r) => r.body), 'status')).toBe('frozen');
    });

    it('staff.create and staff.role.change: another admin approves; nobody decides a request about themselves', async () => {
      const a = await staffSession(bw(), 'admin');
      const b = await staffSession(bw(), 'admin');
      const email = freshEmail('newhire');
      const body = { email, displayName: 'New Hire', role: 'analyst', reason: 'joins risk team' };
      const asked = await api.as(a.auth).post('/v1/staff', body);
      expect(asked.status, asked.text).toBe(202);
      expect(asked.text).not.toContain(email);
      expect(asked.body).toMatchObject({
        action: 'staff.create',
        payload: { role: 'analyst', displayName: 'New Hire' },
      });
      expect(asked.text).not.toContain('emailSealed');
      // A second request for the same address is filed (pending requests reserve nothing)...
      const twice = await api.as(a.auth).post('/v1/staff', { ...body, reason: 'asked again' });
      expect(twice.status, twice.text).toBe(202);

      const approved = await api.as(b.auth).post(`/v1/approvals/${str(asked.body, 'id')}/approve`, {});
      expect(approved.status, approved.text).toBe(200);
      const token = str(approved.body, 'secret', 'activationToken');
      expect(approved.headers['cache-control']).toBe('no-store');
      // The token is shown once: never in the stored request.
      const stored = await api.as(b.auth).get(`/v1/approvals/${str(asked.body, 'id')}`);
      expect(stored.text).not.toContain(token);
      const staffId = str(approved.body, 'approval', 'result', 'staffId');

      // ...and fails when approved: the user exists now. Nothing else changes.
      const before = await auditOf(bw(), (r) => r.action === 'staff.create');
      const failed = await api.as(b.auth).post(`/v1/approvals/${str(twice.body, 'id')}/approve`, {});
      expect(failed.status, failed.text).toBe(200);
      expect(failed.body).toMatchObject({ approval: { status: 'failed', error: 'STAFF_EXISTS' } });
      expect(failed.body).not.toHaveProperty('secret');
      expect(await auditOf(bw(), (r) => r.action === 'staff.create')).toHaveLength(before.length);
      const rows = await bw()
        .dbHandle.db.selectFrom('staff_users')
        .select('id')
        .where('email_index', '=', bw().staff.emailIndex(email))
        .execute();
      expect(rows.map((r) => r.id)).toEqual([staffId]);
      const fail = await auditOf(
        bw(),
        (r) => r.action === 'approval.fail' && r.targetId === str(twice.body, 'id'),
      );
      expect(fail[0]).toMatchObject({ actorId: b.id, after: { status: 'failed', error: 'STAFF_EXISTS' } });

      const hire = await activate(bw(), token, email);
      expect(hire.id).toBe(staffId);

      // A role change about b: b may not decide it, another admin may; b's sessions end.
      const c = await staffSession(bw(), 'admin');
      const change = await api
        .as(a.auth)
        .post(`/v1/staff/${b.id}/role`, { role: 'auditor', reason: 'moves to audit' });
      expect(change.status, change.text).toBe(202);
      const changeId = str(change.body, 'id');
      expectProblem(await api.as(b.auth).post(`/v1/approvals/${changeId}/approve`, {}), 403, 'APPROVAL_SELF');
      const compliance = await staffSession(bw(), 'compliance');
      expectProblem(
        await api.as(compliance.auth).post(`/v1/approvals/${changeId}/approve`, {}),
        403,
        'AUTH_FORBIDDEN',
      );
      const done = await api.as(c.auth).post(`/v1/approvals/${changeId}/approve`, {});
      expect(done.status, done.text).toBe(200);
      expect(done.body).toMatchObject({
        approval: { status: 'approved', result: { before: 'admin', after: 'auditor' } },
      });
      expect((await bw().staff.view(b.id)).role).toBe('auditor');
      expectProblem(await api.as(b.auth).get('/v1/staff/me'), 401, 'AUTH_SESSION_REVOKED');
      expectProblem(
        await api.as(a.auth).post(`/v1/staff/${b.id}/role`, { role: 'auditor', reason: 'again' }),
        409,
        'STAFF_STATE',
      );
    });

    it('limits.raise writes the override with the approval id; the gate reads it', async () => {
      const eve = await customer(api, 'Eve');
      const compliance = await staffSession(bw(), 'compliance');
      const operations = await staffSession(bw(), 'operations');
      const limits = {
        currency: 'CNY',
        singleMinor: '10000000',
        dailyMinor: '30000000',
        monthlyMinor: '100000000',
        balanceCapMinor: '50000000',
      };
      expectProblem(
        await api.as(compliance.auth).post(`/v1/customers/${eve.id}/limits`, {
          ...limits,
          dailyMinor: '100',
          reason: 'inverted',
        }),
        400,
        'VALIDATION_FAILED',
      );
      const asked = await api
        .as(compliance.auth)
        .post(`/v1/customers/${eve.id}/limits`, { ...limits, reason: 'verified business owner' });
      expect(asked.status, asked.text).toBe(202);
      expect(str(asked.body, 'summary')).toContain('100000.00 CNY');
      const id = str(asked.body, 'id');
      const approved = await api.as(operations.auth).post(`/v1/approvals/${id}/approve`, {});
      expect(approved.status, approved.text).toBe(200);
      expect(str(approved.body, 'approval', 'status')).toBe('approved');
      const row = await bw()
        .dbHandle.db.selectFrom('customer_limit_overrides')
        .selectAll()
        .where('customer_id', '=', eve.id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ currency: 'CNY', approval_id: id });
      expect(BigInt(row.single_minor)).toBe(10000000n);
      const effective = await bw().gate.limitsOf(eve.id, 'CNY');
      expect(effective.source).toBe('override');
      const audit = await auditOf(bw(), (r) => r.action === 'limits.override' && r.targetId === eve.id);
      expect(audit[0]).toMatchObject({
        actorId: compliance.id,
        after: { singleMinor: '10000000', approvalId: id },
      });
    });

    it('ledger.adjust posts a balanced entry with a decision; a refused one fails and changes nothing; the ledger verifies', async () => {
      const fay = await customer(api, 'Fay');
      const ops1 = await staffSession(bw(), 'operations');
      const ops2 = await staffSession(bw(), 'operations');
      const ask = (direction: 'credit' | 'debit', amountMinor: string) =>
        api.as(ops1.auth).post('/v1/ledger/adjustments', {
          walletId: fay.walletId,
          direction,
          amountMinor,
          currency: 'CNY',
          reason: 'lost top-up callback, ticket 4411',
        });
      const credit = await ask('credit', '12345');
      expect(credit.status, credit.text).toBe(202);
      expectProblem(
        await api.as(ops1.auth).post(`/v1/approvals/${str(credit.body, 'id')}/approve`, {}),
        403,
        'APPROVAL_SELF',
      );
      const approved = await api.as(ops2.auth).post(`/v1/approvals/${str(credit.body, 'id')}/approve`, {});
      expect(approved.status, approved.text).toBe(200);
      expect(str(approved.body, 'approval', 'status')).toBe('approved');
      const entryId = str(approved.body, 'approval', 'result', 'entryId');
      expect((await api.balance(fay.walletId)).posted).toBe(12345n);

      const entry = await bw().ledger.getEntry(entryId);
      expect(entry).toMatchObject({ kind: 'adjustment', rule: 'adjustment_credit', amountMinor: 12345n });
      expect(entry.metadata).toMatchObject({ approvalId: str(credit.body, 'id'), direction: 'credit' });
      expect(entry.postings.reduce((s, p) => s + p.amountMinor, 0n)).toBe(0n);
      const decision = await bw().ledger.decision(entry.decisionId);
      expect(decision).toMatchObject({ outcome: 'ALLOW', policy: 'maker-checker/1', entryIds: [entryId] });
      const adjustAudit = await auditOf(
        bw(),
        (r) => r.action === 'ledger.adjust' && r.targetId === fay.walletId,
      );
      expect(adjustAudit[0]).toMatchObject({ actorId: ops1.id, after: { entryId, direction: 'credit' } });

      // More than the wallet holds: the ledger refuses, the request fails, nothing moves.
      const seqBefore = (await bw().ledger.chainHead()).seq;
      const auditBefore = (await auditOf(bw(), () => true)).length;
      const debit = await ask('debit', '20000');
      const refused = await api.as(ops2.auth).post(`/v1/approvals/${str(debit.body, 'id')}/approve`, {});
      expect(refused.status, refused.text).toBe(200);
      expect(refused.body).toMatchObject({
        approval: { status: 'failed', error: 'LEDGER_INSUFFICIENT_FUNDS', result: null },
      });
      expect((await api.balance(fay.walletId)).posted).toBe(12345n);
      expect((await bw().ledger.chainHead()).seq).toBe(seqBefore);
      const added = (await auditOf(bw(), () => true)).slice(auditBefore).map((r) => r.action);
      expect(added).toEqual(['approval.request', 'approval.fail']);

      const debitOk = await ask('debit', '2345');
      const done = await api.as(ops2.auth).post(`/v1/approvals/${str(debitOk.body, 'id')}/approve`, {});
      expect(str(done.body, 'approval', 'status')).toBe('approved');
      expect((await api.balance(fay.walletId)).posted).toBe(10000n);

      const report = await verifyLedger(bw().dbHandle.db);
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect((await bw().ledger.custodyCheck()).ok).toBe(true);

      // Only customer wallets, in their own currency.
      const custody = bw().ledger.systemAccountId('customer_custody', 'CNY');
      const wrongAccount = await api.as(ops1.auth).post('/v1/ledger/adjustments', {
        walletId: custody,
        direction: 'credit',
        amountMinor: '1',
        currency: 'CNY',
        reason: 'nope',
      });
      expectProblem(wrongAccount, 404, 'WALLET_NOT_FOUND');
      const wrongCurrency = await api.as(ops1.auth).post('/v1/ledger/adjustments', {
        walletId: fay.walletId,
        direction: 'credit',
        amountMinor: '1',
        currency: 'USD',
        reason: 'nope',
      });
      expectProblem(wrongCurrency, 422, 'CURRENCY_MISMATCH');
    });

    it('pii.reveal.bulk: after approval only the maker takes the export, once', async () => {
      const gus = await customer(api, 'Gus');
      const hal = await customer(api, 'Hal');
      await personalData(bw(), gus.id, {
        phone: '+8613800001111',
        email: 'gus@example.com',
        name: '顾思',
        document: '110101199003074477',
      });
      await personalData(bw(), hal.id, {
        phone: '+8613800002222',
        email: 'hal@example.com',
        name: 'Hal Lee',
        document: '110101199003071234',
      });
      const maker = await staffSession(bw(), 'compliance');
      const checker = await staffSession(bw(), 'compliance');
      const asked = await api.as(maker.auth).post('/v1/pii/exports', {
        customerIds: [gus.id, hal.id],
        fields: ['phone', 'name'],
        reason: 'court order 2026-117 (Shanghai)',
      });
      expect(asked.status, asked.text).toBe(202);
      const id = str(asked.body, 'id');
      expectProblem(
        await api.as(maker.auth).post(`/v1/pii/exports/${id}/take`, undefined),
        409,
        'APPROVAL_STATE',
      );
      const approved = await api.as(checker.auth).post(`/v1/approvals/${id}/approve`, {});
      expect(approved.status, approved.text).toBe(200);
      expect(approved.text).not.toContain('13800001111');
      expect(approved.body).toMatchObject({ approval: { status: 'approved', result: { customers: 2 } } });
      const shown = await api.as(checker.auth).get(`/v1/approvals/${id}`);
      expect(shown.text).not.toContain('sealed');
      expect(shown.text).not.toContain('13800001111');

      expectProblem(
        await api.as(checker.auth).post(`/v1/pii/exports/${id}/take`, undefined),
        403,
        'AUTH_FORBIDDEN',
      );
      const taken = await api.as(maker.auth).post(`/v1/pii/exports/${id}/take`, undefined);
      expect(taken.status, taken.text).toBe(200);
      expect(taken.headers['cache-control']).toBe('no-store');
      expect(taken.body).toMatchObject({
        records: [
          { customerId: gus.id, phone: '+8613800001111', name: '顾思' },
          { customerId: hal.id, phone: '+8613800002222', name: 'Hal Lee' },
        ],
      });
      expect(taken.text).not.toContain('gus@example.com');
      expectProblem(
        await api.as(maker.auth).post(`/v1/pii/exports/${id}/take`, undefined),
        409,
        'APPROVAL_STATE',
      );
      const row = await bw()
        .dbHandle.db.selectFrom('approval_requests')
        .select('result')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(JSON.stringify(row.result)).not.toContain('enc1:');
      const actions = (await auditOf(bw(), (r) => r.targetId === id)).map((r) => r.action);
      expect(actions).toEqual([
        'approval.request',
        'pii.export.prepare',
        'approval.approve',
        'pii.reveal.bulk.taken',
      ]);
    });
  });
}
