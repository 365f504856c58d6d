import type { Permission } from '../../../src/access/permissions.ts';
import {
  array,
  bool,
  count,
  type Decoder,
  firstOf,
  nullable,
  object,
  oneOf,
  type Page,
  page,
  str,
  stringRecord,
  withDefault,
} from './decode.ts';

/**
 * Notifications as the console reads them: the signed-in staff user's inbox
 * (/v1/staff/me/notifications) and the operator's outbound side (/v1/notify/…): webhook
 * endpoints, their delivery log, and the embedded mailbox. Topics are whatever the server
 * lists; an inbox item of a topic the console does not know shows the server's own words.
 */

export const NOTIFY_KEYS = {
  inbox: ['notify', 'inbox'] as const,
  inboxList: (unreadOnly: boolean) => ['notify', 'inbox', 'list', unreadOnly] as const,
  inboxCount: ['notify', 'inbox', 'count'] as const,
  customer: (customerId: string) => ['notify', 'customer', customerId] as const,
  topics: ['notify', 'topics'] as const,
  webhooks: ['notify', 'webhooks'] as const,
  deliveries: (webhookId: string, status: string) => ['notify', 'deliveries', webhookId, status] as const,
  emails: ['notify', 'emails'] as const,
};

// ---- The inbox ---------------------------------------------------------------------------

export const notification = object({
  id: str,
  topic: str,
  title: withDefault(str, ''),
  body: withDefault(str, ''),
  /** The language of title and body (the server answers in the browser's Accept-Language). */
  language: withDefault(str, 'en'),
  data: withDefault(stringRecord, {}),
  createdAt: str,
  readAt: nullable(str),
});
export type Notification = ReturnType<typeof notification>;

export interface InboxPage extends Page<Notification> {
  /** Unread items, counted up to 10000. */
  unreadCount: number;
}

export const inboxPage: Decoder<InboxPage> = (v, path) => {
  const items = page('notifications', notification)(v, path);
  const { unreadCount } = object({ unreadCount: withDefault(count, 0) })(v, path);
  return { ...items, unreadCount };
};

export const markedAnswer = object({ marked: count });

/** What a customer was told, newest first, as support reads it on the customer view. */
export const customerNotifications: Decoder<InboxPage> = inboxPage;
/** The customer view shows this many of the most recent notifications. */
export const CUSTOMER_NOTIFICATIONS_MAX = 20;

export function customerNotificationsPath(customerId: string): string {
  return `/v1/customers/${encodeURIComponent(customerId)}/notifications`;
}

/** Inbox items a page of the drawer shows. */
export const INBOX_PAGE_SIZE = 20;
/** The unread count is "10000 or more" from here (the server stops counting). */
export const UNREAD_COUNT_MAX = 10_000;

/** The badge's text: "9+" style beyond 99, so the header keeps its size. */
export function unreadBadge(n: number): string | null {
  if (n <= 0) return null;
  return n > 99 ? '99+' : String(n);
}

export interface NotificationLink {
  to: string;
  kind: 'case' | 'dispute' | 'feedback' | 'hold';
}

/**
 * Where an inbox item leads in the console, from the ids it carries, when the reader's
 * role may open that page; null when it leads nowhere the reader can go.
 */
export function notificationLink(
  n: Pick<Notification, 'data'>,
  can: (p: Permission) => boolean,
): NotificationLink | null {
  const id = (key: string, prefix: string) => {
    const v = n.data[key];
    return v !== undefined && new RegExp(`^${prefix}_[0-9a-z]{10,40}$`).test(v) ? v : null;
  };
  const caseId = id('caseId', 'cas');
  if (caseId && can('case.read')) return { to: `/cases/${caseId}`, kind: 'case' };
  const disputeId = id('disputeId', 'dsp');
  if (disputeId && can('case.read')) return { to: `/disputes/${disputeId}`, kind: 'dispute' };
  const feedbackId = id('feedbackId', 'fbk');
  if (feedbackId && can('case.read')) return { to: `/feedback/${feedbackId}`, kind: 'feedback' };
  const holdId = id('holdId', 'hold');
  if (holdId && can('account.read')) return { to: `/holds/${holdId}`, kind: 'hold' };
  return null;
}

// ---- Webhook endpoints -------------------------------------------------------------------

export const webhook = object({
  id: str,
  url: str,
  description: withDefault(str, ''),
  topics: withDefault(array(str), []),
  enabled: bool,
  createdAt: str,
  createdBy: withDefault(str, ''),
  updatedAt: nullable(str),
});
export type Webhook = ReturnType<typeof webhook>;

export const webhookList: Decoder<Webhook[]> = (v, path) =>
  object({ webhooks: array(webhook) })(v, path).webhooks;

/** A created endpoint or a rotated secret: the secret is in this answer only (null on a replay). */
export const webhookWithSecret = object({ webhook, secret: nullable(str) });
export type WebhookWithSecret = ReturnType<typeof webhookWithSecret>;

export const topicList: Decoder<string[]> = (v, path) => object({ topics: array(str) })(v, path).topics;

/** The server's limits on an endpoint. */
export const WEBHOOK_TOPICS_MAX = 20;
export const WEBHOOK_DESCRIPTION_MAX = 200;
export const WEBHOOK_URL_MAX = 2000;

/**
 * What an endpoint may subscribe to: everything (`*`), a prefix at each level of the
 * topics (`support.`, `support.dispute.`), or a topic; in that order, without repeats.
 */
export function topicPatterns(topics: readonly string[]): string[] {
  const prefixes = new Set<string>();
  for (const topic of topics) {
    const parts = topic.split('.');
    for (let i = 1; i < parts.length; i++) prefixes.add(`${parts.slice(0, i).join('.')}.`);
  }
  return ['*', ...[...prefixes].sort(), ...topics.filter((t) => !prefixes.has(t))];
}

export interface WebhookInput {
  url: string;
  topics: string[];
  description: string;
}

export type WebhookProblem = 'urlInvalid' | 'urlCredentials' | 'topicsRequired' | 'topicsTooMany';

/**
 * The checks the server makes on a new endpoint, made before sending so the form can say
 * which field is wrong: an http(s) URL without a user name or password, 1–20 topics.
 */
export function checkWebhook(input: WebhookInput): WebhookProblem[] {
  const problems: WebhookProblem[] = [];
  const raw = input.url.trim();
  let url: URL | null = null;
  try {
    url = raw.length >= 8 && raw.length <= WEBHOOK_URL_MAX ? new URL(raw) : null;
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) problems.push('urlInvalid');
  else if (url.username !== '' || url.password !== '') problems.push('urlCredentials');
  if (input.topics.length === 0) problems.push('topicsRequired');
  if (input.topics.length > WEBHOOK_TOPICS_MAX) problems.push('topicsTooMany');
  return problems;
}

// ---- Deliveries and the mailbox ---------------------------------------------------------

export const DELIVERY_STATUSES = ['pending', 'sending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const ATTEMPT_OUTCOMES = ['delivered', 'retry', 'failed', 'interrupted'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

export function isDeliveryStatus(v: string): v is DeliveryStatus {
  return (DELIVERY_STATUSES as readonly string[]).includes(v);
}

const attempt = object({
  attempt: count,
  startedAt: str,
  durationMs: withDefault(count, 0),
  statusCode: nullable(count),
  outcome: oneOf(ATTEMPT_OUTCOMES),
  error: nullable(str),
});
export type Attempt = ReturnType<typeof attempt>;

export const delivery = object({
  id: str,
  // Event ids are 64-bit counters: a string, or a number from an older server.
  eventId: firstOf<string>(str, (v, p) => String(count(v, p))),
  topic: str,
  channel: oneOf(['webhook', 'email'] as const),
  targetId: str,
  status: oneOf(DELIVERY_STATUSES),
  attempts: count,
  maxAttempts: count,
  nextAttemptAt: nullable(str),
  lastError: nullable(str),
  lastStatusCode: nullable(count),
  createdAt: str,
  updatedAt: nullable(str),
  deliveredAt: nullable(str),
  log: withDefault(array(attempt), []),
});
export type Delivery = ReturnType<typeof delivery>;

export const deliveryPage: Decoder<Page<Delivery>> = page('deliveries', delivery);

/** Only a finished delivery can be sent again; one still going out answers 409. */
export function canRedeliver(d: Pick<Delivery, 'status'>): boolean {
  return d.status === 'delivered' || d.status === 'failed';
}

export const email = object({
  id: str,
  deliveryId: str,
  recipientId: str,
  /** Masked by the server: the address itself is sealed. */
  to: str,
  subject: withDefault(str, ''),
  text: withDefault(str, ''),
  messageId: withDefault(str, ''),
  createdAt: str,
});
export type Email = ReturnType<typeof email>;

export interface Mailbox extends Page<Email> {
  /** Where e-mails go in the server's process: an SMTP server, or this mailbox. */
  mailer: 'smtp' | 'mailbox';
}

export const mailbox: Decoder<Mailbox> = (v, path) => ({
  ...page('emails', email)(v, path),
  mailer: object({ mailer: oneOf(['smtp', 'mailbox'] as const) })(v, path).mailer,
});

export const DELIVERY_PAGE_SIZE = 20;
