// The console's reading of the notify API: the staff inbox, what a customer was told, webhook endpoints, the delivery log and the mailbox decode into typed values with nothing left undefined; inbox items link only where the reader's role may go; the endpoint form refuses what the server would; topic patterns offer everything, each prefix and each topic.
import { describe, expect, it } from 'vitest';
import { can, type Permission } from '../../../src/access/permissions.ts';
import { DecodeError, decode } from './decode.ts';
import {
  canRedeliver,
  checkWebhook,
  customerNotifications,
  customerNotificationsPath,
  deliveryPage,
  inboxPage,
  mailbox,
  notificationLink,
  topicList,
  topicPatterns,
  unreadBadge,
  webhookList,
  webhookWithSecret,
} from './notify.ts';

const CASE_ID = 'cas_01m80v8apfzexfwsz4s900y8kb';
const WEBHOOK = 'whk_01m80v8af1b1t6ptpb3h3wx802';

const item = {
  id: 'ntf_01m80v8b0jg1h00k23yq95j4pc',
  topic: 'cases.case.assigned',
  title: 'A case was assigned to you',
  body: `Case ${CASE_ID} was assigned to you: Dispute opened`,
  language: 'en',
  data: { caseId: CASE_ID },
  createdAt: '2026-11-22T05:21:54.706Z',
  readAt: null,
};

const endpoint = {
  id: WEBHOOK,
  url: 'http://127.0.0.1:37551/hook',
  description: 'Risk desk',
  topics: ['support.', 'cases.case.assigned'],
  enabled: true,
  createdAt: '2026-11-22T05:21:54.145Z',
  createdBy: 'stf_01m80v8aekkbkf687r9ndw80ap',
  updatedAt: '2026-11-22T05:21:54.145Z',
};

const delivered = {
  id: 'dlv_01m80v8b03gbpbmwcan2gzfakr',
  eventId: '27',
  topic: 'support.dispute.updated',
  channel: 'webhook',
  targetId: WEBHOOK,
  status: 'delivered',
  attempts: 1,
  maxAttempts: 12,
  nextAttemptAt: null,
  lastError: null,
  lastStatusCode: 200,
  createdAt: '2026-11-22T05:21:54.688Z',
  updatedAt: '2026-11-22T05:21:54.730Z',
  deliveredAt: '2026-11-22T05:21:54.730Z',
  log: [
    {
      attempt: 1,
      startedAt: '2026-11-22T05:21:54.695Z',
      durationMs: 35,
      statusCode: 200,
      outcome: 'delivered',
      error: null,
    },
  ],
};

function leaves(v: unknown, path = ''): Array<[string, unknown]> {
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, `${path}[${i}]`));
  if (typeof v === 'object' && v !== null)
    return Object.entries(v).flatMap(([k, x]) => leaves(x, `${path}.${k}`));
  return [[path, v]];
}
const undefinedIn = (v: unknown) => leaves(v).filter(([, x]) => x === undefined);
const roleCan = (role: Parameters<typeof can>[0]) => (p: Permission) => can(role, p);

describe('the staff inbox', () => {
  it('decodes a page with the unread count; ids to link to stay strings', () => {
    const p = decode(inboxPage, { notifications: [item], unreadCount: 1, nextCursor: null });
    expect(p.unreadCount).toBe(1);
    expect(p.items[0]?.data).toEqual({ caseId: CASE_ID });
    expect(undefinedIn(p)).toEqual([]);
    const bare = decode(inboxPage, { notifications: [{ id: 'ntf_1', topic: 't', createdAt: 'x' }] });
    expect(bare.items[0]).toMatchObject({ title: '', body: '', data: {}, readAt: null, language: 'en' });
    expect(bare.unreadCount).toBe(0);
    expect(undefinedIn(bare)).toEqual([]);
  });

  it('links an item only where the reader may go, and only to ids of the right kind', () => {
    expect(notificationLink(item, roleCan('analyst'))).toEqual({ to: `/cases/${CASE_ID}`, kind: 'case' });
    expect(notificationLink(item, roleCan('admin'))).toBeNull();
    expect(notificationLink({ data: { caseId: '../../etc' } }, roleCan('analyst'))).toBeNull();
    expect(
      notificationLink({ data: { holdId: 'hold_01m80sgjshb4z1p81jyxvpve3c' } }, roleCan('admin'))?.to,
    ).toBe('/holds/hold_01m80sgjshb4z1p81jyxvpve3c');
  });

  it('keeps the badge small', () => {
    expect(unreadBadge(0)).toBeNull();
    expect(unreadBadge(7)).toBe('7');
    expect(unreadBadge(10_000)).toBe('99+');
  });
});

describe("a customer's notifications", () => {
  it('decodes what the customer was told in the language it was written in', () => {
    const told = {
      id: 'ntf_2',
      topic: 'risk.hold.placed',
      title: '付款已暂缓',
      body: '我们正在核实这笔付款。',
      language: 'zh-CN',
      data: { holdId: 'hold_01m80sgjshb4z1p81jyxvpve3c', amountMinor: 2000000 },
      createdAt: '2026-11-22T05:00:00.000Z',
      readAt: '2026-11-22T05:10:00.000Z',
    };
    const p = decode(customerNotifications, { notifications: [told], unreadCount: 0, nextCursor: 'c1' });
    expect(p.items[0]).toMatchObject({ language: 'zh-CN', readAt: '2026-11-22T05:10:00.000Z' });
    // Numbers in the data become strings; nothing is left undefined.
    expect(p.items[0]?.data.amountMinor).toBe('2000000');
    expect(p.nextCursor).toBe('c1');
    expect(undefinedIn(p)).toEqual([]);
  });

  it('refuses an answer without its list', () => {
    expect(() => decode(customerNotifications, { items: [] })).toThrow(DecodeError);
  });

  it('asks for the customer by an escaped id', () => {
    expect(customerNotificationsPath('cus_1/../x')).toBe('/v1/customers/cus_1%2F..%2Fx/notifications');
  });
});

describe('webhook endpoints', () => {
  it('decodes the list and a secret shown once (null on a replay)', () => {
    expect(decode(webhookList, { webhooks: [endpoint] })[0]?.topics).toEqual([
      'support.',
      'cases.case.assigned',
    ]);
    const created = decode(webhookWithSecret, { webhook: endpoint, secret: 'whsec_abc' });
    expect(created.secret).toBe('whsec_abc');
    expect(decode(webhookWithSecret, { webhook: endpoint, secret: null }).secret).toBeNull();
    expect(() => decode(webhookList, { webhooks: [{ ...endpoint, enabled: 'yes' }] })).toThrow(DecodeError);
  });

  it('offers everything, each prefix and each topic as patterns', () => {
    const topics = decode(topicList, {
      topics: ['wallet.hold.placed', 'support.dispute.opened', 'support.feedback.answered'],
    });
    expect(topicPatterns(topics)).toEqual([
      '*',
      'support.',
      'support.dispute.',
      'support.feedback.',
      'wallet.',
      'wallet.hold.',
      'wallet.hold.placed',
      'support.dispute.opened',
      'support.feedback.answered',
    ]);
  });

  it('refuses what the server would: another scheme, credentials, no topics or too many', () => {
    expect(
      checkWebhook({ url: 'https://hooks.example.com/bulwark', topics: ['*'], description: '' }),
    ).toEqual([]);
    expect(checkWebhook({ url: 'ftp://example.com/x', topics: ['*'], description: '' })).toEqual([
      'urlInvalid',
    ]);
    expect(checkWebhook({ url: 'not a url', topics: [], description: '' })).toEqual([
      'urlInvalid',
      'topicsRequired',
    ]);
    expect(checkWebhook({ url: 'https://u:p@example.com/x', topics: ['*'], description: '' })).toEqual([
      'urlCredentials',
    ]);
    const many = Array.from({ length: 21 }, (_, i) => `t${i}.`);
    expect(checkWebhook({ url: 'http://127.0.0.1:9/x', topics: many, description: '' })).toEqual([
      'topicsTooMany',
    ]);
  });
});

describe('the delivery log and the mailbox', () => {
  it('decodes deliveries with their attempts; only a finished one can be sent again', () => {
    const p = decode(deliveryPage, { deliveries: [delivered], nextCursor: 'n1' });
    const d = p.items[0];
    expect(d?.log[0]?.statusCode).toBe(200);
    expect(d && canRedeliver(d)).toBe(true);
    expect(canRedeliver({ status: 'pending' })).toBe(false);
    expect(canRedeliver({ status: 'sending' })).toBe(false);
    expect(canRedeliver({ status: 'failed' })).toBe(true);
    expect(undefinedIn(p)).toEqual([]);
    // A counter from an older server arrives as a number; a retry carries its error and next time.
    const retrying = decode(deliveryPage, {
      deliveries: [
        {
          ...delivered,
          eventId: 27,
          status: 'pending',
          lastStatusCode: 503,
          lastError: 'HTTP 503',
          nextAttemptAt: '2026-11-22T05:22:10.000Z',
          log: [{ ...delivered.log[0], statusCode: 503, outcome: 'retry', error: 'HTTP 503' }],
        },
      ],
      nextCursor: null,
    });
    expect(retrying.items[0]).toMatchObject({ eventId: '27', lastError: 'HTTP 503' });
    expect(() => decode(deliveryPage, { deliveries: [{ ...delivered, status: 'lost' }] })).toThrow(
      DecodeError,
    );
  });

  it('decodes the mailbox with masked addresses and where e-mail goes', () => {
    const m = decode(mailbox, {
      mailer: 'mailbox',
      emails: [
        {
          id: 'eml_01m80v8b0jg1h00k23yq95j4pc',
          deliveryId: 'dlv_01m80v8b01dm8acs3774zzy9eg',
          recipientId: 'cus_01m80v8ax72pqvchy2cnc59f09',
          to: 'l*****@example.test',
          subject: '您的反馈已有答复 / We answered your feedback',
          text: 'We answered your feedback',
          messageId: '<dlv_01m80v8b01dm8acs3774zzy9eg@bulwark.local>',
          createdAt: '2026-11-22T05:21:54.706Z',
        },
      ],
      nextCursor: null,
    });
    expect(m.mailer).toBe('mailbox');
    expect(m.items[0]?.to).toBe('l*****@example.test');
    expect(undefinedIn(m)).toEqual([]);
    expect(() => decode(mailbox, { mailer: 'pigeon', emails: [] })).toThrow(DecodeError);
  });
});
