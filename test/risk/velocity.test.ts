// The velocity store contract, run against both stores: window edges at bucket granularity, exact sums with large amounts, exact distinct counterparties, reads as of a past time, many entities, expiry and eviction, rebuild, concurrent records — and a seeded random workload checked against a model that applies the documented semantics to the raw events, plus the memory and Redis stores checked against each other.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryVelocityStore } from '../../src/risk/velocity/memory-store.ts';
import { RedisVelocityStore } from '../../src/risk/velocity/redis-store.ts';
import {
  type EntityKey,
  MAX_AMOUNT,
  RESOLUTIONS,
  VELOCITY_WINDOWS,
  type VelocityEvent,
  type VelocityQuery,
  type VelocityResult,
  type VelocityStore,
  type VelocityWindow,
  WINDOW_SPECS,
} from '../../src/risk/velocity/store.ts';
import { Random } from '../../src/simulator/random.ts';

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL && !process.env.BULWARK_QUIET_SKIPS) {
  console.warn(
    '[skip] REDIS_URL is not set: the Redis variant of the velocity store tests is skipped (memory only).',
  );
}

/** 2026-11-20 00:00 UTC: a day (so an hour and a minute) boundary, far from zero. */
const T0 = Date.UTC(2026, 10, 20);
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Opens stores of one kind; a Redis store gets its own random prefix, deleted by `cleanup`. */
interface Target {
  name: 'memory' | 'redis';
  open(): VelocityStore;
  cleanup(): Promise<void>;
}

let sharedRedis: Redis | undefined;
function redisClient(): Redis {
  if (!REDIS_URL) throw new Error('REDIS_URL is not set');
  sharedRedis ??= new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  return sharedRedis;
}

function memoryTarget(): Target {
  return { name: 'memory', open: () => new MemoryVelocityStore(), cleanup: async () => {} };
}

function redisTarget(): Target {
  const opened: RedisVelocityStore[] = [];
  return {
    name: 'redis',
    open: () => {
      const store = new RedisVelocityStore({
        redis: redisClient(),
        prefix: `test:v:${randomBytes(6).toString('hex')}:`,
      });
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      for (const s of opened.splice(0)) await s.clear();
    },
  };
}

const TARGETS: Target[] = [memoryTarget(), ...(REDIS_URL ? [redisTarget()] : [])];

afterAll(async () => {
  await sharedRedis?.quit();
});

function ev(
  entity: EntityKey,
  at: number,
  amount?: bigint,
  counterparty?: string,
  metric = 'out',
): VelocityEvent {
  return {
    entity,
    metric,
    at,
    ...(amount === undefined ? {} : { amount }),
    ...(counterparty === undefined ? {} : { counterparty }),
  };
}

function q(entity: EntityKey, window: VelocityWindow, at: number, metric = 'out'): VelocityQuery {
  return { entity, metric, window, at };
}

async function* fromArray(events: readonly VelocityEvent[]): AsyncIterable<VelocityEvent> {
  for (const e of events) yield e;
}

// -----------------------------------------------------------------------------------------
// The model: raw events, and the documented semantics applied to them.

interface ModelEvent {
  at: number;
  amount: bigint;
  counterparty: string | undefined;
  /** Per resolution: counted at all (not older than the retention when recorded). */
  kept: boolean[];
}

class Model {
  private readonly series = new Map<string, { clock: number; events: ModelEvent[] }>();

  record(e: VelocityEvent): void {
    const key = `${e.entity}|${e.metric}`;
    let s = this.series.get(key);
    if (!s) {
      s = { clock: e.at, events: [] };
      this.series.set(key, s);
    }
    s.clock = Math.max(s.clock, e.at);
    const clock = s.clock;
    s.events.push({
      at: e.at,
      amount: e.amount ?? 0n,
      counterparty: e.counterparty,
      kept: RESOLUTIONS.map((r) => Math.floor(e.at / r.ms) > Math.floor(clock / r.ms) - r.retained),
    });
  }

  read(query: VelocityQuery): VelocityResult {
    const s = this.series.get(`${query.entity}|${query.metric}`);
    if (!s) return { count: 0, sum: 0n, distinct: 0, complete: true };
    s.clock = Math.max(s.clock, query.at);
    const w = WINDOW_SPECS[query.window];
    const res = RESOLUTIONS[w.resolution];
    if (!res) throw new Error('no resolution');
    const head = Math.floor(s.clock / res.ms);
    const b = Math.floor(query.at / res.ms);
    const lo = b - w.buckets + 1;
    const retainedFrom = head - res.retained + 1;
    let count = 0;
    let sum = 0n;
    const cps = new Set<string>();
    for (const e of s.events) {
      const eb = Math.floor(e.at / res.ms);
      if (!e.kept[w.resolution] || eb < lo || eb < retainedFrom || eb > b) continue;
      count++;
      sum += e.amount;
      if (e.counterparty !== undefined) cps.add(e.counterparty);
    }
    return { count, sum, distinct: cps.size, complete: lo >= retainedFrom };
  }
}

/** A seeded workload: a clock that jumps by ms to days, events and reads a little (sometimes far) behind it. */
function randomOps(
  seed: number,
  steps: number,
): Array<{ kind: 'record'; events: VelocityEvent[] } | { kind: 'read'; queries: VelocityQuery[] }> {
  const rnd = new Random(seed);
  const entities: EntityKey[] = ['customer:a', 'customer:b', 'device:d1', 'payee:p9'];
  const metrics = ['out', 'login_fail'];
  const jumps = [0, 1, 7, 400, 999, SECOND, 13 * SECOND, MINUTE, 7 * MINUTE, HOUR, 5 * HOUR, DAY, 6 * DAY];
  // Lags that land on window edges (W, W ± 1 ms, W − res) and past the retention, as well as small ones.
  const lags = [
    0,
    0,
    0,
    1,
    500,
    3 * SECOND,
    59 * SECOND,
    60 * SECOND,
    60 * SECOND + 1,
    61 * SECOND,
    20 * MINUTE,
    59 * MINUTE,
    HOUR,
    HOUR + 1,
    3 * HOUR,
    DAY - 15 * MINUTE,
    DAY,
    2 * DAY,
    7 * DAY,
    30 * DAY - HOUR,
    30 * DAY,
    61 * DAY,
  ];
  const amounts = [0n, 1n, 999n, 123_456n, 9_007_199_254_740_993n, 1_000_000_000_000_000n];
  let clock = T0 + 12_345;
  const ops: ReturnType<typeof randomOps> = [];
  for (let i = 0; i < steps; i++) {
    clock += rnd.pick(jumps);
    const entity = rnd.pick(entities);
    const metric = rnd.pick(metrics);
    if (rnd.chance(0.55)) {
      const n = rnd.int(1, 3);
      const events: VelocityEvent[] = [];
      for (let k = 0; k < n; k++) {
        const amount = rnd.chance(0.8) ? rnd.pick(amounts) : undefined;
        const cp = rnd.chance(0.7) ? `cp${rnd.int(1, 9)}` : undefined;
        events.push(ev(entity, Math.max(0, clock - rnd.pick(lags)), amount, cp, metric));
      }
      ops.push({ kind: 'record', events });
    } else {
      const at = Math.max(0, clock - rnd.pick(lags));
      ops.push({ kind: 'read', queries: VELOCITY_WINDOWS.map((w) => q(entity, w, at, metric)) });
    }
  }
  return ops;
}

// -----------------------------------------------------------------------------------------

describe.each(TARGETS)('velocity store on $name', (target) => {
  let store: VelocityStore;
  beforeEach(() => {
    store = target.open();
  });
  afterEach(async () => {
    await target.cleanup();
    await store.close();
  });

  it.each(VELOCITY_WINDOWS)(
    'window %s: an event exactly W old is out, one ms younger is in, at bucket granularity',
    async (window) => {
      const w = WINDOW_SPECS[window];
      const res = RESOLUTIONS[w.resolution]?.ms ?? 0;
      // `at` on the last ms of its bucket: the old edge is exact.
      const atEnd = T0 + 3 * w.ms + res - 1;
      const c1: EntityKey = `customer:edge-end-${window}`;
      await store.record([ev(c1, atEnd - w.ms, 5n), ev(c1, atEnd - w.ms + 1, 7n), ev(c1, atEnd, 11n)]);
      expect(await store.read([q(c1, window, atEnd)])).toEqual([
        { count: 2, sum: 18n, distinct: 0, complete: true },
      ]);

      // `at` on the first ms of its bucket: the edge is the bucket start, res − 1 ms earlier.
      const atStart = T0 + 3 * w.ms;
      const c2: EntityKey = `customer:edge-start-${window}`;
      await store.record([
        ev(c2, atStart - w.ms, 1n), // W old: out
        ev(c2, atStart - w.ms + 1, 2n), // in the bucket before the window: out (resolution error)
        ev(c2, atStart - w.ms + res - 1, 4n), // last ms of that bucket: out
        ev(c2, atStart - w.ms + res, 8n), // W − res old: in
        ev(c2, atStart, 16n),
      ]);
      expect(await store.read([q(c2, window, atStart)])).toEqual([
        { count: 2, sum: 24n, distinct: 0, complete: true },
      ]);
      // One ms later the window still starts at the same bucket boundary.
      expect(await store.read([q(c2, window, atStart + 1)])).toEqual([
        { count: 2, sum: 24n, distinct: 0, complete: true },
      ]);
      // One bucket later the oldest event in the window has left.
      expect(await store.read([q(c2, window, atStart + res)])).toEqual([
        { count: 1, sum: 16n, distinct: 0, complete: true },
      ]);

      // The same edges when the events arrive newest first (late events checked against the window on arrival).
      const c3: EntityKey = `customer:edge-late-${window}`;
      await store.record([ev(c3, atEnd, 11n, 'n')]);
      await store.record([ev(c3, atEnd - w.ms + 1, 7n, 'y')]);
      await store.record([ev(c3, atEnd - w.ms, 5n, 'x')]);
      await store.record([ev(c3, atEnd - w.ms + res, 3n, 'y')]);
      expect(await store.read([q(c3, window, atEnd)])).toEqual([
        { count: 3, sum: 21n, distinct: 2, complete: true },
      ]);
    },
  );

  it('carries and borrows between the halves of a sum', async () => {
    // Around 10^9 (the Lua script's halves) and 2^32 (the memory store's).
    const cases: Array<[bigint, bigint]> = [
      [5_000_000_000_999_999_999n, 1n],
      [999_999_999n, 6n],
      [4_294_967_295n, 2n],
      [(7n << 32n) + 4_294_967_295n, 4_294_967_297n],
      [3_000_000_000_999_999_999n, 2_000_000_001_000_000_005n],
      // When the first leaves, the low half goes to exactly −1 before the borrow.
      [5n, 999_999_999n],
      [5n, 4_294_967_295n],
      [1_000_000_000_000_000_001n, 2_999_999_999_999_999_999n],
    ];
    for (const [i, [a, b]] of cases.entries()) {
      const c: EntityKey = `customer:carry${i}`;
      await store.record([ev(c, T0, a), ev(c, T0 + 30 * SECOND, b)]);
      expect((await store.read([q(c, '1m', T0 + 30 * SECOND)]))[0]?.sum).toBe(a + b);
      // The first event leaves the 1m window: its halves come off the total.
      expect((await store.read([q(c, '1m', T0 + 61 * SECOND)]))[0]?.sum).toBe(b);
      expect((await store.read([q(c, '1h', T0 + 61 * SECOND)]))[0]?.sum).toBe(a + b);
    }
  });

  it('keeps sums exact with amounts beyond 2^53 and refuses amounts outside [0, 2^63 − 1]', async () => {
    const c: EntityKey = 'customer:whale';
    const amounts = [
      9_007_199_254_740_993n,
      (1n << 62n) + 3n,
      1_234_567_890_123_456_789n,
      1n,
      4_294_967_297n,
    ];
    const total = amounts.reduce((a, b) => a + b, 0n);
    await store.record(amounts.map((a, i) => ev(c, T0 + i * SECOND, a)));
    const live = await store.read(VELOCITY_WINDOWS.map((w) => q(c, w, T0 + 10 * SECOND)));
    for (const r of live) expect(r).toEqual({ count: 5, sum: total, distinct: 0, complete: true });
    // Behind the clock the buckets are summed one by one: still exact.
    const past = await store.read([q(c, '1m', T0 + 2 * SECOND), q(c, '1h', T0 + 2 * SECOND)]);
    const firstThree = (amounts[0] ?? 0n) + (amounts[1] ?? 0n) + (amounts[2] ?? 0n);
    expect(past.map((r) => r.sum)).toEqual([firstThree, total]);

    await expect(store.record([ev(c, T0, -1n)])).rejects.toThrow(RangeError);
    await expect(store.record([ev(c, T0, MAX_AMOUNT + 1n)])).rejects.toThrow(RangeError);
    // A bad event anywhere in a batch records nothing of it.
    await expect(store.record([ev(c, T0 + 11 * SECOND, 5n), ev(c, T0, -5n)])).rejects.toThrow(RangeError);
    await store.record([ev(c, T0 + 11 * SECOND, MAX_AMOUNT - total)]);
    expect((await store.read([q(c, '30d', T0 + 11 * SECOND)]))[0]).toEqual({
      count: 6,
      sum: MAX_AMOUNT,
      distinct: 0,
      complete: true,
    });
  });

  it('refuses malformed entities, metrics, windows and times', async () => {
    const bad: unknown[] = [
      { entity: 'user:1', metric: 'out', at: T0 },
      { entity: 'customer:', metric: 'out', at: T0 },
      { entity: 'customer:a|b', metric: 'out', at: T0 },
      { entity: 'customer:1', metric: 'Out', at: T0 },
      { entity: 'customer:1', metric: 'out', at: 1.5 },
      { entity: 'customer:1', metric: 'out', at: -1 },
    ];
    for (const e of bad) await expect(store.record([e as VelocityEvent])).rejects.toThrow();
    await expect(
      store.read([{ entity: 'customer:1', metric: 'out', window: '2h' as VelocityWindow, at: T0 }]),
    ).rejects.toThrow(TypeError);
  });

  it('counts distinct counterparties exactly in every window', async () => {
    const c: EntityKey = 'customer:fan-out';
    await store.record([
      ev(c, T0 - 20 * DAY, 1n, 'old'), // only in 30d
      ev(c, T0 - 3 * DAY, 1n, 'p1'), // 7d and 30d
      ev(c, T0 - 2 * HOUR, 1n, 'p2'), // 24h and up
      ev(c, T0 - 30 * MINUTE, 1n, 'p1'),
      ev(c, T0 - 10 * SECOND, 1n, 'p3'),
      ev(c, T0 - 5 * SECOND, 1n, 'p3'),
      ev(c, T0, 1n), // no counterparty: counted, not distinct
    ]);
    const r = await store.read(VELOCITY_WINDOWS.map((w) => q(c, w, T0)));
    expect(r.map((x) => x.count)).toEqual([3, 4, 5, 6, 7]);
    expect(r.map((x) => x.distinct)).toEqual([1, 2, 3, 3, 4]);
    // As of 40 minutes ago (behind the clock): p1 was seen 3 days earlier and again after: counted once.
    const past = await store.read(VELOCITY_WINDOWS.map((w) => q(c, w, T0 - 40 * MINUTE)));
    // 7d/30d: the 1 h bucket of `at` also holds p3's events ten and five seconds before T0.
    expect(past.map((x) => x.distinct)).toEqual([0, 0, 1, 3, 4]);
  });

  it('reads as of a past time: later events are left out, the same bucket excepted', async () => {
    const c: EntityKey = 'customer:replay';
    await store.record([
      ev(c, T0, 100n, 'a'),
      ev(c, T0 + 10 * SECOND, 200n, 'b'),
      ev(c, T0 + 10 * SECOND + 400, 400n, 'c'), // same 1 s bucket as T0 + 10 s
      ev(c, T0 + 40 * SECOND, 800n, 'd'), // same 1 min bucket
    ]);
    const at = T0 + 10 * SECOND;
    const first = await store.read(VELOCITY_WINDOWS.map((w) => q(c, w, at)));
    // 1m: the bucket of `at` holds the event at `at` and the one 400 ms later; the 40 s one is out.
    expect(first[0]).toEqual({ count: 3, sum: 700n, distinct: 3, complete: true });
    for (const r of first.slice(1)) expect(r).toEqual({ count: 4, sum: 1_500n, distinct: 4, complete: true });

    await store.record([ev(c, T0 + 5 * MINUTE, 1_600n, 'e'), ev(c, T0 + 50 * MINUTE, 3_200n, 'a')]);
    const second = await store.read(VELOCITY_WINDOWS.map((w) => q(c, w, at)));
    // 1m is now 50 minutes behind the clock: its 1 s buckets are gone, and the read says so.
    expect(second[0]).toEqual({ count: 0, sum: 0n, distinct: 0, complete: false });
    // 1h (1 min buckets): the events 5 and 50 minutes later are excluded.
    expect(second[1]).toEqual({ count: 4, sum: 1_500n, distinct: 4, complete: true });
    // 24h (15 min buckets): the 5-minute event shares the bucket of `at`.
    expect(second[2]).toEqual({ count: 5, sum: 3_100n, distinct: 5, complete: true });
    // 7d/30d (1 h buckets): so does the 50-minute one ('a' again: still 5 distinct).
    expect(second[3]).toEqual({ count: 6, sum: 6_300n, distinct: 5, complete: true });
    expect(second[4]).toEqual(second[3]);
    // Before anything happened: nothing.
    expect((await store.read([q(c, '30d', T0 - 1)]))[0]).toEqual({
      count: 0,
      sum: 0n,
      distinct: 0,
      complete: true,
    });
    // The live read sees everything.
    expect((await store.read([q(c, '1h', T0 + 50 * MINUTE)]))[0]).toEqual({
      count: 6,
      sum: 6_300n,
      distinct: 5,
      complete: true,
    });
  });

  it('readAndRecord reads before it records, in one call', async () => {
    const c: EntityKey = 'customer:hot';
    const d: EntityKey = 'device:hot';
    await store.record([ev(c, T0, 10n, 'x')]);
    const first = await store.readAndRecord(
      [q(c, '1h', T0 + SECOND), q(d, '1h', T0 + SECOND)],
      [ev(c, T0 + SECOND, 5n, 'y'), ev(d, T0 + SECOND, 5n, 'y')],
    );
    expect(first).toEqual([
      { count: 1, sum: 10n, distinct: 1, complete: true },
      { count: 0, sum: 0n, distinct: 0, complete: true },
    ]);
    const second = await store.readAndRecord([q(c, '1h', T0 + 2 * SECOND), q(d, '1h', T0 + 2 * SECOND)], []);
    expect(second).toEqual([
      { count: 2, sum: 15n, distinct: 2, complete: true },
      { count: 1, sum: 5n, distinct: 1, complete: true },
    ]);
  });

  it('keeps many entities apart in one batch', async () => {
    const n = 1_500;
    const events: VelocityEvent[] = [];
    for (let i = 0; i < n; i++) {
      for (let k = 0; k <= i % 3; k++)
        events.push(ev(`ip:10.0.${i >> 8}.${i & 255}`, T0 + k, BigInt(i), `cp${k}`));
    }
    await store.record(events);
    const results = await store.read(
      Array.from({ length: n }, (_, i) => q(`ip:10.0.${i >> 8}.${i & 255}`, '1h', T0 + MINUTE)),
    );
    results.forEach((r, i) => {
      const k = (i % 3) + 1;
      expect(r).toEqual({ count: k, sum: BigInt(i) * BigInt(k), distinct: k, complete: true });
    });
  });

  it('expires: windows empty out as the clock moves, old buckets are dropped and flagged', async () => {
    const c: EntityKey = 'merchant:m1';
    await store.record([ev(c, T0, 50n, 'a')]);
    const later = await store.read(VELOCITY_WINDOWS.map((w) => q(c, w, T0 + 2 * HOUR)));
    expect(later.map((r) => r.count)).toEqual([0, 0, 1, 1, 1]);
    // 61 days on, every window is empty and the bucket is gone, even for a read in the past.
    const far = T0 + 61 * DAY;
    expect((await store.read([q(c, '30d', far)]))[0]).toEqual({
      count: 0,
      sum: 0n,
      distinct: 0,
      complete: true,
    });
    expect((await store.read([q(c, '30d', T0 + HOUR)]))[0]).toEqual({
      count: 0,
      sum: 0n,
      distinct: 0,
      complete: false,
    });
    // An event older than the retention can never be read: it is ignored.
    await store.record([ev(c, T0 + DAY, 1n, 'late')]);
    expect((await store.read([q(c, '30d', far)]))[0]?.count).toBe(0);
    // A read within one window of the clock is complete; the 7d window reaches 53 days back.
    await store.record([ev(c, far - 40 * DAY, 3n, 'b')]);
    expect((await store.read([q(c, '7d', far - 39 * DAY)]))[0]).toEqual({
      count: 1,
      sum: 3n,
      distinct: 1,
      complete: true,
    });
    // A fresh event after all that starts clean.
    await store.record([ev(c, far + 1, 7n, 'a')]);
    expect((await store.read([q(c, '1m', far + 2)]))[0]).toEqual({
      count: 1,
      sum: 7n,
      distinct: 1,
      complete: true,
    });
  });

  it('rebuild gives the same reads as recording as it happened', async () => {
    const ops = randomOps(7, 300);
    const history: VelocityEvent[] = [];
    const queries: VelocityQuery[] = [];
    for (const op of ops) {
      if (op.kind === 'record') {
        await store.record(op.events);
        history.push(...op.events);
      } else queries.push(...op.queries);
    }
    const rebuilt = target.open();
    try {
      // Reads move the clock, so both stores are read in the same order: the live ones first.
      const last = history.reduce((m, e) => Math.max(m, e.at), 0);
      const live = VELOCITY_WINDOWS.flatMap((w) =>
        ['customer:a', 'customer:b', 'device:d1', 'payee:p9'].flatMap((entity) =>
          ['out', 'login_fail'].map((metric) => q(entity as EntityKey, w, last, metric)),
        ),
      );
      // Rebuild takes the history in time order, as the journal gives it.
      const sorted = [...history].sort((a, b) => a.at - b.at);
      expect(await rebuilt.rebuild(fromArray(sorted))).toBe(history.length);
      const pastQueries = queries.filter((x) => x.at >= last - HOUR);
      expect(await rebuilt.read(live)).toEqual(await store.read(live));
      expect(await rebuilt.read(pastQueries)).toEqual(await store.read(pastQueries));
      // Rebuilding again forgets what was there first.
      await rebuilt.rebuild(fromArray(sorted));
      expect(await rebuilt.read(live)).toEqual(await store.read(live));
    } finally {
      await rebuilt.close();
    }
  });

  it('counts every record of concurrent calls (Promise.all)', async () => {
    const series: EntityKey[] = ['customer:c1', 'device:c1', 'payee:c1'];
    await Promise.all(
      Array.from({ length: 40 }, (_, call) =>
        store.record(
          Array.from({ length: 15 }, (_, k) =>
            ev(
              series[(call + k) % 3] ?? 'customer:c1',
              T0 + call * 37 + k,
              BigInt(call * 1_000 + k),
              `p${k % 5}`,
            ),
          ),
        ),
      ),
    );
    const expected = new Map<string, { count: number; sum: bigint }>();
    for (let call = 0; call < 40; call++) {
      for (let k = 0; k < 15; k++) {
        const s = series[(call + k) % 3] ?? '';
        const e = expected.get(s) ?? { count: 0, sum: 0n };
        e.count++;
        e.sum += BigInt(call * 1_000 + k);
        expected.set(s, e);
      }
    }
    const results = await store.read(series.map((s) => q(s, '1h', T0 + 10 * SECOND)));
    results.forEach((r, i) => {
      expect(r).toEqual({ ...expected.get(series[i] ?? ''), distinct: 5, complete: true });
    });
  });

  it('concurrent readAndRecord calls read as if they ran one after another, in call order', async () => {
    // A Redis store coalesces these into one batch; each call must still see the events of the
    // calls before it and not its own, per series, exactly as the model applies them in order.
    const rnd = new Random(99);
    const series: Array<[EntityKey, string]> = [
      ['customer:cc1', 'out'],
      ['payee:cc1', 'in'],
      ['device:cc1', 'out'],
    ];
    const model = new Model();
    const calls: Array<{ queries: VelocityQuery[]; events: VelocityEvent[] }> = [];
    let clock = T0;
    for (let i = 0; i < 60; i++) {
      clock += rnd.pick([0, 1, 250, SECOND, 7 * SECOND, MINUTE]);
      const [entity, metric] = rnd.pick(series);
      const at = clock - rnd.pick([0, 0, 500, 2 * SECOND, 90 * SECOND]);
      const queries = VELOCITY_WINDOWS.map((w) => q(entity, w, at, metric));
      // Some calls read a second series, some only read, one only records.
      const [other, otherMetric] = rnd.pick(series);
      if (rnd.chance(0.3)) queries.push(q(other, '1m', at, otherMetric));
      const events = rnd.chance(0.8)
        ? [ev(entity, at, BigInt(rnd.int(1, 999)), `p${rnd.int(1, 4)}`, metric)]
        : [];
      calls.push({
        queries: i === 30 ? [] : queries,
        events: i === 30 ? [ev(other, at, 5n, 'z', otherMetric)] : events,
      });
    }
    const got = await Promise.all(calls.map((c) => store.readAndRecord(c.queries, c.events)));
    calls.forEach((c, i) => {
      const want = c.queries.map((x) => model.read(x));
      for (const e of c.events) model.record(e);
      expect(got[i]).toEqual(want);
    });
  });

  it('a rejected call changes nothing and leaves the concurrent calls around it alone', async () => {
    const c: EntityKey = 'customer:mixed';
    const settled = await Promise.allSettled([
      store.readAndRecord([q(c, '1h', T0)], [ev(c, T0, 10n, 'a')]),
      store.readAndRecord([q(c, '1h', T0 + 1)], [ev(c, T0 + 1, 20n, 'b'), ev(c, T0 + 1, -1n, 'c')]),
      store.readAndRecord([q(c, '1h', T0 + 2)], [ev(c, T0 + 2, 40n, 'd')]),
    ]);
    expect(settled.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const third = settled[2];
    if (third?.status !== 'fulfilled') throw new Error('unreachable');
    expect(third.value).toEqual([{ count: 1, sum: 10n, distinct: 1, complete: true }]);
    expect(await store.read([q(c, '1h', T0 + 3)])).toEqual([
      { count: 2, sum: 50n, distinct: 2, complete: true },
    ]);
  });

  it.each([1, 2, 3])(
    'matches the model of the documented semantics on a random workload (seed %i)',
    async (seed) => {
      const model = new Model();
      let readsChecked = 0;
      let pastReads = 0;
      for (const op of randomOps(seed, 500)) {
        if (op.kind === 'record') {
          await store.record(op.events);
          for (const e of op.events) model.record(e);
        } else {
          const got = await store.read(op.queries);
          const want = op.queries.map((x) => model.read(x));
          expect(got).toEqual(want);
          readsChecked += got.length;
          pastReads += got.filter((r) => !r.complete).length;
        }
      }
      expect(readsChecked).toBeGreaterThan(500);
      expect(pastReads).toBeGreaterThan(0);
    },
  );
});

describe('memory store bounds', () => {
  it('forgets the least recently used entities past maxEntities', async () => {
    const store = new MemoryVelocityStore({ maxEntities: 100 });
    for (let i = 0; i < 100; i++) await store.record([ev(`customer:${i}`, T0, 1n)]);
    // Touch the first ten: they survive the next arrivals.
    await store.read(Array.from({ length: 10 }, (_, i) => q(`customer:${i}`, '1h', T0)));
    for (let i = 100; i < 150; i++) await store.record([ev(`customer:${i}`, T0, 1n)]);
    const stats = store.stats();
    expect(stats.entities).toBe(100);
    expect(stats.evictions).toBe(50);
    const kept = await store.read(Array.from({ length: 10 }, (_, i) => q(`customer:${i}`, '1h', T0)));
    expect(kept.every((r) => r.count === 1)).toBe(true);
    expect((await store.read([q('customer:10', '1h', T0)]))[0]?.count).toBe(0);
  });

  it('drops old buckets and counterparties, and prunes idle series', async () => {
    const store = new MemoryVelocityStore();
    const events: VelocityEvent[] = [];
    for (let i = 0; i < 500; i++) events.push(ev('customer:busy', T0 + i * 7 * MINUTE, 1n, `p${i}`));
    await store.record(events);
    await store.record([ev('customer:idle', T0, 1n)]);
    const before = store.stats();
    // 1 s and 1 min rings keep only their retention; 500 counterparties are all still within 60 days.
    expect(before.counterparties).toBe(500);
    expect(before.buckets).toBeLessThan(4 * 500);
    const end = T0 + 500 * 7 * MINUTE;
    await store.read([q('customer:busy', '30d', end + 61 * DAY)]);
    const after = store.stats();
    expect(after.counterparties).toBe(0);
    expect(after.buckets).toBe(1 * 4);
    expect(store.prune(T0 + 31 * DAY + 2 * HOUR)).toBe(1);
    expect(store.stats().series).toBe(1);
  });
});

describe.runIf(REDIS_URL)('redis store specifics', () => {
  const target = redisTarget();
  afterAll(async () => {
    await target.cleanup();
  });

  it('agrees with the memory store exactly on the same workload', async () => {
    const redis = target.open();
    const memory = new MemoryVelocityStore();
    for (const op of randomOps(42, 400)) {
      if (op.kind === 'record') {
        await Promise.all([redis.record(op.events), memory.record(op.events)]);
      } else {
        expect(await redis.read(op.queries)).toEqual(await memory.read(op.queries));
      }
    }
  });

  it('uses one pipeline per call, sets TTLs and deletes buckets the clock left behind', async () => {
    const store = target.open();
    if (!(store instanceof RedisVelocityStore)) throw new Error('not a Redis store');
    const client = redisClient();
    const original = client.pipeline.bind(client);
    let pipelines = 0;
    client.pipeline = (...args: Parameters<Redis['pipeline']>) => {
      pipelines++;
      return original(...args);
    };
    try {
      await store.readAndRecord(
        [q('customer:r1', '1h', T0), q('device:r1', '1h', T0), q('ip:1.2.3.4', '24h', T0)],
        [ev('customer:r1', T0, 1n, 'a'), ev('device:r1', T0, 1n, 'a'), ev('ip:1.2.3.4', T0, 1n, 'a')],
      );
      expect(pipelines).toBe(1);
    } finally {
      client.pipeline = original;
    }
    const { hash, buckets, pairs, counterparties } = store.keysOf('customer:r1', 'out');
    for (const key of [hash, buckets, pairs, counterparties]) {
      expect(await client.pttl(key)).toBeGreaterThan(60 * DAY);
    }
    const second = Math.floor(T0 / SECOND);
    const minute = Math.floor(T0 / MINUTE);
    expect(await client.zrange(pairs, 0, -1)).toEqual([
      `s${second}|a`,
      `m${minute}|a`,
      `q${Math.floor(T0 / (15 * MINUTE))}|a`,
      `h${Math.floor(T0 / HOUR)}|a`,
    ]);
    expect(await client.zcard(buckets)).toBe(4);
    // Ten minutes on, the 1 s bucket and its pair are gone; the coarser ones stay.
    await store.read([q('customer:r1', '1m', T0 + 10 * MINUTE)]);
    expect(await client.hexists(hash, `Cs${second}`)).toBe(0);
    expect(await client.hexists(hash, `Cm${minute}`)).toBe(1);
    expect(await client.zcard(pairs)).toBe(3);
    expect(await client.zcard(buckets)).toBe(3);
    // 61 days on, only the clock and the (zero) totals are left.
    await store.read([q('customer:r1', '1m', T0 + 61 * DAY)]);
    const fields = await client.hkeys(hash);
    expect(fields.filter((f) => /^[CSD]/.test(f))).toEqual([]);
    expect(await client.zcard(counterparties)).toBe(0);
    expect(await client.zcard(pairs)).toBe(0);
    expect(await client.zcard(buckets)).toBe(0);
  });

  it('coalesces concurrent calls into one pipeline, keeping each call its own answers', async () => {
    const store = target.open();
    const client = redisClient();
    const original = client.pipeline.bind(client);
    let pipelines = 0;
    client.pipeline = (...args: Parameters<Redis['pipeline']>) => {
      pipelines++;
      return original(...args);
    };
    let results: VelocityResult[][];
    try {
      results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          store.readAndRecord(
            [q(`customer:co${i % 10}`, '1h', T0 + i), q(`customer:co${i % 10}`, '1h', T0 + i)],
            [ev(`customer:co${i % 10}`, T0 + i, BigInt(i), `p${i}`)],
          ),
        ),
      );
    } finally {
      client.pipeline = original;
    }
    expect(pipelines).toBe(1);
    results.forEach((r, i) => {
      // Call i is the (i / 10)-th of its customer: it sees the calls before it, not itself.
      const before = Array.from({ length: Math.floor(i / 10) }, (_, k) => BigInt(k * 10 + (i % 10)));
      const want = {
        count: before.length,
        sum: before.reduce((a, b) => a + b, 0n),
        distinct: before.length,
        complete: true,
      };
      expect(r).toEqual([want, want]);
    });
  });

  it('a series Redis refuses fails only the calls that touch it', async () => {
    const store = target.open();
    if (!(store instanceof RedisVelocityStore)) throw new Error('not a Redis store');
    // A key of the wrong type where the series hash should be: the script's HMGET fails there.
    await redisClient().set(store.keysOf('customer:broken', 'out').hash, 'not a hash');
    const settled = await Promise.allSettled([
      store.readAndRecord([q('customer:ok', '1h', T0)], [ev('customer:ok', T0, 1n)]),
      store.readAndRecord([q('customer:broken', '1h', T0)], [ev('customer:broken', T0, 1n)]),
      store.readAndRecord([q('customer:ok', '1h', T0 + 1)], []),
    ]);
    expect(settled.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const last = settled[2];
    if (last?.status !== 'fulfilled') throw new Error('unreachable');
    expect(last.value).toEqual([{ count: 1, sum: 1n, distinct: 0, complete: true }]);
  });

  it('recovers when Redis forgets the script, answering the calls in order', async () => {
    const store = target.open();
    await store.record([ev('customer:flush', T0, 1n, 'a')]);
    await redisClient().script('FLUSH');
    const got = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        store.readAndRecord(
          [q('customer:flush', '1h', T0 + i + 1)],
          [ev('customer:flush', T0 + i + 1, 1n, 'a')],
        ),
      ),
    );
    expect(got.map((r) => r[0]?.count)).toEqual([1, 2, 3, 4, 5]);
  });

  it('never lets a set outlive its series hash', async () => {
    const store = target.open();
    if (!(store instanceof RedisVelocityStore)) throw new Error('not a Redis store');
    await store.record([ev('customer:ttl', T0, 1n)]);
    // The pairs and sightings sets appear later, with the first counterparty: the hash is renewed with them.
    await store.record([ev('customer:ttl', T0 + HOUR, 1n, 'x')]);
    const client = redisClient();
    const { hash, buckets, pairs, counterparties } = store.keysOf('customer:ttl', 'out');
    const hashTtl = await client.pttl(hash);
    for (const key of [buckets, pairs, counterparties]) {
      const ttl = await client.pttl(key);
      expect(ttl).toBeGreaterThan(60 * DAY);
      expect(hashTtl).toBeGreaterThanOrEqual(ttl);
    }
  });

  it('reads nothing and writes nothing for a series never recorded', async () => {
    const store = target.open();
    if (!(store instanceof RedisVelocityStore)) throw new Error('not a Redis store');
    expect(await store.read([q('payee:nobody', '7d', T0)])).toEqual([
      { count: 0, sum: 0n, distinct: 0, complete: true },
    ]);
    expect(await redisClient().exists(store.keysOf('payee:nobody', 'out').hash)).toBe(0);
  });
});
