// Proves that revealing a personal value needs a permission and a stated reason and is audited (field and reason, never the value) with the read, that auditors can page, filter and verify the audit log, and that API clients are created (key shown once), listed and revoked by administrators only.
import { describe, expect, it } from 'vitest';
import { readAudit } from '../../src/security/audit.ts';
import { Api, arr, expectProblem, str } from '../api/client.ts';
import { DATABASES, staffSession, useBulwark } from '../helpers.ts';
import { customer, personalData } from './support.ts';

for (const target of DATABASES) {
  describe(`personal data, audit log and API clients on ${target.name}`, () => {
    const bw = useBulwark(target);
    const api = new Api(bw);

    it('reveals one field with a reason and audits it in the same transaction', async () => {
      const ivy = await customer(api, 'Ivy');
      await personalData(bw(), ivy.id, {
        phone: '+8613912345678',
        email: 'ivy@example.com',
        name: '李艾薇',
        document: '110101199003074477',
      });
      const support = await staffSession(bw(), 'support');
      const url = `/v1/customers/${ivy.id}/pii/reveal`;
      expectProblem(await api.as(support.auth).post(url, { field: 'phone' }), 422, 'PII_REASON_REQUIRED');
      expectProblem(
        await api.as(support.auth).post(url, { field: 'phone', reason: 'because' }),
        422,
        'PII_REASON_REQUIRED',
      );
      expectProblem(
        await api.as(support.auth).post(url, { field: 'phone', reason: '          x' }),
        422,
        'PII_REASON_REQUIRED',
      );
      expectProblem(
        await api.as(support.auth).post(url, { field: 'phone', reason: 'r'.repeat(501) }),
        400,
        'VALIDATION_FAILED',
      );
      const before = await records(() => true);

      const reason = 'customer called about a failed top-up, ticket 9912';
      const phone = await api.as(support.auth).post(url, { field: 'phone', reason });
      expect(phone.status, phone.text).toBe(200);
      expect(phone.headers['cache-control']).toBe('no-store');
      expect(phone.body).toEqual({ customerId: ivy.id, field: 'phone', value: '+8613912345678' });
      const name = await api.as(support.auth).post(url, { field: 'name', reason });
      expect(str(name.body, 'value')).toBe('李艾薇');

      const added = (await records(() => true)).slice(before.length);
      expect(added.map((r) => r.action)).toEqual(['pii.reveal', 'pii.reveal']);
      expect(added[0]).toMatchObject({
        actorType: 'staff',
        actorId: support.id,
        actorRole: 'support',
        targetType: 'customer',
        targetId: ivy.id,
        after: { field: 'phone' },
        reason,
      });
      expect(JSON.stringify(added)).not.toContain('13912345678');
      expect(JSON.stringify(added)).not.toContain('李艾薇');

      // Roles without the permission, and integrators, are refused; unknown customers are 404.
      const operations = await staffSession(bw(), 'operations');
      expectProblem(
        await api.as(operations.auth).post(url, { field: 'phone', reason }),
        403,
        'AUTH_FORBIDDEN',
      );
      expectProblem(await api.post(url, { field: 'phone', reason }), 403, 'AUTH_FORBIDDEN');
      expectProblem(
        await api
          .as(support.auth)
          .post('/v1/customers/cus_00000000000000000000000000/pii/reveal', { field: 'phone', reason }),
        404,
        'WALLET_CUSTOMER_NOT_FOUND',
      );
      const bare = await customer(api, 'Jon');
      expectProblem(
        await api.as(support.auth).post(`/v1/customers/${bare.id}/pii/reveal`, { field: 'email', reason }),
        404,
        'NOT_FOUND',
      );
      // Everywhere else the customer is shown without clear personal values.
      const shown = await api.as(support.auth).get(`/v1/customers/${ivy.id}`);
      expect(shown.text).not.toContain('13912345678');
    });

    it('lets auditors page and filter the audit log and verify the chain', async () => {
      const auditor = await staffSession(bw(), 'auditor');
      const support = await staffSession(bw(), 'support');
      const kit = await customer(api, 'Kit');
      for (let i = 0; i < 3; i++) {
        await api.post(`/v1/owners/${kit.id}/freeze`, { reason: `round ${i}` });
      }
      expectProblem(await api.as(support.auth).get('/v1/audit'), 403, 'AUTH_FORBIDDEN');

      const first = await api
        .as(auditor.auth)
        .get(`/v1/audit?targetId=${kit.id}&action=owner.freeze&limit=2`);
      expect(first.status, first.text).toBe(200);
      const page1 = arr(first.body, 'records');
      expect(page1.map((r) => str(r, 'reason'))).toEqual(['round 2', 'round 1']);
      const cursor = str(first.body, 'nextCursor');
      const second = await api
        .as(auditor.auth)
        .get(`/v1/audit?targetId=${kit.id}&action=owner.freeze&limit=2&cursor=${cursor}`);
      expect(arr(second.body, 'records').map((r) => str(r, 'reason'))).toEqual(['round 0']);
      expect((second.body as { nextCursor: unknown }).nextCursor).toBeNull();

      const byActor = await api.as(auditor.auth).get(`/v1/audit?actorId=${auditor.id}`);
      expect(arr(byActor.body, 'records')).toEqual([]);
      expectProblem(await api.as(auditor.auth).get('/v1/audit?cursor=abc'), 400, 'VALIDATION_FAILED');

      const verified = await api.as(auditor.auth).get('/v1/audit/verify');
      expect(verified.status, verified.text).toBe(200);
      expect(verified.body).toMatchObject({ ok: true, problems: [] });
    });

    it('creates API clients (key once), lists and revokes them, for administrators only', async () => {
      const admin = await staffSession(bw(), 'admin');
      const operations = await staffSession(bw(), 'operations');
      const body = { name: 'Shop backend', role: 'integrator' };
      expectProblem(await api.as(operations.auth).post('/v1/api-clients', body), 403, 'AUTH_FORBIDDEN');
      expectProblem(
        await api.as(admin.auth).post('/v1/api-clients', { ...body, role: 'admin' }),
        400,
        'VALIDATION_FAILED',
      );
      const created = await api.as(admin.auth).post('/v1/api-clients', body, { key: 'client-shop-0001' });
      expect(created.status, created.text).toBe(201);
      const key = str(created.body, 'key');
      expect(key).toMatch(/^bwk_cli_/);
      const clientId = str(created.body, 'client', 'id');
      // A retry answers the same client without the key.
      const retry = await api.as(admin.auth).post('/v1/api-clients', body, { key: 'client-shop-0001' });
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toMatchObject({ client: { id: clientId }, key: null });
      const stored = await bw()
        .dbHandle.db.selectFrom('idempotency_keys')
        .select('response')
        .where('key', '=', 'client-shop-0001')
        .executeTakeFirstOrThrow();
      expect(JSON.stringify(stored.response)).not.toContain(key.slice(-20));

      // The new key works for what an integrator may do.
      expect(
        (await api.as(`Bearer ${key}`).post('/v1/customers', { displayName: 'Lu', currencies: ['CNY'] }))
          .status,
      ).toBe(201);
      const list = await api.as(admin.auth).get('/v1/api-clients');
      expect(arr(list.body, 'clients').map((c) => str(c, 'id'))).toContain(clientId);
      expect(list.text).not.toContain(key);

      const revoked = await api
        .as(admin.auth)
        .post(`/v1/api-clients/${clientId}/revoke`, { reason: 'rotated' });
      expect(revoked.status, revoked.text).toBe(200);
      expect(str(revoked.body, 'status')).toBe('revoked');
      expectProblem(
        await api.as(`Bearer ${key}`).post('/v1/customers', { displayName: 'Lu', currencies: ['CNY'] }),
        401,
        'AUTH_API_KEY_INVALID',
      );
    });

    async function records(pred: (action: string) => boolean) {
      const out = [];
      for await (const r of readAudit(bw().dbHandle.db)) if (pred(r.action)) out.push(r);
      return out;
    }
  });
}
