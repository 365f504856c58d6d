// The console's reading of the cases API: the queue, a case with its evidence and timeline, the answers to actions, rule precision and the reserve decode into typed values with nothing left undefined; the filters survive the address; what a role may do on a case matches the server's rules.
import { describe, expect, it } from 'vitest';
import {
  alertFiltersFrom,
  alertQuery,
  alertQueue,
  bytesToBase64,
  caseDetail,
  caseFiltersFrom,
  caseList,
  caseQuery,
  caseRights,
  closeAnswer,
  compensationAnswer,
  evidence,
  filtersToParams,
  PAGE_SIZE,
  reserveReport,
  rulePrecision,
  SUBJECT_CASES_MAX,
  subjectCaseQueries,
  subjectCases,
  transitionsFrom,
} from './cases.ts';
import { DecodeError, decode } from './decode.ts';
import { ApiError } from './errors.ts';

const CASE_ID = 'cas_01m80sgjtr5dsay3cpskgr62ha';
const SUBJECT = 'cus_01m80sgjdnsbmms6ffwb353q1c';
const PAYEE = 'cus_01m80sgjqx449hx1cw1hc6qc98';

const queueRow = {
  id: 'alt_01m80sgjtqqcrwt7dvx2k8d4aw',
  source: 'decision',
  type: 'risk.review',
  severity: 'medium',
  priority: 299,
  rank: 301,
  status: 'open',
  caseId: CASE_ID,
  caseStatus: 'open',
  caseVersion: 1,
  assigneeId: null,
  subjectId: SUBJECT,
  amountMinor: '2000000',
  currency: 'CNY',
  decisionId: 'dec_01m80sgjsa4t9127c42f2tdmtk',
  holdId: 'hold_01m80sgjshb4z1p81jyxvpve3c',
  withdrawalId: null,
  title: 'Transfer held for review',
  dueAt: '2026-11-22T06:51:27.703Z',
  overdue: false,
  createdAt: '2026-11-22T04:51:27.703Z',
};

const decisionEvidence = {
  input: {
    at: '2026-11-22T04:51:27.645Z',
    ip: '203.0.113.7',
    deviceId: 'dev-1',
    type: 'transfer',
    limits: { tier: 2 },
    amountMinor: '2000000',
    counterpartyId: PAYEE,
  },
  model: {
    name: 'fraud@3',
    score: 0.71,
    level: 'high',
    contributions: [
      { feature: 'payee.isNew', value: 0.2 },
      { feature: 'event.amount', value: 1.4 },
      { feature: 'customer.accountAgeDays', value: -0.6 },
    ],
  },
  rules: [{ ruleId: 'large_vs_history', version: 2, reasonCode: 'AMOUNT_UNUSUAL', shadow: false }],
  score: 30,
  outcome: 'REVIEW',
  features: { 'ip.isProxy': false },
  eventType: 'transfer',
  explanation: null,
  reasonCodes: ['LARGE_AMOUNT'],
  customerMessage: 'This is held for a short security review.',
};

const fullCase = {
  id: CASE_ID,
  kind: 'risk',
  status: 'investigating',
  subjectId: SUBJECT,
  title: 'Transfer held for review',
  severity: 'high',
  priority: 399,
  assigneeId: 'stf_01m80sgjtr5dsay3cpskgr62hb',
  disposition: null,
  summary: null,
  lossMinor: '15000',
  currency: 'CNY',
  dueAt: '2026-11-22T06:51:27.703Z',
  overdue: true,
  version: 4,
  reopened: 0,
  createdAt: '2026-11-22T04:51:27.703Z',
  updatedAt: '2026-11-22T05:00:00.000Z',
  decidedAt: null,
  closedAt: null,
  alerts: [
    {
      ...queueRow,
      sourceRef: queueRow.decisionId,
      entities: [{ kind: 'decision', id: queueRow.decisionId }],
      evidence: decisionEvidence,
      closedAt: null,
    },
  ],
  entities: [
    { kind: 'customer', id: SUBJECT, addedAt: '2026-11-22T04:51:27.703Z' },
    { kind: 'ip', id: '203.0.113.7', addedAt: '2026-11-22T04:51:27.703Z' },
  ],
  holds: [
    {
      id: queueRow.holdId,
      kind: 'transfer',
      status: 'pending',
      amountMinor: '2000000',
      currency: 'CNY',
      accountId: 'acct_01m80sgjdqt14qjfp3426bk3pr',
      decisionId: queueRow.decisionId,
      expiresAt: '2026-11-25T04:51:27.658Z',
      expired: false,
      withdrawalId: null,
    },
  ],
  withdrawals: [],
  timeline: [
    {
      id: '1',
      at: '2026-11-22T04:51:27.703Z',
      actor: { type: 'system', id: 'bulwark' },
      type: 'case.opened',
      detail: { kind: 'risk', title: 'Transfer held for review' },
    },
    {
      id: '7',
      at: '2026-11-22T05:00:00.000Z',
      actor: { type: 'staff', id: 'stf_01m80sgjtr5dsay3cpskgr62hb' },
      type: 'case.linked',
      detail: { entities: [{ kind: 'transaction', id: 'txn_1' }], nested: { ignored: true }, n: 3 },
    },
  ],
  attachments: [
    {
      id: 'att_01m80sgjtr5dsay3cpskgr62hc',
      filename: 'call-notes.txt',
      contentType: 'text/plain',
      sizeBytes: 2048,
      sha256: 'a'.repeat(64),
      createdBy: 'stf_01m80sgjtr5dsay3cpskgr62hb',
      createdAt: '2026-11-22T05:00:00.000Z',
    },
  ],
  compensations: [
    {
      id: 'cmp_1',
      caseId: CASE_ID,
      customerId: SUBJECT,
      walletId: 'acct_01m80sgjdqt14qjfp3426bk3pr',
      currency: 'CNY',
      amountMinor: '4000',
      reason: 'lost to a scam',
      status: 'paid',
      approvalId: null,
      entryId: 'txn_2',
      createdBy: 'stf_01m80sgjtr5dsay3cpskgr62hb',
      createdAt: '2026-11-22T05:00:00.000Z',
      paidAt: '2026-11-22T05:00:00.000Z',
    },
  ],
};

/** Every member of a decoded value, at any depth, is defined. */
function noUndefined(v: unknown, path = ''): void {
  expect(v, path).not.toBeUndefined();
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) noUndefined(x, `${path}[${i}]`);
  } else if (typeof v === 'object' && v !== null)
    for (const [k, x] of Object.entries(v)) noUndefined(x, `${path}.${k}`);
}

describe('the alert queue', () => {
  it('decodes a page of alerts with their case, amounts as minor-unit strings', () => {
    const q = decode(alertQueue, { total: 41, alerts: [queueRow] });
    expect(q.total).toBe(41);
    expect(q.alerts[0]).toMatchObject({
      severity: 'medium',
      caseStatus: 'open',
      caseVersion: 1,
      assigneeId: null,
      amountMinor: '2000000',
      withdrawalId: null,
    });
    noUndefined(q);
  });

  it('refuses what it cannot show truthfully: an unknown severity, an amount as a number', () => {
    expect(() => decode(alertQueue, { total: 1, alerts: [{ ...queueRow, severity: 'urgent' }] })).toThrow(
      DecodeError,
    );
    expect(() => decode(alertQueue, { total: 1, alerts: [{ ...queueRow, amountMinor: 2000000 }] })).toThrow(
      /alerts\[0\]\.amountMinor/,
    );
  });

  it('reads a list of cases', () => {
    const { alerts: _a, entities: _e, holds: _h, withdrawals: _w, timeline: _t, ...summary } = fullCase;
    const list = decode(caseList, { total: 1, cases: [summary] });
    expect(list.cases[0]).toMatchObject({ id: CASE_ID, status: 'investigating', lossMinor: '15000' });
    noUndefined(list);
  });
});

describe('a case', () => {
  it('decodes the workspace: alerts with evidence, entities, holds, timeline, attachments, compensations', () => {
    const c = decode(caseDetail, fullCase);
    noUndefined(c);
    expect(c.version).toBe(4);
    expect(c.holds[0]).toMatchObject({ status: 'pending', amountMinor: '2000000', expired: false });
    expect(c.attachments[0]).toMatchObject({ sizeBytes: 2048, sha256: 'a'.repeat(64) });
    expect(c.compensations[0]).toMatchObject({ status: 'paid', amountMinor: '4000', approvalId: null });
    const e = c.alerts[0]?.evidence;
    expect(e?.reasonCodes).toEqual(['LARGE_AMOUNT']);
    expect(e?.rules).toEqual([
      { ruleId: 'large_vs_history', version: 2, reasonCode: 'AMOUNT_UNUSUAL', shadow: false },
    ]);
    expect(e?.input).toEqual({ counterpartyId: PAYEE, deviceId: 'dev-1', ip: '203.0.113.7' });
    // The largest push first, whichever way it pushes.
    expect(e?.model?.contributions.map((x) => x.feature)).toEqual([
      'event.amount',
      'customer.accountAgeDays',
      'payee.isNew',
    ]);
    expect(e?.explanation).toEqual([]);
    expect(e?.facts).toEqual([]);
  });

  it('reads timeline details as text: linked entities as "kind id", nested objects left out', () => {
    const c = decode(caseDetail, fullCase);
    expect(c.timeline[1]?.detail).toEqual({ entities: 'transaction txn_1', n: '3' });
    expect(c.timeline[1]?.actor).toEqual({ type: 'staff', id: 'stf_01m80sgjtr5dsay3cpskgr62hb' });
  });

  it('reads the evidence of other sources tolerantly: plain facts kept, an odd model shown as none', () => {
    const e = decode(evidence, {
      channel: 'app',
      reportedAmountMinor: '5000',
      tags: ['phone', 'sms'],
      attachments: [{ id: 'x' }],
      model: 'not a model',
      explanation: 'Customer reports a fake bank agent.',
    });
    expect(e.facts).toEqual([
      ['channel', 'app'],
      ['reportedAmountMinor', '5000'],
      ['tags', 'phone, sms'],
    ]);
    expect(e.model).toBeNull();
    expect(e.explanation).toEqual(['Customer reports a fake bank agent.']);
    expect(e.reasonCodes).toEqual([]);
    expect(e.input).toEqual({ counterpartyId: null, deviceId: null, ip: null });
    noUndefined(e);
  });

  it('fails on a state the console does not know rather than guessing', () => {
    expect(() => decode(caseDetail, { ...fullCase, status: 'archived' })).toThrow(/status/);
    expect(() => decode(caseDetail, { ...fullCase, version: '4x' })).toThrow(/version/);
  });
});

describe('answers to actions', () => {
  it('maps each case of a bulk close to its own error code', () => {
    const results = decode(closeAnswer, {
      results: [
        { id: 'cas_a', ok: true, version: 5 },
        { id: 'cas_b', ok: false, code: 'CASE_CONFLICT', detail: 'changed' },
        { id: 'cas_c', ok: false, code: 'CASE_FROZEN_SOLID', detail: 'new code' },
      ],
    });
    expect(results[0]).toEqual({ id: 'cas_a', error: null });
    expect(results[1]?.error).toBeInstanceOf(ApiError);
    expect(results[1]?.error?.code).toBe('CASE_CONFLICT');
    expect(results[2]?.error?.code).toBe('UNEXPECTED');
    expect(results[2]?.error?.serverCode).toBe('CASE_FROZEN_SOLID');
  });

  it('tells a paid compensation (201) from an approval request (202)', () => {
    expect(
      decode(compensationAnswer, {
        compensationId: 'cmp_1',
        caseId: CASE_ID,
        entryId: 'txn_9',
        amountMinor: '4000',
        currency: 'CNY',
        status: 'paid',
      }),
    ).toEqual({ kind: 'paid', entryId: 'txn_9', amountMinor: '4000', currency: 'CNY' });
    const asked = decode(compensationAnswer, {
      id: 'apr_1',
      action: 'compensation.pay',
      summary: 'Compensate …',
      reason: 'lost to a scam',
      status: 'pending',
      maker: { id: 'stf_1', role: 'analyst' },
      checker: null,
      createdAt: '2026-11-22T05:00:00.000Z',
      expiresAt: '2026-11-23T05:00:00.000Z',
    });
    expect(asked.kind).toBe('approval');
    if (asked.kind === 'approval') expect(asked.approval.id).toBe('apr_1');
  });
});

describe('rule precision and the reserve', () => {
  it('keys precision by rule, acting and shadow hits apart', () => {
    const m = decode(rulePrecision, {
      rules: [
        {
          ruleId: 'r1',
          shadow: false,
          labelled: 4,
          fraud: 3,
          laundering: 0,
          legit: 1,
          precision: 0.75,
          falsePositiveRate: 0.25,
        },
        {
          ruleId: 'r1',
          shadow: true,
          labelled: 2,
          fraud: 0,
          laundering: 0,
          legit: 2,
          precision: 0,
          falsePositiveRate: 1,
        },
        {
          ruleId: 'r2',
          shadow: false,
          labelled: 0,
          fraud: 0,
          laundering: 0,
          legit: 0,
          precision: null,
          falsePositiveRate: null,
        },
      ],
    });
    expect(m.get('r1')?.acting?.precision).toBe(0.75);
    expect(m.get('r1')?.shadow?.legit).toBe(2);
    expect(m.get('r2')?.acting?.precision).toBeNull();
    expect(m.get('r3')).toBeUndefined();
  });

  it('reads the reserve per currency and its recent movements', () => {
    const r = decode(reserveReport, {
      currencies: [
        {
          currency: 'CNY',
          balanceMinor: '5000',
          inflows: { feesMinor: '20000', revenueMinor: '0', count: 1 },
          payouts: { compensationMinor: '15000', provisionalMinor: '0', reversedMinor: '0', count: 2 },
        },
      ],
      recent: [
        {
          entryId: 'txn_1',
          kind: 'compensation',
          currency: 'CNY',
          amountMinor: '4000',
          at: '2026-11-22T05:00:00.000Z',
          caseId: CASE_ID,
          source: null,
          reason: 'lost to a scam',
        },
      ],
    });
    expect(r.currencies[0]?.payouts.count).toBe(2);
    noUndefined(r);
    expect(() =>
      decode(reserveReport, { currencies: [{ ...r.currencies[0], balanceMinor: '50.00' }] }),
    ).toThrow(/balanceMinor/);
  });
});

describe("a customer's cases", () => {
  const { alerts: _a, entities: _e, holds: _h, withdrawals: _w, timeline: _t, ...summary } = fullCase;

  it('asks for the cases not closed and for the closed ones of the subject', () => {
    const q = subjectCaseQueries(SUBJECT);
    expect(q.open).toEqual({ subjectId: SUBJECT, limit: SUBJECT_CASES_MAX, offset: 0 });
    expect(q.closed).toEqual({ subjectId: SUBJECT, limit: SUBJECT_CASES_MAX, offset: 0, status: 'closed' });
  });

  it('lists the open cases first, then the closed ones, and counts both', () => {
    const open = decode(caseList, { total: 3, cases: [summary] });
    const closed = decode(caseList, {
      total: 1,
      cases: [{ ...summary, id: 'cas_closed', status: 'closed', disposition: 'false_positive' }],
    });
    const all = subjectCases(open, closed);
    expect(all.total).toBe(4);
    expect(all.cases.map((c) => [c.status, c.disposition])).toEqual([
      ['investigating', null],
      ['closed', 'false_positive'],
    ]);
    noUndefined(all);
  });

  it('refuses a case whose disposition the console does not know', () => {
    expect(() => decode(caseList, { total: 1, cases: [{ ...summary, disposition: 'maybe' }] })).toThrow(
      /cases\[0\]\.disposition/,
    );
  });
});

describe('filters in the address', () => {
  it('reads known values, ignores the rest, and writes back only what differs from the defaults', () => {
    const f = alertFiltersFrom(
      new URLSearchParams('severity=high&type=nope&source=report&assignee=me&overdue=true&page=3'),
    );
    expect(f).toEqual({
      severity: 'high',
      type: null,
      source: 'report',
      assignee: 'me',
      overdue: true,
      page: 3,
    });
    expect(filtersToParams(f)).toEqual({
      severity: 'high',
      source: 'report',
      assignee: 'me',
      overdue: 'true',
      page: '3',
    });
    expect(alertQuery(f)).toMatchObject({
      severity: 'high',
      assignee: 'me',
      overdue: 'true',
      limit: PAGE_SIZE,
      offset: 2 * PAGE_SIZE,
    });
    expect(filtersToParams(alertFiltersFrom(new URLSearchParams('page=0&assignee=x')))).toEqual({});
    const c = caseFiltersFrom(new URLSearchParams('status=closed&kind=dispute'));
    expect(caseQuery(c)).toMatchObject({ status: 'closed', kind: 'dispute', assignee: undefined, offset: 0 });
  });
});

describe('what a role may do on a case', () => {
  const can = (granted: string[]) => (p: string) => granted.includes(p);
  const analyst = can(['case.read', 'case.work', 'owner.unfreeze', 'compensation.pay']);
  const compliance = can(['case.read', 'case.work', 'case.manage', 'owner.unfreeze', 'compensation.pay']);
  const auditor = can(['case.read']);

  it('lets a worker take and work an unassigned case, and only watch another’s', () => {
    expect(caseRights({ assigneeId: null, status: 'open' }, 'stf_me', analyst)).toEqual({
      take: true,
      assign: false,
      work: true,
      unfreeze: true,
      compensate: true,
    });
    expect(caseRights({ assigneeId: 'stf_me', status: 'open' }, 'stf_me', analyst)).toMatchObject({
      take: false,
      work: true,
    });
    expect(caseRights({ assigneeId: 'stf_other', status: 'open' }, 'stf_me', analyst)).toMatchObject({
      take: false,
      work: false,
      compensate: false,
    });
  });

  it('lets a case manager take over and assign round-robin; an auditor does nothing', () => {
    expect(
      caseRights({ assigneeId: 'stf_other', status: 'investigating' }, 'stf_me', compliance),
    ).toMatchObject({
      take: true,
      assign: true,
      work: true,
    });
    expect(caseRights({ assigneeId: null, status: 'open' }, 'stf_me', auditor)).toEqual({
      take: false,
      assign: false,
      work: false,
      unfreeze: false,
      compensate: false,
    });
  });

  it('offers only the reopening move on a closed case', () => {
    expect(caseRights({ assigneeId: 'stf_me', status: 'closed' }, 'stf_me', analyst)).toMatchObject({
      take: false,
      work: true,
      compensate: false,
    });
    expect(transitionsFrom('closed')).toEqual(['investigating']);
    expect(transitionsFrom('open')).toContain('closed');
  });
});

describe('attachments', () => {
  it('encodes bytes to base64 in chunks, the same as in one go', () => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 7) % 256);
    let binary = '';
    for (const b of bytes) binary += String.fromCharCode(b);
    expect(bytesToBase64(bytes)).toBe(btoa(binary));
    expect(bytesToBase64(new Uint8Array())).toBe('');
  });
});
