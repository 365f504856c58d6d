// One documented payload per notification topic, as its producer writes it: the catalogue test renders each, the delivery tests send them.

import type { NotifyTopic } from '../../src/notify/topics.ts';
import { newId } from '../../src/platform/ids.ts';

export interface Parties {
  customerId: string;
  merchantId: string;
  staffId: string;
}

export function samplePayloads(p: Parties): Record<NotifyTopic, Record<string, unknown>> {
  const dueAt = '2026-11-21T08:15:30.000Z';
  return {
    'wallet.hold.placed': {
      holdId: newId('hold'),
      customerId: p.customerId,
      decisionId: newId('dec'),
      kind: 'transfer',
      amountMinor: '123456',
      currency: 'CNY',
      reasonCodes: ['LARGE_AMOUNT', 'PAYEE_NEW'],
      customerMessage: null,
    },
    'wallet.hold.released': {
      holdId: newId('hold'),
      customerId: p.customerId,
      amountMinor: '5000',
      currency: 'USD',
      entryId: newId('txn'),
    },
    'wallet.hold.rejected': {
      holdId: newId('hold'),
      customerId: p.customerId,
      amountMinor: '1200',
      currency: 'JPY',
      reason: 'expired',
    },
    'wallet.owner.frozen': { ownerId: p.customerId, reason: 'suspicious activity' },
    'wallet.owner.unfrozen': { ownerId: p.merchantId, reason: 'cleared' },
    'identity.login.new_device': {
      subjectType: 'customer',
      subjectId: p.customerId,
      sessionId: newId('ses'),
      deviceId: 'device-2',
      ip: '203.0.113.7',
      at: '2026-11-21T08:15:30.000Z',
    },
    'identity.password.changed': { customerId: p.customerId, at: '2026-11-21T23:59:00.000Z' },
    'identity.phone.changed': { customerId: p.customerId, at: '2026-11-21T08:15:30.000Z' },
    'support.dispute.opened': {
      disputeId: newId('dsp'),
      customerId: p.customerId,
      merchantId: p.merchantId,
      status: 'open',
      reason: 'not_received',
      dueAt,
    },
    'support.dispute.updated': {
      disputeId: newId('dsp'),
      customerId: p.customerId,
      merchantId: null,
      status: 'deciding',
      reason: 'not_received',
      dueAt,
    },
    'support.dispute.decided': {
      disputeId: newId('dsp'),
      customerId: p.customerId,
      merchantId: p.merchantId,
      status: 'decided',
      reason: 'not_received',
      outcome: 'upheld',
      decisionReason: 'The merchant did not show delivery.',
      dueAt,
    },
    'support.feedback.answered': {
      feedbackId: newId('fbk'),
      customerId: p.customerId,
      category: 'payment_problem',
    },
    'cases.compensation.paid': {
      compensationId: newId('cmp'),
      caseId: newId('cas'),
      customerId: p.customerId,
      amountMinor: '10000',
      currency: 'CNY',
      entryId: newId('txn'),
    },
    'cases.case.assigned': {
      caseId: newId('cas'),
      assigneeId: p.staffId,
      title: 'Mule pattern on a new payee',
    },
    'cases.alert.raised': {
      alertId: newId('alt'),
      caseId: newId('cas'),
      severity: 'high',
      type: 'risk.review',
    },
  };
}
