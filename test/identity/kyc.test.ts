// Proves real-name verification through the API: a match raises the tier to 1 and liveness to 2, mismatches, invalid documents, documents already in use and provider timeouts store nothing but an attempt, the tiers come in order, personal values are sealed and masked everywhere, the raise is audited, and a customer can verify only themselves.
import { beforeAll, describe, expect, it } from 'vitest';
import { SimulatedVerificationProvider } from '../../src/identity/kyc.ts';
import { sealContext } from '../../src/security/sealed-fields.ts';
import { Api, at, expectProblem, residentId, str } from '../api/client.ts';
import { DATABASES, type TestBulwark, useBulwark } from '../helpers.ts';

/** JSON of stored rows (bigint columns included), to search for values that must not be there. */
const json = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

/** A signed-in customer's Authorization header, with the session made directly (sign-in has its own tests). */
async function customerAuth(bw: TestBulwark, customerId: string): Promise<string> {
  const started = await bw.dbHandle.db
    .transaction()
    .execute((tx) =>
      bw.sessions.start(tx, { type: 'customer', id: customerId, role: 'customer', amr: ['pwd'] }, {}),
    );
  return `Bearer ${started.pair.accessToken}`;
}

describe('simulated verification provider', () => {
  const provider = new SimulatedVerificationProvider();
  it('answers from the input: sequence 999 mismatches, 998 never answers, anything else matches', async () => {
    const match = await provider.verifyIdentity({
      name: '李伟',
      documentType: 'CN_RESIDENT_ID',
      documentNumber: residentId(),
    });
    expect(match.outcome).toBe('match');
    expect(match.reference).toMatch(/^sim-idv-/);
    const mismatch = await provider.verifyIdentity({
      name: '李伟',
      documentType: 'CN_RESIDENT_ID',
      documentNumber: residentId('999'),
    });
    expect(mismatch.outcome).toBe('mismatch');
    const passport = await provider.verifyIdentity({
      name: 'Ann Smith',
      documentType: 'PASSPORT',
      documentNumber: 'XK1234999',
    });
    expect(passport.outcome).toBe('mismatch');
    const silent = provider.verifyIdentity({
      name: '李伟',
      documentType: 'CN_RESIDENT_ID',
      documentNumber: residentId('998'),
    });
    const raced = await Promise.race([silent, new Promise((r) => setTimeout(() => r('no answer'), 50))]);
    expect(raced).toBe('no answer');
  });

  it('passes liveness unless the session id starts with fail (or slow: no answer)', async () => {
    const images = { front: 'upl_1' };
    expect(
      await provider.verifyLiveness({ customerRef: 'c', documentImages: images, livenessSessionId: 'lv_1' }),
    ).toMatchObject({ outcome: 'pass', score: 0.98 });
    expect(
      await provider.verifyLiveness({
        customerRef: 'c',
        documentImages: images,
        livenessSessionId: 'fail_1',
      }),
    ).toMatchObject({ outcome: 'fail' });
  });
});

for (const target of DATABASES) {
  describe(`real-name verification on ${target.name}`, () => {
    const bw = useBulwark(target);
    const api = new Api(bw);

    beforeAll(() => {
      // The simulated provider never answers sequence 998 or sessions starting with "slow";
      // a short deadline keeps those cases quick.
      bw().kyc.settings.deadlineMs = 150;
    });

    const basic = (customerId: string, documentNumber: string, name = '李伟', client = api, key?: string) =>
      client.post(
        `/v1/customers/${customerId}/kyc/basic`,
        { name, documentType: 'CN_RESIDENT_ID', documentNumber },
        key === undefined ? {} : { key },
      );
    const full = (customerId: string, livenessSessionId = 'lv_session_1', client = api) =>
      client.post(`/v1/customers/${customerId}/kyc/full`, {
        documentImages: { front: 'upl_front_1', back: 'upl_back_1' },
        livenessSessionId,
      });
    const attempts = (customerId: string) =>
      bw()
        .dbHandle.db.selectFrom('kyc_attempts')
        .select(['level', 'outcome', 'provider', 'detail'])
        .where('customer_id', '=', customerId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    const kycRow = (customerId: string) =>
      bw()
        .dbHandle.db.selectFrom('customer_kyc')
        .selectAll()
        .where('customer_id', '=', customerId)
        .executeTakeFirst();
    const tierOf = async (customerId: string) =>
      (
        await bw()
          .dbHandle.db.selectFrom('customers')
          .select('kyc_tier')
          .where('id', '=', customerId)
          .executeTakeFirstOrThrow()
      ).kyc_tier;

    it('starts unverified, with the tier-0 limits', async () => {
      const c = await api.customer('Zhou Min', ['CNY'], 0);
      const res = await api.get(`/v1/customers/${c.id}/kyc`);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({
        customerId: c.id,
        tier: 0,
        name: null,
        document: null,
        basicVerifiedAt: null,
        fullVerifiedAt: null,
      });
      const cny = (at(res.body, 'limits') as Array<{ currency: string }>).find((l) => l.currency === 'CNY');
      expect(cny).toEqual({
        currency: 'CNY',
        source: 'tier',
        singleMinor: '50000',
        dailyMinor: '100000',
        monthlyMinor: '200000',
        balanceCapMinor: '100000',
      });
      expectProblem(
        await api.get('/v1/customers/cus_00000000000000000000000000/kyc'),
        404,
        'WALLET_CUSTOMER_NOT_FOUND',
      );
    });

    it('raises to tier 1 on a match: sealed and masked values, an attempt, an audit record and an event', async () => {
      const c = await api.customer('Li Wei', ['CNY'], 0);
      const number = residentId();
      const res = await basic(c.id, number);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({
        customerId: c.id,
        tier: 1,
        name: '李*',
        documentType: 'CN_RESIDENT_ID',
        document: `${number.slice(0, 4)}**********${number.slice(-4)}`,
        fullVerifiedAt: null,
      });
      expect(str(res.body, 'basicVerifiedAt')).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(res.text).not.toContain(number);
      expect(res.text).not.toContain('李伟');
      expect(await tierOf(c.id)).toBe(1);

      // The stored row holds neither the name nor the number in clear; the vault opens them in place only.
      const row = await kycRow(c.id);
      if (!row) throw new Error('no customer_kyc row');
      const raw = json(row);
      expect(raw).not.toContain(number);
      expect(raw).not.toContain(number.slice(6, 14));
      expect(raw).not.toContain('李伟');
      const vault = bw().vault;
      expect(vault.open(row.name_sealed, sealContext('customer_kyc', 'name_sealed', c.id))).toBe('李伟');
      expect(vault.open(row.document_sealed, sealContext('customer_kyc', 'document_sealed', c.id))).toBe(
        number,
      );
      expect(() =>
        vault.open(row.name_sealed, sealContext('customer_kyc', 'name_sealed', 'cus_other')),
      ).toThrow();
      expect(row.document_index).toBe(vault.blindIndex('document', number));
      expect(row).toMatchObject({ provider: 'simulated', name_masked: '李*', full_verified_at: null });

      expect(await attempts(c.id)).toEqual([
        {
          level: 'basic',
          outcome: 'match',
          provider: 'simulated',
          detail: expect.stringMatching(/^ref=sim-idv-/),
        },
      ]);
      const audit = await bw()
        .dbHandle.db.selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'kyc.tier.raise')
        .where('target_id', '=', c.id)
        .execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        actor_type: 'api_client',
        target_type: 'customer',
        before: { tier: '0' },
        after: { tier: '1', level: 'basic', name: '李*', documentType: 'CN_RESIDENT_ID' },
      });
      expect(json(audit)).not.toContain(number);
      expect(json(audit)).not.toContain('李伟');
      const events = await bw()
        .dbHandle.db.selectFrom('outbox')
        .select(['topic', 'payload'])
        .where('aggregate_id', '=', c.id)
        .where('topic', '=', 'identity.kyc.verified')
        .execute();
      expect(events.map((e) => e.payload)).toEqual([
        { customerId: c.id, tier: 1, level: 'basic', provider: 'simulated' },
      ]);
    });

    it('replays a retried submission without asking the provider again, and requires a key', async () => {
      const c = await api.customer('Sun Li', ['CNY'], 0);
      const number = residentId();
      const first = await basic(c.id, number, '孙丽', api, 'kyc-replay-0001');
      const again = await basic(c.id, number, '孙丽', api, 'kyc-replay-0001');
      expect(again.status).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await attempts(c.id)).toHaveLength(1);
      const missing = await api.post(
        `/v1/customers/${c.id}/kyc/basic`,
        { name: '孙丽', documentType: 'CN_RESIDENT_ID', documentNumber: number },
        { key: null },
      );
      expectProblem(missing, 400, 'IDEMPOTENCY_KEY_MISSING');
    });

    it('refuses a mismatch with KYC_MISMATCH and stores nothing but the attempt', async () => {
      const c = await api.customer('Qian Yu', ['CNY'], 0);
      const res = await basic(c.id, residentId('999'));
      expectProblem(res, 422, 'KYC_MISMATCH');
      expect(await tierOf(c.id)).toBe(0);
      expect(await kycRow(c.id)).toBeUndefined();
      expect((await attempts(c.id)).map((a) => a.outcome)).toEqual(['mismatch']);
    });

    it('refuses a wrong check character with the reason, without echoing the number', async () => {
      const c = await api.customer('Wu Fang', ['CNY'], 0);
      const good = residentId();
      const wrongCheck = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
      const res = await basic(c.id, wrongCheck);
      expectProblem(res, 422, 'IDENTITY_DOCUMENT_INVALID');
      expect(res.body).toMatchObject({ reason: 'CHECK_DIGIT' });
      expect(str(res.body, 'detail')).toMatch(/check character/);
      expect(res.text).not.toContain(wrongCheck);
      const date = await basic(c.id, residentId().replace(/^(\d{6})\d{8}/, '$119991340'));
      expectProblem(date, 422, 'IDENTITY_DOCUMENT_INVALID');
      expect(await kycRow(c.id)).toBeUndefined();
      expect((await attempts(c.id)).map((a) => a.outcome)).toEqual(['invalid', 'invalid']);
    });

    it('refuses a document already verified on another customer, saying nothing about them', async () => {
      const owner = await api.customer('Zheng Hao', ['CNY'], 0);
      const other = await api.customer('Zheng Hao 2', ['CNY'], 0);
      const number = residentId();
      expect((await basic(owner.id, number, '郑浩')).status).toBe(200);
      const res = await basic(other.id, number, '郑浩');
      expectProblem(res, 409, 'IDENTITY_DOCUMENT_IN_USE');
      expect(res.text).not.toContain(owner.id);
      expect(await tierOf(other.id)).toBe(0);
      expect((await attempts(other.id)).map((a) => a.outcome)).toEqual(['in_use']);
      // The same customer asking again with the verified document is told their status.
      const again = await basic(owner.id, number, '郑浩');
      expect(again.status, again.text).toBe(200);
      expect(again.body).toMatchObject({ tier: 1 });
      // Another document once verified is a change of identity: not through this endpoint.
      expectProblem(await basic(owner.id, residentId(), '郑浩'), 409, 'KYC_ALREADY_VERIFIED');
    });

    it('answers 503 when the provider does not answer in time, storing nothing but the attempt', async () => {
      const c = await api.customer('Feng Jie', ['CNY'], 0);
      const res = await basic(c.id, residentId('998'), '冯杰', api, 'kyc-timeout-0001');
      expectProblem(res, 503, 'KYC_PROVIDER_UNAVAILABLE');
      expect(await tierOf(c.id)).toBe(0);
      expect(await kycRow(c.id)).toBeUndefined();
      expect(await attempts(c.id)).toEqual([
        { level: 'basic', outcome: 'timeout', provider: 'simulated', detail: 'deadline 150 ms' },
      ]);
      const key = await bw()
        .dbHandle.db.selectFrom('idempotency_keys')
        .select('key')
        .where('key', '=', 'kyc-timeout-0001')
        .executeTakeFirst();
      expect(key).toBeUndefined();
      // A retry is judged afresh.
      const retry = await basic(c.id, residentId(), '冯杰', api, 'kyc-timeout-0001');
      expect(retry.status, retry.text).toBe(200);
    });

    it('requires tier 1 before liveness, then raises to tier 2 on a pass and not on a fail', async () => {
      const c = await api.customer('Tang Yi', ['CNY'], 0);
      expectProblem(await full(c.id), 409, 'KYC_TIER_REQUIRED');
      expect(await attempts(c.id)).toEqual([]);
      expect((await basic(c.id, residentId(), '唐毅')).status).toBe(200);

      expectProblem(await full(c.id, 'fail_blurry_1'), 422, 'KYC_LIVENESS_FAILED');
      expectProblem(await full(c.id, 'slow_session_1'), 503, 'KYC_PROVIDER_UNAVAILABLE');
      expect(await tierOf(c.id)).toBe(1);

      const res = await full(c.id, 'lv_good_1');
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ tier: 2, name: '唐*' });
      expect(str(res.body, 'fullVerifiedAt')).toMatch(/^\d{4}-/);
      const cny = (at(res.body, 'limits') as Array<{ currency: string }>).find((l) => l.currency === 'CNY');
      expect(cny).toMatchObject({ singleMinor: '5000000', dailyMinor: '20000000' });
      expect(await kycRow(c.id)).toMatchObject({
        images: { front: 'upl_front_1', back: 'upl_back_1' },
        liveness_ref: 'lv_good_1',
        liveness_score: 0.98,
        full_ref: expect.stringMatching(/^sim-lv-/),
      });
      expect((await attempts(c.id)).map((a) => `${a.level}:${a.outcome}`)).toEqual([
        'basic:match',
        'full:fail',
        'full:timeout',
        'full:pass',
      ]);
      const raises = await bw()
        .dbHandle.db.selectFrom('audit_log')
        .select(['before', 'after'])
        .where('action', '=', 'kyc.tier.raise')
        .where('target_id', '=', c.id)
        .orderBy('seq')
        .execute();
      expect(raises.map((r) => [r.before?.tier, r.after?.tier])).toEqual([
        ['0', '1'],
        ['1', '2'],
      ]);
    });

    it('takes strict, bounded bodies', async () => {
      const c = await api.customer('Han Mei', ['CNY'], 0);
      const url = `/v1/customers/${c.id}/kyc/basic`;
      const body = { name: '韩梅', documentType: 'CN_RESIDENT_ID', documentNumber: residentId() };
      expectProblem(await api.post(url, { ...body, birthDate: '1990-01-01' }), 400, 'VALIDATION_FAILED');
      expectProblem(await api.post(url, { ...body, name: 'x'.repeat(65) }), 400, 'VALIDATION_FAILED');
      expectProblem(
        await api.post(url, { ...body, documentType: 'DRIVING_LICENCE' }),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(await api.post(url, { ...body, name: '   ' }), 400, 'VALIDATION_FAILED');
      expectProblem(
        await api.post(`/v1/customers/${c.id}/kyc/full`, {
          documentImages: { front: 'data:image/png;base64,AAAA' },
          livenessSessionId: 'lv_1',
        }),
        400,
        'VALIDATION_FAILED',
      );
      expect(await attempts(c.id)).toEqual([]);
    });

    it('lets a signed-in customer verify themselves and nobody else (403)', async () => {
      const me = await api.customer('Lu Xin', ['CNY'], 0);
      const other = await api.customer('Lu Yan', ['CNY'], 0);
      const asMe = api.as(await customerAuth(bw(), me.id));
      expectProblem(await basic(other.id, residentId(), '陆岩', asMe), 403, 'AUTH_FORBIDDEN');
      expectProblem(await full(other.id, 'lv_1', asMe), 403, 'AUTH_FORBIDDEN');
      expectProblem(await asMe.get(`/v1/customers/${other.id}/kyc`), 403, 'AUTH_FORBIDDEN');
      expect(await attempts(other.id)).toEqual([]);
      expect((await basic(me.id, residentId(), '陆鑫', asMe)).status).toBe(200);
      expect((await full(me.id, 'lv_me_1', asMe)).status).toBe(200);
      expect((await asMe.get(`/v1/customers/${me.id}/kyc`)).body).toMatchObject({ tier: 2, name: '陆*' });
      // Staff without the permission cannot submit; support may read the masked status.
      expectProblem(
        await basic(other.id, residentId(), '陆岩', api.asStaff('support')),
        403,
        'AUTH_FORBIDDEN',
      );
      expect((await api.asStaff('support').get(`/v1/customers/${me.id}/kyc`)).status).toBe(200);
    });

    it('documents the routes under the identity tag', async () => {
      const res = await bw().app.inject({ method: 'GET', url: '/docs/json' });
      const doc = JSON.parse(res.body) as { paths: Record<string, Record<string, { tags?: string[] }>> };
      expect(doc.paths['/v1/customers/{id}/kyc/basic']?.post?.tags).toEqual(['identity']);
      expect(doc.paths['/v1/customers/{id}/kyc/full']?.post?.tags).toEqual(['identity']);
      expect(doc.paths['/v1/customers/{id}/kyc']?.get?.tags).toEqual(['identity']);
    });
  });
}
