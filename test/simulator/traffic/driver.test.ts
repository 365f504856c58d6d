// Proves the traffic driver against an in-memory API: rate-limit arithmetic on a virtual clock, per-customer order under concurrency, sim-id → real-id mapping, challenge answering, error counting, label batching and a clean stop.
import { describe, expect, it } from 'vitest';
import { type DriveOptions, driveTraffic, type LabelLine } from '../../../src/simulator/traffic/driver.ts';
import { TrafficSimulation } from '../../../src/simulator/traffic/generate.ts';
import {
  LEGIT,
  type SimContext,
  type SimEvent,
  type Truth,
  trafficOptions,
  truthOf,
} from '../../../src/simulator/traffic/model.ts';
import { TokenBucket } from '../../../src/simulator/traffic/rate.ts';
import { type Call, FakeBulwark, get, virtualTimer } from './fake-bulwark.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const ATO = truthOf('account_takeover', 'ato0000');

/** Hand-made streams: a few customers and a merchant, events one second apart. */
class Stream {
  readonly events: SimEvent[] = [];
  private at = T0;
  private n = 0;

  private next(): { simId: string; at: number } {
    this.at += 1_000;
    this.n += 1;
    return { simId: `e${this.n}`, at: this.at };
  }

  private context(at: number): SimContext {
    return {
      deviceId: 'dev-00000001',
      ip: '58.246.1.2',
      geo: { country: 'CN', region: 'Shanghai', lat: 31.23, lon: 121.47 },
      channel: 'app',
      occurredAt: new Date(at).toISOString(),
    };
  }

  customer(customer: string, kycTier: 0 | 1 | 2 = 2, truth: Truth = LEGIT): this {
    const { at } = this.next();
    this.events.push({
      type: 'open_customer',
      simId: `open.${customer}`,
      at,
      truth,
      customer,
      displayName: `Customer ${customer}`,
      openedAt: '2024-01-01T00:00:00.000Z',
      kycTier,
      identity: { name: '王伟', documentNumber: `doc-${customer}` },
    });
    return this;
  }

  merchant(merchant: string): this {
    const { at } = this.next();
    this.events.push({
      type: 'open_merchant',
      simId: `open.${merchant}`,
      at,
      truth: LEGIT,
      merchant,
      name: 'Tea House',
      feeBps: 60,
      openedAt: '2023-01-01T00:00:00.000Z',
    });
    return this;
  }

  topup(customer: string, amountMinor = 10_000n, truth: Truth = LEGIT): string {
    const { simId, at } = this.next();
    this.events.push({
      type: 'topup',
      simId,
      at,
      truth,
      customer,
      amountMinor,
      currency: 'CNY',
      context: this.context(at),
    });
    return simId;
  }

  transfer(customer: string, to: string, amountMinor = 2_500n, truth: Truth = LEGIT): string {
    const { simId, at } = this.next();
    this.events.push({
      type: 'transfer',
      simId,
      at,
      truth,
      customer,
      to,
      amountMinor,
      currency: 'CNY',
      memo: 'lunch',
      context: this.context(at),
    });
    return simId;
  }

  withdrawal(customer: string, amountMinor = 5_000n, truth: Truth = LEGIT): string {
    const { simId, at } = this.next();
    this.events.push({
      type: 'withdrawal',
      simId,
      at,
      truth,
      customer,
      amountMinor,
      currency: 'CNY',
      bankAccount: { accountNumber: '6222020200112233445', holderName: 'Li Wei' },
      context: this.context(at),
    });
    return simId;
  }

  payment(customer: string, merchant: string, refundable = false, amountMinor = 3_000n): string {
    const { simId, at } = this.next();
    this.events.push({
      type: 'payment',
      simId,
      at,
      truth: LEGIT,
      customer,
      merchant,
      amountMinor,
      currency: 'CNY',
      orderRef: `o-${simId}`,
      refundable,
      context: this.context(at),
    });
    return simId;
  }

  refund(customer: string, merchant: string, payment: string, amountMinor = 3_000n): string {
    const { simId, at } = this.next();
    this.events.push({
      type: 'refund',
      simId,
      at,
      truth: LEGIT,
      customer,
      merchant,
      payment,
      amountMinor,
      currency: 'CNY',
      reason: 'returned',
      context: this.context(at),
    });
    return simId;
  }

  account(customer: string, event: 'login' | 'password_change' = 'login', truth: Truth = LEGIT): string {
    const { simId, at } = this.next();
    this.events.push({
      type: 'account',
      simId,
      at,
      truth,
      customer,
      event,
      result: 'attempt',
      context: this.context(at),
    });
    return simId;
  }
}

function options(extra: Partial<DriveOptions> = {}): DriveOptions {
  return { seed: 7, timer: virtualTimer(), ratePerS: 1_000, concurrency: 4, ...extra };
}

function problem(status: number, code: string, extra: Record<string, unknown> = {}) {
  return { status, body: { type: 'about:blank', title: code, status, code, detail: code, ...extra } };
}

describe('token bucket', () => {
  it('spaces requests 1/rate apart after the burst, on a virtual clock', async () => {
    const timer = virtualTimer();
    const bucket = new TokenBucket(10, 1, timer);
    for (let i = 0; i < 50; i++) await bucket.take();
    // The first token is there at once; 49 more accrue at 10 per second.
    expect(timer.now()).toBeCloseTo(4_900, 6);
    const burst = virtualTimer();
    const roomy = new TokenBucket(10, 5, burst);
    for (let i = 0; i < 50; i++) await roomy.take();
    expect(burst.now()).toBeCloseTo(4_500, 6);
  });

  it('halves the rate on a 429 and climbs back after a run of accepted requests', () => {
    const bucket = new TokenBucket(200, 1, virtualTimer());
    bucket.backOff();
    bucket.backOff();
    expect(bucket.currentPerS).toBe(50);
    for (let i = 0; i < 100; i++) bucket.accepted();
    expect(bucket.currentPerS).toBe(62.5);
  });
});

describe('traffic driver', () => {
  it('paces every request, the concurrent ones included, at the configured rate', async () => {
    const s = new Stream().customer('a').customer('b').customer('c').merchant('m');
    for (let i = 0; i < 20; i++) {
      s.topup('a');
      s.transfer('b', 'c');
      s.account('c');
    }
    const timer = virtualTimer();
    const fake = new FakeBulwark({ clock: timer.now });
    await driveTraffic(s.events, fake, options({ timer, ratePerS: 50, burst: 1, concurrency: 4 }));
    // Nothing else slept (no retries, top-ups confirmed at once), so the clock is the pacing alone.
    expect(timer.now()).toBeCloseTo(((fake.calls.length - 1) / 50) * 1_000, 3);
    const times = fake.calls.map((c) => c.at);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] ?? 0);
  });

  it('keeps each customer’s events in stream order while requests overlap', async () => {
    const s = new Stream();
    const customers = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const c of customers) s.customer(c, 1);
    for (let i = 0; i < 15; i++) {
      for (const c of customers) {
        if (i % 3 === 0) s.topup(c);
        else if (i % 3 === 1) s.transfer(c, customers[(customers.indexOf(c) + 1) % customers.length] ?? 'a');
        else s.account(c);
      }
    }
    // Later calls finish sooner: without the lanes they would overtake.
    const fake = new FakeBulwark({ delayMs: (call) => (call.seq * 7) % 5 });
    const summary = await driveTraffic(s.events, fake, { seed: 7, ratePerS: 100_000, concurrency: 4 });
    expect(summary.events).toBe(90);
    expect(fake.maxInFlight).toBeGreaterThan(1);
    expect(fake.maxInFlight).toBeLessThanOrEqual(4);
    for (const c of customers) {
      const expected = s.events
        .filter((e) => e.type !== 'open_customer' && 'customer' in e && e.customer === c)
        .map((e) => e.simId);
      const sent = fake.calls
        .filter(
          (call) => call.method === 'POST' && !call.path.includes('/kyc/') && call.path !== '/v1/customers',
        )
        .map((call) => call.headers['idempotency-key']?.replace('sim-7-', ''))
        .filter((simId) => simId !== undefined && expected.includes(simId));
      expect(sent).toEqual(expected);
    }
  });

  it('maps sim ids to the ids the API gave, and derives idempotency keys from seed and sim id', async () => {
    const s = new Stream().customer('a', 2).customer('b', 1).customer('z', 0).merchant('m');
    const top = s.topup('a');
    const tr = s.transfer('a', 'b');
    const pay = s.payment('a', 'm', true);
    const ev = s.account('b', 'password_change');
    const wd = s.withdrawal('b');
    const rf = s.refund('a', 'm', pay, 1_000n);
    const fake = new FakeBulwark();
    const summary = await driveTraffic(s.events, fake, options({ runTag: 'abc12345' }));
    expect(summary.setup).toMatchObject({ customers: 3, merchants: 1, kycSubmissions: 3, errors: {} });

    const answered = (simId: string, path: string) =>
      fake.callsFor(simId).find((c) => c.path === path)?.response?.body;
    const customerA = get(answered('open.a', '/v1/customers'), 'id');
    const walletA = get(answered('open.a', '/v1/customers'), 'wallets', '0', 'id');
    const customerB = get(answered('open.b', '/v1/customers'), 'id');
    const walletB = get(answered('open.b', '/v1/customers'), 'wallets', '0', 'id');
    const merchantId = get(answered('open.m', '/v1/merchants'), 'id');
    expect(customerA).toMatch(/^cus_/);
    expect(walletA).toMatch(/^wal_/);

    // KYC to each customer's tier: basic and full for tier 2, basic for tier 1, nothing for tier 0.
    const kyc = fake.posts(/\/kyc\//).map((c) => c.path);
    expect(kyc.sort()).toEqual(
      [
        `/v1/customers/${customerA}/kyc/basic`,
        `/v1/customers/${customerA}/kyc/full`,
        `/v1/customers/${customerB}/kyc/basic`,
      ].sort(),
    );
    expect(fake.posts(/\/kyc\/basic$/)[0]?.body).toEqual({
      name: '王伟',
      documentType: 'CN_RESIDENT_ID',
      documentNumber: 'doc-a',
    });
    expect(fake.posts('/v1/customers')[0]?.body).toEqual({
      displayName: 'Customer a',
      currencies: ['CNY'],
      openedAt: '2024-01-01T00:00:00.000Z',
    });

    const [topup] = fake.callsFor(top);
    expect(topup?.headers['idempotency-key']).toBe(`sim-7-abc12345-${top}`);
    expect(topup?.body).toMatchObject({
      walletId: walletA,
      amountMinor: '10000',
      currency: 'CNY',
      channel: 'simbank',
    });
    expect(get(topup?.body, 'context')).toMatchObject({
      deviceId: 'dev-00000001',
      ip: '58.246.1.2',
      geo: { country: 'CN', region: 'Shanghai' },
      channel: 'app',
    });
    expect(get(topup?.body, 'context', 'occurredAt')).toBe(new Date(T0 + 5_000).toISOString());
    expect(fake.callsFor(tr)[0]?.body).toMatchObject({
      fromWalletId: walletA,
      toWalletId: walletB,
      amountMinor: '2500',
      memo: 'lunch',
    });
    expect(fake.callsFor(pay)[0]?.body).toMatchObject({
      walletId: walletA,
      merchantId,
      amountMinor: '3000',
      orderRef: `o-${pay}`,
    });
    const [event] = fake.callsFor(ev);
    expect(event?.path).toBe('/v1/risk/events');
    expect(event?.body).toMatchObject({ type: 'password_change', customerId: customerB, result: 'attempt' });
    expect(fake.callsFor(wd)[0]?.body).toMatchObject({
      walletId: walletB,
      channel: 'simbank',
      bankAccount: { holderName: 'Li Wei' },
    });
    // The refund goes to the payment's journal entry, as the API answered it.
    const entryId = get(answered(pay, '/v1/payments'), 'entryId');
    expect(fake.callsFor(rf)[0]?.path).toBe(`/v1/payments/${entryId}/refunds`);
    expect(fake.callsFor(rf)[0]?.body).toMatchObject({ amountMinor: '1000', reason: 'returned' });
    expect(summary.scenarios.legit?.errors).toEqual({});
  });

  it('waits for a top-up to be confirmed before the customer spends', async () => {
    const s = new Stream().customer('a').customer('b');
    const top = s.topup('a');
    const tr = s.transfer('a', 'b');
    const timer = virtualTimer();
    const fake = new FakeBulwark();
    fake.pendingPolls = 2;
    await driveTraffic(s.events, fake, options({ timer, topupPollMs: 100 }));
    const first = fake.calls.indexOf(fake.callsFor(top)[0] as Call);
    const spend = fake.calls.indexOf(fake.callsFor(tr)[0] as Call);
    const polls = fake.calls.slice(first + 1, spend).filter((c) => c.method === 'GET');
    expect(polls).toHaveLength(3);
    expect(timer.slept.filter((ms) => ms === 100)).toHaveLength(2);
  });

  it('answers a challenge for a legitimate event and retries once with the proof; a fraudster gives up', async () => {
    const s = new Stream().customer('a').customer('b').customer('x', 2, ATO);
    const legit = s.transfer('a', 'b');
    const fraud = s.transfer('x', 'b', 900_000n, ATO);
    const challenged = new Set([legit, fraud]);
    const script = (call: Call, fake: FakeBulwark) => {
      const simId = call.headers['idempotency-key']?.replace('sim-7-', '') ?? '';
      if (!challenged.has(simId) || call.headers['bulwark-step-up']) return undefined;
      return problem(403, 'AUTH_STEP_UP_REQUIRED', {
        challenge: {
          id: `chl_${simId}`,
          operation: 'transfer',
          reason: 'risk',
          methods: ['integrator'],
          expiresAt: '2026-03-01T00:10:00Z',
        },
        decision: fake.decision('CHALLENGE'),
        warnings: [],
      });
    };
    const fake = new FakeBulwark({ script });
    const summary = await driveTraffic(s.events, fake, options());
    expect(fake.posts(/\/confirm$/).map((c) => c.path)).toEqual([`/v1/risk/challenges/chl_${legit}/confirm`]);
    expect(fake.posts(/\/confirm$/)[0]?.body).toEqual({ method: 'integrator', warningShown: true });
    const [first, retry] = fake.callsFor(legit).filter((c) => c.path === '/v1/transfers');
    expect(retry?.headers['bulwark-step-up']).toMatch(/^prf_/);
    expect(retry?.headers['idempotency-key']).toBe(first?.headers['idempotency-key']);
    expect(retry?.body).toEqual(first?.body);
    expect(fake.callsFor(fraud).filter((c) => c.path === '/v1/transfers')).toHaveLength(1);
    expect(summary.challenges).toEqual({ seen: 2, answered: 1, passed: 1, failed: 0 });
    expect(summary.scenarios.legit?.outcomes.CHALLENGE).toBe(1);
    expect(summary.scenarios.account_takeover?.outcomes.CHALLENGE).toBe(1);
    expect(summary.detectionRate.account_takeover).toBe(1);

    const none = new FakeBulwark({ script });
    const quiet = await driveTraffic(s.events, none, options({ answerChallenges: 'none' }));
    expect(none.posts(/\/confirm$/)).toHaveLength(0);
    expect(quiet.challenges.answered).toBe(0);
    const every = new FakeBulwark({ script });
    await driveTraffic(s.events, every, options({ answerChallenges: 'all' }));
    expect(every.posts(/\/confirm$/)).toHaveLength(2);
  });

  it('counts failures by problem code, retries 429 and 503 with backoff, and never throws', async () => {
    const s = new Stream().customer('a').customer('b').customer('dead').merchant('m').customer('x', 2, ATO);
    const poor = s.payment('a', 'm');
    const busy = s.transfer('a', 'b');
    const broken = s.transfer('b', 'a');
    const lost = s.account('a');
    const refused = s.withdrawal('x', 500_000n, ATO);
    const orphan = s.transfer('dead', 'a');
    const held = s.payment('b', 'm', true);
    s.refund('b', 'm', held);
    let busyCalls = 0;
    const timer = virtualTimer();
    const fake = new FakeBulwark({
      script: (call, f) => {
        const simId = call.headers['idempotency-key']?.replace('sim-7-', '') ?? '';
        if (simId === 'open.dead') return problem(500, 'INTERNAL');
        if (simId === poor)
          return problem(422, 'LEDGER_INSUFFICIENT_FUNDS', { decision: f.decision('ALLOW') });
        if (simId === busy && ++busyCalls <= 2) {
          return busyCalls === 1
            ? { ...problem(429, 'RATE_LIMITED'), headers: { 'retry-after': '2' } }
            : problem(503, 'SERVICE_OVERLOADED');
        }
        if (simId === broken) return { status: 500, body: 'oops' };
        if (simId === lost) return 'throw';
        if (simId === refused) return problem(422, 'RISK_BLOCKED', { decision: f.decision('BLOCK') });
        if (simId === held)
          return {
            status: 202,
            body: { status: 'held', entryId: null, holdId: 'hold_1', decision: f.decision('REVIEW') },
          };
        return undefined;
      },
    });
    const lines: LabelLine[] = [];
    const summary = await driveTraffic(
      s.events,
      fake,
      options({ timer, retriesMax: 3, backoffMs: 100, onLabel: (l) => lines.push(l) }),
    );
    // The decision echoed in an insufficient-funds problem is not stored, so it is not labelled.
    expect(lines.map((l) => l.simId).sort()).toEqual([busy, held, refused].sort());
    expect(summary.scenarios.legit?.errors).toEqual({
      LEDGER_INSUFFICIENT_FUNDS: 1,
      HTTP_500: 1,
      TRANSPORT_ERROR: 1,
      SIM_PARTY_MISSING: 1,
      SIM_PAYMENT_NOT_COMPLETED: 1,
    });
    expect(summary.setup.errors).toEqual({ INTERNAL: 1 });
    // A refusal by risk control is an outcome, not an error.
    expect(summary.scenarios.account_takeover).toMatchObject({ outcomes: { BLOCK: 1 }, errors: {}, rate: 1 });
    expect(summary.scenarios.legit?.outcomes).toMatchObject({ ALLOW: 2, REVIEW: 1 });
    expect(fake.callsFor(busy)).toHaveLength(3);
    expect(fake.callsFor(orphan)).toHaveLength(0);
    expect(fake.callsFor(lost)).toHaveLength(4);
    // Retry-After first (2 s), then exponential backoff; the lost event's three backoffs too.
    expect(timer.slept).toEqual(expect.arrayContaining([2_000, 200, 100, 200, 400]));
  });

  it('posts every decision as a label in batches of at most 1000, skipping ids the API does not know', async () => {
    const s = new Stream().customer('a').customer('x', 1, ATO);
    const total = 2_500;
    for (let i = 0; i < total; i++) s.account(i % 5 === 0 ? 'x' : 'a', 'login', i % 5 === 0 ? ATO : LEGIT);
    const lines: LabelLine[] = [];
    let badId = '';
    const fake = new FakeBulwark({
      script: (call, f) => {
        if (call.path === '/v1/risk/events' && badId === '') {
          const answer = f.answer(call);
          badId = String(get(answer.body, 'decision', 'id'));
          return answer;
        }
        if (call.path !== '/v1/risk/labels') return undefined;
        const labels = get(call.body, 'labels');
        if (Array.isArray(labels) && labels.some((l) => get(l, 'decisionId') === badId)) {
          return problem(422, 'RISK_LABEL_UNKNOWN_DECISION', { detail: `Decision ${badId} does not exist.` });
        }
        return undefined;
      },
    });
    const summary = await driveTraffic(s.events, fake, options({ onLabel: (line) => lines.push(line) }));
    const posts = fake.posts('/v1/risk/labels');
    const sizes = posts.map((p) => (get(p.body, 'labels') as unknown[]).length);
    expect(sizes).toEqual([1_000, 999, 1_000, 500]);
    expect(summary.labels).toEqual({ posted: total - 1, batches: 3, rejected: 1, failedBatches: 0 });
    expect(lines).toHaveLength(total);
    const fraudLine = lines.find((l) => l.label === 'fraud');
    expect(fraudLine).toMatchObject({ scenario: 'account_takeover', type: 'login' });
    expect(fraudLine?.occurredAt).toMatch(/^2026-03-01T/);
    const posted = posts.flatMap((p) => get(p.body, 'labels') as unknown[]);
    expect(posted.find((l) => get(l, 'label') === 'legit')).not.toHaveProperty('scenario');
    expect(posted.find((l) => get(l, 'label') === 'fraud')).toMatchObject({ scenario: 'account_takeover' });
    for (const p of posts) expect(p.headers['idempotency-key']).toMatch(/^sim-7-labels-/);
  });

  it('stops cleanly when aborted and reports what it did', async () => {
    const s = new Stream().customer('a');
    for (let i = 0; i < 200; i++) s.account('a');
    const controller = new AbortController();
    const fake = new FakeBulwark();
    const summary = await driveTraffic(
      s.events,
      fake,
      options({
        signal: controller.signal,
        onProgress: (p) => {
          if (p.events >= 10) controller.abort();
        },
      }),
    );
    expect(summary.aborted).toBe(true);
    expect(summary.events).toBeGreaterThanOrEqual(10);
    expect(summary.events).toBeLessThan(200);
    expect(summary.labels.posted).toBe(summary.decided);
  });

  it('drives a generated stream without missing parties or payments', async () => {
    const sim = new TrafficSimulation(
      trafficOptions({ customers: 40, days: 4, end: new Date('2025-06-20T00:00:00Z'), seed: 3 }),
    );
    const events = [...sim.events()];
    const fake = new FakeBulwark();
    const summary = await driveTraffic(events, fake, options({ runTag: sim.runTag, concurrency: 8 }));
    const moving = events.filter((e) => e.type !== 'open_customer' && e.type !== 'open_merchant');
    expect(summary.events).toBe(moving.length);
    expect(summary.setup).toMatchObject({
      customers: sim.customers.length,
      merchants: sim.merchants.length,
      errors: {},
    });
    for (const t of Object.values(summary.scenarios)) expect(t.errors).toEqual({});
    expect(summary.decided).toBe(moving.length);
    expect(summary.falsePositiveRate).toBe(0);
  });
});
