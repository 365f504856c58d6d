// Proves alerts and cases over HTTP: intake from held decisions with deduplication, assignment, the
// state machine and its conflicts, decisions taken from a case (release, void, freeze, reverse),
// dispositions becoming labels and rule precision, attachments, and compensation from the reserve.
import { beforeAll, describe, expect, it } from 'vitest';
import { CASE_STATUSES, canTransition, TRANSITIONS } from '../../src/cases/model.ts';
import { decisionTable } from '../../src/risk/model/retrain.ts';
import { Api, arr, at, expectProblem, type Reply, str } from '../api/client.ts';
import { DATABASES, staffSession, useBulwark } from '../helpers.ts';

describe('case state machine', () => {
  it('allows exactly the documented transitions', () => {
    const allowed = new Set(
      Object.entries(TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}>${to}`)),
    );
    for (const from of CASE_STATUSES) {
      for (const to of CASE_STATUSES) {
        expect(canTransition(from, to), `${from} → ${to}`).toBe(allowed.has(`${from}>${to}`));
      }
    }
    expect(canTransition('closed', 'investigating')).toBe(true);
    expect(canTransition('closed', 'open')).toBe(false);
    expect(canTransition('decided', 'open')).toBe(false);
    expect(canTransition('open', 'open')).toBe(false);
  });
});

for (const target of DATABASES) {
  describe(`alerts and cases on ${target.name}`, () => {
    const bw = useBulwark(target, {
      config: { caseAttachmentMaxBytes: 2048, compensationApprovalMinor: 10_000, reserveFeeShareBps: 10_000 },
    });
    const api = new Api(bw);
    const analyst = () => api.asStaff('analyst');
    let carol = { id: '', walletId: '' };
    let bob = { id: '', walletId: '' };

    beforeAll(async () => {
      carol = await api.fundedCustomer('Carol', '4500000', '4500000');
      bob = await api.customer('Bob');
    });

    /** A transfer large enough to be held for review; returns the hold. */
    const heldTransfer = async (from = carol, amount = '2000000') => {
      const res = await api.transfer(from.walletId, bob.walletId, amount);
      expect(res.status, res.text).toBe(202);
      // The customer gets security tips for the reasons, in both languages (K6).
      const tips = arr(res.body, 'decision', 'tips');
      expect(tips.length).toBeGreaterThan(0);
      expect(tips[0]).toMatchObject({ title: { en: expect.any(String), 'zh-CN': expect.any(String) } });
      return { holdId: str(res.body, 'holdId'), decisionId: str(res.body, 'decision', 'id') };
    };
    const queueFor = async (subjectId: string) => {
      const res = await analyst().get(`/v1/alerts?subjectId=${subjectId}`);
      expect(res.status, res.text).toBe(200);
      return res;
    };
    const getCase = async (id: string) => {
      const res = await analyst().get(`/v1/cases/${id}`);
      expect(res.status, res.text).toBe(200);
      return res.body as Record<string, unknown>;
    };
    const version = async (id: string) => Number(at(await getCase(id), 'version'));

    let caseId = '';
    let firstHold = '';

    it('raises one alert per held decision, joins a second one to the open case, and tells the customer', async () => {
      const a = await heldTransfer();
      const b = await heldTransfer();
      firstHold = a.holdId;
      await bw().runMaintenance();
      await bw().runMaintenance(); // intake is idempotent
      const queue = await queueFor(carol.id);
      const alerts = arr(queue.body, 'alerts');
      expect(alerts).toHaveLength(2);
      expect(alerts[0]).toMatchObject({
        source: 'decision',
        type: 'risk.review',
        status: 'open',
        currency: 'CNY',
      });
      caseId = str(alerts[0], 'caseId');
      expect(str(alerts[1], 'caseId')).toBe(caseId);
      expect(alerts.map((x) => at(x, 'holdId')).sort()).toEqual([a.holdId, b.holdId].sort());

      const c = await getCase(caseId);
      expect(c).toMatchObject({ kind: 'risk', status: 'open', subjectId: carol.id, assigneeId: null });
      const entities = arr(c, 'entities').map((e) => `${at(e, 'kind')}:${at(e, 'id')}`);
      expect(entities).toEqual(
        expect.arrayContaining([`customer:${carol.id}`, `hold:${a.holdId}`, `decision:${a.decisionId}`]),
      );
      expect(arr(c, 'holds').map((h) => at(h, 'status'))).toEqual(['pending', 'pending']);
      const alert = await analyst().get(`/v1/alerts/${str(alerts[0], 'id')}`);
      expect(arr(alert.body, 'evidence', 'reasonCodes')).toContain('LARGE_AMOUNT');
      expect(arr(c, 'timeline').map((e) => at(e, 'type'))).toEqual([
        'case.opened',
        'alert.joined',
        'alert.joined',
      ]);

      const placed = await bw()
        .dbHandle.db.selectFrom('outbox')
        .select(['payload'])
        .where('topic', '=', 'wallet.hold.placed')
        .where('aggregate_id', '=', a.holdId)
        .execute();
      expect(placed).toHaveLength(1);
      expect(placed[0]?.payload).toMatchObject({
        customerId: carol.id,
        amountMinor: '2000000',
        kind: 'transfer',
      });
    });

    it('lets only the assignee (or a case manager) act; round-robin picks an active case worker', async () => {
      const other = await staffSession(bw(), 'analyst');
      const mine = await analyst().post('/v1/cases/assign', { caseIds: [caseId], to: 'me' });
      expect(mine.status, mine.text).toBe(200);
      expectProblem(
        await api.as(other.auth).post(`/v1/cases/${caseId}/notes`, { text: 'mine now' }),
        403,
        'CASE_NOT_ASSIGNED',
      );
      expectProblem(
        await api.as(other.auth).post('/v1/cases/assign', { caseIds: [caseId], to: 'me' }),
        403,
        'CASE_NOT_ASSIGNED',
      );
      const third = await staffSession(bw(), 'analyst');
      expectProblem(
        await api.as(other.auth).post('/v1/cases/assign', { caseIds: [caseId], to: third.id }),
        403,
        'AUTH_FORBIDDEN',
      );
      const note = await api
        .asStaff('compliance')
        .post(`/v1/cases/${caseId}/notes`, { text: 'supervisor looked' });
      expect(note.status, note.text).toBe(200);
      expectProblem(
        await api.asStaff('support').post(`/v1/cases/${caseId}/notes`, { text: 'x' }),
        403,
        'AUTH_FORBIDDEN',
      );
      const auto = await api
        .asStaff('compliance')
        .post('/v1/cases/assign', { caseIds: [caseId], to: 'auto' });
      expect(auto.status, auto.text).toBe(200);
      const picked = str(auto.body, 'assigned', 0, 'assigneeId');
      const workers = await bw()
        .dbHandle.db.selectFrom('staff_users')
        .select(['id', 'role'])
        .where('status', '=', 'active')
        .execute();
      expect(['analyst', 'compliance']).toContain(workers.find((w) => w.id === picked)?.role);
      // Back to the test analyst for the rest.
      const me = await analyst().get('/v1/alerts?assignee=none');
      expect(me.status).toBe(200);
      await api.asStaff('compliance').post('/v1/cases/assign', {
        caseIds: [caseId],
        to: (
          await bw()
            .dbHandle.db.selectFrom('auth_sessions')
            .select('subject_id')
            .where('role', '=', 'analyst')
            .orderBy('created_at')
            .executeTakeFirstOrThrow()
        ).subject_id,
      });
    });

    it('refuses a stale version and forbidden transitions, and lets one of two simultaneous moves win', async () => {
      const v = await version(caseId);
      expectProblem(
        await analyst().post(`/v1/cases/${caseId}/transition`, { to: 'open', version: v }),
        409,
        'CASE_TRANSITION',
      );
      expectProblem(
        await analyst().post(`/v1/cases/${caseId}/transition`, { to: 'investigating', version: v - 1 }),
        409,
        'CASE_CONFLICT',
      );
      const [x, y] = await Promise.all([
        analyst().post(`/v1/cases/${caseId}/transition`, { to: 'investigating', version: v }),
        analyst().post(`/v1/cases/${caseId}/transition`, { to: 'pending_info', version: v }),
      ]);
      const statuses = [x.status, y.status].sort();
      expect(statuses).toEqual([200, 409]);
      const loser = x.status === 409 ? x : y;
      expect(str(loser.body, 'code')).toBe('CASE_CONFLICT');
      expect(await version(caseId)).toBe(v + 1);
    });

    it('releases a hold from the case: the payee is credited, the timeline says so, a stale retry changes nothing', async () => {
      const bob0 = await api.balance(bob.walletId);
      const v = await version(caseId);
      const released = await analyst().post(`/v1/cases/${caseId}/holds/${firstHold}/release`, {
        version: v,
        reason: 'customer confirmed the payee by phone',
      });
      expect(released.status, released.text).toBe(200);
      expect(await api.balance(bob.walletId)).toMatchObject({ posted: bob0.posted + 2000000n });
      const c = await getCase(caseId);
      expect(arr(c, 'timeline').at(-1)).toMatchObject({
        type: 'hold.released',
        detail: { holdId: firstHold },
      });
      expect(Number(at(c, 'version'))).toBe(v + 1);
      const other = str(
        arr(c, 'holds').find((h) => at(h, 'id') !== firstHold),
        'id',
      );
      expectProblem(
        await analyst().post(`/v1/cases/${caseId}/holds/${other}/void`, { version: v, reason: 'stale page' }),
        409,
        'CASE_CONFLICT',
      );
      expect(arr(await getCase(caseId), 'holds').find((h) => at(h, 'id') === other)).toMatchObject({
        status: 'pending',
      });
      const voided = await analyst().post(`/v1/cases/${caseId}/holds/${other}/void`, {
        version: v + 1,
        reason: 'payee is a known mule',
      });
      expect(voided.status, voided.text).toBe(200);
      expect(str(voided.body, 'hold', 'status')).toBe('voided');
      expectProblem(
        await analyst().post(`/v1/cases/${caseId}/holds/${other}/release`, {
          version: v + 2,
          reason: 'changed my mind',
        }),
        409,
        'LEDGER_HOLD_NOT_PENDING',
      );
      const rejected = await bw()
        .dbHandle.db.selectFrom('outbox')
        .select('payload')
        .where('topic', '=', 'wallet.hold.rejected')
        .where('aggregate_id', '=', other)
        .execute();
      expect(rejected[0]?.payload).toMatchObject({ customerId: carol.id, reason: 'payee is a known mule' });
    });

    it('refuses to release a hold that expired, and one not linked to the case', async () => {
      const dave = await api.fundedCustomer('Dave', '4500000');
      const held = await heldTransfer(dave);
      await bw().runMaintenance();
      const daveCase = str(at((await queueFor(dave.id)).body, 'alerts', 0), 'caseId');
      await analyst().post('/v1/cases/assign', { caseIds: [daveCase], to: 'me' });
      expectProblem(
        await analyst().post(`/v1/cases/${daveCase}/holds/${firstHold}/release`, {
          version: await version(daveCase),
          reason: 'wrong case',
        }),
        422,
        'CASE_NOT_LINKED',
      );
      // The hold's time ran out (the maintenance round has not expired it yet).
      await bw()
        .dbHandle.db.updateTable('ledger_holds')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('id', '=', held.holdId)
        .execute();
      expectProblem(
        await analyst().post(`/v1/cases/${daveCase}/holds/${held.holdId}/release`, {
          version: await version(daveCase),
          reason: 'too late',
        }),
        409,
        'LEDGER_HOLD_NOT_PENDING',
      );
      expect(await api.balance(dave.walletId)).toMatchObject({ held: 2000000n });
    });

    it('closes only with a disposition; the disposition labels the decisions and feeds rule precision', async () => {
      const v = await version(caseId);
      expectProblem(
        await analyst().post(`/v1/cases/${caseId}/transition`, { to: 'closed', version: v }),
        422,
        'CASE_DISPOSITION_REQUIRED',
      );
      const closed = await analyst().post(`/v1/cases/${caseId}/transition`, {
        to: 'closed',
        version: v,
        disposition: 'false_positive',
        note: 'regular supplier payment',
      });
      expect(closed.status, closed.text).toBe(200);
      expect(closed.body).toMatchObject({ status: 'closed', disposition: 'false_positive' });
      const decisions = (
        await bw()
          .dbHandle.db.selectFrom('alerts')
          .select('decision_id')
          .where('case_id', '=', caseId)
          .execute()
      ).map((d) => d.decision_id ?? '');
      const labels = await bw()
        .dbHandle.db.selectFrom('risk_labels')
        .select(['decision_id', 'label', 'source'])
        .where('decision_id', 'in', decisions)
        .execute();
      expect(labels).toHaveLength(2);
      expect(labels.every((l) => l.label === 'legit' && l.source === 'cases')).toBe(true);
      const openAlerts = await queueFor(carol.id);
      expect(arr(openAlerts.body, 'alerts')).toHaveLength(0);
      expectProblem(await analyst().post(`/v1/cases/${caseId}/notes`, { text: 'late' }), 409, 'CASE_CLOSED');

      const precision = await analyst().get('/v1/risk/rule-precision');
      expect(precision.status, precision.text).toBe(200);

      // A new alert on Carol opens a new case; reopening the closed one is then refused.
      await heldTransfer();
      await bw().runMaintenance();
      const fresh = str(at((await queueFor(carol.id)).body, 'alerts', 0), 'caseId');
      expect(fresh).not.toBe(caseId);
      expectProblem(
        await api
          .asStaff('compliance')
          .post(`/v1/cases/${caseId}/transition`, { to: 'investigating', version: v + 1 }),
        409,
        'CASE_TRANSITION',
      );
      caseId = fresh;
    });

    it('stores attachments with their hash; refuses too large and forbidden types, storing nothing', async () => {
      await analyst().post('/v1/cases/assign', { caseIds: [caseId], to: 'me' });
      const png = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), Buffer.alloc(64, 7)]);
      const ok = await analyst().post(`/v1/cases/${caseId}/attachments`, {
        filename: 'screenshot.png',
        contentBase64: png.toString('base64'),
      });
      expect(ok.status, ok.text).toBe(201);
      expect(ok.body).toMatchObject({ contentType: 'image/png', sizeBytes: png.length });
      const download = await analyst().get(`/v1/cases/${caseId}/attachments/${str(ok.body, 'attachmentId')}`);
      expect(download.status).toBe(200);
      expect(download.headers['content-type']).toBe('image/png');
      expectProblem(
        await analyst().post(`/v1/cases/${caseId}/attachments`, {
          filename: 'big.txt',
          contentBase64: Buffer.alloc(2049, 65).toString('base64'),
        }),
        413,
        'CASE_ATTACHMENT_TOO_LARGE',
      );
      expectProblem(
        await analyst().post(`/v1/cases/${caseId}/attachments`, {
          filename: 'tool.exe',
          contentBase64: Buffer.from([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0]).toString('base64'),
        }),
        415,
        'CASE_ATTACHMENT_TYPE',
      );
      const c = await getCase(caseId);
      expect(arr(c, 'attachments')).toHaveLength(1);
    });

    it('freezes from a case at once; an unfreeze goes through maker-checker', async () => {
      const v = await version(caseId);
      const frozen = await analyst().post(`/v1/cases/${caseId}/owners/${carol.id}/freeze`, {
        version: v,
        reason: 'account takeover suspected',
      });
      expect(frozen.status, frozen.text).toBe(200);
      const customer = await api.get(`/v1/customers/${carol.id}`);
      expect(str(customer.body, 'status')).toBe('frozen');
      const ask = await analyst().post(`/v1/cases/${caseId}/owners/${carol.id}/unfreeze`, {
        version: v + 1,
        reason: 'customer verified in branch',
      });
      expect(ask.status, ask.text).toBe(202);
      const approve = await api
        .asStaff('compliance')
        .post(`/v1/approvals/${str(ask.body, 'id')}/approve`, {});
      expect(str(approve.body, 'approval', 'status'), approve.text).toBe('approved');
      expect(str((await api.get(`/v1/customers/${carol.id}`)).body, 'status')).toBe('active');
      const types = arr(await getCase(caseId), 'timeline').map((e) => at(e, 'type'));
      expect(types).toEqual(expect.arrayContaining(['owner.frozen', 'owner.unfreeze.requested']));
    });

    it('reverses a linked transfer with a reversal entry', async () => {
      await api.topup(bob.walletId, '10000');
      const t = await api.transfer(carol.walletId, bob.walletId, '3000');
      expect(t.status, t.text).toBe(201);
      const entryId = str(t.body, 'entryId');
      const v = await version(caseId);
      expectProblem(
        await analyst().post(`/v1/cases/${caseId}/transactions/${entryId}/reverse`, {
          version: v,
          reason: 'scam',
        }),
        422,
        'CASE_NOT_LINKED',
      );
      const linked = await analyst().post(`/v1/cases/${caseId}/entities`, {
        entities: [{ kind: 'transaction', id: entryId }],
        version: v,
      });
      expect(linked.status, linked.text).toBe(200);
      const carol0 = await api.balance(carol.walletId);
      const r = await analyst().post(`/v1/cases/${caseId}/transactions/${entryId}/reverse`, {
        version: v + 1,
        reason: 'scam payee',
      });
      expect(r.status, r.text).toBe(200);
      expect(str(r.body, 'reverses')).toBe(entryId);
      expect(await api.balance(carol.walletId)).toMatchObject({ posted: carol0.posted + 3000n });
    });

    it('compensates within the recorded loss from the reserve; above the threshold a second person approves', async () => {
      // Fees fund the reserve: a merchant payment earns one, the sweep moves its share (100% in this test).
      const shop = await api.merchant('Shop', 500);
      const pay = await api.post('/v1/payments', {
        walletId: carol.walletId,
        merchantId: shop.id,
        amountMinor: '400000',
        currency: 'CNY',
      });
      expect(pay.status, pay.text).toBe(201);
      await bw().runMaintenance();
      const report0 = await api.asStaff('operations').get('/v1/reserve');
      expect(report0.status, report0.text).toBe(200);
      const cny = arr(report0.body, 'currencies').find((c) => at(c, 'currency') === 'CNY');
      expect(str(cny, 'balanceMinor')).toBe('20000');

      const v = await version(caseId);
      const body = (amountMinor: string, ver: number) => ({
        version: ver,
        walletId: carol.walletId,
        amountMinor,
        reason: 'lost to a scam our checks missed',
      });
      expectProblem(
        await analyst().post(`/v1/cases/${caseId}/compensations`, body('500', v)),
        422,
        'CASE_LOSS_UNKNOWN',
      );
      const loss = await analyst().post(`/v1/cases/${caseId}/loss`, {
        lossMinor: '15000',
        currency: 'CNY',
        version: v,
      });
      expect(loss.status, loss.text).toBe(200);
      expectProblem(
        await analyst().post(`/v1/cases/${caseId}/compensations`, body('15001', v + 1)),
        422,
        'CASE_COMPENSATION_EXCEEDS_LOSS',
      );
      const carol0 = await api.balance(carol.walletId);
      const small = await analyst().post(`/v1/cases/${caseId}/compensations`, body('4000', v + 1));
      expect(small.status, small.text).toBe(201);
      expect(await api.balance(carol.walletId)).toMatchObject({ posted: carol0.posted + 4000n });

      const big = await analyst().post(`/v1/cases/${caseId}/compensations`, body('11000', v + 2));
      expect(big.status, big.text).toBe(202);
      // The pending request counts against the loss.
      expectProblem(
        await analyst().post(`/v1/cases/${caseId}/compensations`, body('1', v + 2)),
        422,
        'CASE_COMPENSATION_EXCEEDS_LOSS',
      );
      const approved = await api
        .asStaff('compliance')
        .post(`/v1/approvals/${str(big.body, 'id')}/approve`, {});
      expect(str(approved.body, 'approval', 'status'), approved.text).toBe('approved');
      expect(await api.balance(carol.walletId)).toMatchObject({ posted: carol0.posted + 15000n });

      const c = await getCase(caseId);
      expect(arr(c, 'compensations').map((x) => [at(x, 'amountMinor'), at(x, 'status')])).toEqual([
        ['4000', 'paid'],
        ['11000', 'paid'],
      ]);
      const report = await api.asStaff('operations').get('/v1/reserve');
      const after = arr(report.body, 'currencies').find((x) => at(x, 'currency') === 'CNY');
      expect(after).toMatchObject({
        balanceMinor: '5000',
        payouts: { compensationMinor: '15000', count: 2 },
      });
      const custody = await bw().ledger.custodyCheck();
      expect(custody.ok).toBe(true);
      const paid = await bw()
        .dbHandle.db.selectFrom('outbox')
        .select('payload')
        .where('topic', '=', 'cases.compensation.paid')
        .execute();
      expect(paid).toHaveLength(2);
      // The reserve cannot pay more than it holds.
      const loss2 = await analyst().post(`/v1/cases/${caseId}/loss`, {
        lossMinor: '30000',
        currency: 'CNY',
        version: Number(at(c, 'version')),
      });
      expect(loss2.status, loss2.text).toBe(200);
      expectProblem(
        await analyst().post(`/v1/cases/${caseId}/compensations`, body('6000', Number(at(c, 'version')) + 1)),
        422,
        'RESERVE_INSUFFICIENT',
      );
    });

    it('a confirmed-fraud disposition reaches the retraining set as a fraud label dated at the close', async () => {
      const erin = await api.fundedCustomer('Erin', '4500000');
      const held = await heldTransfer(erin);
      await bw().runMaintenance();
      const erinCase = str(at((await queueFor(erin.id)).body, 'alerts', 0), 'caseId');
      await analyst().post('/v1/cases/assign', { caseIds: [erinCase], to: 'me' });
      const before = Date.now();
      const closed = await analyst().post(`/v1/cases/${erinCase}/transition`, {
        to: 'closed',
        version: await version(erinCase),
        disposition: 'confirmed_fraud',
        summary: 'payee confirmed as a mule account',
      });
      expect(closed.status, closed.text).toBe(200);
      const range = { fromMs: before - 3600_000, toMs: Date.now() + 1000, labelDelayMs: 7 * 86_400_000 };
      const find = (t: Awaited<ReturnType<typeof decisionTable>>) => {
        const rows = [...t.amountMinor.keys()].filter(
          (i) => t.payerIds[t.payer[i] ?? -1] === erin.id && t.amountMinor[i] === 2000000,
        );
        expect(rows).toHaveLength(1);
        return rows[0] ?? -1;
      };
      const known = await decisionTable(bw().dbHandle.db, { ...range, asOfMs: Date.now() + 1000 });
      const i = find(known);
      expect(known.labels[i]).toBe(1);
      expect(known.labelKnownAtMs[i]).toBeGreaterThanOrEqual(before);
      // Before the case closed, the label was not known.
      const earlier = await decisionTable(bw().dbHandle.db, { ...range, asOfMs: before - 1 });
      expect(earlier.labels[find(earlier)]).toBe(0);
      const label = await bw()
        .dbHandle.db.selectFrom('risk_labels')
        .selectAll()
        .where('decision_id', '=', held.decisionId)
        .executeTakeFirstOrThrow();
      expect(label).toMatchObject({ label: 'fraud', source: 'cases' });
    });

    it('a held withdrawal is approved for payout from its case and paid by the channel', async () => {
      const fay = await api.fundedCustomer('Fay', '4500000');
      const res = await api.post('/v1/withdrawals', {
        walletId: fay.walletId,
        amountMinor: '2000000',
        currency: 'CNY',
        bankAccount: { accountNumber: '6222020200112233445', holderName: 'Fay' },
      });
      expect(res.status, res.text).toBe(202);
      const withdrawalId = str(res.body, 'id');
      await bw().runMaintenance();
      const alert = at((await queueFor(fay.id)).body, 'alerts', 0);
      expect(alert).toMatchObject({ withdrawalId, type: 'risk.review' });
      const fayCase = str(alert, 'caseId');
      await analyst().post('/v1/cases/assign', { caseIds: [fayCase], to: 'me' });
      const released = await analyst().post(`/v1/cases/${fayCase}/holds/${str(alert, 'holdId')}/release`, {
        version: await version(fayCase),
        reason: 'salary withdrawal, verified',
      });
      expect(released.status, released.text).toBe(200);
      const done = await api.settle(`/v1/withdrawals/${withdrawalId}`, ['processing']);
      expect(str(done.body, 'status')).toBe('succeeded');
      expect(arr(await getCase(fayCase), 'timeline').at(-1)).toMatchObject({ type: 'hold.released' });
    });

    it('queue filters and priority order', async () => {
      const res: Reply = await analyst().get('/v1/alerts?severity=medium&limit=5');
      expect(res.status, res.text).toBe(200);
      const ranks = arr(res.body, 'alerts').map((a) => Number(at(a, 'rank')));
      expect([...ranks].sort((a, b) => b - a)).toEqual(ranks);
      expectProblem(await analyst().get('/v1/alerts?severity=urgent'), 400, 'VALIDATION_FAILED');
    });
  });
}
