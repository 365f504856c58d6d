// Proves the console's read API over HTTP: customer search by id, phone and name prefix, the 360° view with security details only for customer.security, the hold review queue, the journal and decision stream with filters and cursor pages, the story of held and refunded payments, and that personal values leave only masked.
import { beforeAll, describe, expect, it } from 'vitest';
import { nationalPhone, normalisePhone } from '../../src/identity/contacts.ts';
import { Api, arr, at, expectProblem, residentId, str } from '../api/client.ts';
import { DATABASES, useBulwark } from '../helpers.ts';

const PASSWORD = 'violet-harbour-lantern-42';
const consent = { policyVersion: '2026-11', accepted: true };
const ACCOUNT_NUMBER = '6222020200998877665';

let phoneSeq = 0;
/** A fresh mainland mobile number per registration. */
function phone(): string {
  phoneSeq += 1;
  return `137${String(process.pid % 10_000).padStart(4, '0')}${String(phoneSeq).padStart(4, '0')}`;
}

for (const target of DATABASES) {
  describe(`console read API on ${target.name}`, () => {
    const bw = useBulwark(target);
    const api = new Api(bw);
    const anon = api.as(null);
    const analyst = api.asStaff('analyst');
    const support = api.asStaff('support');
    const auditor = api.asStaff('auditor');
    let customerApi = api.as(null);

    const clearPhone = phone();
    const document = residentId();
    let registered = { id: '', walletId: '' };
    let rich = { id: '', walletId: '' };
    let merchant = { id: '', accountId: '' };
    const pageNames = ['Paging One', 'Paging Two', 'Paging Three', 'Paging Four', 'Paging Five'];
    const pageIds: string[] = [];

    beforeAll(async () => {
      const reg = await anon.post('/v1/auth/register', { phone: clearPhone, password: PASSWORD, consent });
      expect(reg.status, reg.text).toBe(201);
      customerApi = api.as(`Bearer ${str(reg.body, 'tokens', 'accessToken')}`);
      const id = str(reg.body, 'customerId');
      const view = await api.get(`/v1/customers/${id}`);
      registered = { id, walletId: str(view.body, 'wallets', 0, 'id') };
      await api.verify(id, 'Zhou Mei', 1, document);

      rich = await api.fundedCustomer('Alice Search', '5000000', '5000000');
      await api.customer('alicia search', ['CNY'], 0);
      await api.customer('Bob Search', ['CNY'], 0);
      merchant = await api.merchant('Console Tea', 60);
      for (const name of pageNames) pageIds.push((await api.customer(name, ['CNY'], 0)).id);
    });

    /** GET that must answer 200; returns the body. */
    const ok = async (client: Api, url: string): Promise<unknown> => {
      const res = await client.get(url);
      expect(res.status, `${url}: ${res.text}`).toBe(200);
      return res.body;
    };

    /** Walks every page of a list; returns the pages' items. */
    const walk = async (client: Api, url: string): Promise<unknown[][]> => {
      const pages: unknown[][] = [];
      let cursor: unknown = null;
      do {
        const sep = url.includes('?') ? '&' : '?';
        const body = await ok(client, cursor ? `${url}${sep}cursor=${String(cursor)}` : url);
        pages.push(arr(body, 'items'));
        cursor = at(body, 'nextCursor');
      } while (typeof cursor === 'string' && pages.length < 50);
      return pages;
    };
    const ids = (items: unknown[]) => items.map((i) => str(i, 'id'));

    describe('customer search', () => {
      it('finds a customer by id', async () => {
        const body = await ok(analyst, `/v1/customers?q=${rich.id}`);
        expect(ids(arr(body, 'items'))).toEqual([rich.id]);
        expect(at(body, 'items', 0)).toMatchObject({
          displayName: 'Alice Search',
          status: 'active',
          kycTier: 2,
        });
        expect(at(body, 'nextCursor')).toBeNull();
      });

      it('finds a customer by phone in any spelling, through the blind index, showing it masked', async () => {
        const spaced = `+86 ${clearPhone.slice(0, 3)} ${clearPhone.slice(3, 7)} ${clearPhone.slice(7)}`;
        for (const q of [clearPhone, spaced, `86-${clearPhone}`]) {
          const body = await ok(support, `/v1/customers?q=${encodeURIComponent(q)}`);
          expect(ids(arr(body, 'items')), q).toEqual([registered.id]);
        }
        const body = await ok(support, `/v1/customers?q=${clearPhone}`);
        expect(str(body, 'items', 0, 'phone')).toMatch(/^137\*{4}\d{4}$/);
        expect(at(body, 'items', 0, 'kycTier')).toBe(1);
        const nobody = await ok(support, '/v1/customers?q=13900000000');
        expect(arr(nobody, 'items')).toEqual([]);
      });

      it('finds customers by the start of the display name, case-insensitively and literally', async () => {
        for (const q of ['ali', 'ALI', 'Alic']) {
          const body = await ok(analyst, `/v1/customers?q=${q}`);
          expect(arr(body, 'items').map((i) => str(i, 'displayName'))).toEqual([
            'alicia search',
            'Alice Search',
          ]);
        }
        expect(ids(arr(await ok(analyst, '/v1/customers?q=alice'), 'items'))).toEqual([rich.id]);
        for (const q of ['%', '_lice', 'lice']) {
          expect(arr(await ok(analyst, `/v1/customers?q=${encodeURIComponent(q)}`), 'items')).toEqual([]);
        }
      });

      it('pages newest first with cursors over more than one page', async () => {
        const pages = await walk(auditor, '/v1/customers?q=paging&limit=2');
        expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
        expect(pages.flat().map((i) => str(i, 'id'))).toEqual([...pageIds].reverse());
        const all = await walk(auditor, '/v1/customers?limit=3');
        expect(all.length).toBeGreaterThan(2);
        expect(new Set(all.flat().map((i) => str(i, 'id'))).size).toBe(all.flat().length);
        expect(all.flat().map((i) => str(i, 'id'))).toEqual(
          expect.arrayContaining([registered.id, rich.id, ...pageIds]),
        );
      });

      it('filters by status and tier', async () => {
        const frozen = await api.customer('Frozen Search', ['CNY'], 0);
        const res = await api.post(`/v1/owners/${frozen.id}/freeze`, { reason: 'test' });
        expect(res.status, res.text).toBe(200);
        expect(ids(arr(await ok(analyst, '/v1/customers?status=frozen'), 'items'))).toEqual([frozen.id]);
        const tier2 = arr(await ok(analyst, '/v1/customers?tier=2&limit=200'), 'items');
        expect(ids(tier2)).toEqual([rich.id]);
        const tier0 = arr(await ok(analyst, '/v1/customers?q=paging&tier=0&status=active'), 'items');
        expect(tier0).toHaveLength(pageNames.length);
        expect(arr(await ok(analyst, '/v1/customers?q=paging&tier=1'), 'items')).toEqual([]);
      });

      it('is for staff only: a customer and an integrator are refused', async () => {
        expectProblem(await customerApi.get('/v1/customers'), 403, 'AUTH_FORBIDDEN');
        expectProblem(await customerApi.get(`/v1/customers?q=${registered.id}`), 403, 'AUTH_FORBIDDEN');
        expectProblem(await api.get('/v1/customers'), 403, 'AUTH_FORBIDDEN');
        expectProblem(await anon.get('/v1/customers'), 401, 'AUTH_REQUIRED');
        const denied = await bw()
          .dbHandle.db.selectFrom('audit_log')
          .select(['actor_type', 'actor_id'])
          .where('action', '=', 'auth.permission_denied')
          .where('target_id', '=', 'GET /v1/customers')
          .execute();
        expect(denied.map((d) => d.actor_type).sort()).toEqual(['api_client', 'customer', 'customer']);
        expect(
          denied.filter((d) => d.actor_type === 'customer').every((d) => d.actor_id === registered.id),
        ).toBe(true);
      });

      it('refuses bad input: a foreign or forged cursor, a limit out of range', async () => {
        const first = await ok(analyst, '/v1/decisions?limit=1');
        const foreign = str(first, 'nextCursor');
        expectProblem(await analyst.get(`/v1/customers?cursor=${foreign}`), 400, 'VALIDATION_FAILED');
        const forged = Buffer.from("cus|2020-01-01T00:00:00.000000Z|x' or 1=1").toString('base64url');
        expectProblem(await analyst.get(`/v1/customers?cursor=${forged}`), 400, 'VALIDATION_FAILED');
        expectProblem(await analyst.get('/v1/customers?limit=201'), 400, 'VALIDATION_FAILED');
        expectProblem(await analyst.get('/v1/customers?limit=0'), 400, 'VALIDATION_FAILED');
        expectProblem(await analyst.get('/v1/customers?status=gone'), 400, 'VALIDATION_FAILED');
      });
    });

    describe('customer overview', () => {
      it('shows wallets, masked KYC, latest decisions and pending holds in one call', async () => {
        const held = await api.transfer(rich.walletId, registered.walletId, '2000000');
        expect(held.status, held.text).toBe(202);
        const body = await ok(analyst, `/v1/customers/${rich.id}/overview`);
        expect(at(body, 'customer')).toMatchObject({ id: rich.id, displayName: 'Alice Search', kycTier: 2 });
        expect(arr(body, 'wallets')).toHaveLength(1);
        expect(at(body, 'wallets', 0)).toMatchObject({
          id: rich.walletId,
          postedMinor: '10000000',
          heldMinor: '2000000',
          availableMinor: '8000000',
        });
        expect(at(body, 'kyc')).toMatchObject({
          tier: 2,
          name: 'A***********',
          documentType: 'CN_RESIDENT_ID',
        });
        expect(str(body, 'kyc', 'document')).toMatch(/^\d{4}\*{10}[0-9X]{4}$/);
        const decisions = arr(body, 'decisions');
        expect(decisions[0]).toMatchObject({
          eventType: 'transfer',
          outcome: 'REVIEW',
          reasonCodes: expect.arrayContaining(['LARGE_AMOUNT']),
          amountMinor: '2000000',
          currency: 'CNY',
        });
        expect(decisions.slice(1).map((d) => str(d, 'eventType'))).toEqual(['topup', 'topup']);
        expect(ids(arr(body, 'pendingHolds'))).toEqual([str(held.body, 'holdId')]);
        expect(at(body, 'pendingHolds', 0)).toMatchObject({
          counterpartyId: registered.id,
          decision: { outcome: 'REVIEW', reasonCodes: expect.arrayContaining(['LARGE_AMOUNT']) },
        });
        const voided = await analyst.post(`/v1/holds/${str(held.body, 'holdId')}/void`, { reason: 'test' });
        expect(voided.status, voided.text).toBe(200);
      });

      it('adds sessions and devices, addresses masked, only for callers with customer.security', async () => {
        const withSecurity = await ok(support, `/v1/customers/${registered.id}/overview`);
        const sessions = arr(withSecurity, 'sessions');
        expect(sessions.length).toBeGreaterThan(0);
        expect(sessions[0]).toMatchObject({ active: true, methods: ['pwd'] });
        const ip = at(sessions, 0, 'ip');
        if (ip !== null) expect(String(ip)).toMatch(/\*$/);
        expect(Array.isArray(at(withSecurity, 'devices'))).toBe(true);
        expect(at(withSecurity, 'customer', 'phone')).toMatch(/^137\*{4}\d{4}$/);
        expect(at(withSecurity, 'kyc', 'name')).toBe('Z*******');

        for (const client of [auditor, api]) {
          const without = await ok(client, `/v1/customers/${registered.id}/overview`);
          expect(without).not.toHaveProperty('sessions');
          expect(without).not.toHaveProperty('devices');
          expect(at(without, 'customer', 'id')).toBe(registered.id);
        }
      });

      it("lets a customer see their own overview only, never another's", async () => {
        const own = await ok(customerApi, `/v1/customers/${registered.id}/overview`);
        expect(own).not.toHaveProperty('sessions');
        expectProblem(await customerApi.get(`/v1/customers/${rich.id}/overview`), 403, 'AUTH_FORBIDDEN');
        expectProblem(
          await analyst.get('/v1/customers/cus_00000000000000000000000000/overview'),
          404,
          'WALLET_CUSTOMER_NOT_FOUND',
        );
      });
    });

    describe('holds', () => {
      let queued: string[] = [];

      beforeAll(async () => {
        queued = [];
        for (let i = 0; i < 3; i++) {
          const res = await api.transfer(rich.walletId, registered.walletId, '2000000', `held ${i}`);
          expect(res.status, res.text).toBe(202);
          queued.push(str(res.body, 'holdId'));
        }
      });

      it('lists the review queue oldest first with the decision, owner and expiry, page by page', async () => {
        const pages = await walk(analyst, `/v1/holds?status=pending&accountId=${rich.walletId}&limit=2`);
        expect(pages.map((p) => p.length)).toEqual([2, 1]);
        const items = pages.flat();
        expect(ids(items)).toEqual(queued);
        expect(items[0]).toMatchObject({
          status: 'pending',
          kind: 'transfer',
          amountMinor: '2000000',
          postedMinor: '0',
          currency: 'CNY',
          accountId: rich.walletId,
          ownerId: rich.id,
          ownerName: 'Alice Search',
          entryId: null,
          decision: { outcome: 'REVIEW', reasonCodes: expect.arrayContaining(['LARGE_AMOUNT']) },
        });
        expect(str(items[0], 'decision', 'customerMessage')).toContain('review');
        expect(Date.parse(str(items[0], 'expiresAt'))).toBeGreaterThan(Date.now());
        // Integrators read the same queue (account.read).
        expect(
          ids(arr(await ok(api, `/v1/holds?status=pending&accountId=${rich.walletId}`), 'items')),
        ).toEqual(queued);
      });

      it('lists other statuses newest first, and all of them without a status', async () => {
        const first = queued[0] ?? '';
        const voided = await analyst.post(`/v1/holds/${first}/void`, { reason: 'queue test' });
        expect(voided.status, voided.text).toBe(200);
        const voidedList = arr(
          await ok(analyst, `/v1/holds?status=voided&accountId=${rich.walletId}`),
          'items',
        );
        expect(ids(voidedList)[0]).toBe(first);
        expect(voidedList.every((h) => str(h, 'status') === 'voided')).toBe(true);
        const pending = ids(
          arr(await ok(analyst, `/v1/holds?status=pending&accountId=${rich.walletId}`), 'items'),
        );
        expect(pending).toEqual(queued.slice(1));
        const all = (await walk(analyst, `/v1/holds?accountId=${rich.walletId}&limit=2`)).flat();
        expect(ids(all).slice(0, 3)).toEqual([...queued].reverse());
        const times = all.map((h) => Date.parse(str(h, 'createdAt')));
        expect([...times].sort((a, b) => b - a)).toEqual(times);
        const everywhere = ids((await walk(analyst, '/v1/holds?status=pending&limit=1')).flat());
        expect(everywhere).toEqual(expect.arrayContaining(queued.slice(1)));
      });

      it('lets a customer list only the holds of a wallet of their own', async () => {
        expectProblem(await customerApi.get('/v1/holds'), 403, 'AUTH_FORBIDDEN');
        expectProblem(await customerApi.get(`/v1/holds?accountId=${rich.walletId}`), 403, 'AUTH_FORBIDDEN');
        expect(arr(await ok(customerApi, `/v1/holds?accountId=${registered.walletId}`), 'items')).toEqual([]);
      });
    });

    describe('journal and decisions', () => {
      it('lists entries newest first with kind, account and time filters, across pages', async () => {
        const all = (await walk(auditor, '/v1/entries?limit=200')).flat();
        const head = await ok(auditor, '/v1/ledger/chain');
        expect(all).toHaveLength(Number(str(head, 'seq')));
        expect(str(all[0], 'seq')).toBe(str(head, 'seq'));

        const topups = (await walk(auditor, '/v1/entries?kind=topup&limit=1')).flat();
        expect(topups.length).toBeGreaterThanOrEqual(2);
        expect(topups.every((e) => str(e, 'kind') === 'topup')).toBe(true);
        expect(ids(topups)).toEqual(ids(all.filter((e) => str(e, 'kind') === 'topup')));

        const mine = await walk(auditor, `/v1/entries?accountId=${rich.walletId}&limit=1`);
        expect(mine.length).toBeGreaterThan(1);
        const mineIds = ids(mine.flat());
        const statement = await ok(api, `/v1/accounts/${rich.walletId}/statement?limit=500`);
        expect(mineIds).toEqual(arr(statement, 'lines').map((l) => str(l, 'entryId')));
        const mineTopups = arr(
          await ok(auditor, `/v1/entries?accountId=${rich.walletId}&kind=topup`),
          'items',
        );
        expect(mineTopups).toHaveLength(2);

        const pivot = all[Math.floor(all.length / 2)];
        const at0 = encodeURIComponent(str(pivot, 'occurredAt'));
        const after = (await walk(auditor, `/v1/entries?from=${at0}&limit=3`)).flat();
        const before = (await walk(auditor, `/v1/entries?to=${at0}&limit=3`)).flat();
        expect(ids(after)).toContain(str(pivot, 'id'));
        expect(ids(before)).not.toContain(str(pivot, 'id'));
        expect(after.length + before.length).toBe(all.length);
        expect(after.every((e) => str(e, 'occurredAt') >= str(pivot, 'occurredAt'))).toBe(true);
        const window = arr(await ok(auditor, `/v1/entries?from=${at0}&to=${at0}`), 'items');
        expect(window).toEqual([]);
      });

      it('lists decisions newest first by outcome, event type, customer and time, across pages', async () => {
        const reviews = (
          await walk(analyst, `/v1/decisions?outcome=REVIEW&customerId=${rich.id}&limit=2`)
        ).flat();
        expect(reviews.length).toBeGreaterThanOrEqual(4);
        expect(reviews.every((d) => str(d, 'outcome') === 'REVIEW' && str(d, 'customerId') === rich.id)).toBe(
          true,
        );
        expect(reviews[0]).toMatchObject({
          eventType: 'transfer',
          reasonCodes: expect.arrayContaining(['LARGE_AMOUNT']),
          amountMinor: '2000000',
          currency: 'CNY',
        });
        const times = reviews.map((d) => str(d, 'createdAt'));
        expect([...times].sort().reverse()).toEqual(times);

        const blocked = await api.transfer(rich.walletId, registered.walletId, '5000001');
        expectProblem(blocked, 422, 'RISK_BLOCKED');
        const blocks = arr(await ok(analyst, '/v1/decisions?outcome=BLOCK'), 'items');
        expect(blocks[0]).toMatchObject({
          id: str(blocked.body, 'decision', 'id'),
          reasonCodes: expect.arrayContaining(['TIER_SINGLE_LIMIT']),
          customerId: rich.id,
        });

        const topups = arr(await ok(analyst, `/v1/decisions?eventType=topup&customerId=${rich.id}`), 'items');
        expect(topups.map((d) => str(d, 'eventType'))).toEqual(['topup', 'topup']);
        const all = (await walk(analyst, `/v1/decisions?customerId=${rich.id}&limit=3`)).flat();
        const pivot = str(all[2], 'createdAt');
        const from = arr(
          await ok(
            analyst,
            `/v1/decisions?customerId=${rich.id}&from=${encodeURIComponent(pivot)}&limit=200`,
          ),
          'items',
        );
        expect(from.every((d) => str(d, 'createdAt') >= pivot)).toBe(true);
        const to = arr(
          await ok(analyst, `/v1/decisions?customerId=${rich.id}&to=${encodeURIComponent(pivot)}&limit=200`),
          'items',
        );
        expect(from.length + to.length).toBe(all.length);
        expectProblem(await api.asStaff('support').get('/v1/decisions'), 403, 'AUTH_FORBIDDEN');
      });
    });

    describe('transaction stories', () => {
      it('tells a held-then-posted payment: decision, hold with its events, entry, events', async () => {
        const held = await api.post('/v1/payments', {
          walletId: rich.walletId,
          merchantId: merchant.id,
          amountMinor: '2500000',
          currency: 'CNY',
          orderRef: 'STORY-1',
        });
        expect(held.status, held.text).toBe(202);
        const holdId = str(held.body, 'holdId');
        const posted = await analyst.post(`/v1/holds/${holdId}/post`, { reason: 'customer confirmed' });
        expect(posted.status, posted.text).toBe(200);
        const entryId = str(posted.body, 'entryId');

        const story = await ok(auditor, `/v1/entries/${entryId}/story`);
        expect(at(story, 'entry')).toMatchObject({
          id: entryId,
          kind: 'payment',
          holdId,
          amountMinor: '2500000',
        });
        expect(arr(story, 'entry', 'postings').length).toBeGreaterThanOrEqual(2);
        expect(at(story, 'decision')).toMatchObject({
          id: str(held.body, 'decision', 'id'),
          outcome: 'REVIEW',
          reasonCodes: expect.arrayContaining(['LARGE_AMOUNT']),
          eventType: 'payment',
          input: { customerId: rich.id, amountMinor: '2500000' },
        });
        expect(at(story, 'hold')).toMatchObject({
          id: holdId,
          status: 'posted',
          entryId,
          postedMinor: '2500000',
        });
        const events = arr(story, 'hold', 'events');
        expect(events.map((e) => `${String(at(e, 'fromStatus'))}>${str(e, 'toStatus')}`)).toEqual([
          'null>pending',
          'pending>posted',
        ]);
        expect(at(story, 'funding')).toBeNull();
        expect(at(story, 'reversals')).toEqual([]);
        const outbox = arr(story, 'events');
        expect(outbox).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ topic: 'ledger.entry.posted', aggregateId: entryId }),
            expect.objectContaining({ aggregateId: holdId }),
          ]),
        );
      });

      it('tells a refunded payment: its refunds, and from a refund back to the payment', async () => {
        const pay = await api.post('/v1/payments', {
          walletId: rich.walletId,
          merchantId: merchant.id,
          amountMinor: '10000',
          currency: 'CNY',
        });
        expect(pay.status, pay.text).toBe(201);
        const paymentId = str(pay.body, 'id');
        const refunds: string[] = [];
        for (const amountMinor of ['4000', '6000']) {
          const r = await api.post(`/v1/payments/${paymentId}/refunds`, { amountMinor, reason: 'returned' });
          expect(r.status, r.text).toBe(201);
          refunds.push(str(r.body, 'id'));
        }
        const story = await ok(analyst, `/v1/entries/${paymentId}/story`);
        expect(at(story, 'entry')).toMatchObject({ id: paymentId, kind: 'payment', holdId: null });
        expect(at(story, 'decision', 'outcome')).toBe('ALLOW');
        expect(at(story, 'hold')).toBeNull();
        expect(at(story, 'reverses')).toBeNull();
        const reversals = arr(story, 'reversals');
        expect(ids(reversals)).toEqual(refunds);
        expect(reversals.map((r) => str(r, 'amountMinor'))).toEqual(['4000', '6000']);
        expect(
          reversals.every((r) => str(r, 'kind') === 'refund' && str(r, 'reversesId') === paymentId),
        ).toBe(true);

        const refundStory = await ok(analyst, `/v1/entries/${refunds[0] ?? ''}/story`);
        expect(at(refundStory, 'reverses')).toMatchObject({ id: paymentId, kind: 'payment' });
        expect(at(refundStory, 'decision', 'eventType')).toBe('refund');
        expect(at(refundStory, 'entry', 'metadata', 'paymentId')).toBe(paymentId);
      });

      it('tells a top-up and a withdrawal with their funding rows, the bank account masked', async () => {
        const topupId = await api.startTopup(registered.walletId, '30000');
        const topup = await api.settle(`/v1/topups/${topupId}`, ['pending']);
        const topupStory = await ok(auditor, `/v1/entries/${str(topup.body, 'entryId')}/story`);
        expect(at(topupStory, 'funding')).toMatchObject({
          type: 'topup',
          id: topupId,
          status: 'succeeded',
          walletId: registered.walletId,
          customerId: registered.id,
          bankAccount: null,
        });
        expect(arr(topupStory, 'events').map((e) => str(e, 'aggregateId'))).toContain(topupId);

        const w = await api.post('/v1/withdrawals', {
          walletId: rich.walletId,
          amountMinor: '20000',
          currency: 'CNY',
          bankAccount: { accountNumber: ACCOUNT_NUMBER, holderName: 'Alice Search' },
        });
        expect(w.status, w.text).toBe(202);
        const done = await api.settle(`/v1/withdrawals/${str(w.body, 'id')}`, ['processing']);
        expect(str(done.body, 'status')).toBe('succeeded');
        const story = await ok(auditor, `/v1/entries/${str(done.body, 'entryId')}/story`);
        expect(at(story, 'funding')).toMatchObject({
          type: 'withdrawal',
          id: str(w.body, 'id'),
          status: 'succeeded',
          bankAccount: '****7665',
        });
        expect(at(story, 'hold', 'status')).toBe('posted');
        expectProblem(
          await auditor.get('/v1/entries/txn_00000000000000000000000000/story'),
          404,
          'LEDGER_ENTRY_NOT_FOUND',
        );
      });
    });

    it('never answers a clear phone number, document number or bank account', async () => {
      // The registered customer and the bank account appear in most of the answers above.
      for (const url of [
        `/v1/customers?q=${clearPhone}`,
        `/v1/customers/${registered.id}/overview`,
        '/v1/holds?limit=200',
        '/v1/entries?limit=200',
        '/v1/decisions?limit=200',
      ]) {
        const res = await analyst.get(url);
        expect(res.status, `${url}: ${res.text}`).toBe(200);
      }
      const e164 = normalisePhone(clearPhone);
      const forbidden = [clearPhone, e164, nationalPhone(e164), document, ACCOUNT_NUMBER];
      const answers = [api, anon, analyst, support, auditor, customerApi].flatMap((c) => c.seen);
      expect(answers.length).toBeGreaterThan(50);
      for (const text of answers) {
        for (const clear of forbidden) expect(text).not.toContain(clear);
      }
    });
  });
}
