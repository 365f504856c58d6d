// The inbox API: customers, staff and merchants read their own notifications newest first in pages, in the language of Accept-Language, with an unread count, and mark them read; nobody reads anyone else's; staff with notify.read see the embedded mailbox with addresses masked; an event that reaches the intake twice in one batch is taken in once.
import { beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/platform/ids.ts';
import { Api, arr, at, expectProblem, str } from '../api/client.ts';
import { DATABASES, staffSession, useBulwark } from '../helpers.ts';
import { samplePayloads } from './samples.ts';
import { customerWithEmail, relayAndTakeIn, writeEvents } from './support.ts';

for (const target of DATABASES) {
  describe(`notification inboxes on ${target.name}`, () => {
    const bw = useBulwark(target, { starterRules: false });
    const api = new Api(bw);
    let li: { id: string; email: string; auth: string };
    let wang: { id: string; email: string; auth: string };
    let analyst: { id: string; auth: string };
    const merchantId = newId('mer');

    beforeAll(async () => {
      li = await customerWithEmail(bw(), 'Li');
      wang = await customerWithEmail(bw(), 'Wang');
      analyst = await staffSession(bw(), 'analyst');
      const samples = samplePayloads({ customerId: li.id, merchantId, staffId: analyst.id });
      await writeEvents(bw(), [
        { topic: 'wallet.hold.placed', payload: samples['wallet.hold.placed'] },
        { topic: 'identity.password.changed', payload: samples['identity.password.changed'] },
        { topic: 'support.dispute.opened', payload: samples['support.dispute.opened'] },
        { topic: 'cases.compensation.paid', payload: samples['cases.compensation.paid'] },
        { topic: 'cases.case.assigned', payload: samples['cases.case.assigned'] },
        {
          topic: 'identity.login.new_device',
          payload: { ...samples['identity.login.new_device'], subjectType: 'staff', subjectId: analyst.id },
        },
      ]);
      await relayAndTakeIn(bw());
    });

    it('lists my notifications newest first, in pages, with the unread count', async () => {
      const me = api.as(li.auth);
      const all = await me.get('/v1/me/notifications');
      expect(all.status, all.text).toBe(200);
      expect(all.headers['content-language']).toBe('en');
      const items = arr(all.body, 'notifications');
      expect(items.map((n) => at(n, 'topic'))).toEqual([
        'cases.compensation.paid',
        'support.dispute.opened',
        'identity.password.changed',
        'wallet.hold.placed',
      ]);
      expect(at(all.body, 'unreadCount')).toBe(4);
      expect(at(all.body, 'nextCursor')).toBeNull();
      expect(at(items[0], 'title')).toBe('Compensation paid');
      expect(at(items[0], 'body')).toContain('CNY 100.00');
      expect(at(items[0], 'language')).toBe('en');
      expect(at(items[3], 'data', 'holdId')).toMatch(/^hold_/);

      const page1 = await me.get('/v1/me/notifications?limit=3');
      expect(arr(page1.body, 'notifications')).toHaveLength(3);
      const page2 = await me.get(`/v1/me/notifications?limit=3&cursor=${str(page1.body, 'nextCursor')}`);
      expect(arr(page2.body, 'notifications').map((n) => at(n, 'topic'))).toEqual(['wallet.hold.placed']);
      expect(at(page2.body, 'nextCursor')).toBeNull();
    });

    it('answers in Chinese when the client prefers it', async () => {
      const zh = await api
        .as(li.auth)
        .get('/v1/me/notifications?limit=1', { 'accept-language': 'zh-CN,zh;q=0.9' });
      expect(zh.headers['content-language']).toBe('zh-CN');
      expect(at(zh.body, 'notifications', 0, 'title')).toBe('补偿已到账');
      expect(at(zh.body, 'notifications', 0, 'body')).toContain('人民币 100.00');
      expect(at(zh.body, 'notifications', 0, 'language')).toBe('zh-CN');
    });

    it('marks one read (repeatably) and then all', async () => {
      const me = api.as(li.auth);
      const first = str((await me.get('/v1/me/notifications?limit=1')).body, 'notifications', 0, 'id');
      const read = await me.post(`/v1/me/notifications/${first}/read`, {}, { key: null });
      expect(read.status, read.text).toBe(200);
      const readAt = str(read.body, 'readAt');
      const again = await me.post(`/v1/me/notifications/${first}/read`, {}, { key: null });
      expect(at(again.body, 'readAt')).toBe(readAt);
      const unread = await me.get('/v1/me/notifications?unread=true');
      expect(at(unread.body, 'unreadCount')).toBe(3);
      expect(arr(unread.body, 'notifications').map((n) => at(n, 'id'))).not.toContain(first);
      const all = await me.post('/v1/me/notifications/read-all', {}, { key: null });
      expect(at(all.body, 'marked')).toBe(3);
      expect(at((await me.get('/v1/me/notifications')).body, 'unreadCount')).toBe(0);
      expect(at((await me.post('/v1/me/notifications/read-all', {}, { key: null })).body, 'marked')).toBe(0);
    });

    it("never shows or marks someone else's notification", async () => {
      const mine = str(
        (await api.as(li.auth).get('/v1/me/notifications?limit=1')).body,
        'notifications',
        0,
        'id',
      );
      const other = api.as(wang.auth);
      const list = await other.get('/v1/me/notifications');
      expect(arr(list.body, 'notifications')).toEqual([]);
      expect(at(list.body, 'unreadCount')).toBe(0);
      expectProblem(
        await other.post(`/v1/me/notifications/${mine}/read`, {}, { key: null }),
        404,
        'NOTIFY_NOTIFICATION_NOT_FOUND',
      );
      expectProblem(await other.get(`/v1/customers/${li.id}/notifications`), 403, 'AUTH_FORBIDDEN');
      // An integrator's backend reads its customer's inbox for its own app.
      const viaIntegrator = await api.get(`/v1/customers/${li.id}/notifications`);
      expect(viaIntegrator.status, viaIntegrator.text).toBe(200);
      expect(arr(viaIntegrator.body, 'notifications')).toHaveLength(4);
      expectProblem(await api.as(li.auth).get('/v1/staff/me/notifications'), 403, 'AUTH_FORBIDDEN');
    });

    it('gives staff their own inbox and merchants theirs', async () => {
      const staff = api.as(analyst.auth);
      const list = await staff.get('/v1/staff/me/notifications');
      expect(list.status, list.text).toBe(200);
      expect(arr(list.body, 'notifications').map((n) => at(n, 'topic'))).toEqual([
        'identity.login.new_device',
        'cases.case.assigned',
      ]);
      expect(at(list.body, 'notifications', 1, 'body')).toContain('Mule pattern on a new payee');
      const id = str(list.body, 'notifications', 0, 'id');
      expect((await staff.post(`/v1/staff/me/notifications/${id}/read`, {}, { key: null })).status).toBe(200);
      expect(at((await staff.get('/v1/staff/me/notifications')).body, 'unreadCount')).toBe(1);
      expectProblem(
        await api.as(li.auth).post(`/v1/me/notifications/${id}/read`, {}, { key: null }),
        404,
        'NOTIFY_NOTIFICATION_NOT_FOUND',
      );

      const merchant = await api.get(`/v1/merchants/${merchantId}/notifications`, {
        'accept-language': 'zh',
      });
      expect(merchant.status, merchant.text).toBe(200);
      expect(arr(merchant.body, 'notifications').map((n) => at(n, 'title'))).toEqual([
        '有用户对向您的付款提出争议',
      ]);
    });

    it('keeps e-mails in the embedded mailbox, addresses masked, for notify.read only', async () => {
      await bw().notify.deliverDue();
      const ops = api.asStaff('operations');
      const box = await ops.get('/v1/notify/emails?limit=2');
      expect(box.status, box.text).toBe(200);
      expect(at(box.body, 'mailer')).toBe('mailbox');
      const emails = arr(box.body, 'emails');
      expect(emails).toHaveLength(2);
      const next = await ops.get(`/v1/notify/emails?limit=10&cursor=${str(box.body, 'nextCursor')}`);
      const all = [...emails, ...arr(next.body, 'emails')];
      // Li: hold, password, dispute, compensation. The staff and merchant items are not e-mailed.
      expect(all).toHaveLength(4);
      for (const e of all) {
        expect(at(e, 'recipientId')).toBe(li.id);
        expect(str(e, 'to')).toMatch(/^l\*{5}@example\.test$/);
        expect(str(e, 'messageId')).toBe(`<${str(e, 'deliveryId')}@bulwark.local>`);
        expect(str(e, 'subject')).toMatch(/[\u4e00-\u9fff].* \/ [A-Z]/);
        expect(str(e, 'text')).toContain('——');
      }
      expect(box.text + next.text).not.toContain(li.email);
      expectProblem(await api.asStaff('support').get('/v1/notify/emails'), 403, 'AUTH_FORBIDDEN');
      const delivery = await ops.get(`/v1/notify/deliveries/${str(all[0], 'deliveryId')}`);
      expect(at(delivery.body, 'channel')).toBe('email');
      expect(at(delivery.body, 'status')).toBe('delivered');
      expect(delivery.text).not.toContain(li.email);
    });

    it('counts deliveries by channel and result in the metrics', async () => {
      const res = await bw().app.inject({ method: 'GET', url: '/metrics' });
      expect(res.body).toMatch(/bulwark_notify_deliveries_total\{channel="email",result="delivered"\} \d+/);
      expect(res.body).toContain('bulwark_notify_delivery_duration_seconds_bucket');
    });

    it('takes in an event that comes twice in one batch once, and never again', async () => {
      const samples = samplePayloads({ customerId: wang.id, merchantId, staffId: analyst.id });
      const event = {
        id: 9_000_000_000n,
        topic: 'identity.phone.changed' as const,
        payload: samples['identity.phone.changed'],
        createdAt: new Date(),
      };
      // Wang has an address on file: one inbox item and one e-mail.
      expect(await bw().notify.intake.ingest([event, event])).toEqual({ notifications: 1, deliveries: 1 });
      expect(await bw().notify.intake.ingest([event])).toEqual({ notifications: 0, deliveries: 0 });
      const inbox = await api.as(wang.auth).get('/v1/me/notifications');
      expect(
        arr(inbox.body, 'notifications').filter((n) => at(n, 'topic') === 'identity.phone.changed'),
      ).toHaveLength(1);
    });
  });
}
