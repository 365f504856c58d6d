// The console's reading of the support API: the dispute and feedback queues, a dispute, a feedback conversation and the feedback summary decode into typed values with nothing left undefined; the decision form's body and its refusals match the server's rules; a failed merchant refund is worded by its own code; the queues' filters survive the address.
import { describe, expect, it } from 'vitest';
import { DecodeError, decode } from './decode.ts';
import { ApiError } from './errors.ts';
import {
  checkDecision,
  disputeDetail,
  disputeFiltersFrom,
  disputeFiltersToParams,
  disputeQuery,
  disputeQueue,
  feedbackDetail,
  feedbackFiltersFrom,
  feedbackFiltersToParams,
  feedbackQuery,
  feedbackQueue,
  feedbackSummary,
  majorText,
  QUEUE_PAGE_SIZE,
  refundCause,
  weeklySeries,
} from './support.ts';

const DISPUTE_ID = 'dsp_01m80v8apessahk2wj66fmzecp';
const CUSTOMER = 'cus_01m80v8afq0cqp73x7rxvkznjk';
const MERCHANT = 'mer_01m80v8afg2450e263nd2qaxmp';
const CASE_ID = 'cas_01m80v8apfzexfwsz4s900y8kb';
const ENTRY = 'txn_01m80v8ap2p9en6b3a02k3ckf4';
const STAFF = 'stf_01m80v8aqbvv27dwg08exbtw4n';

const queueLine = {
  id: DISPUTE_ID,
  customerId: CUSTOMER,
  merchantId: MERCHANT,
  entryId: ENTRY,
  reason: 'not_received',
  currency: 'CNY',
  amountMinor: '12345',
  status: 'open',
  provisionalStatus: 'paid',
  caseId: CASE_ID,
  dueAt: '2026-11-29T05:21:54.381Z',
  overdue: false,
  createdAt: '2026-11-22T05:21:54.381Z',
};

const staffView = {
  id: DISPUTE_ID,
  entryId: ENTRY,
  entryKind: 'payment',
  merchantId: MERCHANT,
  currency: 'CNY',
  amountMinor: '12345',
  reason: 'not_received',
  description: 'Never came.',
  status: 'decided',
  dueAt: '2026-11-29T05:21:54.381Z',
  overdue: false,
  provisionalCredit: {
    status: 'reversed',
    amountMinor: '12345',
    entryId: 'txn_01m80v8apvetmgg1vrdc29qm2j',
    reversalEntryId: 'txn_01m80v8azcr5wrzcafkee0awxq',
  },
  decision: {
    outcome: 'upheld',
    reason: { en: 'Merchant could not show delivery.', 'zh-CN': '商户无法证明已发货。' },
    refundMinor: '12345',
    refundEntryId: 'txn_01m80v8ayy10sfnqneg7ktq5b3',
    decidedAt: '2026-11-22T05:21:54.658Z',
  },
  withdrawnAt: null,
  attachments: [
    {
      id: 'att_01m80v8aq8z0qpvz3wafxmh971',
      filename: 'receipt.txt',
      contentType: 'text/plain',
      sizeBytes: 15,
      sha256: '6a4b9f157ce7b5905bad2d36e9c1d5a49043f25548e6232e126f02044b6e6a24',
      createdAt: '2026-11-22T05:21:54.408Z',
    },
  ],
  message: {
    en: 'Your dispute was decided in your favour.',
    'zh-CN': '您的争议申请已处理，结果支持您的诉求。',
  },
  tips: [
    {
      id: 'brushing_jobs',
      topic: 'scams',
      title: { en: 'x', 'zh-CN': 'y' },
      body: { en: 'x', 'zh-CN': 'y' },
    },
  ],
  createdAt: '2026-11-22T05:21:54.381Z',
  updatedAt: '2026-11-22T05:21:54.674Z',
  customerId: CUSTOMER,
  walletId: 'acct_01m80v8afr8fnckn1mz2ehy4c1',
  caseId: CASE_ID,
  overdueAt: null,
  provisionalNote: null,
  pendingOutcome: null,
  pendingRefundMinor: null,
  refundAttempts: 0,
  decidedBy: STAFF,
};

const feedbackLine = {
  id: 'fbk_01m80v8axq2bmd9gzr3kvfty9v',
  category: 'payment_problem',
  subject: 'Double charge',
  status: 'open',
  report: null,
  firstResponseDueAt: '2026-11-23T05:21:54.614Z',
  firstResponseAt: null,
  overdue: true,
  rating: null,
  canRate: false,
  createdAt: '2026-11-22T05:21:54.614Z',
  updatedAt: '2026-11-22T05:21:54.614Z',
  closedAt: null,
  customerId: 'cus_01m80v8ax72pqvchy2cnc59f09',
  caseId: null,
  escalatedAt: null,
  escalatedCaseId: null,
  firstResponderId: null,
  closedBy: null,
};

const summary = {
  from: '2026-10-23T05:21:54.639Z',
  to: '2026-11-22T05:21:54.639Z',
  total: 3,
  byCategory: {
    payment_problem: 2,
    security_concern: 0,
    suspected_fraud: 1,
    account_access: 0,
    suggestion: 0,
  },
  byStatus: { open: 1, answered: 0, closed: 2 },
  reports: { scam: 1, compromised: 0 },
  firstResponse: { answered: 2, due: 2, answeredWithin24h: 1, shareWithin24h: 0.5, medianMinutes: 95.5 },
  escalated: 1,
  rating: { count: 1, mean: 4 },
  weekly: [
    {
      weekStart: '2026-11-16',
      total: 2,
      byCategory: {
        payment_problem: 1,
        security_concern: 0,
        suspected_fraud: 1,
        account_access: 0,
        suggestion: 0,
      },
    },
    {
      weekStart: '2026-11-09',
      total: 1,
      byCategory: {
        payment_problem: 1,
        security_concern: 0,
        suspected_fraud: 0,
        account_access: 0,
        suggestion: 0,
      },
    },
  ],
};

/** Every value reachable in a decoded answer: none may be undefined (the screen would show it). */
function leaves(v: unknown, path = ''): Array<[string, unknown]> {
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, `${path}[${i}]`));
  if (typeof v === 'object' && v !== null)
    return Object.entries(v).flatMap(([k, x]) => leaves(x, `${path}.${k}`));
  return [[path, v]];
}
const undefinedIn = (v: unknown) => leaves(v).filter(([, x]) => x === undefined);

describe('disputes', () => {
  it('decodes a page of the queue with amounts as minor-unit strings', () => {
    const q = decode(disputeQueue, { disputes: [queueLine], nextCursor: 'abc' });
    expect(q.nextCursor).toBe('abc');
    expect(q.items[0]).toMatchObject({ id: DISPUTE_ID, amountMinor: '12345', provisionalStatus: 'paid' });
    expect(undefinedIn(q)).toEqual([]);
  });

  it('decodes a decided dispute with its evidence, credit and bilingual reason', () => {
    const d = decode(disputeDetail, staffView);
    expect(d.decision?.reason).toEqual({
      en: 'Merchant could not show delivery.',
      zh: '商户无法证明已发货。',
    });
    expect(d.decision?.refundMinor).toBe('12345');
    expect(d.provisionalCredit.status).toBe('reversed');
    expect(d.attachments[0]?.sizeBytes).toBe(15);
    expect(d.message.zh).toContain('支持');
    expect(undefinedIn(d)).toEqual([]);
  });

  it('reads members an older server leaves out as empty, never undefined', () => {
    const {
      provisionalCredit: _p,
      attachments: _a,
      message: _m,
      refundAttempts: _r,
      decision: _d,
      ...bare
    } = staffView;
    const d = decode(disputeDetail, { ...bare, status: 'open', description: null });
    expect(d.provisionalCredit).toEqual({
      status: 'none',
      amountMinor: null,
      entryId: null,
      reversalEntryId: null,
    });
    expect(d.attachments).toEqual([]);
    expect(d.decision).toBeNull();
    expect(d.description).toBe('');
    expect(d.message).toEqual({ en: null, zh: null });
    expect(undefinedIn(d)).toEqual([]);
  });

  it('refuses what it cannot show truthfully: an unknown status, an amount as a number', () => {
    expect(() => decode(disputeQueue, { disputes: [{ ...queueLine, status: 'escalated' }] })).toThrow(
      DecodeError,
    );
    expect(() => decode(disputeDetail, { ...staffView, amountMinor: 123.45 })).toThrow(/amountMinor/);
    expect(() => decode(disputeDetail, { ...staffView, provisionalCredit: { status: 'maybe' } })).toThrow(
      DecodeError,
    );
  });
});

describe('the decision form', () => {
  const payment = { amountMinor: '12345', currency: 'CNY', entryKind: 'payment' };

  it('upholds a payment with the whole amount by default and both reasons', () => {
    const r = checkDecision(payment, {
      outcome: 'upheld',
      reasonEn: '  Not delivered. ',
      reasonZh: '未发货。',
      refund: '',
    });
    expect(r).toEqual({
      ok: true,
      refundMinor: '12345',
      body: {
        outcome: 'upheld',
        reason: { en: 'Not delivered.', 'zh-CN': '未发货。' },
        refundMinor: '12345',
      },
    });
  });

  it('reads the refund in major units without floats, and refuses more than the disputed amount', () => {
    const part = checkDecision(payment, {
      outcome: 'upheld',
      reasonEn: 'Part',
      reasonZh: '',
      refund: '100.5',
    });
    expect(part.ok && part.body).toEqual({ outcome: 'upheld', reason: { en: 'Part' }, refundMinor: '10050' });
    expect(
      checkDecision(payment, { outcome: 'upheld', reasonEn: 'x', reasonZh: '', refund: '123.46' }),
    ).toEqual({
      ok: false,
      reason: null,
      refund: 'tooLarge',
    });
    expect(
      checkDecision(payment, { outcome: 'upheld', reasonEn: 'x', reasonZh: '', refund: '1.234' }),
    ).toEqual({
      ok: false,
      reason: null,
      refund: 'invalid',
    });
  });

  it('needs a reason in one language at least; a rejection or a transfer sends no refund', () => {
    expect(checkDecision(payment, { outcome: 'rejected', reasonEn: ' ', reasonZh: '', refund: '9' })).toEqual(
      {
        ok: false,
        reason: 'required',
        refund: null,
      },
    );
    const rejected = checkDecision(payment, {
      outcome: 'rejected',
      reasonEn: '',
      reasonZh: '证据不足',
      refund: '9',
    });
    expect(rejected.ok && rejected.body).toEqual({ outcome: 'rejected', reason: { 'zh-CN': '证据不足' } });
    const transfer = checkDecision(
      { ...payment, entryKind: 'transfer' },
      { outcome: 'upheld', reasonEn: 'Fraud', reasonZh: '', refund: 'nonsense' },
    );
    expect(transfer.ok && transfer.body).toEqual({ outcome: 'upheld', reason: { en: 'Fraud' } });
  });

  it('starts the refund field at the disputed amount in major units', () => {
    expect(majorText('12345', 'CNY')).toBe('123.45');
    expect(majorText('1200', 'JPY')).toBe('1200');
  });

  it('words a failed merchant refund by the refund’s own code', () => {
    const failed = new ApiError('SUPPORT_DISPUTE_REFUND_FAILED', 409, 'x', null, null, {
      refundCode: 'LEDGER_INSUFFICIENT_FUNDS',
    });
    expect(refundCause(failed)?.code).toBe('LEDGER_INSUFFICIENT_FUNDS');
    const odd = new ApiError('SUPPORT_DISPUTE_REFUND_FAILED', 409, 'x', null, null, {
      refundCode: 'UNKNOWN',
    });
    expect(refundCause(odd)).toMatchObject({ code: 'UNEXPECTED', serverCode: 'UNKNOWN' });
    expect(refundCause(new ApiError('SUPPORT_DISPUTE_STATE', 409, 'x'))).toBeNull();
    expect(refundCause(new Error('boom'))).toBeNull();
  });
});

describe('feedback', () => {
  it('decodes the queue and a conversation with its rating', () => {
    const q = decode(feedbackQueue, { feedback: [feedbackLine], nextCursor: null });
    expect(q.items[0]).toMatchObject({ overdue: true, report: null, rating: null });
    expect(undefinedIn(q)).toEqual([]);
    const f = decode(feedbackDetail, {
      ...feedbackLine,
      status: 'closed',
      rating: { score: 4, comment: 'ok', ratedAt: '2026-11-22T05:21:54.635Z' },
      entryId: null,
      messages: [
        { from: 'customer', authorId: feedbackLine.customerId, body: 'I was charged twice.', at: 'a' },
        { from: 'staff', authorId: STAFF, body: 'Looking into it', at: 'b' },
      ],
    });
    expect(f.messages.map((m) => m.from)).toEqual(['customer', 'staff']);
    expect(f.rating?.score).toBe(4);
    expect(undefinedIn(f)).toEqual([]);
  });

  it('decodes the summary; a category the server leaves out counts zero', () => {
    const s = decode(feedbackSummary, {
      ...summary,
      byCategory: { payment_problem: 2, suspected_fraud: 1, new_kind: 9 },
    });
    expect(s.byCategory).toEqual({
      payment_problem: 2,
      security_concern: 0,
      suspected_fraud: 1,
      account_access: 0,
      suggestion: 0,
    });
    expect(s.firstResponse.shareWithin24h).toBe(0.5);
    expect(undefinedIn(s)).toEqual([]);
    const empty = decode(feedbackSummary, {
      ...summary,
      firstResponse: { answered: 0, due: 0, answeredWithin24h: 0, shareWithin24h: null, medianMinutes: null },
      rating: { count: 0, mean: null },
      weekly: [],
    });
    expect(empty.rating.mean).toBeNull();
    expect(empty.weekly).toEqual([]);
  });

  it('turns the weekly trend into one series per category, weeks in order', () => {
    const { weeks, series } = weeklySeries(decode(feedbackSummary, summary));
    expect(weeks).toEqual(['2026-11-09', '2026-11-16']);
    expect(series.find((x) => x.category === 'payment_problem')?.counts).toEqual([1, 1]);
    expect(series.find((x) => x.category === 'suspected_fraud')?.counts).toEqual([0, 1]);
    expect(series).toHaveLength(5);
  });
});

describe('filters in the address', () => {
  it('shows what waits by default and writes back only what differs', () => {
    const d = disputeFiltersFrom(new URLSearchParams(''));
    expect(d).toEqual({ status: 'open', overdue: false });
    expect(disputeFiltersToParams(d)).toEqual({});
    expect(disputeQuery(d, undefined)).toEqual({
      status: 'open',
      overdue: undefined,
      limit: QUEUE_PAGE_SIZE,
      cursor: undefined,
    });
    const any = disputeFiltersFrom(new URLSearchParams('status=any&overdue=true'));
    expect(disputeFiltersToParams(any)).toEqual({ status: 'any', overdue: 'true' });
    expect(disputeQuery(any, 'c1')).toMatchObject({ status: undefined, overdue: 'true', cursor: 'c1' });
    expect(disputeFiltersFrom(new URLSearchParams('status=bogus')).status).toBe('open');
  });

  it('reads the feedback filters, ignoring unknown values', () => {
    const f = feedbackFiltersFrom(new URLSearchParams('status=closed&category=suggestion&overdue=true'));
    expect(f).toEqual({ status: 'closed', category: 'suggestion', overdue: true });
    expect(feedbackFiltersToParams(f)).toEqual({ status: 'closed', category: 'suggestion', overdue: 'true' });
    expect(feedbackQuery(f, undefined)).toMatchObject({
      status: 'closed',
      category: 'suggestion',
      overdue: 'true',
    });
    expect(feedbackFiltersFrom(new URLSearchParams('category=spam'))).toEqual({
      status: 'open',
      category: null,
      overdue: false,
    });
  });
});
