import { Fields } from './payload.ts';
import type { RecipientType } from './tables.ts';
import { type Audience, type Dispute, TEMPLATES, type Templates, type Text } from './templates.ts';

/**
 * The events the notify module turns into notifications, with who hears about each.
 * Webhook endpoints subscribe to these topics (by prefix) and receive the event's payload
 * as it was written; other outbox topics are internal and never leave the process.
 */
export const NOTIFY_TOPICS = [
  'wallet.hold.placed',
  'wallet.hold.released',
  'wallet.hold.rejected',
  'wallet.owner.frozen',
  'wallet.owner.unfrozen',
  'identity.login.new_device',
  'identity.password.changed',
  'identity.phone.changed',
  'support.dispute.opened',
  'support.dispute.updated',
  'support.dispute.decided',
  'support.feedback.answered',
  'cases.compensation.paid',
  'cases.case.assigned',
  'cases.alert.raised',
] as const;
export type NotifyTopic = (typeof NOTIFY_TOPICS)[number];

export function isNotifyTopic(topic: string): topic is NotifyTopic {
  return (NOTIFY_TOPICS as readonly string[]).includes(topic);
}

export interface Recipient {
  type: RecipientType;
  id: string;
}

/** One inbox item (and, for a customer with an address, one e-mail) of an event. */
export interface Message {
  recipient: Recipient;
  /** Also by e-mail, when the recipient (a customer) has an address on file. */
  email: boolean;
  en: Text;
  zhCN: Text;
  /** Ids the client can link to (`holdId`, `disputeId`…). */
  data: Record<string, string>;
}

type Render = (t: Templates) => Text;

function message(recipient: Recipient, render: Render, data: Record<string, string>): Message {
  return {
    recipient,
    email: recipient.type === 'customer',
    en: render(TEMPLATES.en),
    zhCN: render(TEMPLATES['zh-CN']),
    data,
  };
}

const customer = (id: string): Recipient => ({ type: 'customer', id });
const ownerOf = (id: string): Recipient => ({ type: id.startsWith('mer_') ? 'merchant' : 'customer', id });
const audienceOf = (r: Recipient): Audience => (r.type === 'merchant' ? 'merchant' : 'customer');

const OUTCOMES = ['upheld', 'rejected'] as const;
const SUBJECTS = ['customer', 'staff'] as const;

function holdSettled(f: Fields, reference: string | null) {
  return {
    holdId: f.id('holdId', 'hold'),
    customerId: f.id('customerId', 'cus'),
    amountMinor: f.amountMinor('amountMinor'),
    currency: f.currency('currency'),
    reference,
  };
}

function disputeMessages(f: Fields, render: (t: Templates, d: Dispute, a: Audience) => Text): Message[] {
  const d: Dispute = {
    disputeId: f.id('disputeId', 'dsp'),
    status: f.code('status'),
    outcome: f.optionalOneOf('outcome', OUTCOMES),
    decisionReason: f.optionalText('decisionReason'),
    dueAt: f.time('dueAt'),
  };
  const recipients = [customer(f.id('customerId', 'cus'))];
  const merchantId = f.optionalId('merchantId', 'mer');
  if (merchantId !== null) recipients.push({ type: 'merchant', id: merchantId });
  return recipients.map((r) => message(r, (t) => render(t, d, audienceOf(r)), { disputeId: d.disputeId }));
}

/**
 * Each topic's recipients and words, from its payload. Throws `InvalidPayload` when the
 * payload is off its documented shape. `cases.alert.raised` goes to webhooks only.
 */
const PLANS: { [T in NotifyTopic]: (f: Fields) => Message[] } = {
  'wallet.hold.placed': (f) => {
    const p = {
      holdId: f.id('holdId', 'hold'),
      customerId: f.id('customerId', 'cus'),
      kind: f.code('kind'),
      amountMinor: f.amountMinor('amountMinor'),
      currency: f.currency('currency'),
      reasonCodes: f.codes('reasonCodes'),
      customerMessage: f.optionalText('customerMessage'),
    };
    f.id('decisionId', 'dec');
    return [message(customer(p.customerId), (t) => t.holdPlaced(p), { holdId: p.holdId })];
  },
  'wallet.hold.released': (f) => {
    const p = holdSettled(f, f.optionalId('entryId', 'txn'));
    return [message(customer(p.customerId), (t) => t.holdReleased(p), { holdId: p.holdId })];
  },
  'wallet.hold.rejected': (f) => {
    const p = holdSettled(f, f.text('reason'));
    return [message(customer(p.customerId), (t) => t.holdRejected(p), { holdId: p.holdId })];
  },
  'wallet.owner.frozen': (f) => {
    const r = ownerOf(f.id('ownerId', 'cus', 'mer'));
    f.text('reason');
    return [message(r, (t) => t.ownerFrozen(audienceOf(r)), {})];
  },
  'wallet.owner.unfrozen': (f) => {
    const r = ownerOf(f.id('ownerId', 'cus', 'mer'));
    f.text('reason');
    return [message(r, (t) => t.ownerUnfrozen(audienceOf(r)), {})];
  },
  'identity.login.new_device': (f) => {
    const type = f.oneOf('subjectType', SUBJECTS);
    const id = f.id('subjectId', type === 'customer' ? 'cus' : 'stf');
    const at = f.time('at');
    return [message({ type, id }, (t) => t.newDevice(at), { sessionId: f.id('sessionId', 'ses') })];
  },
  'identity.password.changed': (f) => {
    const at = f.time('at');
    return [message(customer(f.id('customerId', 'cus')), (t) => t.passwordChanged(at), {})];
  },
  'identity.phone.changed': (f) => {
    const at = f.time('at');
    return [message(customer(f.id('customerId', 'cus')), (t) => t.phoneChanged(at), {})];
  },
  'support.dispute.opened': (f) => disputeMessages(f, (t, d, a) => t.disputeOpened(d, a)),
  'support.dispute.updated': (f) => disputeMessages(f, (t, d, a) => t.disputeUpdated(d, a)),
  'support.dispute.decided': (f) => disputeMessages(f, (t, d, a) => t.disputeDecided(d, a)),
  'support.feedback.answered': (f) => {
    const feedbackId = f.id('feedbackId', 'fbk');
    const category = f.text('category');
    return [
      message(customer(f.id('customerId', 'cus')), (t) => t.feedbackAnswered(category), { feedbackId }),
    ];
  },
  'cases.compensation.paid': (f) => {
    const p = {
      caseId: f.id('caseId', 'cas'),
      amountMinor: f.amountMinor('amountMinor'),
      currency: f.currency('currency'),
    };
    const compensationId = f.id('compensationId', 'cmp');
    f.id('entryId', 'txn');
    return [
      message(customer(f.id('customerId', 'cus')), (t) => t.compensationPaid(p), {
        compensationId,
        caseId: p.caseId,
      }),
    ];
  },
  'cases.case.assigned': (f) => {
    const p = { caseId: f.id('caseId', 'cas'), title: f.text('title') };
    return [
      message({ type: 'staff', id: f.id('assigneeId', 'stf') }, (t) => t.caseAssigned(p), {
        caseId: p.caseId,
      }),
    ];
  },
  'cases.alert.raised': (f) => {
    f.id('alertId', 'alt');
    f.id('caseId', 'cas');
    f.code('severity');
    f.code('type');
    return [];
  },
};

/** The inbox items and e-mails of an event; throws `InvalidPayload` on a malformed payload. */
export function planEvent(topic: NotifyTopic, payload: unknown): Message[] {
  return PLANS[topic](new Fields(payload));
}

/** Whether a webhook's topic pattern (`*`, a prefix such as `wallet.` or an exact topic) covers a topic. */
export function patternCovers(pattern: string, topic: string): boolean {
  return pattern === '*' || topic.startsWith(pattern);
}
