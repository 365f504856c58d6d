// The decision page's reading of GET /v1/decisions/:id: a full decision decodes into its detail, an old one without detail still decodes, the features the explanation names are found, and the rules evaluated list hits, shadow hits and errors first.
import { describe, expect, it } from 'vitest';
import { decisionRecord, featuresNamed, ruleRows } from './decisions.ts';
import { decode } from './decode.ts';

const full = {
  id: 'dec_01m8097sh239pvz04e88ecyyb5',
  eventType: 'transfer',
  subjectId: 'cus_01m8097rvchd4y5zzah1zya91g',
  currency: 'CNY',
  amountMinor: '2000000',
  outcome: 'REVIEW',
  reasonCodes: ['LARGE_AMOUNT', 'AMOUNT_UNUSUAL_FOR_CUSTOMER'],
  customerMessage: 'This is held for a short security review.',
  policy: 'risk-engine/1',
  input: {
    at: '2026-11-22T00:07:02.000Z',
    ip: '127.0.0.1',
    type: 'transfer',
    geo: { country: 'CN', region: 'BJ' },
    limits: { tier: 2, limitSource: 'tier', dailyUsedMinor: '2500', nested: { ignored: true } },
    channel: null,
    currency: 'CNY',
    customerId: 'cus_01m8097rvchd4y5zzah1zya91g',
    amountMinor: '2000000',
    counterpartyId: 'cus_01m8097sdvcpp1vgtc7f5d9yn6',
  },
  latencyUs: 3522,
  createdAt: '2026-11-22T00:07:02.430Z',
  eventAt: '2026-11-22T00:07:02.000Z',
  score: 30,
  degraded: false,
  detail: {
    model: {
      name: 'gbm-1',
      score: 0.42,
      level: 'medium',
      contributions: [{ feature: 'ip.isProxy', value: 0.2 }],
    },
    rules: {
      hits: [
        {
          score: 30,
          action: 'REVIEW',
          ruleId: 'large_vs_history',
          shadow: false,
          version: 1,
          messageKey: 'risk.msg.unusual_amount',
          reasonCode: 'AMOUNT_UNUSUAL_FOR_CUSTOMER',
          warningKey: null,
        },
        {
          score: 10,
          action: 'REVIEW',
          ruleId: 'watch_amounts',
          shadow: true,
          version: 2,
          messageKey: null,
          reasonCode: 'WATCH',
          warningKey: null,
        },
      ],
      score: 30,
      errors: [{ ruleId: 'card_testing', version: 1, shadow: false, message: 'no such key' }],
      outcome: 'REVIEW',
      revision: '1',
      evaluated: ['brushing_merchant@1', 'card_testing@1', 'large_vs_history@1', 'watch_amounts@2'],
      withShadow: { score: 40, outcome: 'REVIEW' },
      inputErrors: [],
    },
    limits: { outcome: 'REVIEW', reasonCodes: ['LARGE_AMOUNT'] },
    missing: [],
    failSafe: null,
    features: {
      'ip.isProxy': false,
      'customer.typicalAmount': '2500',
      'customer.amountPercentile': 1,
      'customer.amountPercentileMax': 1,
    },
    messages: { en: 'Held for review.', zhCN: '需要审核。' },
    warnings: [],
    explanation: [
      'limit LARGE_AMOUNT: 20000.00 CNY is held for a security review.',
      'rule large_vs_history v1 → REVIEW (AMOUNT_UNUSUAL_FOR_CUSTOMER, +30) with customer.typicalAmount=25.00 CNY, customer.amountPercentile=1',
    ],
    challengePassed: false,
    degradedSources: [],
  },
  labels: [{ label: 'fraud', scenario: null, source: 'staff:stf_1', reportedAt: '2026-11-22T01:00:00.000Z' }],
  entryIds: [],
  holdIds: ['hold_01m8097sh6458gv5e1kxet1egt'],
};

describe('a decision', () => {
  it('decodes the detail the engine keeps, features sorted by name and limits as text', () => {
    const d = decode(decisionRecord, full);
    expect(d.detail?.features.map((f) => f.name)).toEqual([
      'customer.amountPercentile',
      'customer.amountPercentileMax',
      'customer.typicalAmount',
      'ip.isProxy',
    ]);
    expect(d.input.geo).toEqual({ country: 'CN', region: 'BJ', lat: null, lon: null });
    expect(d.input.limits).toEqual({ tier: '2', limitSource: 'tier', dailyUsedMinor: '2500' });
    expect(d.detail?.model?.contributions).toEqual([{ feature: 'ip.isProxy', value: 0.2 }]);
    expect(d.labels[0]?.label).toBe('fraud');
  });

  it('decodes a decision stored before the detail existed', () => {
    const d = decode(decisionRecord, {
      id: 'dec_old',
      eventType: 'transfer',
      subjectId: null,
      currency: 'CNY',
      amountMinor: '100',
      outcome: 'ALLOW',
      reasonCodes: [],
      customerMessage: null,
      policy: 'limits/1',
      input: { type: 'transfer' },
      latencyUs: 10,
      createdAt: '2025-01-01T00:00:00.000Z',
      detail: null,
      entryIds: ['txn_1'],
      holdIds: [],
    });
    expect(d.detail).toBeNull();
    expect(d.labels).toEqual([]);
    expect(d.input.at).toBeNull();
  });

  it('finds the features the explanation names, whole names only', () => {
    const d = decode(decisionRecord, full);
    const names = d.detail?.features.map((f) => f.name) ?? [];
    expect([...featuresNamed(d.detail?.explanation ?? [], names)].sort()).toEqual([
      'customer.amountPercentile',
      'customer.typicalAmount',
    ]);
  });

  it('lists acting hits, shadow hits, errors, then the rules that did not match', () => {
    const d = decode(decisionRecord, full);
    const rules = d.detail?.rules;
    if (!rules) throw new Error('no rules');
    expect(ruleRows(rules).map((r) => [`${r.ruleId}@${r.version}`, r.status])).toEqual([
      ['large_vs_history@1', 'hit'],
      ['watch_amounts@2', 'shadowHit'],
      ['card_testing@1', 'error'],
      ['brushing_merchant@1', 'notMatched'],
    ]);
  });
});
