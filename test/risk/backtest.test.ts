// Proves back-tests on every database: a candidate rule's hits, outcomes, held amount, precision and recall and its diff with the active set come out of stored decisions as counted by hand; the replay follows event time (velocity sees only earlier events) and seeds parties from the platform's tables; the active set replayed reproduces every rule outcome the live engine stored; a long run can be cancelled mid-way, a crashed run is marked failed, an oversized period is refused, and two runs give identical results.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installGuard } from '../../src/access/guard.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db } from '../../src/platform/db.ts';
import { AppError, type ErrorCode } from '../../src/platform/errors.ts';
import { createHttp } from '../../src/platform/http.ts';
import { newId } from '../../src/platform/ids.ts';
import { registerBacktestRoutes } from '../../src/risk/backtest/routes.ts';
import { BacktestService, type BacktestView, startBacktests } from '../../src/risk/backtest/service.ts';
import { insertDecision } from '../../src/risk/decision-store.ts';
import { DEFAULT_FAIL_SAFE, eventSnapshot, RiskEngine } from '../../src/risk/engine.ts';
import { FeatureComputer } from '../../src/risk/features/compute.ts';
import { MemoryProfileSource } from '../../src/risk/features/profile.ts';
import type { RiskEvent, RiskOutcome } from '../../src/risk/gate.ts';
import type { RuleAction } from '../../src/risk/rules/model.ts';
import { isRuleEventType } from '../../src/risk/rules/schema.ts';
import { MemoryVelocityStore } from '../../src/risk/velocity/memory-store.ts';
import { arr, at, str } from '../api/client.ts';
import { DATABASES, idemKey, startBulwark, type TestBulwark } from '../helpers.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Each test replays its own day, well in the past and apart from the others'. */
const BASE = Math.floor(Date.now() / DAY) * DAY - 40 * DAY;
const dayOf = (k: number) => ({ from: new Date(BASE + k * 2 * DAY), to: new Date(BASE + k * 2 * DAY + DAY) });

interface HistoryRow {
  event: RiskEvent;
  outcome?: RiskOutcome;
  /** The live rule evaluation stored with the decision; none for decisions older than the engine. */
  rules?: { revision: string; outcome: RuleAction } | null;
  label?: 'fraud' | 'legit' | 'laundering';
  scenario?: string;
}

function transfer(
  from: string,
  to: string,
  amount: bigint,
  at: number,
  currency: 'CNY' | 'USD' = 'CNY',
): RiskEvent {
  return {
    type: 'transfer',
    customerId: from,
    counterpartyId: to,
    amountMinor: amount,
    currency,
    at: new Date(at),
  };
}

/** Stores decisions as the engine writes them (input snapshot, event time, rule detail), and their labels. */
async function insertHistory(db: Db, rows: HistoryRow[]): Promise<string[]> {
  const ids = rows.map(() => newId('dec'));
  for (let i = 0; i < rows.length; i += 500) {
    const values = rows.slice(i, i + 500).map((r, j) => ({
      id: ids[i + j] ?? '',
      event_type: r.event.type,
      subject_id: r.event.customerId,
      currency: r.event.currency,
      amount_minor: r.event.amountMinor,
      outcome: r.outcome ?? 'ALLOW',
      reason_codes: JSON.stringify([]),
      customer_message: null,
      policy: 'risk-engine/1',
      input: JSON.stringify({ ...eventSnapshot(r.event), limits: {} }),
      latency_us: 100,
      // Decided a moment after the customer acted.
      created_at: new Date(r.event.at.getTime() + 50),
      event_at: r.event.at,
      detail: r.rules === null || r.rules === undefined ? null : JSON.stringify({ rules: r.rules }),
    }));
    await db.insertInto('risk_decisions').values(values).execute();
  }
  const labels = rows.flatMap((r, i) =>
    r.label === undefined
      ? []
      : [
          {
            decision_id: ids[i] ?? '',
            source: 'test',
            label: r.label,
            scenario: r.scenario ?? null,
            reported_at: new Date(r.event.at.getTime() + DAY),
            created_at: new Date(),
          },
        ],
  );
  if (labels.length > 0) await db.insertInto('risk_labels').values(labels).execute();
  return ids;
}

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  if (!(err instanceof AppError)) throw new Error('expected an AppError');
  expect(err.code).toBe(code);
  return err;
}

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe.each(DATABASES)('back-tests on $name', (target) => {
  let bw: TestBulwark;
  let service: BacktestService;
  let db: Db;

  beforeAll(async () => {
    bw = await startBulwark(target);
    db = bw.dbHandle.db;
    service = new BacktestService(db, bw.rules, bw.ruleEngine, bw.clock, {
      yieldEvery: 50,
      progressIntervalMs: 0,
    });
  });
  afterAll(async () => {
    await service.close();
    await bw.drop();
  });

  const draft = async (id: string, expression: string, action: RuleAction = 'REVIEW') => {
    await bw.rules.create(
      {
        id,
        name: id,
        expression,
        action,
        score: 10,
        reasonCode: id.toUpperCase(),
        messageKey: action === 'REVIEW' ? 'risk.msg.review' : 'risk.msg.declined',
      },
      { type: 'staff', id: 'stf_backtest_test' },
      {},
      { scope: 'test', key: idemKey('bt'), requestHash: id },
    );
  };

  const run = async (
    period: { from: Date; to: Date },
    candidate: Parameters<BacktestService['start']>[0]['candidate'],
    svc: BacktestService = service,
  ): Promise<BacktestView> => {
    const started = await svc.start(
      { from: period.from.toISOString(), to: period.to.toISOString(), candidate },
      'stf_backtest_test',
    );
    expect(started.status).toBe('queued');
    await svc.settled(started.id);
    return svc.get(started.id);
  };

  it('reports hits, outcomes by type, held amounts, precision, recall and the diff of a candidate rule', async () => {
    await draft('bt_big_transfer', `event.type == 'transfer' && amount >= 100000`);
    const p = dayOf(0);
    const t = p.from.getTime() + HOUR;
    const revision = await bw.rules.revision();
    const live = { revision, outcome: 'ALLOW' as const };
    const ids = await insertHistory(db, [
      {
        event: transfer('cus_bt1_a', 'cus_bt1_p1', 200_000n, t),
        rules: live,
        label: 'fraud',
        scenario: 'scam',
      },
      { event: transfer('cus_bt1_b', 'cus_bt1_p2', 150_000n, t + MINUTE), rules: live, label: 'legit' },
      {
        event: transfer('cus_bt1_c', 'cus_bt1_p3', 5_000n, t + 2 * MINUTE),
        rules: live,
        label: 'fraud',
        scenario: 'scam',
      },
      { event: transfer('cus_bt1_d', 'cus_bt1_p4', 3_000n, t + 3 * MINUTE), rules: live, label: 'legit' },
      { event: transfer('cus_bt1_e', 'cus_bt1_p5', 300_000n, t + 4 * MINUTE), rules: live },
      {
        event: {
          type: 'topup',
          customerId: 'cus_bt1_f',
          amountMinor: 500_000n,
          currency: 'CNY',
          at: new Date(t + 5 * MINUTE),
        },
        rules: live,
        label: 'laundering',
        scenario: 'mule',
      },
      { event: transfer('cus_bt1_g', 'cus_bt1_p6', 120_000n, t + 6 * MINUTE, 'USD'), rules: null },
    ]);

    const view = await run(p, { ruleVersions: [{ ruleId: 'bt_big_transfer', version: 1 }] });
    expect(view).toMatchObject({ status: 'done', total: 7, processed: 7, progress: 1, error: null });
    expect(view.params).toMatchObject({
      baselineRevision: revision,
      candidateVersions: ['bt_big_transfer@1'],
    });
    const result = view.result;
    expect(result).toMatchObject({
      events: 7,
      warmupEvents: 0,
      candidate: {
        events: 7,
        flagged: 4,
        outcomes: { transfer: { REVIEW: 4, ALLOW: 2 }, topup: { ALLOW: 1 } },
        heldMinor: { CNY: '650000', USD: '120000' },
        blockedMinor: {},
        labels: {
          labelled: 5,
          positives: 3,
          negatives: 2,
          truePositives: 1,
          falsePositives: 1,
          falseNegatives: 2,
          trueNegatives: 1,
          precision: 0.5,
          recall: 1 / 3,
        },
        scenarios: [
          { scenario: 'mule', positives: 1, flagged: 0, recall: 0 },
          { scenario: 'scam', positives: 2, flagged: 1, recall: 0.5 },
        ],
      },
      baseline: {
        revision,
        flagged: 0,
        heldMinor: {},
        labels: { truePositives: 0, falseNegatives: 3, precision: null, recall: 0 },
      },
      diff: { changed: 4, transitions: [{ from: 'ALLOW', to: 'REVIEW', count: 4 }] },
      // The decision without a stored rule evaluation is not compared.
      liveAgreement: { compared: 6, agreed: 6, rate: 1, sameRevision: { compared: 6, agreed: 6 } },
    });
    const candidateRules = arr(result, 'candidate', 'rules');
    expect(candidateRules.find((r) => at(r, 'rule') === 'bt_big_transfer@1')).toEqual({
      rule: 'bt_big_transfer@1',
      ruleId: 'bt_big_transfer',
      version: 1,
      mode: 'acting',
      hits: 4,
      errors: 0,
    });
    // Examples in event-time order, with the rules that decided.
    const examples = arr(result, 'diff', 'examples');
    expect(examples.map((e) => at(e, 'decisionId'))).toEqual([ids[0], ids[1], ids[4], ids[6]]);
    expect(examples[0]).toMatchObject({
      eventType: 'transfer',
      amountMinor: '200000',
      currency: 'CNY',
      baseline: 'ALLOW',
      candidate: 'REVIEW',
      baselineRules: [],
      candidateRules: ['bt_big_transfer@1'],
    });
  });

  it('replays in event time: velocity features see only earlier events, and parties are seeded from the tables', async () => {
    await draft('bt_burst', `event.type == 'transfer' && features.customer.out.count_1h >= 2`, 'BLOCK');
    await draft('bt_young_account', `event.type == 'transfer' && features.customer.accountAgeDays < 3`);
    const p = dayOf(1);
    const t = p.from.getTime() + HOUR;
    await db
      .insertInto('customers')
      .values([
        { id: 'cus_bt2_new', display_name: 'New', created_at: new Date(t - DAY), kyc_tier: 1 },
        { id: 'cus_bt2_old', display_name: 'Old', created_at: new Date(t - 100 * DAY), kyc_tier: 2 },
      ])
      .execute();
    // Stored newest first: only the event time may order the replay.
    const rows: HistoryRow[] = [
      { event: transfer('cus_bt2_old', 'cus_bt2_x', 1_000n, t + 20 * MINUTE) },
      { event: transfer('cus_bt2_other', 'cus_bt2_x', 1_000n, t + 15 * MINUTE) },
      { event: transfer('cus_bt2_old', 'cus_bt2_x', 1_000n, t + 10 * MINUTE) },
      { event: transfer('cus_bt2_old', 'cus_bt2_x', 1_000n, t) },
      { event: transfer('cus_bt2_new', 'cus_bt2_x', 1_000n, t + 30 * MINUTE) },
    ];
    const ids = [];
    for (const r of rows) ids.push(...(await insertHistory(db, [r])));

    const view = await run(p, {
      ruleVersions: [
        { ruleId: 'bt_burst', version: 1 },
        { ruleId: 'bt_young_account', version: 1 },
      ],
    });
    expect(view.status).toBe('done');
    expect(view.result).toMatchObject({
      candidate: {
        outcomes: { transfer: { ALLOW: 3, BLOCK: 1, REVIEW: 1 } },
        blockedMinor: { CNY: '1000' },
        heldMinor: { CNY: '1000' },
      },
      diff: {
        changed: 2,
        examples: [
          // The third transfer of the customer in the hour, whatever the order it was stored in.
          { decisionId: ids[0], candidate: 'BLOCK', candidateRules: ['bt_burst@1'] },
          // Registered a day before (from the customers table); the old customer never matched.
          { decisionId: ids[4], candidate: 'REVIEW', candidateRules: ['bt_young_account@1'] },
        ],
      },
    });
  });

  it('replaying the active set reproduces every rule outcome the live engine stored', async () => {
    const p = dayOf(2);
    const start = p.from.getTime() + HOUR;
    const customers = Array.from({ length: 24 }, (_, i) => `cus_bt3_${i}`);
    const merchants = ['mer_bt3_a', 'mer_bt3_b'];
    await db
      .insertInto('customers')
      .values(
        customers.map((id, i) => ({
          id,
          display_name: id,
          created_at: new Date(start - (i % 4 === 0 ? 2 : 200) * DAY),
          kyc_tier: 2,
        })),
      )
      .execute();
    await db
      .insertInto('merchants')
      .values(merchants.map((id) => ({ id, name: id, fee_bps: 50, created_at: new Date(start - 3 * DAY) })))
      .execute();
    // The live engine's profile knows what the back-test seeds: registration dates, tiers, merchants.
    const profile = new MemoryProfileSource();
    for (const [i, id] of customers.entries()) {
      profile.seedCustomer(id, {
        createdAt: new Date(start - (i % 4 === 0 ? 2 : 200) * DAY),
        kycTier: 2,
        passwordChangedAt: null,
        phoneChangedAt: null,
      });
    }
    for (const id of merchants) profile.seedMerchant(id, new Date(start - 3 * DAY));
    const clock = new ManualClock(new Date(start));
    const engine = new RiskEngine({
      limits: bw.gate,
      features: new FeatureComputer({ velocity: new MemoryVelocityStore(), profile }),
      rules: bw.ruleEngine,
      failSafe: { ...DEFAULT_FAIL_SAFE, deadlineMs: 10_000 },
      now: () => clock.now(),
    });

    // Bursts that fire starter rules, in a stream of ordinary traffic.
    const rnd = random(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const events: RiskEvent[] = [];
    let t = start;
    const next = () => {
      t += 1_000 + Math.floor(rnd() * 60_000);
      return new Date(t);
    };
    const victim = customers[1] ?? '';
    for (let i = 0; i < 7; i++) {
      events.push({ type: 'topup', customerId: victim, amountMinor: 100n, currency: 'CNY', at: next() });
    }
    for (const payer of customers.slice(2, 15)) {
      events.push({ ...transfer(payer, 'cus_bt3_0', 20_000n, next().getTime()), deviceId: 'dev_mule' });
    }
    const types = [
      'transfer',
      'payment',
      'withdrawal',
      'topup',
      'login',
      'card_binding',
      'device_change',
    ] as const;
    for (let i = 0; i < 300; i++) {
      const type = pick(types);
      const customerId = pick(customers);
      const money = type === 'transfer' || type === 'payment' || type === 'withdrawal' || type === 'topup';
      const e: RiskEvent = {
        type,
        customerId,
        amountMinor: money ? BigInt(Math.floor(rnd() * 3_000_000)) : 0n,
        currency: money ? 'CNY' : null,
        at: next(),
        deviceId: pick(['dev_1', 'dev_2', 'dev_3', `dev_${customerId}`]),
        ip: pick(['10.0.0.1', '10.0.0.2', '10.0.0.3']),
      };
      if (type === 'transfer') e.counterpartyId = pick(customers);
      if (type === 'payment') e.counterpartyId = pick(merchants);
      if ((type === 'login' || type === 'card_binding') && rnd() < 0.4) e.failed = true;
      events.push(e);
    }
    let ruleEvents = 0;
    const liveOutcomes: string[] = [];
    for (const e of events) {
      clock.set(new Date(e.at.getTime() + 20));
      const d = await engine.decide(e);
      await insertDecision(db, d);
      if (isRuleEventType(e.type)) ruleEvents++;
      const rules = d.detail?.rules as { outcome?: string } | null | undefined;
      if (rules?.outcome) liveOutcomes.push(rules.outcome);
    }
    expect(liveOutcomes.filter((o) => o !== 'ALLOW').length).toBeGreaterThanOrEqual(2);

    const view = await run(p, { revision: 'active' });
    expect(view.status).toBe('done');
    expect(view.result).toMatchObject({
      events: ruleEvents,
      diff: { changed: 0 },
      liveAgreement: {
        compared: ruleEvents,
        agreed: ruleEvents,
        sameRevision: { compared: ruleEvents, agreed: ruleEvents },
        disagreements: [],
      },
    });
  });

  it('gives identical results on two runs of the same period', async () => {
    const p = dayOf(2);
    const candidate = { ruleVersions: [{ ruleId: 'bt_burst', version: 1 }] };
    const a = await run(p, candidate);
    const b = await run(p, candidate);
    expect(a.status).toBe('done');
    expect(a.result).not.toBeNull();
    expect(b.result).toEqual(a.result);
  });

  it('cancels a running back-test mid-way; a finished one cannot be cancelled', async () => {
    const p = dayOf(3);
    const t = p.from.getTime();
    const rows: HistoryRow[] = Array.from({ length: 6_000 }, (_, i) => ({
      event: transfer(`cus_bt4_${i % 300}`, `cus_bt4_p${i % 7}`, BigInt(1_000 + i), t + i * 10_000),
    }));
    await insertHistory(db, rows);
    const slow = new BacktestService(db, bw.rules, bw.ruleEngine, bw.clock, {
      yieldEvery: 5,
      progressIntervalMs: 0,
    });
    try {
      const started = await slow.start(
        { from: p.from.toISOString(), to: p.to.toISOString(), candidate: { revision: 'active' } },
        'stf_backtest_test',
      );
      expect(started.total).toBe(6_000);
      let seen = await slow.get(started.id);
      for (let i = 0; i < 2_000 && seen.processed < 100; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen = await slow.get(started.id);
      }
      expect(seen.status).toBe('running');
      const asked = await slow.cancel(started.id);
      expect(asked.cancelRequested).toBe(true);
      await slow.settled(started.id);
      const ended = await slow.get(started.id);
      expect(ended.status).toBe('cancelled');
      expect(ended.processed).toBeGreaterThan(0);
      expect(ended.processed).toBeLessThan(ended.total);
      expect(ended.result).toBeNull();
      expect(ended.finishedAt).not.toBeNull();
      await expectCode(slow.cancel(started.id), 'RISK_BACKTEST_STATE');
    } finally {
      await slow.close();
    }
  });

  it('refuses oversized periods, bad periods and unknown versions, and lists back-tests newest first', async () => {
    const p = dayOf(3);
    const tiny = new BacktestService(db, bw.rules, bw.ruleEngine, bw.clock, { maxEvents: 10 });
    const params = {
      from: p.from.toISOString(),
      to: p.to.toISOString(),
      candidate: { revision: 'active' as const },
    };
    const tooLarge = await expectCode(tiny.start(params, 'stf_backtest_test'), 'RISK_BACKTEST_TOO_LARGE');
    expect(tooLarge.extra).toMatchObject({ events: 6_000, maxEvents: 10 });
    await tiny.close();

    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const bad = [
      { ...params, from: 'yesterday' },
      { ...params, to: params.from },
      { ...params, from: iso(now - 40 * DAY), to: iso(now - 5 * DAY) },
      { ...params, from: iso(now - DAY), to: iso(now + HOUR) },
    ];
    for (const b of bad) await expectCode(service.start(b, 'stf_backtest_test'), 'VALIDATION_FAILED');
    await expectCode(
      service.start({ ...params, candidate: { ruleVersions: [{ ruleId: 'bt_burst', version: 9 }] } }, 'x'),
      'RISK_RULE_NOT_FOUND',
    );
    await expectCode(service.get('bt_00000000000000000000000000'), 'RISK_BACKTEST_NOT_FOUND');
    await expectCode(service.cancel('bt_00000000000000000000000000'), 'RISK_BACKTEST_NOT_FOUND');

    const first = await service.list({ limit: 2 });
    expect(first.backtests).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    expect(first.backtests[0]).not.toHaveProperty('result');
    const second = await service.list({ limit: 2, cursor: first.nextCursor ?? undefined });
    const ids = [...first.backtests, ...second.backtests].map((b) => b.id);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('serves the API: 202 with the accepted run, its result once done, the list, cancel and problems', async () => {
    // The routes on an app of their own, behind the same guard (the lead wires them into the main app).
    const app = await createHttp({
      logger: bw.log,
      bodyLimitBytes: 1_000_000,
      rateLimitPerMinute: 0,
      requestLogging: { enabled: false },
    });
    installGuard(app, {
      db,
      tokens: bw.tokens,
      sessions: bw.sessions,
      apiClients: bw.apiClients,
      clock: bw.clock,
      log: bw.log,
    });
    registerBacktestRoutes(app, { service });
    await app.ready();
    try {
      const analyst = await bw.staffAuth('analyst');
      const auditor = await bw.staffAuth('auditor');
      const p = dayOf(0);
      const body = {
        from: p.from.toISOString(),
        to: p.to.toISOString(),
        candidate: { ruleVersions: [{ ruleId: 'bt_big_transfer', version: 1 }] },
      };
      const post = (url: string, payload: unknown, auth: string) =>
        app.inject({
          method: 'POST',
          url,
          payload: JSON.stringify(payload),
          headers: {
            authorization: auth,
            'content-type': 'application/json',
            'idempotency-key': idemKey('bt'),
          },
        });
      const get = (url: string, auth: string) =>
        app.inject({ method: 'GET', url, headers: { authorization: auth } });

      const started = await post('/v1/risk/backtests', body, analyst);
      expect(started.statusCode).toBe(202);
      const id = str(started.json(), 'id');
      expect(started.json()).toMatchObject({
        status: 'queued',
        total: 7,
        processed: 0,
        progress: 0,
        result: null,
      });
      expect((await post('/v1/risk/backtests', body, auditor)).statusCode).toBe(403);
      await service.settled(id);

      const one = await get(`/v1/risk/backtests/${id}`, auditor);
      expect(one.statusCode).toBe(200);
      expect(one.json()).toMatchObject({
        id,
        status: 'done',
        progress: 1,
        result: {
          candidate: { flagged: 4, heldMinor: { CNY: '650000', USD: '120000' } },
          diff: { changed: 4 },
        },
      });
      const list = await get('/v1/risk/backtests?limit=1', auditor);
      expect(list.statusCode).toBe(200);
      expect(list.json()).toMatchObject({ backtests: [{ id, status: 'done' }] });
      expect(at(list.json(), 'backtests', 0, 'result')).toBeUndefined();

      const problem = async (r: Awaited<ReturnType<typeof get>>, status: number, code: string) => {
        expect(r.statusCode).toBe(status);
        expect(r.headers['content-type']).toContain('application/problem+json');
        expect(r.json()).toMatchObject({ code });
      };
      await problem(await post(`/v1/risk/backtests/${id}/cancel`, {}, analyst), 409, 'RISK_BACKTEST_STATE');
      await problem(
        await get('/v1/risk/backtests/bt_00000000000000000000000000', auditor),
        404,
        'RISK_BACKTEST_NOT_FOUND',
      );
      await problem(
        await post('/v1/risk/backtests', { ...body, from: 'soon' }, analyst),
        400,
        'VALIDATION_FAILED',
      );
      await problem(
        await post('/v1/risk/backtests', { ...body, candidate: { revision: 'draft' } }, analyst),
        400,
        'VALIDATION_FAILED',
      );
      await problem(
        await post(
          '/v1/risk/backtests',
          { ...body, from: new Date(p.to.getTime() - 32 * DAY).toISOString() },
          analyst,
        ),
        400,
        'VALIDATION_FAILED',
      );
    } finally {
      await app.close();
    }
  });

  it('marks the back-tests a stopped process left queued or running as failed on start', async () => {
    const left = ['queued', 'running'].map((status) => ({ id: `bt_${newId('evt').slice(4)}`, status }));
    for (const row of left) {
      await sql`insert into risk_backtests (id, status, params, created_by, created_at)
        values (${row.id}, ${row.status}, '{}'::jsonb, 'stf_backtest_test', now())`.execute(db);
    }
    const restarted = await startBacktests({ db, rules: bw.rules, engine: bw.ruleEngine, clock: bw.clock });
    try {
      for (const row of left) {
        const view = await restarted.get(row.id);
        expect(view.status).toBe('failed');
        expect(view.error).toMatch(/^interrupted/);
        expect(view.finishedAt).not.toBeNull();
      }
    } finally {
      await restarted.close();
    }
  });
});
