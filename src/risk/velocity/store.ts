/**
 * Velocity features: counters over sliding windows, per entity and metric, that the risk
 * engine reads before each decision and updates after it. Two implementations share this
 * contract and must read the same values for the same history: `MemoryVelocityStore`
 * (embedded, one process) and `RedisVelocityStore` (scaled, shared by many processes).
 *
 * ## Window semantics (both stores, exactly)
 *
 * Time is event time in milliseconds since the epoch, never the wall clock. Each window has
 * a bucket resolution `res` and a bucket count `n`, with `n × res` = the window length `W`:
 *
 * | window | res    | n   | retained buckets (R) |
 * | ------ | ------ | --- | -------------------- |
 * | 1m     | 1 s    | 60  | 120  (2 min)         |
 * | 1h     | 1 min  | 60  | 120  (2 h)           |
 * | 24h    | 15 min | 96  | 192  (48 h)          |
 * | 7d     | 1 h    | 168 | 1440 (60 d, shared)  |
 * | 30d    | 1 h    | 720 | 1440 (60 d, shared)  |
 *
 * An event at `t` lies in bucket `floor(t / res)`. A read of window `w` as of `at` covers the
 * `n` buckets `floor(at / res) − n + 1 … floor(at / res)`: an event counts when
 * `floor(t / res) > floor(at / res) − n` and `floor(t / res) ≤ floor(at / res)`.
 * Consequences, pinned by the tests:
 *  - an event exactly `W` ms old (`t = at − W`) is always out;
 *  - an event at most `W − res` ms old is always in;
 *  - in between, the old edge falls on a bucket boundary: when `at` is the last millisecond
 *    of its bucket the edge is exact (`at − W + 1` is in), when `at` is the first millisecond
 *    the last `res − 1` ms are already out. The resolution error at the old edge is under
 *    one bucket (`res`), always on the side of forgetting early, never of counting a
 *    stale event;
 *  - at the new edge, events after `at` are excluded from every bucket later than `at`'s;
 *    within `at`'s own bucket a store keeps no per-event time, so an event recorded with a
 *    later timestamp in that same bucket does count. Live decisions never meet this (nothing
 *    after now is recorded yet), and a back-test that replays history in time order through
 *    `readAndRecord` reads exactly what the live decisions read.
 *
 * Each (entity, metric) series has one clock: the latest time it has seen, from a record or
 * a read. Buckets older than `R` buckets behind the clock are dropped (that is the expiry),
 * so a read whose window reaches below that is answered from what is left and flagged
 * `complete: false`; every read no further behind the clock than `(R − n) × res` (one full
 * window for 1m/1h/24h/30d, 53 days for 7d) is complete. An event older than `R` buckets
 * behind the clock is ignored for that resolution (it could never be read).
 *
 * ## Values
 *  - `count`: events in the window.
 *  - `sum`: exact sum of the events' amounts (bigint minor units, never a float). Amounts
 *    are 0 ≤ amount ≤ 2^63 − 1 (92 quadrillion yuan in fen); sums are exact in both stores
 *    up to 9 × 10^24 minor units (neither keeps a sum in one double), far above any real
 *    flow; past that a store may refuse the record.
 *  - `distinct`: number of distinct counterparties among the window's events — exact in both
 *    stores for every window (no HyperLogLog), so the stores agree with zero tolerance.
 */

/** The windows velocity features are read over, shortest first. */
export const VELOCITY_WINDOWS = ['1m', '1h', '24h', '7d', '30d'] as const;
export type VelocityWindow = (typeof VELOCITY_WINDOWS)[number];

/** A bucket resolution; windows with the same resolution share its buckets (7d and 30d). */
export interface Resolution {
  /** One-letter code used in Redis field names. */
  readonly code: 's' | 'm' | 'q' | 'h';
  readonly ms: number;
  /** Buckets kept behind the series clock: twice the longest window on this resolution. */
  readonly retained: number;
}

export const RESOLUTIONS: readonly Resolution[] = [
  { code: 's', ms: 1_000, retained: 120 },
  { code: 'm', ms: 60_000, retained: 120 },
  { code: 'q', ms: 900_000, retained: 192 },
  { code: 'h', ms: 3_600_000, retained: 1_440 },
];

export interface WindowSpec {
  readonly window: VelocityWindow;
  /** Position in VELOCITY_WINDOWS. */
  readonly index: number;
  /** Position in RESOLUTIONS. */
  readonly resolution: number;
  /** Buckets in the window; `buckets × resolution ms` is the window length. */
  readonly buckets: number;
  readonly ms: number;
}

function spec(window: VelocityWindow, index: number, resolution: number, buckets: number): WindowSpec {
  const res = RESOLUTIONS[resolution];
  if (!res) throw new Error(`no resolution ${resolution}`);
  return { window, index, resolution, buckets, ms: buckets * res.ms };
}

export const WINDOW_SPECS: Readonly<Record<VelocityWindow, WindowSpec>> = {
  '1m': spec('1m', 0, 0, 60),
  '1h': spec('1h', 1, 1, 60),
  '24h': spec('24h', 2, 2, 96),
  '7d': spec('7d', 3, 3, 168),
  '30d': spec('30d', 4, 3, 720),
};

/** The same specs in VELOCITY_WINDOWS order, for loops. */
export const WINDOW_LIST: readonly WindowSpec[] = VELOCITY_WINDOWS.map((w) => WINDOW_SPECS[w]);

/** Windows grouped by resolution, for the per-resolution loops of both stores. */
export const WINDOWS_BY_RESOLUTION: readonly (readonly WindowSpec[])[] = RESOLUTIONS.map((_, r) =>
  WINDOW_LIST.filter((w) => w.resolution === r),
);

/** The kinds of entity a velocity counter can be kept for. */
export const ENTITY_TYPES = ['customer', 'device', 'ip', 'payee', 'merchant', 'bank'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];
/** A typed entity key: `customer:<id>`, `device:<id>`, `ip:<addr>`, `payee:<id>`, `merchant:<id>`, `bank:<fingerprint>`. */
export type EntityKey = `${EntityType}:${string}`;

/** One thing that happened, as a velocity counter sees it. */
export interface VelocityEvent {
  entity: EntityKey;
  /** What is counted: `out`, `in`, `login_fail`, `decline`, … (lower case, digits, `_`). */
  metric: string;
  /** Event time, ms since the epoch. */
  at: number;
  /** Minor units, 0 ≤ amount ≤ 2^63 − 1; counts as 0 when absent. */
  amount?: bigint;
  /** Who was on the other side (payee, payer, card…), for distinct counts. */
  counterparty?: string;
}

export interface VelocityQuery {
  entity: EntityKey;
  metric: string;
  window: VelocityWindow;
  /** Read as of this time (ms since the epoch); see the window semantics above. */
  at: number;
}

export interface VelocityResult {
  count: number;
  sum: bigint;
  distinct: number;
  /** False when part of the window was already dropped (the read is far behind the series clock). */
  complete: boolean;
}

export interface VelocityStore {
  /** Counts the events; a batch is applied in one step (one round trip for Redis). */
  record(events: readonly VelocityEvent[]): Promise<void>;
  /** Reads the queries, in order (one round trip for Redis). */
  read(queries: readonly VelocityQuery[]): Promise<VelocityResult[]>;
  /**
   * The hot path: reads the queries, then records the events, in one round trip for Redis.
   * Reads never see the events of the same call.
   */
  readAndRecord(
    queries: readonly VelocityQuery[],
    events: readonly VelocityEvent[],
  ): Promise<VelocityResult[]>;
  /** Forgets everything, then records every event of the source (the engine feeds it the journal). */
  rebuild(source: AsyncIterable<VelocityEvent>): Promise<number>;
  /** Forgets everything this store holds. */
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** Largest amount one event may carry, and the largest sum Redis can hold. */
export const MAX_AMOUNT = (1n << 63n) - 1n;

const METRIC_RE = /^[a-z][a-z0-9_]{0,39}$/;
const ENTITY_RE = /^(customer|device|ip|payee|merchant|bank):[^\s{}|]{1,200}$/;
const MAX_COUNTERPARTY = 200;

export const EMPTY_RESULT: Readonly<VelocityResult> = Object.freeze({
  count: 0,
  sum: 0n,
  distinct: 0,
  complete: true,
});

/** The key a series is stored under; `|` cannot occur in an entity or a metric, so it is unambiguous. */
export function seriesKey(entity: string, metric: string): string {
  return `${entity}|${metric}`;
}

function checkTime(at: number, what: string): void {
  if (!Number.isSafeInteger(at) || at < 0) {
    throw new RangeError(`velocity: ${what} time must be a non-negative integer of ms, got ${at}`);
  }
}

/** Throws on a malformed entity key or metric (a typo must not silently start a new counter). */
export function checkSeries(entity: string, metric: string): void {
  if (!ENTITY_RE.test(entity)) throw new TypeError(`velocity: bad entity key ${JSON.stringify(entity)}`);
  if (!METRIC_RE.test(metric)) throw new TypeError(`velocity: bad metric ${JSON.stringify(metric)}`);
}

export function checkEvent(e: VelocityEvent): void {
  checkSeries(e.entity, e.metric);
  checkEventValues(e);
}

/** The checks of an event other than its entity and metric (for a series already known valid). */
export function checkEventValues(e: VelocityEvent): void {
  checkTime(e.at, 'event');
  if (e.amount !== undefined && (typeof e.amount !== 'bigint' || e.amount < 0n || e.amount > MAX_AMOUNT)) {
    throw new RangeError(`velocity: amount must be a bigint in [0, 2^63 − 1], got ${String(e.amount)}`);
  }
  if (
    e.counterparty !== undefined &&
    (e.counterparty.length === 0 || e.counterparty.length > MAX_COUNTERPARTY)
  ) {
    throw new RangeError('velocity: counterparty must be 1–200 characters');
  }
}

export function checkQuery(q: VelocityQuery): void {
  checkSeries(q.entity, q.metric);
  checkTime(q.at, 'query');
  if (!Object.hasOwn(WINDOW_SPECS, q.window)) {
    throw new TypeError(`velocity: unknown window ${JSON.stringify(q.window)}`);
  }
}

/** Reads a whole async source in batches, so a rebuild never holds the journal in memory. */
export async function forEachBatch(
  source: AsyncIterable<VelocityEvent>,
  size: number,
  apply: (batch: VelocityEvent[]) => Promise<void>,
): Promise<number> {
  let batch: VelocityEvent[] = [];
  let total = 0;
  for await (const event of source) {
    batch.push(event);
    if (batch.length >= size) {
      total += batch.length;
      await apply(batch);
      batch = [];
    }
  }
  if (batch.length > 0) {
    total += batch.length;
    await apply(batch);
  }
  return total;
}
