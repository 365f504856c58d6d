// Proves disputes over HTTP: a payment dispute runs from filing (case with its deadline, merchant told, provisional credit) to the user's decision with the merchant refund and the credit reversed, with outbox events at each step; duplicates, other customers' transactions, oversized or forbidden attachments and disallowed transitions are refused with nothing changed; a failed refund leaves the dispute open; an uncoverable reversal leaves the decision standing and the failure on the case timeline; a provisional credit is never kept beyond what was upheld, and only one is paid at a time even for simultaneous filings; overdue disputes are marked once; lists page by their own cursors.
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/clock.ts';
import { detectType } from '../../src/support/attachments.ts';
import { Api, arr, at, expectProblem, str } from '../api/client.ts';
import { DATABASES, staffSession, useBulwark } from '../helpers.ts';
import { asCustomer, outboxOf, pay, timeline } from './helpers.ts';

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(64, 7),
]);

describe('attachment types', () => {
  it('recognises files by their bytes, never by their name', () => {
    expect(detectType(PNG)).toBe('image/png');
    expect(detectType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2]))).toBe('image/jpeg');
    expect(detectType(Buffer.from('%PDF-1.7\n...'))).toBe('application/pdf');
    expect(detectType(Buffer.from('收据：订单 123 已付款\r\n'))).toBe('text/plain');
    expect(detectType(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]))).toBeUndefined(); // zip
    expect(detectType(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))).toBeUndefined(); // ELF executable
    expect(detectType(Buffer.from([0xc3, 0x28]))).toBeUndefined(); // not UTF-8
  });
});

for (const target of DATABASES) {
  describe(`disputes on ${target.name}`, () => {
    const bw = useBulwark(target, { starterRules: false });
    const api = new Api(bw);
    const analyst = () => api.asStaff('analyst');
    let shop = { id: '', accountId: '' };
    let alice = { id: '', walletId: '' };
    let bob = { id: '', walletId: '' };
    const asAlice = () => asCustomer(bw, alice.id);
    const asBob = () => asCustomer(bw, bob.id);
    const disputeRows = async () =>
      Number(
        (
          await bw()
            .dbHandle.db.selectFrom('support_disputes')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    beforeAll(async () => {
      shop = await api.merchant('Tea House', 1000);
      alice = await api.fundedCustomer('Alice', '1000000');
      bob = await api.fundedCustomer('Bob', '200000');
      // Fees fund the risk reserve that pays provisional credits.
      const whale = await api.fundedCustomer('Whale', '2000000');
      await pay(api, whale.walletId, shop.id, '1500000');
      await bw().reserve.fund({
        currency: 'CNY',
        amountMinor: 100_000n,
        source: 'revenue',
        reason: 'test reserve',
        actor: { type: 'system', id: 'test' },
      });
    });

    let disputeId = '';
    let paymentId = '';

    it('opens a dispute with a case, a 7-day deadline, the merchant told and a provisional credit paid', async () => {
      paymentId = await pay(api, alice.walletId, shop.id, '10000');
      const before = await api.balance(alice.walletId);
      const filedAt = Date.now();
      const res = await asAlice().post('/v1/disputes', {
        entryId: paymentId,
        reason: 'not_received',
        description: 'The tea set never arrived; the seller stopped answering.',
        provisionalCredit: true,
      });
      expect(res.status, res.text).toBe(201);
      disputeId = str(res.body, 'id');
      expect(res.body).toMatchObject({
        entryId: paymentId,
        entryKind: 'payment',
        merchantId: shop.id,
        amountMinor: '10000',
        currency: 'CNY',
        reason: 'not_received',
        status: 'open',
        overdue: false,
        provisionalCredit: { status: 'paid', amountMinor: '10000' },
        decision: null,
      });
      const dueMs = Date.parse(str(res.body, 'dueAt')) - filedAt;
      expect(dueMs).toBeGreaterThan(7 * 86_400_000 - 60_000);
      expect(dueMs).toBeLessThan(7 * 86_400_000 + 60_000);
      expect(str(res.body, 'message', 'en')).toContain('decision');
      expect(str(res.body, 'message', 'zh-CN')).toContain('争议');
      expect(await api.balance(alice.walletId)).toMatchObject({ posted: before.posted + 10000n });

      const db = bw().dbHandle.db;
      const alert = await db
        .selectFrom('alerts')
        .selectAll()
        .where('source', '=', 'dispute')
        .where('source_ref', '=', disputeId)
        .executeTakeFirstOrThrow();
      expect(alert).toMatchObject({ type: 'dispute.opened', subject_id: alice.id });
      const kase = await db
        .selectFrom('cases')
        .selectAll()
        .where('id', '=', alert.case_id)
        .executeTakeFirstOrThrow();
      expect(kase.kind).toBe('dispute');
      expect(BigInt(kase.loss_minor ?? 0n)).toBe(10000n);
      const entities = await db
        .selectFrom('case_entities')
        .select(['kind', 'ref'])
        .where('case_id', '=', kase.id)
        .execute();
      expect(entities).toEqual(
        expect.arrayContaining([
          { kind: 'customer', ref: alice.id },
          { kind: 'merchant', ref: shop.id },
          { kind: 'transaction', ref: paymentId },
          { kind: 'account', ref: alice.walletId },
        ]),
      );
      const events = await outboxOf(bw(), disputeId);
      expect(events.map((e) => e.topic)).toEqual(['support.dispute.opened', 'support.dispute.updated']);
      expect(events[0]?.payload).toEqual({
        disputeId,
        customerId: alice.id,
        merchantId: shop.id,
        status: 'open',
        reason: 'not_received',
        dueAt: str(res.body, 'dueAt'),
      });

      const queue = await api.asStaff('support').get('/v1/staff/disputes?status=open');
      expect(queue.status, queue.text).toBe(200);
      expect(arr(queue.body, 'disputes').map((d) => at(d, 'id'))).toContain(disputeId);
    });

    it('refuses a second dispute of the same transaction, and changes nothing', async () => {
      const rows = await disputeRows();
      const res = await asAlice().post('/v1/disputes', {
        entryId: paymentId,
        reason: 'duplicate',
        description: 'Charged twice.',
      });
      expectProblem(res, 409, 'SUPPORT_DISPUTE_EXISTS');
      expect(await disputeRows()).toBe(rows);
    });

    it("refuses another customer's transaction and dispute, and one that does not exist, alike", async () => {
      const rows = await disputeRows();
      expectProblem(
        await asBob().post('/v1/disputes', {
          entryId: paymentId,
          reason: 'unauthorised',
          description: 'Not me.',
        }),
        403,
        'AUTH_FORBIDDEN',
      );
      expectProblem(
        await asBob().post('/v1/disputes', {
          entryId: 'txn_00000000000000000000000000',
          reason: 'unauthorised',
          description: 'Not me.',
        }),
        403,
        'AUTH_FORBIDDEN',
      );
      // Money Bob received is not his to dispute either: he did not pay it.
      const t = await api.transfer(alice.walletId, bob.walletId, '100');
      expect(t.status, t.text).toBe(201);
      expectProblem(
        await asBob().post('/v1/disputes', {
          entryId: str(t.body, 'entryId'),
          reason: 'wrong_amount',
          description: 'x',
        }),
        403,
        'AUTH_FORBIDDEN',
      );
      expectProblem(await asBob().get(`/v1/disputes/${disputeId}`), 403, 'AUTH_FORBIDDEN');
      expect(await disputeRows()).toBe(rows);
      // A refund can be disputed only as "refund not received".
      const refundable = await pay(api, alice.walletId, shop.id, '700');
      const refund = await api.post(`/v1/payments/${refundable}/refunds`, {});
      expect(refund.status, refund.text).toBe(201);
      expectProblem(
        await asAlice().post('/v1/disputes', {
          entryId: str(refund.body, 'entryId'),
          reason: 'unauthorised',
          description: 'x',
        }),
        422,
        'SUPPORT_DISPUTE_NOT_ELIGIBLE',
      );
    });

    it('stores evidence checked by size and type; refused files leave nothing behind', async () => {
      const db = bw().dbHandle.db;
      const stored = async () =>
        Number(
          (
            await db
              .selectFrom('support_dispute_attachments')
              .select((eb) => eb.fn.countAll<string>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const url = `/v1/disputes/${disputeId}/attachments`;
      const tooLarge = Buffer.alloc(5 * 1024 * 1024 + 1, 0x41); // plain text, one byte over
      expectProblem(
        await asAlice().post(url, { filename: 'big.txt', contentBase64: tooLarge.toString('base64') }),
        413,
        'SUPPORT_ATTACHMENT_TOO_LARGE',
      );
      expectProblem(
        await asAlice().post(url, {
          filename: 'receipt.png',
          contentBase64: Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03]).toString('base64'), // a Windows executable
        }),
        415,
        'SUPPORT_ATTACHMENT_TYPE',
      );
      expectProblem(
        await asAlice().post(url, {
          filename: 'receipt.pdf',
          contentType: 'application/pdf',
          contentBase64: PNG.toString('base64'),
        }),
        415,
        'SUPPORT_ATTACHMENT_TYPE',
      );
      expect(await stored()).toBe(0);

      const ok = await asAlice().post(url, { filename: 'chat.png', contentBase64: PNG.toString('base64') });
      expect(ok.status, ok.text).toBe(201);
      expect(ok.body).toMatchObject({
        filename: 'chat.png',
        contentType: 'image/png',
        sizeBytes: PNG.length,
      });
      expect(str(ok.body, 'sha256')).toMatch(/^[0-9a-f]{64}$/);
      const again = await asAlice().post(url, {
        filename: 'chat-copy.png',
        contentBase64: PNG.toString('base64'),
      });
      expect(again.status, again.text).toBe(200);
      expect(str(again.body, 'id')).toBe(str(ok.body, 'id'));
      expect(await stored()).toBe(1);

      const download = await bw().app.inject({
        method: 'GET',
        url: `/v1/staff/disputes/${disputeId}/attachments/${str(ok.body, 'id')}`,
        headers: { authorization: await bw().staffAuth('analyst') },
      });
      expect(download.statusCode).toBe(200);
      expect(download.headers['content-type']).toBe('image/png');
      expect(download.rawPayload.equals(PNG)).toBe(true);
    });

    it('decides for the user: the merchant refunds, the provisional credit is reversed, the user is told why', async () => {
      const before = await api.balance(alice.walletId);
      const merchantBefore = await api.balance(shop.accountId);
      const key = `decide-${disputeId}`;
      const body = {
        outcome: 'upheld',
        reason: {
          en: 'The merchant could not show a delivery; you get your money back.',
          'zh-CN': '商户无法提供发货证明，款项退还给您。',
        },
      };
      expectProblem(
        await api.asStaff('support').post(`/v1/disputes/${disputeId}/decision`, body),
        403,
        'AUTH_FORBIDDEN',
      );
      const res = await analyst().post(`/v1/disputes/${disputeId}/decision`, body, { key });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({
        status: 'decided',
        provisionalCredit: { status: 'reversed' },
        decision: { outcome: 'upheld', refundMinor: '10000', reason: body.reason },
      });
      expect(str(res.body, 'decision', 'refundEntryId')).toMatch(/^txn_/);
      // Refunded once, the credit taken back: the user is whole, never paid twice.
      expect(await api.balance(alice.walletId)).toMatchObject({ posted: before.posted });
      const merchantAfter = await api.balance(shop.accountId);
      expect(merchantAfter.posted).toBeLessThan(merchantBefore.posted);

      const seen = await asAlice().get(`/v1/disputes/${disputeId}`);
      expect(seen.status, seen.text).toBe(200);
      expect(seen.body).toMatchObject({
        status: 'decided',
        decision: { outcome: 'upheld', reason: body.reason },
      });
      expect(str(seen.body, 'message', 'en')).toContain('in your favour');

      const events = await outboxOf(bw(), disputeId);
      expect(events.map((e) => e.topic)).toEqual([
        'support.dispute.opened',
        'support.dispute.updated',
        'support.dispute.decided',
        'support.dispute.updated',
      ]);
      expect(events[2]?.payload).toMatchObject({
        status: 'decided',
        outcome: 'upheld',
        decisionReason: body.reason.en,
        merchantId: shop.id,
      });
      const caseId = str(
        await analyst()
          .get(`/v1/staff/disputes/${disputeId}`)
          .then((r) => r.body),
        'caseId',
      );
      expect((await timeline(bw(), caseId)).map((e) => e.type)).toEqual([
        'case.opened',
        'alert.joined',
        'dispute.opened',
        'dispute.provisional_credit.paid',
        'dispute.attachment_added',
        'dispute.deciding',
        'dispute.decided',
        'case.status',
        'dispute.provisional_credit.reversed',
      ]);
      // The dispute's case closed with its decision.
      expect(
        await bw()
          .dbHandle.db.selectFrom('cases')
          .select('status')
          .where('id', '=', caseId)
          .executeTakeFirstOrThrow(),
      ).toEqual({ status: 'closed' });

      // The same request again is replayed; another decision is refused.
      const replay = await analyst().post(`/v1/disputes/${disputeId}/decision`, body, { key });
      expect(replay.status, replay.text).toBe(200);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expectProblem(
        await analyst().post(`/v1/disputes/${disputeId}/decision`, { ...body, outcome: 'rejected' }),
        409,
        'SUPPORT_DISPUTE_STATE',
      );
      expectProblem(
        await asAlice().post(`/v1/disputes/${disputeId}/withdraw`, {}),
        409,
        'SUPPORT_DISPUTE_STATE',
      );
      expectProblem(
        await asAlice().post(`/v1/disputes/${disputeId}/attachments`, {
          filename: 'late.txt',
          contentBase64: Buffer.from('more').toString('base64'),
        }),
        409,
        'SUPPORT_DISPUTE_STATE',
      );
    });

    it('keeps the dispute open when the merchant refund cannot be made, then decides with what remains', async () => {
      const payment = await pay(api, alice.walletId, shop.id, '8000');
      const filed = await asAlice().post('/v1/disputes', {
        entryId: payment,
        reason: 'wrong_amount',
        description: 'Charged 80 instead of 50.',
        amountMinor: '3000',
      });
      expect(filed.status, filed.text).toBe(201);
      const id = str(filed.body, 'id');
      // The merchant refunds most of the payment on its own meanwhile.
      const own = await api.post(`/v1/payments/${payment}/refunds`, { amountMinor: '6000' });
      expect(own.status, own.text).toBe(201);
      const reason = { en: 'You were overcharged.' };
      const failed = await analyst().post(`/v1/disputes/${id}/decision`, {
        outcome: 'upheld',
        reason,
        refundMinor: '3000',
      });
      expectProblem(failed, 409, 'SUPPORT_DISPUTE_REFUND_FAILED');
      expect(str(failed.body, 'refundCode')).toBe('WALLET_REFUND_EXCEEDS_PAYMENT');
      const view = await analyst().get(`/v1/staff/disputes/${id}`);
      expect(view.body).toMatchObject({ status: 'open', refundAttempts: 1, decision: null });
      const types = (await timeline(bw(), str(view.body, 'caseId'))).map((e) => e.type);
      expect(types).toContain('dispute.refund_failed');
      expect((await outboxOf(bw(), id)).map((e) => e.topic)).toEqual(['support.dispute.opened']);

      const done = await analyst().post(`/v1/disputes/${id}/decision`, {
        outcome: 'upheld',
        reason,
        refundMinor: '2000',
      });
      expect(done.status, done.text).toBe(200);
      expect(done.body).toMatchObject({ status: 'decided', decision: { refundMinor: '2000' } });
    });

    it('rejects a dispute whose credit was spent: the decision stands and the failed reversal is on the timeline', async () => {
      const carol = await api.fundedCustomer('Carol', '20000');
      const payment = await pay(api, carol.walletId, shop.id, '15000');
      const filed = await asCustomer(bw, carol.id).post('/v1/disputes', {
        entryId: payment,
        reason: 'unauthorised',
        description: 'I did not make this payment.',
        provisionalCredit: true,
      });
      expect(filed.status, filed.text).toBe(201);
      expect(filed.body).toMatchObject({ provisionalCredit: { status: 'paid' } });
      const id = str(filed.body, 'id');
      const spend = await api.transfer(carol.walletId, bob.walletId, '20000');
      expect(spend.status, spend.text).toBe(201);

      const res = await analyst().post(`/v1/disputes/${id}/decision`, {
        outcome: 'rejected',
        reason: { 'zh-CN': '该笔支付使用了您本人的设备和支付密码。' },
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({
        status: 'decided',
        decision: {
          outcome: 'rejected',
          reason: { en: null, 'zh-CN': '该笔支付使用了您本人的设备和支付密码。' },
        },
        provisionalCredit: { status: 'reversal_failed' },
      });
      expect(str(res.body, 'provisionalNote')).toContain('LEDGER_INSUFFICIENT_FUNDS');
      const failure = (await timeline(bw(), str(res.body, 'caseId'))).find(
        (e) => e.type === 'dispute.provisional_credit.reversal_failed',
      );
      expect(failure?.detail).toMatchObject({ code: 'LEDGER_INSUFFICIENT_FUNDS' });
      const decided = (await outboxOf(bw(), id)).find((e) => e.topic === 'support.dispute.decided');
      expect(decided?.payload).toMatchObject({
        outcome: 'rejected',
        decisionReason: '该笔支付使用了您本人的设备和支付密码。',
      });
      // A rejected unauthorised-use dispute is ground truth: the payment was the user's own.
      const label = await bw()
        .dbHandle.db.selectFrom('risk_labels as l')
        .innerJoin('ledger_entries as e', 'e.decision_id', 'l.decision_id')
        .select(['l.label', 'l.source'])
        .where('e.id', '=', payment)
        .execute();
      expect(label).toEqual([{ label: 'legit', source: 'disputes' }]);
    });

    it('upholds a transfer by keeping its provisional credit, or recommends compensation on the case', async () => {
      const t = await api.transfer(alice.walletId, bob.walletId, '5000');
      expect(t.status, t.text).toBe(201);
      const kept = await asAlice().post('/v1/disputes', {
        entryId: str(t.body, 'entryId'),
        reason: 'unauthorised',
        description: 'Someone used my phone.',
        provisionalCredit: true,
      });
      expect(kept.status, kept.text).toBe(201);
      // One provisional credit at a time: a second request is declined (the dispute still opens).
      const t2 = await api.transfer(alice.walletId, bob.walletId, '4000');
      const second = await asAlice().post('/v1/disputes', {
        entryId: str(t2.body, 'entryId'),
        reason: 'unauthorised',
        description: 'Again.',
        provisionalCredit: true,
      });
      expect(second.status, second.text).toBe(201);
      expect(second.body).toMatchObject({ provisionalCredit: { status: 'declined' } });

      const up = await analyst().post(`/v1/disputes/${str(kept.body, 'id')}/decision`, {
        outcome: 'upheld',
        reason: { en: 'Confirmed as account takeover.' },
      });
      expect(up.status, up.text).toBe(200);
      expect(up.body).toMatchObject({
        provisionalCredit: { status: 'kept' },
        decision: { refundEntryId: null },
      });
      const up2 = await analyst().post(`/v1/disputes/${str(second.body, 'id')}/decision`, {
        outcome: 'upheld',
        reason: { en: 'Confirmed as account takeover.' },
      });
      expect(up2.status, up2.text).toBe(200);
      const recommended = (await timeline(bw(), str(up2.body, 'caseId'))).find(
        (e) => e.type === 'dispute.compensation_recommended',
      );
      expect(recommended?.detail).toMatchObject({ amountMinor: '4000', walletId: alice.walletId });
    });

    it('lets the user withdraw an open dispute, taking back its provisional credit, once', async () => {
      const payment = await pay(api, bob.walletId, shop.id, '3000');
      const bobApi = asBob();
      const filed = await bobApi.post('/v1/disputes', {
        entryId: payment,
        reason: 'duplicate',
        description: 'Paid twice by mistake.',
        provisionalCredit: true,
      });
      expect(filed.status, filed.text).toBe(201);
      const id = str(filed.body, 'id');
      const before = await api.balance(bob.walletId);
      const w = await bobApi.post(`/v1/disputes/${id}/withdraw`, {});
      expect(w.status, w.text).toBe(200);
      expect(w.body).toMatchObject({ status: 'withdrawn', provisionalCredit: { status: 'reversed' } });
      expect(await api.balance(bob.walletId)).toMatchObject({ posted: before.posted - 3000n });
      expectProblem(await bobApi.post(`/v1/disputes/${id}/withdraw`, {}), 409, 'SUPPORT_DISPUTE_STATE');
      const mine = await bobApi.get('/v1/disputes');
      expect(arr(mine.body, 'disputes').map((d) => at(d, 'id'))).toEqual([id]);
    });

    it('records a provisional credit the reserve cannot cover as failed, and tells the user', async () => {
      const payment = await pay(api, alice.walletId, shop.id, '180000');
      const res = await asAlice().post('/v1/disputes', {
        entryId: payment,
        reason: 'not_received',
        description: 'Nothing came.',
        provisionalCredit: true,
      });
      expect(res.status, res.text).toBe(201);
      expect(res.body).toMatchObject({
        status: 'open',
        provisionalCredit: { status: 'failed', entryId: null },
      });
      const id = str(res.body, 'id');
      const staffView = await analyst().get(`/v1/staff/disputes/${id}`);
      expect(str(staffView.body, 'provisionalNote')).toContain('RESERVE_INSUFFICIENT');
      const failed = (await timeline(bw(), str(staffView.body, 'caseId'))).find(
        (e) => e.type === 'dispute.provisional_credit.failed',
      );
      expect(failed?.detail).toMatchObject({ code: 'RESERVE_INSUFFICIENT' });
      expect((await outboxOf(bw(), id)).map((e) => e.topic)).toEqual([
        'support.dispute.opened',
        'support.dispute.updated',
      ]);
    });

    it('pays a provisional credit a crash left pending from the maintenance round, once', async () => {
      const payment = await pay(api, bob.walletId, shop.id, '2500');
      const res = await asBob().post('/v1/disputes', {
        entryId: payment,
        reason: 'duplicate',
        description: 'Twice.',
      });
      expect(res.status, res.text).toBe(201);
      const id = str(res.body, 'id');
      // The state a crash between filing and paying leaves behind: asked for, not posted.
      const db = bw().dbHandle.db;
      await db
        .updateTable('support_disputes')
        .set({ provisional_status: 'pending', updated_at: new Date(Date.now() - 10 * 60_000) })
        .where('id', '=', id)
        .execute();
      const before = await api.balance(bob.walletId);
      expect(await bw().support.runDue(new Date())).toMatchObject({ provisionalRetried: 1 });
      expect(await bw().support.runDue(new Date())).toMatchObject({ provisionalRetried: 0 });
      expect(await api.balance(bob.walletId)).toMatchObject({ posted: before.posted + 2500n });
      const view = await asBob().get(`/v1/disputes/${id}`);
      expect(view.body).toMatchObject({ provisionalCredit: { status: 'paid', amountMinor: '2500' } });
    });

    it('lets one of many simultaneous disputes of a transaction through, and one of two simultaneous decisions', async () => {
      const payment = await pay(api, alice.walletId, shop.id, '4200');
      const filings = await Promise.all(
        Array.from({ length: 5 }, () =>
          asAlice().post('/v1/disputes', {
            entryId: payment,
            reason: 'wrong_amount',
            description: 'Too much.',
          }),
        ),
      );
      expect(filings.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
      for (const r of filings) if (r.status === 409) expectProblem(r, 409, 'SUPPORT_DISPUTE_EXISTS');
      const id = str(filings.find((r) => r.status === 201)?.body, 'id');

      const merchantBefore = await api.balance(shop.accountId);
      const reason = { en: 'Decided.' };
      const decisions = await Promise.all([
        analyst().post(`/v1/disputes/${id}/decision`, { outcome: 'upheld', reason }),
        api.asStaff('compliance').post(`/v1/disputes/${id}/decision`, { outcome: 'rejected', reason }),
      ]);
      expect(decisions.map((r) => r.status).sort()).toEqual([200, 409]);
      const winner = decisions.find((r) => r.status === 200);
      const refunded = merchantBefore.posted - (await api.balance(shop.accountId)).posted;
      // The merchant pays back the payment less its fee, and only if the upheld decision won.
      expect(refunded).toBe(at(winner?.body, 'decision', 'outcome') === 'upheld' ? 4200n - 420n : 0n);
      const decided = (await outboxOf(bw(), id)).filter((e) => e.topic === 'support.dispute.decided');
      expect(decided).toHaveLength(1);
    });

    it('marks disputes past their deadline once, and the queue shows them overdue', async () => {
      const payment = await pay(api, bob.walletId, shop.id, '1000');
      const filed = await asBob().post('/v1/disputes', {
        entryId: payment,
        reason: 'not_received',
        description: 'x',
      });
      expect(filed.status, filed.text).toBe(201);
      const id = str(filed.body, 'id');
      const clock = new ManualClock(new Date(Date.parse(str(filed.body, 'dueAt')) + 60_000));
      bw().clock.use(clock);
      try {
        await bw().runMaintenance(clock.now());
        await bw().runMaintenance(clock.now());
        // A session made on the moved clock (the shared one expired in the week that passed).
        const fresh = api.as((await staffSession(bw(), 'analyst')).auth);
        const queue = await fresh.get('/v1/staff/disputes?overdue=true');
        expect(queue.status, queue.text).toBe(200);
        const line = arr(queue.body, 'disputes').find((d) => at(d, 'id') === id);
        expect(line).toMatchObject({ overdue: true, status: 'open' });
        const caseId = str(line, 'caseId');
        expect((await timeline(bw(), caseId)).filter((e) => e.type === 'dispute.overdue')).toHaveLength(1);
      } finally {
        bw().clock.reset();
      }
    });

    it('takes back a provisional credit larger than what was upheld, and recommends compensating what was', async () => {
      const cy = await api.fundedCustomer('Cy', '100000');
      const t = await api.transfer(cy.walletId, bob.walletId, '6000');
      expect(t.status, t.text).toBe(201);
      const filed = await asCustomer(bw, cy.id).post('/v1/disputes', {
        entryId: str(t.body, 'entryId'),
        reason: 'unauthorised',
        description: 'Only part of this was me.',
        provisionalCredit: true,
      });
      expect(filed.status, filed.text).toBe(201);
      expect(filed.body).toMatchObject({ provisionalCredit: { status: 'paid', amountMinor: '6000' } });
      const before = await api.balance(cy.walletId);
      const up = await analyst().post(`/v1/disputes/${str(filed.body, 'id')}/decision`, {
        outcome: 'upheld',
        reason: { en: 'Two of the three purchases were not yours.' },
        refundMinor: '2500',
      });
      expect(up.status, up.text).toBe(200);
      // Keeping the 6000 credited would pay more than the 2500 decided: it is taken back.
      expect(up.body).toMatchObject({ provisionalCredit: { status: 'reversed' } });
      expect(await api.balance(cy.walletId)).toMatchObject({ posted: before.posted - 6000n });
      const recommended = (await timeline(bw(), str(up.body, 'caseId'))).find(
        (e) => e.type === 'dispute.compensation_recommended',
      );
      expect(recommended?.detail).toMatchObject({ amountMinor: '2500', walletId: cy.walletId });
    });

    let dee = { id: '', walletId: '' };

    it('pays one provisional credit at a time, even for disputes a customer files at once', async () => {
      dee = await api.fundedCustomer('Dee', '100000');
      const payments: string[] = [];
      for (let i = 0; i < 4; i++) payments.push(await pay(api, dee.walletId, shop.id, '1000'));
      const filings = await Promise.all(
        payments.map((entryId) =>
          asCustomer(bw, dee.id).post('/v1/disputes', {
            entryId,
            reason: 'not_received',
            description: 'Nothing came.',
            provisionalCredit: true,
          }),
        ),
      );
      expect(filings.map((r) => r.status)).toEqual([201, 201, 201, 201]);
      const credits = filings.map((r) => at(r.body, 'provisionalCredit', 'status'));
      expect(credits.sort()).toEqual(['declined', 'declined', 'declined', 'paid']);
    });

    it("pages the customer's disputes and the staff queue, each with cursors of its own", async () => {
      const own = asCustomer(bw, dee.id);
      const all = arr((await own.get('/v1/disputes')).body, 'disputes').map((d) => str(d, 'id'));
      expect(all).toHaveLength(4);
      const page1 = await own.get('/v1/disputes?limit=3');
      expect(page1.status, page1.text).toBe(200);
      const page2 = await own.get(`/v1/disputes?limit=3&cursor=${str(page1.body, 'nextCursor')}`);
      expect(page2.status, page2.text).toBe(200);
      expect(at(page2.body, 'nextCursor')).toBeNull();
      const paged = [...arr(page1.body, 'disputes'), ...arr(page2.body, 'disputes')].map((d) => str(d, 'id'));
      expect(paged).toEqual(all);

      const queued: Array<{ id: string; dueAt: string }> = [];
      let cursor: string | null = null;
      for (let round = 0; round < 50; round++) {
        const res = await analyst().get(`/v1/staff/disputes?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status, res.text).toBe(200);
        for (const d of arr(res.body, 'disputes')) queued.push({ id: str(d, 'id'), dueAt: str(d, 'dueAt') });
        const next = at(res.body, 'nextCursor');
        cursor = typeof next === 'string' ? next : null;
        if (cursor === null) break;
      }
      expect(new Set(queued.map((d) => d.id)).size).toBe(queued.length);
      expect(queued.map((d) => d.id)).toEqual(expect.arrayContaining(all));
      expect(queued.map((d) => d.dueAt)).toEqual(queued.map((d) => d.dueAt).sort());

      // A cursor of one list is refused by another, not misread.
      expectProblem(
        await analyst().get(`/v1/staff/disputes?cursor=${str(page1.body, 'nextCursor')}`),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(
        await own.get(`/v1/feedback?cursor=${str(page1.body, 'nextCursor')}`),
        400,
        'VALIDATION_FAILED',
      );
    });
  });
}
