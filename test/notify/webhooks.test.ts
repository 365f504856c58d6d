// Webhooks end to end: a receiver on a local port verifies every POST's HMAC signature over "timestamp.body" and refuses a tampered body, an old timestamp and a wrong secret; failed calls are retried with backoff and logged per attempt; a finished delivery can be redelivered with the same id; a slow endpoint times out; changes made to an endpoint at once are all kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/notify/config.ts';
import { signWebhook, verifyWebhookSignature } from '../../src/notify/signature.ts';
import { newId } from '../../src/platform/ids.ts';
import { Api, arr, at, expectProblem, str } from '../api/client.ts';
import { DATABASES, startBulwark, type TestBulwark } from '../helpers.ts';
import { samplePayloads } from './samples.ts';
import { createEndpoint, Receiver, relayAndTakeIn, writeEvents } from './support.ts';

const TIMEOUT_MS = 400;

describe('webhook signatures', () => {
  const secret = 'whsec_test-secret';
  const body = '{"id":"dlv_x","topic":"wallet.hold.placed"}';
  const nowS = 1_790_000_000;

  it('verifies a signature over the timestamp and the raw body', () => {
    const header = signWebhook(secret, body, nowS);
    expect(header).toMatch(/^t=1790000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature({ secret, header, body, nowS })).toEqual({ ok: true, timestampS: nowS });
  });

  it('refuses a tampered body, a wrong secret, an old or future timestamp and a malformed header', () => {
    const header = signWebhook(secret, body, nowS);
    expect(
      verifyWebhookSignature({ secret, header, body: body.replace('placed', 'released'), nowS }),
    ).toEqual({
      ok: false,
      reason: 'signature',
    });
    expect(verifyWebhookSignature({ secret: 'whsec_other', header, body, nowS }).ok).toBe(false);
    expect(verifyWebhookSignature({ secret, header, body, nowS: nowS + 301 })).toEqual({
      ok: false,
      reason: 'timestamp',
    });
    expect(verifyWebhookSignature({ secret, header, body, nowS: nowS - 301 }).ok).toBe(false);
    expect(verifyWebhookSignature({ secret, header, body, nowS: nowS + 600, toleranceS: 900 }).ok).toBe(true);
    // The timestamp is signed: moving it forward breaks the signature.
    const moved = header.replace(`t=${nowS}`, `t=${nowS + 200}`);
    expect(verifyWebhookSignature({ secret, header: moved, body, nowS: nowS + 200 })).toEqual({
      ok: false,
      reason: 'signature',
    });
    for (const bad of [undefined, '', 'v1=abc', `t=${nowS}`, 't=x,v1=00', `${header},t=${nowS}`]) {
      expect(verifyWebhookSignature({ secret, header: bad, body, nowS })).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
  });

  it('accepts any one of several v1 signatures (a secret rotation)', () => {
    const mine = signWebhook(secret, body, nowS);
    const other = signWebhook('whsec_old', body, nowS).split(',')[1];
    expect(verifyWebhookSignature({ secret, header: `${mine},${other}`, body, nowS }).ok).toBe(true);
    expect(verifyWebhookSignature({ secret, header: `t=${nowS},${other}`, body, nowS }).ok).toBe(false);
  });

  it('waits exponentially longer between retries, with jitter, up to the ceiling', () => {
    const s = { retryBaseMs: 15_000, retryMaxMs: 7_200_000 };
    expect(retryDelayMs(1, s, () => 0)).toBe(7_500);
    expect(retryDelayMs(1, s, () => 0.999999)).toBe(14_999);
    expect(retryDelayMs(4, s, () => 1)).toBe(120_000);
    expect(retryDelayMs(20, s, () => 1)).toBe(7_200_000);
    expect(retryDelayMs(20, s, () => 0)).toBe(3_600_000);
  });
});

for (const target of DATABASES) {
  describe(`webhook delivery on ${target.name}`, () => {
    let instance: TestBulwark | undefined;
    const bw = () => {
      if (!instance) throw new Error('Bulwark not started');
      return instance;
    };
    const api = new Api(bw);
    const receiver = new Receiver();
    let admin: Api;
    let endpoint: { id: string; secret: string };

    beforeAll(async () => {
      // The process reads its settings from the environment when it is built.
      const previous = process.env.BULWARK_WEBHOOK_TIMEOUT_MS;
      process.env.BULWARK_WEBHOOK_TIMEOUT_MS = String(TIMEOUT_MS);
      try {
        instance = await startBulwark(target, { starterRules: false });
      } finally {
        if (previous === undefined) delete process.env.BULWARK_WEBHOOK_TIMEOUT_MS;
        else process.env.BULWARK_WEBHOOK_TIMEOUT_MS = previous;
      }
      await receiver.start();
      admin = api.asStaff('admin');
      endpoint = await createEndpoint(bw(), await bw().staffAuth('admin'), {
        url: `${receiver.url}/hooks/wallet`,
        topics: ['wallet.', 'cases.alert.raised'],
        description: 'risk desk',
      });
      receiver.secrets.set('/hooks/wallet', endpoint.secret);
    });
    afterAll(async () => {
      await receiver.stop();
      await instance?.drop();
    });

    const parties = { customerId: newId('cus'), merchantId: newId('mer'), staffId: newId('stf') };

    it('shows the secret once: a retry of the creation answers without it, the list never has it', async () => {
      expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      const body = { url: `${receiver.url}/hooks/other`, topics: ['support.'] };
      const first = await admin.post('/v1/notify/webhooks', body, { key: 'whk-create-once-1' });
      expect(first.status, first.text).toBe(201);
      expect(str(first.body, 'secret')).toMatch(/^whsec_/);
      expect(first.headers['cache-control']).toBe('no-store');
      const again = await admin.post('/v1/notify/webhooks', body, { key: 'whk-create-once-1' });
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(at(again.body, 'secret')).toBeNull();
      expect(at(again.body, 'webhook', 'id')).toBe(at(first.body, 'webhook', 'id'));
      const list = await admin.get('/v1/notify/webhooks');
      expect(list.status).toBe(200);
      expect(list.text).not.toContain('whsec_');
      expect(arr(list.body, 'webhooks').length).toBe(2);
      // Not interested in this one for the rest of the suite.
      const del = await admin.post(`/v1/notify/webhooks/${str(first.body, 'webhook', 'id')}/delete`, {});
      expect(del.status, del.text).toBe(200);
      expect(at(del.body, 'enabled')).toBe(false);
      expect((await admin.get(`/v1/notify/webhooks/${str(first.body, 'webhook', 'id')}`)).status).toBe(404);
    });

    it('refuses bad URLs and unknown topics, and lets only notify.manage change endpoints', async () => {
      expectProblem(
        await admin.post('/v1/notify/webhooks', { url: 'ftp://example.test/x', topics: ['*'] }),
        422,
        'NOTIFY_WEBHOOK_URL_INVALID',
      );
      expectProblem(
        await admin.post('/v1/notify/webhooks', { url: 'https://user:pw@example.test/x', topics: ['*'] }),
        422,
        'NOTIFY_WEBHOOK_URL_INVALID',
      );
      expectProblem(
        await admin.post('/v1/notify/webhooks', { url: 'https://example.test/x', topics: ['ledger.'] }),
        422,
        'NOTIFY_TOPIC_UNKNOWN',
      );
      expectProblem(
        await api
          .asStaff('auditor')
          .post('/v1/notify/webhooks', { url: 'https://example.test/x', topics: ['*'] }),
        403,
        'AUTH_FORBIDDEN',
      );
      expect((await api.asStaff('auditor').get('/v1/notify/webhooks')).status).toBe(200);
      expectProblem(await api.asStaff('support').get('/v1/notify/webhooks'), 403, 'AUTH_FORBIDDEN');
      const topics = await admin.get('/v1/notify/topics');
      expect(arr(topics.body, 'topics')).toContain('wallet.hold.placed');
    });

    it('signs each POST so the receiver verifies it, with a stable delivery id and the event as JSON', async () => {
      const samples = samplePayloads(parties);
      await writeEvents(bw(), [
        { topic: 'wallet.hold.placed', payload: samples['wallet.hold.placed'] },
        { topic: 'support.feedback.answered', payload: samples['support.feedback.answered'] },
        { topic: 'cases.alert.raised', payload: samples['cases.alert.raised'] },
      ]);
      await relayAndTakeIn(bw());
      expect(await bw().notify.deliverDue()).toBe(2);
      const got = receiver.received.filter((r) => r.path === '/hooks/wallet');
      expect(got.map((r) => r.topic).sort()).toEqual(['cases.alert.raised', 'wallet.hold.placed']);
      for (const r of got) {
        expect(r.verified).toBe(true);
        expect(r.deliveryId).toMatch(/^dlv_/);
        expect(r.attempt).toBe(1);
        const body = JSON.parse(r.body) as Record<string, unknown>;
        expect(body.id).toBe(r.deliveryId);
        expect(body.topic).toBe(r.topic);
        expect(typeof body.eventId).toBe('string');
      }
      const placed = got.find((r) => r.topic === 'wallet.hold.placed');
      expect(JSON.parse(placed?.body ?? '{}').data).toEqual(samples['wallet.hold.placed']);

      // What a receiver must refuse: the same request with a changed body, or replayed much later.
      const signature = placed?.signature ?? '';
      const rawBody = placed?.body ?? '';
      expect(
        verifyWebhookSignature({
          secret: endpoint.secret,
          header: signature,
          body: rawBody.replace('123456', '999999'),
        }).ok,
      ).toBe(false);
      const signedAtS = Number(/t=(\d+)/.exec(signature)?.[1]);
      expect(Math.abs(signedAtS - Date.now() / 1000)).toBeLessThan(60);
      expect(
        verifyWebhookSignature({
          secret: endpoint.secret,
          header: signature,
          body: rawBody,
          nowS: signedAtS + 3600,
        }),
      ).toEqual({ ok: false, reason: 'timestamp' });
      expect(verifyWebhookSignature({ secret: 'whsec_wrong', header: signature, body: rawBody }).ok).toBe(
        false,
      );
    });

    it('retries a failing endpoint with backoff, logs every attempt, then delivers', async () => {
      const failures = new Set<string>();
      receiver.answer = (r) => {
        if (failures.has(r.deliveryId)) return 200;
        failures.add(r.deliveryId);
        return 503;
      };
      await writeEvents(bw(), [
        { topic: 'wallet.owner.frozen', payload: { ownerId: parties.customerId, reason: 'x' } },
      ]);
      await relayAndTakeIn(bw());
      const start = Date.now();
      expect(await bw().notify.deliverDue()).toBe(1);
      const list = await admin.get(`/v1/notify/webhooks/${endpoint.id}/deliveries?status=pending`);
      expect(list.status, list.text).toBe(200);
      const [d] = arr(list.body, 'deliveries');
      expect(at(d, 'attempts')).toBe(1);
      expect(at(d, 'lastStatusCode')).toBe(503);
      expect(at(d, 'lastError')).toBe('HTTP 503');
      expect(at(d, 'log', 0, 'outcome')).toBe('retry');
      const due = Date.parse(str(d, 'nextAttemptAt'));
      // The first retry waits between half and all of 15 s.
      expect(due - start).toBeGreaterThanOrEqual(7_000);
      expect(due - start).toBeLessThan(16_000);
      // Not yet due: nothing is sent.
      expect(await bw().notify.deliverDue()).toBe(0);
      expect(await bw().notify.deliverDue(new Date(due + 1))).toBe(1);
      const done = await admin.get(`/v1/notify/deliveries/${str(d, 'id')}`);
      expect(at(done.body, 'status')).toBe('delivered');
      expect(arr(done.body, 'log').map((a) => at(a, 'outcome'))).toEqual(['retry', 'delivered']);
      expect(arr(done.body, 'log').map((a) => at(a, 'statusCode'))).toEqual([503, 200]);
      receiver.answer = () => 200;
    });

    it('gives up after the last attempt and lets an operator redeliver with the same id', async () => {
      receiver.answer = () => 500;
      await writeEvents(bw(), [
        { topic: 'wallet.owner.unfrozen', payload: { ownerId: parties.customerId, reason: 'x' } },
      ]);
      await relayAndTakeIn(bw());
      const far = new Date(Date.now() + 30 * 86_400_000);
      for (let i = 0; i < 12; i++) await bw().notify.deliverDue(new Date(far.getTime() + i * 86_400_000));
      const failed = await admin.get(`/v1/notify/webhooks/${endpoint.id}/deliveries?status=failed`);
      const [d] = arr(failed.body, 'deliveries');
      const id = str(d, 'id');
      expect(at(d, 'attempts')).toBe(12);
      expect(arr(d, 'log')).toHaveLength(12);
      expect(at(d, 'log', 11, 'outcome')).toBe('failed');

      receiver.answer = () => 200;
      expectProblem(
        await api.asStaff('auditor').post(`/v1/notify/deliveries/${id}/redeliver`, {}),
        403,
        'AUTH_FORBIDDEN',
      );
      const redo = await admin.post(`/v1/notify/deliveries/${id}/redeliver`, {});
      expect(redo.status, redo.text).toBe(202);
      expect(at(redo.body, 'status')).toBe('pending');
      expect(at(redo.body, 'maxAttempts')).toBe(13);
      expectProblem(
        await admin.post(`/v1/notify/deliveries/${id}/redeliver`, {}),
        409,
        'NOTIFY_DELIVERY_STATE',
      );
      expect(await bw().notify.deliverDue()).toBe(1);
      const last = receiver.received[receiver.received.length - 1];
      expect(last?.deliveryId).toBe(id);
      expect(last?.attempt).toBe(13);
      expect(last?.verified).toBe(true);
      expect(at((await admin.get(`/v1/notify/deliveries/${id}`)).body, 'status')).toBe('delivered');
      expectProblem(
        await admin.get(`/v1/notify/deliveries/${newId('dlv')}`),
        404,
        'NOTIFY_DELIVERY_NOT_FOUND',
      );
    });

    it('times out a slow endpoint and retries it', async () => {
      receiver.answer = () => 'hold';
      await writeEvents(bw(), [
        { topic: 'wallet.owner.frozen', payload: { ownerId: parties.merchantId, reason: 'x' } },
      ]);
      await relayAndTakeIn(bw());
      const t0 = Date.now();
      expect(await bw().notify.deliverDue()).toBe(1);
      expect(Date.now() - t0).toBeLessThan(TIMEOUT_MS + 2_000);
      receiver.release();
      receiver.answer = () => 200;
      const list = await admin.get(`/v1/notify/webhooks/${endpoint.id}/deliveries?limit=1`);
      const [d] = arr(list.body, 'deliveries');
      expect(at(d, 'status')).toBe('pending');
      expect(at(d, 'lastError')).toBe(`no answer within ${TIMEOUT_MS} ms`);
      expect(at(d, 'lastStatusCode')).toBeNull();
    });

    it('stops delivering to a disabled endpoint, and pages its log', async () => {
      const off = await admin.post(`/v1/notify/webhooks/${endpoint.id}`, { enabled: false });
      expect(off.status, off.text).toBe(200);
      expect(at(off.body, 'enabled')).toBe(false);
      await writeEvents(bw(), [
        { topic: 'wallet.owner.frozen', payload: { ownerId: parties.customerId, reason: 'y' } },
      ]);
      const before = receiver.received.length;
      await relayAndTakeIn(bw());
      await bw().notify.deliverDue(new Date(Date.now() + 86_400_000));
      // The pending retry of the timed-out delivery fails on the disabled endpoint; the new event made none.
      expect(receiver.received.length).toBe(before);
      const failed = await admin.get(`/v1/notify/webhooks/${endpoint.id}/deliveries?status=failed&limit=1`);
      expect(at(failed.body, 'deliveries', 0, 'lastError')).toBe('endpoint disabled');
      const page1 = await admin.get(`/v1/notify/webhooks/${endpoint.id}/deliveries?limit=2`);
      expect(arr(page1.body, 'deliveries')).toHaveLength(2);
      const page2 = await admin.get(
        `/v1/notify/webhooks/${endpoint.id}/deliveries?limit=2&cursor=${str(page1.body, 'nextCursor')}`,
      );
      const ids = [...arr(page1.body, 'deliveries'), ...arr(page2.body, 'deliveries')].map((d) =>
        at(d, 'id'),
      );
      expect(new Set(ids).size).toBe(ids.length);
      expectProblem(
        await admin.get(`/v1/notify/webhooks/${endpoint.id}/deliveries?cursor=bm9wZQ`),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('keeps every one of several changes made to an endpoint at once', async () => {
      const race = await createEndpoint(bw(), await bw().staffAuth('admin'), {
        url: `${receiver.url}/hooks/race`,
        topics: ['support.'],
      });
      const changes = [
        { url: `${receiver.url}/hooks/race-2` },
        { topics: ['cases.'] },
        { description: 'renamed' },
        { enabled: false },
      ];
      const results = await Promise.all(changes.map((c) => admin.post(`/v1/notify/webhooks/${race.id}`, c)));
      for (const r of results) expect(r.status, r.text).toBe(200);
      // Each change starts from the one before it: none of them is lost.
      const now = await admin.get(`/v1/notify/webhooks/${race.id}`);
      expect(now.body).toMatchObject({
        url: `${receiver.url}/hooks/race-2`,
        topics: ['cases.'],
        description: 'renamed',
        enabled: false,
      });
    });
  });
}
