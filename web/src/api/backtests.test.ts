// The back-test pages' reading of the API: a run and its result decode (rules by `mode` or a `shadow` flag), the two sets line up by event type, rule and scenario, and a start form gives the request or its first problem in the same terms as the server.
import { describe, expect, it } from 'vitest';
import {
  amountRows,
  backtest,
  backtestsPage,
  defaultStartForm,
  outcomeRows,
  ruleHitRows,
  type StartForm,
  scenarioRows,
  startBody,
  toLocalInput,
} from './backtests.ts';
import { decode } from './decode.ts';

const report = (over: Record<string, unknown>) => ({
  revision: '1',
  events: 3,
  flagged: 1,
  outcomes: { topup: { ALLOW: 1 }, transfer: { REVIEW: 1, ALLOW: 1 } },
  rules: [
    {
      rule: 'large_vs_history@1',
      ruleId: 'large_vs_history',
      version: 1,
      mode: 'acting',
      hits: 1,
      errors: 0,
    },
    { rule: 'card_testing@1', ruleId: 'card_testing', version: 1, mode: 'acting', hits: 0, errors: 0 },
  ],
  heldMinor: { CNY: '2000000' },
  blockedMinor: {},
  labels: {
    labelled: 1,
    positives: 1,
    negatives: 0,
    truePositives: 1,
    falsePositives: 0,
    falseNegatives: 0,
    trueNegatives: 0,
    precision: 1,
    recall: 1,
  },
  scenarios: [{ scenario: 'phishing', positives: 1, flagged: 1, recall: 1 }],
  ...over,
});

const done = {
  id: 'bt_01m8097skf0s415z8yhzhja60y',
  status: 'done',
  params: {
    to: '2026-11-22T00:07:02.504Z',
    from: '2026-11-15T00:07:02.504Z',
    candidate: { ruleVersions: [{ ruleId: 'big_topup', version: 1 }] },
    warmupDays: 0,
    baselineRevision: '1',
    candidateRevision: '1+big_topup@1',
    candidateVersions: ['big_topup@1'],
  },
  total: 3,
  processed: 3,
  progress: 1,
  cancelRequested: false,
  createdBy: 'stf_01',
  createdAt: '2026-11-22T00:07:02.505Z',
  startedAt: '2026-11-22T00:07:02.513Z',
  finishedAt: '2026-11-22T00:07:02.550Z',
  error: null,
  result: {
    events: 3,
    warmupEvents: 0,
    baseline: report({}),
    candidate: report({
      revision: '1+big_topup@1',
      flagged: 2,
      outcomes: { topup: { REVIEW: 1 }, transfer: { REVIEW: 1, ALLOW: 1 } },
      rules: [
        { ruleId: 'big_topup', version: 1, shadow: false, hits: 1, errors: 0 },
        { ruleId: 'large_vs_history', version: 1, mode: 'acting', hits: 1, errors: 0 },
      ],
      heldMinor: { CNY: '7000000' },
      scenarios: [],
    }),
    diff: {
      changed: 1,
      transitions: [{ from: 'ALLOW', to: 'REVIEW', count: 1 }],
      examples: [
        {
          decisionId: 'dec_1',
          eventType: 'topup',
          at: '2026-11-22T00:07:00.000Z',
          currency: 'CNY',
          amountMinor: '5000000',
          baseline: 'ALLOW',
          candidate: 'REVIEW',
          baselineRules: [],
          candidateRules: ['big_topup@1'],
        },
      ],
    },
    liveAgreement: {
      rate: 1,
      agreed: 3,
      compared: 3,
      sameRevision: { rate: 1, agreed: 3, compared: 3 },
      disagreements: [],
    },
  },
};

describe('a back-test', () => {
  it('decodes a finished run with its two reports', () => {
    const b = decode(backtest, done);
    expect(b.params.candidateVersions).toEqual(['big_topup@1']);
    expect(b.result?.candidate.heldMinor).toEqual([['CNY', '7000000']]);
    expect(b.result?.candidate.rules[0]).toEqual({
      ruleId: 'big_topup',
      version: 1,
      shadow: false,
      hits: 1,
      errors: 0,
    });
    expect(b.result?.diff.examples[0]?.candidateRules).toEqual(['big_topup@1']);
  });

  it('decodes the list without results, and a queued run', () => {
    const { result: _, ...summary } = done;
    const p = decode(backtestsPage, {
      backtests: [{ ...summary, status: 'queued', progress: 0, processed: 0, finishedAt: null }],
      nextCursor: null,
    });
    expect(p.items[0]?.status).toBe('queued');
    expect(() => decode(backtest, { ...done, status: 'paused' })).toThrow(/status/);
  });

  it('lines the two sets up by event type and outcome, rule and scenario', () => {
    const b = decode(backtest, done);
    if (!b.result) throw new Error('no result');
    expect(
      outcomeRows(b.result).map((r) => [r.eventType, r.outcome, r.counts.baseline, r.counts.candidate]),
    ).toEqual([
      ['topup', 'ALLOW', 1, 0],
      ['topup', 'REVIEW', 0, 1],
      ['transfer', 'ALLOW', 1, 1],
      ['transfer', 'REVIEW', 1, 1],
    ]);
    expect(
      ruleHitRows(b.result).map((r) => [r.ruleId, r.baseline?.hits ?? null, r.candidate?.hits ?? null]),
    ).toEqual([
      ['big_topup', null, 1],
      ['large_vs_history', 1, 1],
      ['card_testing', 0, null],
    ]);
    expect(
      amountRows(
        [['CNY', '2000000']],
        [
          ['CNY', '7000000'],
          ['USD', '150'],
        ],
      ),
    ).toEqual([
      { currency: 'CNY', baseline: '2000000', candidate: '7000000', change: '5000000' },
      { currency: 'USD', baseline: '0', candidate: '150', change: '150' },
    ]);
    expect(amountRows([['CNY', '90071992547409930']], [])[0]?.change).toBe('-90071992547409930');
    expect(scenarioRows(b.result)).toEqual([
      { scenario: 'phishing', positives: 1, baseline: { flagged: 1, recall: 1 }, candidate: null },
    ]);
  });
});

describe('the start form', () => {
  const now = new Date(2026, 10, 22, 12, 30, 15);
  const form = (over: Partial<StartForm> = {}): StartForm => ({ ...defaultStartForm(now), ...over });

  it('defaults to the last 7 days up to now and the active set', () => {
    const r = startBody(form(), now);
    expect(r).toEqual({
      body: {
        from: new Date(2026, 10, 15, 12, 30).toISOString(),
        to: now.toISOString(),
        candidate: { revision: 'active' },
        warmupDays: 0,
      },
    });
  });

  it('sends the chosen versions and skips empty rows', () => {
    const r = startBody(
      form({
        mode: 'versions',
        warmupDays: '3',
        versions: [
          { ruleId: 'big_topup', version: 2 },
          { ruleId: null, version: null },
        ],
      }),
      now,
    );
    expect(r).toMatchObject({
      body: { candidate: { ruleVersions: [{ ruleId: 'big_topup', version: 2 }] }, warmupDays: 3 },
    });
  });

  it('names the first problem', () => {
    const at = (d: Date) => toLocalInput(d);
    expect(startBody(form({ from: 'soon' }), now)).toEqual({ problem: 'fromInvalid' });
    expect(startBody(form({ toNow: false, to: at(new Date(2026, 10, 23)) }), now)).toEqual({
      problem: 'toFuture',
    });
    expect(startBody(form({ toNow: false, to: at(new Date(2026, 10, 14)) }), now)).toEqual({
      problem: 'order',
    });
    expect(startBody(form({ from: at(new Date(2026, 9, 1)) }), now)).toEqual({ problem: 'span' });
    expect(startBody(form({ warmupDays: 31 }), now)).toEqual({ problem: 'warmup' });
    expect(startBody(form({ warmupDays: '1.5' }), now)).toEqual({ problem: 'warmup' });
    expect(startBody(form({ mode: 'versions' }), now)).toEqual({ problem: 'noVersions' });
    expect(
      startBody(form({ mode: 'versions', versions: [{ ruleId: 'a_rule', version: null }] }), now),
    ).toEqual({
      problem: 'versionMissing',
    });
    expect(
      startBody(
        form({
          mode: 'versions',
          versions: [
            { ruleId: 'a_rule', version: 1 },
            { ruleId: 'a_rule', version: 2 },
          ],
        }),
        now,
      ),
    ).toEqual({ problem: 'ruleTwice' });
  });
});
