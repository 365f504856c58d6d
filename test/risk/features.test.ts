// Feature computation: every registry feature produced, each group on hand-made histories at window edges, the event never counting itself, live and replay paths agreeing, degraded sources under a deadline, and the database profile source agreeing with the replay source.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/platform/migrate.ts';
import {
  FeatureComputer,
  type FeatureResult,
  MODEL_DEFAULTS,
  NEVER_CHANGED_HOURS,
  producedFeatures,
} from '../../src/risk/features/compute.ts';
import { DbProfileSource } from '../../src/risk/features/db-profile.ts';
import {
  MemoryProfileSource,
  type ProfileFacts,
  type ProfileSource,
} from '../../src/risk/features/profile.ts';
import { type ReplayItem, replayFeatures } from '../../src/risk/features/replay.ts';
import {
  declineEventsOf,
  type FeatureEvent,
  velocityEventsOf,
} from '../../src/risk/features/velocity-events.ts';
import { FEATURES } from '../../src/risk/rules/features.ts';
import { bindingsOf } from '../../src/risk/rules/schema.ts';
import { MemoryVelocityStore } from '../../src/risk/velocity/memory-store.ts';
import type { VelocityStore } from '../../src/risk/velocity/store.ts';
import { DATABASES, freshDatabase } from '../helpers.ts';

/** 2026-11-20 00:00 UTC: an hour and day boundary. */
const T0 = Date.UTC(2026, 10, 20);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const at = (ms: number) => new Date(T0 + ms);

function transfer(
  from: string,
  to: string,
  amount: bigint,
  t: number,
  extra: Partial<FeatureEvent> = {},
): FeatureEvent {
  return {
    type: 'transfer',
    customerId: from,
    counterpartyId: to,
    amountMinor: amount,
    currency: 'CNY',
    at: at(t),
    ...extra,
  };
}

function setup(
  profile: ProfileSource = new MemoryProfileSource(),
  velocity: VelocityStore = new MemoryVelocityStore(),
) {
  const computer = new FeatureComputer({ velocity, profile });
  /** Computes and commits, as the engine does for an allowed event. */
  const run = async (e: FeatureEvent): Promise<FeatureResult> => {
    const r = await computer.compute(e, e.at ?? at(0));
    await computer.committed(e, e.at ?? at(0));
    return r;
  };
  return { computer, run };
}

describe('registry coverage', () => {
  it('produces every registry feature, and nothing outside it', () => {
    const produced = producedFeatures();
    expect([...produced.keys()].sort()).toEqual(FEATURES.map((f) => f.name).sort());
  });

  it('a transfer and a payment between them carry every registry feature, each of its declared type', async () => {
    const profile = new MemoryProfileSource();
    profile.seedCustomer('c1', {
      createdAt: at(-10 * DAY),
      kycTier: 1,
      passwordChangedAt: null,
      phoneChangedAt: null,
    });
    profile.seedCustomer('c2', { createdAt: at(-5 * DAY), kycTier: 2 });
    profile.seedMerchant('m1', at(-100 * DAY));
    const { run } = setup(profile);
    const common = { deviceId: 'd1', ip: '10.0.0.1', geo: { country: 'CN', lat: 31.2, lon: 121.5 } };
    const t = await run(transfer('c1', 'c2', 500n, 0, common));
    const p = await run({ ...transfer('c1', 'm1', 700n, MINUTE, common), type: 'payment' });
    const names = new Set([...Object.keys(t.features), ...Object.keys(p.features)]);
    for (const f of FEATURES) expect(names.has(f.name), f.name).toBe(true);
    for (const r of [t, p]) {
      expect(r.missing).toEqual([]);
      expect(r.degraded).toEqual([]);
      const { inputErrors } = bindingsOf({ ...transfer('c1', 'c2', 1n, 0) }, r.features, at(0), 480);
      expect(inputErrors).toEqual([]);
      expect(r.features['model.score']).toBe(MODEL_DEFAULTS['model.score']);
      expect(r.features['model.level']).toBe('low');
    }
  });
});

describe('velocity features', () => {
  it('the event never counts itself; the 1h window drops an event exactly 1h old', async () => {
    const { run } = setup();
    const first = await run(transfer('a', 'b', 100n, 0));
    expect(first.features['customer.out.count_1h']).toBe(0);
    expect(first.features['customer.out.sum_1h']).toBe(0n);
    const second = await run(transfer('a', 'b', 250n, HOUR - MINUTE));
    expect(second.features['customer.out.count_1h']).toBe(1);
    expect(second.features['customer.out.sum_1h']).toBe(100n);
    const third = await run(transfer('a', 'c', 1n, HOUR));
    // The first is exactly 1h old: out of 1h, still in 24h.
    expect(third.features['customer.out.count_1h']).toBe(1);
    expect(third.features['customer.out.sum_1h']).toBe(250n);
    expect(third.features['customer.out.count_24h']).toBe(2);
    expect(third.features['customer.out.sum_24h']).toBe(350n);
    const late = await run(transfer('a', 'c', 1n, DAY));
    // 24h window (15-min buckets): the event at 0 is exactly 24h old and out; the others are in.
    expect(late.features['customer.out.count_24h']).toBe(2);
  });

  it('payee: distinct payers and amount received; the payer side sees received money too', async () => {
    const { run } = setup();
    await run(transfer('p1', 'mule', 100n, 0));
    await run(transfer('p2', 'mule', 200n, MINUTE));
    await run(transfer('p2', 'mule', 300n, 2 * MINUTE));
    const r = await run(transfer('p3', 'mule', 50n, 3 * MINUTE));
    expect(r.features['payee.distinctPayers_24h']).toBe(2);
    expect(r.features['payee.received.sum_24h']).toBe(600n);
    const out = await run(transfer('mule', 'x', 10n, 4 * MINUTE));
    expect(out.features['customer.received.count_24h']).toBe(4);
    expect(out.features['customer.received.sum_24h']).toBe(650n);
    const after = await run(transfer('p4', 'mule', 1n, 24 * HOUR + 15 * MINUTE));
    expect(after.features['payee.distinctPayers_24h']).toBe(0);
  });

  it('new payees: counted after the transfer that makes them new, only once per payee', async () => {
    const { run } = setup();
    const a = await run(transfer('c', 'x', 1n, 0));
    expect(a.features['payee.isNew']).toBe(true);
    expect(a.features['customer.newPayees_24h']).toBe(0);
    const b = await run(transfer('c', 'x', 1n, MINUTE));
    expect(b.features['payee.isNew']).toBe(false);
    expect(b.features['customer.newPayees_24h']).toBe(1);
    const c = await run(transfer('c', 'y', 1n, 2 * MINUTE));
    expect(c.features['customer.newPayees_24h']).toBe(1);
    const d = await run(transfer('c', 'z', 1n, 3 * MINUTE));
    expect(d.features['customer.newPayees_24h']).toBe(2);
  });

  it('device and address: accounts seen, failed sign-ins, devices per customer', async () => {
    const { run } = setup();
    const login = (c: string, t: number, extra: Partial<FeatureEvent> = {}): FeatureEvent => ({
      type: 'login',
      customerId: c,
      deviceId: 'dev',
      ip: '1.2.3.4',
      at: at(t),
      ...extra,
    });
    await run(login('u1', 0, { failed: true }));
    await run(login('u1', MINUTE, { failed: true }));
    await run(login('u2', 2 * MINUTE));
    await run(login('u3', 3 * MINUTE));
    await run(login('u3', 4 * MINUTE, { deviceId: 'dev2' }));
    const r = await run(login('u1', 5 * MINUTE));
    // Failed attempts do not count as the device or address being used by u1.
    expect(r.features['device.accountsSeen_30d']).toBe(2);
    expect(r.features['ip.accountsSeen_24h']).toBe(2);
    expect(r.features['ip.failedLogins_1h']).toBe(2);
    expect(r.features['customer.failedLogins_24h']).toBe(2);
    expect(r.features['device.isNew']).toBe(true);
    const u3 = await run(login('u3', 6 * MINUTE));
    expect(u3.features['customer.distinctDevices_30d']).toBe(2);
    expect(u3.features['device.isNew']).toBe(false);
    const hourLater = await run(login('u1', HOUR));
    expect(hourLater.features['ip.failedLogins_1h']).toBe(1);
  });

  it('top-ups, small top-ups and failed bindings within the hour', async () => {
    const { run } = setup();
    const topup = (amount: bigint, t: number): FeatureEvent => ({
      type: 'topup',
      customerId: 'c',
      amountMinor: amount,
      currency: 'CNY',
      at: at(t),
    });
    await run(topup(100n, 0));
    await run(topup(999n, MINUTE));
    await run(topup(1_000n, 2 * MINUTE));
    await run({ type: 'card_binding', customerId: 'c', failed: true, at: at(3 * MINUTE) });
    await run({ type: 'card_binding', customerId: 'c', at: at(4 * MINUTE) });
    const r = await run(topup(5n, 5 * MINUTE));
    expect(r.features['customer.topup.count_1h']).toBe(3);
    expect(r.features['customer.topup.smallCount_1h']).toBe(2);
    expect(r.features['customer.failedBindings_1h']).toBe(1);
  });

  it('merchant: refund rate over 30 days, same-amount payments, payers linked by device or address', async () => {
    const { run } = setup();
    const pay = (c: string, amount: bigint, t: number, extra: Partial<FeatureEvent> = {}): FeatureEvent => ({
      type: 'payment',
      customerId: c,
      counterpartyId: 'm',
      amountMinor: amount,
      currency: 'CNY',
      at: at(t),
      ...extra,
    });
    await run(pay('a', 1_000n, 0, { deviceId: 'shared' }));
    await run(pay('b', 1_000n, MINUTE, { deviceId: 'shared' }));
    await run(pay('c', 3_000n, 2 * MINUTE, { ip: '9.9.9.9' }));
    await run({
      type: 'refund',
      customerId: 'a',
      counterpartyId: 'm',
      amountMinor: 1_000n,
      at: at(3 * MINUTE),
    });
    const r = await run(pay('d', 1_000n, 4 * MINUTE, { deviceId: 'shared', ip: '9.9.9.9' }));
    expect(r.features['merchant.refundRate_30d']).toBe(0.2);
    expect(r.features['merchant.sameAmountPayments_1h']).toBe(2);
    expect(r.features['merchant.linkedPayers_1h']).toBe(2);
    const alone = await run(pay('e', 7n, 5 * MINUTE, { deviceId: 'own', ip: '8.8.8.8' }));
    expect(alone.features['merchant.linkedPayers_1h']).toBe(0);
    expect(alone.features['merchant.sameAmountPayments_1h']).toBe(0);
  });

  it('maps events to counters in one place: transfers, failed logins, declines', () => {
    const t = velocityEventsOf(transfer('a', 'b', 5n, 0, { deviceId: 'd', ip: '1.1.1.1' }), T0);
    expect(t).toEqual(
      expect.arrayContaining([
        { entity: 'customer:a', metric: 'out', at: T0, amount: 5n, counterparty: 'b' },
        { entity: 'payee:b', metric: 'received', at: T0, amount: 5n, counterparty: 'a' },
        { entity: 'device:d', metric: 'customers', at: T0, counterparty: 'a' },
        { entity: 'ip:1.1.1.1', metric: 'customers', at: T0, counterparty: 'a' },
      ]),
    );
    const fail = velocityEventsOf({ type: 'login', customerId: 'a', ip: '1.1.1.1', failed: true }, T0);
    expect(fail.map((e) => `${e.entity}/${e.metric}`).sort()).toEqual([
      'customer:a/login_fail',
      'ip:1.1.1.1/login_fail',
    ]);
    expect(declineEventsOf(transfer('a', 'b', 5n, 0), T0).map((e) => e.metric)).toEqual(['decline']);
    // An id that cannot be a key is not counted rather than thrown on.
    expect(velocityEventsOf({ type: 'login', customerId: 'a b' }, T0)).toEqual([]);
  });
});

describe('profile features (replay source)', () => {
  it('account age, tier, typical amount and percentile, password and phone changes, device age, country', async () => {
    const profile = new MemoryProfileSource();
    const { run } = setup(profile);
    await run({ type: 'registration', customerId: 'c', deviceId: 'd1', geo: { country: 'CN' }, at: at(0) });
    await run({ type: 'registration', customerId: 'p', at: at(0) });
    profile.setKycTier('c', 2);
    const first = await run(
      transfer('c', 'p', 300n, DAY - 1, { deviceId: 'd1', geo: { country: 'CN' }, ip: '1.1.1.1' }),
    );
    expect(first.features['customer.accountAgeDays']).toBe(0);
    expect(first.features['customer.kycTier']).toBe(2);
    expect(first.features['customer.typicalAmount']).toBe(0n);
    expect(first.features['customer.amountPercentile']).toBe(0.5);
    expect(first.features['customer.hoursSincePasswordChange']).toBe(NEVER_CHANGED_HOURS);
    expect(first.features['customer.hoursSincePhoneChange']).toBe(NEVER_CHANGED_HOURS);
    expect(first.features['device.isNew']).toBe(false);
    expect(first.features['device.ageHours']).toBe(23);
    expect(first.features['payee.accountAgeDays']).toBe(0);
    expect(first.features['payee.kycTier']).toBe(0);
    expect(first.features['ip.countryMismatch']).toBe(false);
    await run(transfer('c', 'p', 100n, DAY));
    await run(transfer('c', 'p', 200n, DAY + 1));
    await run({ type: 'password_change', customerId: 'c', at: at(DAY + 2) });
    await run({ type: 'phone_change', customerId: 'c', at: at(2 * DAY) });
    const r = await run(transfer('c', 'p', 250n, 3 * DAY, { ip: '2.2.2.2', geo: { country: 'US' } }));
    expect(r.features['customer.accountAgeDays']).toBe(3);
    expect(r.features['customer.typicalAmount']).toBe(200n);
    expect(r.features['customer.amountPercentile']).toBeCloseTo(2 / 3);
    expect(r.features['customer.hoursSincePasswordChange']).toBe(47);
    expect(r.features['customer.hoursSincePhoneChange']).toBe(24);
    expect(r.features['ip.countryMismatch']).toBe(true);
    // Amounts older than 90 days are forgotten.
    const much = await run(transfer('c', 'p', 250n, 95 * DAY));
    expect(much.features['customer.typicalAmount']).toBe(0n);
  });
});

describe('live and replay paths', () => {
  it('the same event stream gives identical features', async () => {
    const items: ReplayItem[] = [];
    const customers = ['a', 'b', 'c', 'd'];
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed;
    };
    for (let i = 0; i < 300; i++) {
      const from = customers[next() % 4] ?? 'a';
      const to = customers[next() % 4] ?? 'b';
      const t = i * 7 * MINUTE;
      const kind = next() % 5;
      const base = { deviceId: `d${next() % 3}`, ip: `10.0.0.${next() % 3}`, at: at(t) };
      const event: FeatureEvent =
        kind === 0
          ? { type: 'login', customerId: from, failed: next() % 2 === 0, ...base }
          : kind === 1
            ? {
                type: 'topup',
                customerId: from,
                amountMinor: BigInt(next() % 3_000),
                currency: 'CNY',
                ...base,
              }
            : kind === 2
              ? { ...transfer(from, 'm', BigInt(next() % 5_000), t, base), type: 'payment' }
              : transfer(from, to, BigInt(next() % 5_000), t, base);
      items.push({ event, at: at(t), outcome: next() % 7 === 0 ? 'declined' : 'committed' });
    }
    const replayed = await replayFeatures(items);

    const velocity = new MemoryVelocityStore();
    const computer = new FeatureComputer({ velocity, profile: new MemoryProfileSource() });
    const live: FeatureResult[] = [];
    for (const item of items) {
      // Live: the decision time is the wall clock when the event arrives; the event has no `at`.
      const { at: when, ...event } = item.event;
      const decidedAt = when ?? item.at;
      live.push(await computer.compute(event, decidedAt, { deadlineMs: 5_000 }));
      if (item.outcome === 'declined') await computer.declined(event, decidedAt);
      else await computer.committed(event, decidedAt);
    }
    expect(live).toEqual(replayed);
  });
});

describe('deadline', () => {
  const slow = (ms: number): ProfileSource => ({
    facts: () =>
      new Promise<ProfileFacts>((resolve) => setTimeout(() => resolve({ customer: {}, outAmounts: [] }), ms)),
    observe: async () => {},
  });

  it('a slow profile source leaves its features missing and is named degraded; velocity still answers', async () => {
    const { computer } = setup(slow(200));
    const r = await computer.compute(transfer('a', 'b', 1n, 0, { deviceId: 'd' }), at(0), { deadlineMs: 20 });
    expect(r.degraded).toEqual(['profile']);
    expect(r.missing).toEqual(
      expect.arrayContaining([
        'customer.accountAgeDays',
        'payee.isNew',
        'device.isNew',
        'customer.typicalAmount',
      ]),
    );
    expect(r.missing).not.toContain('merchant.accountAgeDays');
    expect(r.features['customer.accountAgeDays']).toBeUndefined();
    expect(r.features['customer.out.count_1h']).toBe(0);
    expect(r.features['model.level']).toBe('low');
  });

  it('a slow velocity store leaves the velocity features missing', async () => {
    const inner = new MemoryVelocityStore();
    const store: VelocityStore = {
      record: (e) => inner.record(e),
      read: (q) => inner.read(q),
      readAndRecord: (q, e) =>
        new Promise((resolve) => setTimeout(() => resolve(inner.readAndRecord(q, e)), 200)),
      rebuild: (s) => inner.rebuild(s),
      clear: () => inner.clear(),
      close: () => inner.close(),
    };
    const { computer } = setup(new MemoryProfileSource(), store);
    const r = await computer.compute(transfer('a', 'b', 1n, 0), at(0), { deadlineMs: 20 });
    expect(r.degraded).toEqual(['velocity']);
    expect(r.missing).toEqual(expect.arrayContaining(['customer.out.count_1h', 'payee.distinctPayers_24h']));
    expect(r.features['customer.out.count_1h']).toBeUndefined();
    expect(r.features['payee.isNew']).toBe(true);
  });

  it('a failing source is degraded like a slow one', async () => {
    const failing: ProfileSource = {
      facts: () => Promise.reject(new Error('down')),
      observe: async () => {},
    };
    const { computer } = setup(failing);
    const r = await computer.compute(transfer('a', 'b', 1n, 0), at(0));
    expect(r.degraded).toEqual(['profile']);
  });
});

for (const target of DATABASES) {
  describe(`database profile source (${target.name})`, () => {
    let handle: Awaited<ReturnType<typeof freshDatabase>> | undefined;
    const db = () => {
      if (!handle) throw new Error('no database');
      return handle.db;
    };

    beforeAll(async () => {
      handle = await freshDatabase(target);
      await migrateToLatest(handle.db);
      const d = handle.db;
      await d
        .insertInto('customers')
        .values([
          { id: 'c', display_name: 'C', created_at: at(-10 * DAY), kyc_tier: 1 },
          { id: 'p', display_name: 'P', created_at: at(-2 * DAY), kyc_tier: 2 },
        ])
        .execute();
      await d
        .insertInto('customer_logins')
        .values({
          customer_id: 'c',
          email_index: 'idx-c',
          password_hash: 'x',
          password_changed_at: at(-5 * HOUR),
          created_at: at(-10 * DAY),
        })
        .execute();
      await d
        .insertInto('merchants')
        .values({ id: 'm', name: 'M', fee_bps: 0, created_at: at(-40 * DAY) })
        .execute();
      await d
        .insertInto('devices')
        .values({ subject_id: 'c', device_id: 'd1', first_seen_at: at(-30 * HOUR), last_seen_at: at(-HOUR) })
        .execute();
      await d
        .insertInto('audit_log')
        .values({
          seq: 1n,
          id: 'aud1',
          at: at(-3 * HOUR),
          actor_type: 'customer',
          actor_id: 'c',
          action: 'identity.phone.change',
          target_type: 'customer',
          target_id: 'c',
          prev_hash: '0',
          hash: '1',
        })
        .execute();
      const decision = (
        id: string,
        amount: bigint,
        t: number,
        extra: { type?: string; cp?: string; outcome?: string; currency?: string } = {},
      ) => ({
        id,
        event_type: extra.type ?? 'transfer',
        subject_id: 'c',
        currency: extra.currency ?? 'CNY',
        amount_minor: amount,
        outcome: extra.outcome ?? 'ALLOW',
        reason_codes: JSON.stringify([]),
        customer_message: null,
        policy: 'test',
        input: JSON.stringify({ counterpartyId: extra.cp ?? 'p' }),
        latency_us: 1,
        created_at: at(t),
      });
      await d
        .insertInto('risk_decisions')
        .values([
          decision('r1', 100n, -DAY),
          decision('r2', 300n, -2 * DAY, { type: 'payment', cp: 'm' }),
          decision('r3', 200n, -3 * DAY, { type: 'withdrawal', cp: 'bank' }),
          decision('r4', 9_999n, -4 * DAY, { outcome: 'BLOCK', cp: 'q' }),
          decision('r5', 7n, -5 * DAY, { currency: 'USD' }),
          decision('r6', 5n, -91 * DAY),
          decision('r7', 1n, -DAY, { type: 'topup' }),
        ])
        .execute();
    });
    afterAll(async () => {
      await handle?.drop();
    });

    it('derives the profile features from the tables, the same as the replay source from the same history', async () => {
      const source = new DbProfileSource(db());
      const memory = new MemoryProfileSource();
      memory.seedCustomer('c', {
        createdAt: at(-10 * DAY),
        kycTier: 1,
        passwordChangedAt: at(-5 * HOUR),
        phoneChangedAt: at(-3 * HOUR),
      });
      memory.seedCustomer('p', { createdAt: at(-2 * DAY), kycTier: 2 });
      memory.seedMerchant('m', at(-40 * DAY));
      const history: FeatureEvent[] = [
        { ...transfer('c', 'p', 5n, -91 * DAY) },
        { ...transfer('c', 'p', 7n, -5 * DAY), currency: 'USD' },
        { ...transfer('c', 'bank', 200n, -3 * DAY), type: 'withdrawal' },
        { ...transfer('c', 'm', 300n, -2 * DAY), type: 'payment' },
        { ...transfer('c', 'p', 100n, -DAY) },
        { type: 'login', customerId: 'c', deviceId: 'd1', at: at(-30 * HOUR) },
      ];
      for (const e of history.sort((x, y) => (x.at?.getTime() ?? 0) - (y.at?.getTime() ?? 0))) {
        await memory.observe(e, e.at ?? at(0));
      }
      const events: FeatureEvent[] = [
        transfer('c', 'p', 250n, 0, { deviceId: 'd1' }),
        transfer('c', 'q', 50n, 0, { deviceId: 'd2' }),
        { ...transfer('c', 'm', 1_000n, 0), type: 'payment' },
      ];
      for (const e of events) {
        const a = await setup(source).computer.compute(e, at(0));
        const b = await setup(memory).computer.compute(e, at(0));
        const pick = (r: FeatureResult) =>
          Object.fromEntries(
            Object.entries(r.features).filter(([k]) => producedFeatures().get(k) === 'profile'),
          );
        expect(pick(a)).toEqual(pick(b));
      }
      const r = await setup(source).computer.compute(events[0] ?? transfer('c', 'p', 1n, 0), at(0));
      expect(r.features).toMatchObject({
        'customer.accountAgeDays': 10,
        'customer.kycTier': 1,
        'customer.typicalAmount': 200n,
        'customer.amountPercentile': 2 / 3,
        'customer.hoursSincePasswordChange': 5,
        'customer.hoursSincePhoneChange': 3,
        'payee.isNew': false,
        'payee.accountAgeDays': 2,
        'payee.kycTier': 2,
        'device.isNew': false,
        'device.ageHours': 30,
      });
      const other = await setup(source).computer.compute(events[1] ?? transfer('c', 'q', 1n, 0), at(0));
      expect(other.features['payee.isNew']).toBe(true);
      expect(other.features['device.isNew']).toBe(true);
      const pay = await setup(source).computer.compute(events[2] ?? transfer('c', 'm', 1n, 0), at(0));
      expect(pay.features['merchant.accountAgeDays']).toBe(40);
    });

    it('caches per customer for the TTL and learns committed events without a query', async () => {
      let clock = 0;
      const source = new DbProfileSource(db(), { ttlMs: 1_000, now: () => clock });
      const { computer } = setup(source);
      const e = transfer('c', 'fresh', 10n, HOUR, { deviceId: 'd9' });
      const before = await computer.compute(e, at(HOUR));
      expect(before.features['payee.isNew']).toBe(true);
      await computer.committed(e, at(HOUR));
      const after = await computer.compute(
        transfer('c', 'fresh', 10n, HOUR + 1, { deviceId: 'd9' }),
        at(HOUR + 1),
      );
      expect(after.features['payee.isNew']).toBe(false);
      expect(after.features['device.isNew']).toBe(false);
      await db().updateTable('customers').set({ kyc_tier: 2 }).where('id', '=', 'c').execute();
      const cached = await computer.compute(transfer('c', 'p', 1n, HOUR + 2), at(HOUR + 2));
      expect(cached.features['customer.kycTier']).toBe(1);
      clock = 2_000;
      const expired = await computer.compute(transfer('c', 'p', 1n, HOUR + 3), at(HOUR + 3));
      expect(expired.features['customer.kycTier']).toBe(2);
    });
  });
}
