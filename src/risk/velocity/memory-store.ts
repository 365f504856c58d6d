/**
 * Embedded velocity store: everything in this process's memory, read in microseconds.
 *
 * Layout, per series (entity + metric), all of it in blocks of a shared `Pool` of
 * Float64Arrays (so the garbage collector sees one small node per series, whatever its
 * history, and no object is kept per event or per bucket):
 *  - a header: the series clock, the running totals of the five windows (count, sum,
 *    distinct) and the place of four sparse rings, one per resolution (1 s, 1 min, 15 min,
 *    1 h). A ring holds records `[bucket, count, sumHi, sumLo, seen]` for the non-empty
 *    buckets only, in bucket order, so a quiet customer costs a few records, not the 1,872
 *    slots of dense rings. The totals move forward when the series clock crosses a bucket
 *    boundary, so a live read is O(1) whatever the window length.
 *  - once counterparties are given: per resolution a ring of `(bucket, id)` pairs (which
 *    counterparties each bucket saw, for reads in the past) and an open-addressing table
 *    id → latest sighting. Counterparty names are interned once for the whole store
 *    (reference-counted), so ids are plain numbers.
 *
 * Exact money without a bigint per bucket: a sum is two doubles, `hi × 2^32 + lo` with
 * `0 ≤ lo < 2^32`. Every addition or subtraction works on integers below 2^53, where
 * doubles are exact, so sums are exact up to 2^84 minor units (an addition that would pass
 * it throws). Bigints are made only for answers.
 *
 * Distinct counts: a live read counts the counterparties whose latest sighting falls in the
 * window (`seen` is that histogram per bucket, kept in the window totals) — the same as
 * "seen in the window" while nothing later than the window is recorded; a read in the past
 * takes the union of the window's `(bucket, id)` pairs instead. Both exact.
 *
 * Memory bounds: at most `maxEntities` entities (second-chance LRU: an entity used once goes
 * first; a forgotten entity reads as empty until the next rebuild, counted in `evictions`),
 * buckets older than the retention dropped as the clock moves (rings shrink back), and
 * `prune(now)` forgets series idle for longer than the longest window.
 */
import { copy, OFFSET_MASK, Pool, zero } from './pool.ts';
import {
  checkEventValues,
  checkQuery,
  checkSeries,
  type EntityKey,
  forEachBatch,
  RESOLUTIONS,
  type VelocityEvent,
  type VelocityQuery,
  type VelocityResult,
  type VelocityStore,
  type VelocityWindow,
  WINDOW_LIST,
  WINDOW_SPECS,
  WINDOWS_BY_RESOLUTION,
} from './store.ts';

const RINGS = RESOLUTIONS.length;
const HOUR_RING = RINGS - 1;
const RES_MS = RESOLUTIONS.map((r) => r.ms);
const RETAINED = RESOLUTIONS.map((r) => r.retained);
const HOUR_MS = RES_MS[HOUR_RING] ?? 3_600_000;
const HOUR_RETAINED = RETAINED[HOUR_RING] ?? 0;

// Series header: clock, per ring [address, size exponent j, length] (capacity 2^j records),
// the window totals [count, sumHi, sumLo, distinct] and the counterparty header's address + 1.
const H_CLOCK = 0;
const H_RINGS = 1;
const H_TOT = H_RINGS + RINGS * 3;
const T_STRIDE = 4;
const H_CP = H_TOT + WINDOW_LIST.length * T_STRIDE;
const H_SIZE = H_CP + 1;
// Counterparty header: per ring the pair ring [address, j, length], then the sightings table
// [address, bits, entries].
const C_SIGHT = RINGS * 3;
const C_BITS = C_SIGHT + 1;
const C_COUNT = C_SIGHT + 2;
const C_SIZE = C_SIGHT + 3;

/** Per ring r, its windows as flat [totals field, buckets, …] for the hot loops. */
const RING_WINDOWS: readonly (readonly number[])[] = WINDOWS_BY_RESOLUTION.map((ws) =>
  ws.flatMap((w) => [H_TOT + w.index * T_STRIDE, w.buckets]),
);

/** Bucket records: bucket, count, sumHi, sumLo, seen. */
const STRIDE = 5;
const F_COUNT = 1;
const F_HI = 2;
const F_LO = 3;
const F_SEEN = 4;
/** Counterparty pairs: bucket, id. */
const PAIR = 2;
const MIN_J = 0;
const SHRINK_J = 5;
const MIN_BITS = 1;

/** Entities and counterparty names remembered from the last lookups (a power of two). */
const RECENT = 8;

const TWO32 = 4_294_967_296;
/** Past this a `hi` half could stop being exact on the next addition. */
const HI_LIMIT = 2 ** 52;

export interface MemoryVelocityStoreOptions {
  /** Most entities kept at once (all their metrics); the least recently used goes first. */
  maxEntities?: number;
}

export interface MemoryVelocityStats {
  entities: number;
  series: number;
  /** Non-empty buckets held, all resolutions. */
  buckets: number;
  /** (series, counterparty) pairs tracked. */
  counterparties: number;
  /** Distinct counterparty names interned for the whole store. */
  names: number;
  /** Entities forgotten because of `maxEntities`. */
  evictions: number;
  /** Bytes of the pool's blocks in use, and reserved from the system. */
  poolUsedBytes: number;
  poolReservedBytes: number;
}

/**
 * Numbers per answer of `readAndRecordInto`: count, the sum's high and low halves
 * (`hi × 2^32 + lo`), distinct, and complete (1 or 0).
 */
export const ANSWER_SIZE = 5;

/** The exact sum of answer `i` of `readAndRecordInto`. */
export function answerSum(out: Float64Array, i: number): bigint {
  const o = i * ANSWER_SIZE;
  return toBigint(out[o + 1] ?? 0, out[o + 2] ?? 0);
}

/** Scratch halves of the amount being recorded, so the hot path allocates nothing for it. */
let amountHi = 0;
let amountLo = 0;

function splitAmount(amount: bigint | undefined): void {
  if (amount === undefined || amount === 0n) {
    amountHi = 0;
    amountLo = 0;
  } else if (amount <= 9_007_199_254_740_991n) {
    const n = Number(amount);
    amountHi = Math.floor(n / TWO32);
    amountLo = n - amountHi * TWO32;
  } else {
    amountHi = Number(amount >> 32n);
    amountLo = Number(amount & 0xffff_ffffn);
  }
}

function addSum(a: Float64Array, at: number, hi: number, lo: number): void {
  let l = (a[at + 1] ?? 0) + lo;
  let h = (a[at] ?? 0) + hi;
  if (l >= TWO32) {
    l -= TWO32;
    h += 1;
  }
  if (h >= HI_LIMIT) throw new RangeError('velocity: sum beyond 2^84 minor units');
  a[at] = h;
  a[at + 1] = l;
}

function subSum(a: Float64Array, at: number, hi: number, lo: number): void {
  let l = (a[at + 1] ?? 0) - lo;
  let h = (a[at] ?? 0) - hi;
  if (l < 0) {
    l += TWO32;
    h -= 1;
  }
  a[at] = h;
  a[at + 1] = l;
}

function toBigint(hi: number, lo: number): bigint {
  if (hi === 0) return lo === 0 ? 0n : BigInt(lo);
  // hi × 2^32 + lo is still an exact double below 2^53.
  if (hi < 2_097_152) return BigInt(hi * TWO32 + lo);
  return (BigInt(hi) << 32n) + BigInt(lo);
}

// ---------------------------------------------------------------------------------------
// Rings: sorted records in a pool block, described by a header triple at hc[hf..hf+2].

function ringLower(pool: Pool, hc: Float64Array, hf: number, stride: number, b: number): number {
  const addr = hc[hf] ?? 0;
  const c = pool.chunk(addr);
  const base = addr & OFFSET_MASK;
  let lo = 0;
  let hi = hc[hf + 2] ?? 0;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((c[base + mid * stride] ?? 0) < b) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function ringFind(pool: Pool, hc: Float64Array, hf: number, stride: number, b: number): number {
  const i = ringLower(pool, hc, hf, stride, b);
  if (i >= (hc[hf + 2] ?? 0)) return -1;
  const addr = hc[hf] ?? 0;
  return (pool.chunk(addr)[(addr & OFFSET_MASK) + i * stride] ?? 0) === b ? i : -1;
}

function ringMove(pool: Pool, hc: Float64Array, hf: number, stride: number, j: number): void {
  const addr = hc[hf] ?? 0;
  const len = hc[hf + 2] ?? 0;
  const next = pool.alloc(stride << j);
  const from = addr & OFFSET_MASK;
  copy(pool.chunk(addr), from, pool.chunk(next), next & OFFSET_MASK, len * stride);
  pool.release(addr, stride << (hc[hf + 1] ?? 0));
  hc[hf] = next;
  hc[hf + 1] = j;
}

/** Opens a zeroed record at index i (0 ≤ i ≤ length), shifting the later ones; grows the block when full. */
function ringInsert(pool: Pool, hc: Float64Array, hf: number, stride: number, i: number): void {
  const len = hc[hf + 2] ?? 0;
  const j = hc[hf + 1] ?? 0;
  if (len >= 1 << j) ringMove(pool, hc, hf, stride, j + 1);
  const addr = hc[hf] ?? 0;
  const c = pool.chunk(addr);
  const base = addr & OFFSET_MASK;
  if (i < len) copy(c, base + i * stride, c, base + (i + 1) * stride, (len - i) * stride);
  zero(c, base + i * stride, stride);
  hc[hf + 2] = len + 1;
}

/** Drops the records below bucket `low` (each offered to `onDrop` first), slides the rest down, shrinks a mostly empty block. */
function ringDrop(
  pool: Pool,
  hc: Float64Array,
  hf: number,
  stride: number,
  low: number,
  onDrop?: (c: Float64Array, o: number) => void,
): void {
  const k = ringLower(pool, hc, hf, stride, low);
  if (k === 0) return;
  const addr = hc[hf] ?? 0;
  const c = pool.chunk(addr);
  const base = addr & OFFSET_MASK;
  if (onDrop) for (let i = 0; i < k; i++) onDrop(c, base + i * stride);
  const len = hc[hf + 2] ?? 0;
  copy(c, base + k * stride, c, base, (len - k) * stride);
  const left = len - k;
  hc[hf + 2] = left;
  const j = hc[hf + 1] ?? 0;
  if (j >= SHRINK_J && left * 8 <= 1 << j) {
    let nj = MIN_J;
    while (1 << nj < left * 2) nj++;
    ringMove(pool, hc, hf, stride, nj);
  }
}

// ---------------------------------------------------------------------------------------
// Sightings: counterparty id → latest sighting, open addressing with linear probing, pairs
// (id + 1, last) in a pool block described by the counterparty header (0 marks empty).

function sightHome(id: number, bits: number): number {
  return Math.imul(id + 1, 0x9e37_79b1) >>> (32 - bits);
}

/** Slot of id (or of the empty slot where it would go); the table is never full. */
function sightSlot(c: Float64Array, base: number, bits: number, id: number): number {
  const mask = (1 << bits) - 1;
  let i = sightHome(id, bits);
  for (;;) {
    const k = c[base + i * 2] ?? 0;
    if (k === 0 || k === id + 1) return i;
    i = (i + 1) & mask;
  }
}

function sightGet(pool: Pool, cc: Float64Array, co: number, id: number): number {
  const addr = cc[co + C_SIGHT] ?? 0;
  const c = pool.chunk(addr);
  const base = addr & OFFSET_MASK;
  const i = sightSlot(c, base, cc[co + C_BITS] ?? 0, id);
  return (c[base + i * 2] ?? 0) === 0 ? -1 : (c[base + i * 2 + 1] ?? 0);
}

function sightResize(pool: Pool, cc: Float64Array, co: number, bits: number): void {
  const addr = cc[co + C_SIGHT] ?? 0;
  const oldBits = cc[co + C_BITS] ?? 0;
  const c = pool.chunk(addr);
  const base = addr & OFFSET_MASK;
  const next = pool.alloc(2 << bits);
  const nc = pool.chunk(next);
  const nb = next & OFFSET_MASK;
  for (let i = 0; i < 1 << oldBits; i++) {
    const k = c[base + i * 2] ?? 0;
    if (k === 0) continue;
    const s = sightSlot(nc, nb, bits, k - 1);
    nc[nb + s * 2] = k;
    nc[nb + s * 2 + 1] = c[base + i * 2 + 1] ?? 0;
  }
  pool.release(addr, 2 << oldBits);
  cc[co + C_SIGHT] = next;
  cc[co + C_BITS] = bits;
}

function sightSet(pool: Pool, cc: Float64Array, co: number, id: number, last: number): void {
  let addr = cc[co + C_SIGHT] ?? 0;
  let bits = cc[co + C_BITS] ?? 0;
  let c = pool.chunk(addr);
  let base = addr & OFFSET_MASK;
  let i = sightSlot(c, base, bits, id);
  if ((c[base + i * 2] ?? 0) === 0) {
    const count = (cc[co + C_COUNT] ?? 0) + 1;
    if (count * 2 > 1 << bits) {
      sightResize(pool, cc, co, bits + 1);
      addr = cc[co + C_SIGHT] ?? 0;
      bits += 1;
      c = pool.chunk(addr);
      base = addr & OFFSET_MASK;
      i = sightSlot(c, base, bits, id);
    }
    c[base + i * 2] = id + 1;
    cc[co + C_COUNT] = count;
  }
  c[base + i * 2 + 1] = last;
}

function sightDelete(pool: Pool, cc: Float64Array, co: number, id: number): void {
  const addr = cc[co + C_SIGHT] ?? 0;
  const bits = cc[co + C_BITS] ?? 0;
  const c = pool.chunk(addr);
  const base = addr & OFFSET_MASK;
  const mask = (1 << bits) - 1;
  let i = sightSlot(c, base, bits, id);
  if ((c[base + i * 2] ?? 0) === 0) return;
  // Backward-shift deletion: no tombstones, probes stay short.
  let j = i;
  for (;;) {
    j = (j + 1) & mask;
    const k = c[base + j * 2] ?? 0;
    if (k === 0) break;
    const h = sightHome(k - 1, bits);
    const stays = i <= j ? i < h && h <= j : i < h || h <= j;
    if (stays) continue;
    c[base + i * 2] = k;
    c[base + i * 2 + 1] = c[base + j * 2 + 1] ?? 0;
    i = j;
  }
  c[base + i * 2] = 0;
  c[base + i * 2 + 1] = 0;
  const count = (cc[co + C_COUNT] ?? 0) - 1;
  cc[co + C_COUNT] = count;
  if (bits > MIN_BITS && count * 8 < 1 << bits) sightResize(pool, cc, co, bits - 1);
}

function sightIds(pool: Pool, cc: Float64Array, co: number): number[] {
  const addr = cc[co + C_SIGHT] ?? 0;
  const c = pool.chunk(addr);
  const base = addr & OFFSET_MASK;
  const out: number[] = [];
  for (let i = 0; i < 1 << (cc[co + C_BITS] ?? 0); i++) {
    const k = c[base + i * 2] ?? 0;
    if (k !== 0) out.push(k - 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------

/** One series of an entity; an entity's series are chained from the map entry, which carries the LRU bit. */
class SeriesNode {
  used = false;
  constructor(
    readonly metric: string,
    readonly hdr: number,
    public next: SeriesNode | undefined,
  ) {}
}

export class MemoryVelocityStore implements VelocityStore {
  private pool = new Pool();
  private readonly entities = new Map<string, SeriesNode>();
  private readonly maxEntities: number;
  private evictions = 0;
  // Counterparty names, interned for the whole store and counted by the series that track them.
  private readonly names = new Map<string, number>();
  private nameOf: string[] = [];
  private refs: number[] = [];
  private freeIds: number[] = [];
  /** Scratch for unions of counterparty ids (generation-stamped, so never cleared). */
  private marks = new Uint32Array(64);
  private generation = 0;
  /**
   * The last entities looked up and their map entries, and the last counterparty names and
   * their ids: a decision names the same few again and again, and a hit spares a lookup in
   * maps of hundreds of thousands of entries (a cache miss or two each).
   */
  private readonly recentEntities = new Array<string | undefined>(RECENT).fill(undefined);
  private readonly recentHeads = new Array<SeriesNode | undefined>(RECENT).fill(undefined);
  private recentEntity = 0;
  private readonly recentNames = new Array<string | undefined>(RECENT).fill(undefined);
  private readonly recentIds = new Array<number>(RECENT).fill(0);
  private recentName = 0;
  /** Entities and metrics that passed `checkSeries` lately (the entities a ring of RECENT). */
  private readonly checkedEntities = new Array<string | undefined>(RECENT).fill(undefined);
  private checkedNext = 0;
  private readonly checkedMetrics = new Set<string>();
  /** Scratch answer of `readOne`. */
  private readonly answer = new Float64Array(ANSWER_SIZE);

  constructor(options: MemoryVelocityStoreOptions = {}) {
    this.maxEntities = options.maxEntities ?? 250_000;
    if (!Number.isSafeInteger(this.maxEntities) || this.maxEntities < 1) {
      throw new RangeError('velocity: maxEntities must be a positive integer');
    }
  }

  async record(events: readonly VelocityEvent[]): Promise<void> {
    this.recordSync(events);
  }

  async read(queries: readonly VelocityQuery[]): Promise<VelocityResult[]> {
    return this.readSync(queries);
  }

  async readAndRecord(
    queries: readonly VelocityQuery[],
    events: readonly VelocityEvent[],
  ): Promise<VelocityResult[]> {
    return this.readAndRecordSync(queries, events);
  }

  /** `readAndRecord` without the promise, for an engine in this process. */
  readAndRecordSync(queries: readonly VelocityQuery[], events: readonly VelocityEvent[]): VelocityResult[] {
    this.checkEvents(events);
    const results = this.readSync(queries);
    for (const e of events) this.recordOne(e);
    return results;
  }

  /** Validates the whole batch first, so a bad event changes nothing. */
  recordSync(events: readonly VelocityEvent[]): void {
    this.checkEvents(events);
    for (const e of events) this.recordOne(e);
  }

  readSync(queries: readonly VelocityQuery[]): VelocityResult[] {
    const out = new Array<VelocityResult>(queries.length);
    for (let i = 0; i < queries.length; i++) {
      const q = queries[i];
      if (q) out[i] = this.readOne(q);
    }
    return out;
  }

  /**
   * `readAndRecordSync` for an engine in this process, without an object per query or
   * answer: read i is `metrics[i]` over `windows[i]` of `entities[i]` as of `at`, answered
   * in `out` from `i × ANSWER_SIZE` on; a read whose entity is undefined is skipped (its
   * answer is left as it was). The events are checked first and recorded after the reads.
   */
  readAndRecordInto(
    entities: readonly (EntityKey | undefined)[],
    metrics: readonly string[],
    windows: readonly VelocityWindow[],
    at: number,
    events: readonly VelocityEvent[],
    out: Float64Array,
  ): void {
    this.checkEvents(events);
    // Reads of one entity come together: its map entry is looked up once for them.
    let last: EntityKey | undefined;
    let head: SeriesNode | undefined;
    for (let i = 0; i < metrics.length; i++) {
      const entity = entities[i];
      const metric = metrics[i];
      const window = windows[i];
      if (entity === undefined || metric === undefined || window === undefined) continue;
      if (entity !== last) {
        head = this.headOf(entity);
        last = entity;
      }
      this.readInto(this.findIn(head, metric), entity, metric, window, at, out, i * ANSWER_SIZE);
    }
    for (const e of events) this.recordOne(e);
  }

  async rebuild(source: AsyncIterable<VelocityEvent>): Promise<number> {
    await this.clear();
    return forEachBatch(source, 4_096, async (batch) => this.recordSync(batch));
  }

  async clear(): Promise<void> {
    this.pool = new Pool();
    this.entities.clear();
    this.names.clear();
    this.forgetRecent();
    this.nameOf = [];
    this.refs = [];
    this.freeIds = [];
    this.evictions = 0;
  }

  async close(): Promise<void> {}

  /** Forgets the series whose every window is empty as of `now` (idle for longer than 30 days). */
  prune(now: number): number {
    const horizon = now - WINDOW_SPECS['30d'].ms - HOUR_MS;
    let pruned = 0;
    this.forgetRecent();
    for (const [entity, head] of this.entities) {
      let kept: SeriesNode | undefined;
      for (let n: SeriesNode | undefined = head; n; ) {
        const next: SeriesNode | undefined = n.next;
        if ((this.pool.chunk(n.hdr)[(n.hdr & OFFSET_MASK) + H_CLOCK] ?? 0) < horizon) {
          this.freeSeries(n.hdr);
          pruned++;
        } else {
          n.next = kept;
          kept = n;
        }
        n = next;
      }
      if (kept) {
        kept.used = head.used;
        this.entities.set(entity, kept);
      } else this.entities.delete(entity);
    }
    return pruned;
  }

  stats(): MemoryVelocityStats {
    let series = 0;
    let buckets = 0;
    let counterparties = 0;
    for (const head of this.entities.values()) {
      for (let n: SeriesNode | undefined = head; n; n = n.next) {
        series++;
        const hc = this.pool.chunk(n.hdr);
        const ho = n.hdr & OFFSET_MASK;
        for (let r = 0; r < RINGS; r++) buckets += hc[ho + H_RINGS + r * 3 + 2] ?? 0;
        const cp = hc[ho + H_CP] ?? 0;
        if (cp > 0) counterparties += this.pool.chunk(cp - 1)[((cp - 1) & OFFSET_MASK) + C_COUNT] ?? 0;
      }
    }
    return {
      entities: this.entities.size,
      series,
      buckets,
      counterparties,
      names: this.names.size,
      evictions: this.evictions,
      poolUsedBytes: this.pool.used * 8,
      poolReservedBytes: this.pool.reserved * 8,
    };
  }

  // ---------------------------------------------------------------------------------------

  /** The entity and metric are checked by pattern only for a series not yet known. */
  private checkEvents(events: readonly VelocityEvent[]): void {
    for (const e of events) {
      if (this.find(e.entity, e.metric) < 0) this.checkNew(e.entity, e.metric);
      checkEventValues(e);
    }
  }

  /** Header address of a series, -1 when not tracked; marks the entity as used. */
  private find(entity: string, metric: string): number {
    return this.findIn(this.headOf(entity), metric);
  }

  /** `find` from the entity's map entry. */
  private findIn(head: SeriesNode | undefined, metric: string): number {
    for (let n = head; n; n = n.next) {
      if (n.metric === metric) {
        if (head) head.used = true;
        return n.hdr;
      }
    }
    return -1;
  }

  private seriesFor(entity: string, metric: string): number {
    const known = this.find(entity, metric);
    if (known >= 0) return known;
    const head = this.headOf(entity);
    if (!head && this.entities.size >= this.maxEntities) this.evictOne();
    const hdr = this.pool.alloc(H_SIZE);
    const hc = this.pool.chunk(hdr);
    const ho = hdr & OFFSET_MASK;
    hc[ho + H_CLOCK] = -1;
    for (let r = 0; r < RINGS; r++) {
      hc[ho + H_RINGS + r * 3] = this.pool.alloc(STRIDE << MIN_J);
      hc[ho + H_RINGS + r * 3 + 1] = MIN_J;
    }
    const node = new SeriesNode(metric, hdr, head?.next);
    if (head) head.next = node;
    else {
      this.entities.set(entity, node);
      this.rememberEntity(entity, node);
    }
    return hdr;
  }

  /** Second chance: an entity used since the last pass goes to the back once before it can go. */
  private evictOne(): void {
    for (;;) {
      const first = this.entities.entries().next();
      if (first.done) return;
      const [entity, head] = first.value;
      this.entities.delete(entity);
      if (head.used) {
        head.used = false;
        this.entities.set(entity, head);
        continue;
      }
      for (let n: SeriesNode | undefined = head; n; n = n.next) this.freeSeries(n.hdr);
      this.forgetRecent();
      this.evictions++;
      return;
    }
  }

  private freeSeries(hdr: number): void {
    const pool = this.pool;
    const hc = pool.chunk(hdr);
    const ho = hdr & OFFSET_MASK;
    for (let r = 0; r < RINGS; r++) {
      const f = ho + H_RINGS + r * 3;
      pool.release(hc[f] ?? 0, STRIDE << (hc[f + 1] ?? 0));
    }
    const cp = (hc[ho + H_CP] ?? 0) - 1;
    if (cp >= 0) {
      const cc = pool.chunk(cp);
      const co = cp & OFFSET_MASK;
      for (const id of sightIds(pool, cc, co)) this.unref(id);
      pool.release(cc[co + C_SIGHT] ?? 0, 2 << (cc[co + C_BITS] ?? 0));
      for (let r = 0; r < RINGS; r++) pool.release(cc[co + r * 3] ?? 0, PAIR << (cc[co + r * 3 + 1] ?? 0));
      pool.release(cp, C_SIZE);
    }
    pool.release(hdr, H_SIZE);
  }

  /** The counterparty header of a series, made on first use. */
  private counterpartyHeader(hc: Float64Array, ho: number): number {
    const known = (hc[ho + H_CP] ?? 0) - 1;
    if (known >= 0) return known;
    const cp = this.pool.alloc(C_SIZE);
    const cc = this.pool.chunk(cp);
    const co = cp & OFFSET_MASK;
    for (let r = 0; r < RINGS; r++) {
      cc[co + r * 3] = this.pool.alloc(PAIR << MIN_J);
      cc[co + r * 3 + 1] = MIN_J;
    }
    cc[co + C_SIGHT] = this.pool.alloc(2 << MIN_BITS);
    cc[co + C_BITS] = MIN_BITS;
    hc[ho + H_CP] = cp + 1;
    return cp;
  }

  private intern(name: string): number {
    const names = this.recentNames;
    for (let k = 0, i = this.recentName; k < RECENT; k++) {
      i = (i + RECENT - 1) & (RECENT - 1);
      if (names[i] === name) return this.recentIds[i] ?? 0;
    }
    let id = this.names.get(name);
    if (id === undefined) {
      id = this.freeIds.pop() ?? this.nameOf.length;
      this.names.set(name, id);
      this.nameOf[id] = name;
      this.refs[id] = 0;
    }
    const at = this.recentName;
    names[at] = name;
    this.recentIds[at] = id;
    this.recentName = (at + 1) & (RECENT - 1);
    return id;
  }

  /** The map entry of an entity, from the recent lookups when it is one of them. */
  private headOf(entity: string): SeriesNode | undefined {
    const keys = this.recentEntities;
    for (let k = 0, i = this.recentEntity; k < RECENT; k++) {
      i = (i + RECENT - 1) & (RECENT - 1);
      if (keys[i] === entity) return this.recentHeads[i];
    }
    const head = this.entities.get(entity);
    this.rememberEntity(entity, head);
    return head;
  }

  private rememberEntity(entity: string, head: SeriesNode | undefined): void {
    let at = this.recentEntities.indexOf(entity);
    if (at < 0) {
      at = this.recentEntity;
      this.recentEntity = (at + 1) & (RECENT - 1);
      this.recentEntities[at] = entity;
    }
    this.recentHeads[at] = head;
  }

  /**
   * `checkSeries` for a series not tracked, skipped for an entity and a metric that passed
   * it lately (a decision's new entity is checked by its reads, then by its records).
   */
  private checkNew(entity: string, metric: string): void {
    if (this.checkedMetrics.has(metric) && this.checkedEntities.includes(entity)) return;
    checkSeries(entity, metric);
    if (this.checkedMetrics.size >= 1_024) this.checkedMetrics.clear();
    this.checkedMetrics.add(metric);
    this.checkedEntities[this.checkedNext] = entity;
    this.checkedNext = (this.checkedNext + 1) & (RECENT - 1);
  }

  /** Drops the recent lookups: an entity or a name they hold may be gone. */
  private forgetRecent(): void {
    this.recentEntities.fill(undefined);
    this.recentHeads.fill(undefined);
    this.recentNames.fill(undefined);
  }

  private unref(id: number): void {
    const left = (this.refs[id] ?? 1) - 1;
    this.refs[id] = left;
    if (left > 0) return;
    const name = this.nameOf[id];
    if (name !== undefined) this.names.delete(name);
    this.recentNames.fill(undefined);
    this.nameOf[id] = '';
    this.freeIds.push(id);
  }

  private readOne(q: VelocityQuery): VelocityResult {
    const a = this.answer;
    this.readInto(this.find(q.entity, q.metric), q.entity, q.metric, q.window, q.at, a, 0);
    return {
      count: a[0] ?? 0,
      sum: toBigint(a[1] ?? 0, a[2] ?? 0),
      distinct: a[3] ?? 0,
      complete: a[4] === 1,
    };
  }

  /** Reads the series at `hdr` (-1: not tracked) into out[o … o + ANSWER_SIZE − 1]. */
  private readInto(
    hdr: number,
    entity: EntityKey,
    metric: string,
    window: VelocityWindow,
    at: number,
    out: Float64Array,
    o: number,
  ): void {
    const w = WINDOW_SPECS[window];
    if (!w || !Number.isSafeInteger(at) || at < 0) {
      checkQuery({ entity, metric, window, at });
    }
    if (hdr < 0 || !w) {
      this.checkNew(entity, metric);
      out[o] = 0;
      out[o + 1] = 0;
      out[o + 2] = 0;
      out[o + 3] = 0;
      out[o + 4] = 1;
      return;
    }
    const hc = this.pool.chunk(hdr);
    const ho = hdr & OFFSET_MASK;
    if (at > (hc[ho + H_CLOCK] ?? 0)) this.advance(hc, ho, at);
    const res = RES_MS[w.resolution] ?? 1;
    const head = Math.floor((hc[ho + H_CLOCK] ?? 0) / res);
    const b = Math.floor(at / res);
    if (b === head) {
      const t = ho + H_TOT + w.index * T_STRIDE;
      out[o] = hc[t] ?? 0;
      out[o + 1] = hc[t + 1] ?? 0;
      out[o + 2] = hc[t + 2] ?? 0;
      out[o + 3] = hc[t + 3] ?? 0;
      out[o + 4] = 1;
      return;
    }
    this.readPast(hc, ho, w.resolution, b - w.buckets + 1, b, head, out, o);
  }

  /** A read behind the series clock: the retained buckets of the window, one by one. */
  private readPast(
    hc: Float64Array,
    ho: number,
    r: number,
    lo: number,
    hi: number,
    head: number,
    out: Float64Array,
    at: number,
  ): void {
    const pool = this.pool;
    const hf = ho + H_RINGS + r * 3;
    const addr = hc[hf] ?? 0;
    const c = pool.chunk(addr);
    const base = addr & OFFSET_MASK;
    let count = 0;
    let sumHi = 0;
    let sumLo = 0;
    for (let i = ringLower(pool, hc, hf, STRIDE, lo), len = hc[hf + 2] ?? 0; i < len; i++) {
      const o = base + i * STRIDE;
      if ((c[o] ?? 0) > hi) break;
      count += c[o + F_COUNT] ?? 0;
      sumHi += c[o + F_HI] ?? 0;
      sumLo += c[o + F_LO] ?? 0;
      if (sumLo >= TWO32) {
        sumLo -= TWO32;
        sumHi += 1;
      }
    }
    let distinct = 0;
    const cp = (hc[ho + H_CP] ?? 0) - 1;
    if (cp >= 0) {
      const cc = pool.chunk(cp);
      const pf = (cp & OFFSET_MASK) + r * 3;
      const paddr = cc[pf] ?? 0;
      const p = pool.chunk(paddr);
      const pbase = paddr & OFFSET_MASK;
      const gen = this.nextGeneration();
      const marks = this.marks;
      for (let i = ringLower(pool, cc, pf, PAIR, lo), len = cc[pf + 2] ?? 0; i < len; i++) {
        const o = pbase + i * PAIR;
        if ((p[o] ?? 0) > hi) break;
        const id = p[o + 1] ?? 0;
        if (marks[id] !== gen) {
          marks[id] = gen;
          distinct++;
        }
      }
    }
    const retainedFrom = head - (RETAINED[r] ?? 0) + 1;
    out[at] = count;
    out[at + 1] = sumHi;
    out[at + 2] = sumLo;
    out[at + 3] = distinct;
    out[at + 4] = lo >= retainedFrom ? 1 : 0;
  }

  private nextGeneration(): number {
    if (this.marks.length < this.nameOf.length) {
      this.marks = new Uint32Array(Math.max(this.nameOf.length, this.marks.length * 2));
    }
    this.generation++;
    if (this.generation === 0xffff_ffff) {
      this.marks.fill(0);
      this.generation = 1;
    }
    return this.generation;
  }

  /**
   * Moves the series clock to `to`: for each resolution whose bucket changes, the buckets
   * leaving each window come off its totals and buckets leaving the retention are dropped.
   */
  private advance(hc: Float64Array, ho: number, to: number): void {
    const from = hc[ho + H_CLOCK] ?? 0;
    hc[ho + H_CLOCK] = to;
    if (from < 0) return;
    const pool = this.pool;
    for (let r = 0; r < RINGS; r++) {
      const res = RES_MS[r] ?? 1;
      const head = Math.floor(from / res);
      const next = Math.floor(to / res);
      if (next === head) continue;
      const hf = ho + H_RINGS + r * 3;
      const ws = RING_WINDOWS[r] ?? [];
      for (let k = 0; k < ws.length; k += 2) {
        const o = ho + (ws[k] ?? 0);
        const n = ws[k + 1] ?? 0;
        if (next - n >= head) {
          zero(hc, o, T_STRIDE);
          continue;
        }
        const last = next - n;
        const addr = hc[hf] ?? 0;
        const c = pool.chunk(addr);
        const base = addr & OFFSET_MASK;
        for (let i = ringLower(pool, hc, hf, STRIDE, head - n + 1), len = hc[hf + 2] ?? 0; i < len; i++) {
          const p = base + i * STRIDE;
          if ((c[p] ?? 0) > last) break;
          hc[o] = (hc[o] ?? 0) - (c[p + F_COUNT] ?? 0);
          subSum(hc, o + 1, c[p + F_HI] ?? 0, c[p + F_LO] ?? 0);
          hc[o + 3] = (hc[o + 3] ?? 0) - (c[p + F_SEEN] ?? 0);
        }
      }
      const low = next - (RETAINED[r] ?? 0) + 1;
      ringDrop(pool, hc, hf, STRIDE, low);
      const cp = (hc[ho + H_CP] ?? 0) - 1;
      if (cp < 0) continue;
      const cc = pool.chunk(cp);
      const co = cp & OFFSET_MASK;
      // A counterparty whose latest sighting leaves the longest retention is forgotten by the series.
      const onDrop =
        r === HOUR_RING
          ? (c: Float64Array, o: number) => {
              const id = c[o + 1] ?? 0;
              const seen = sightGet(pool, cc, co, id);
              if (seen >= 0 && Math.floor(seen / HOUR_MS) < low) {
                sightDelete(pool, cc, co, id);
                this.unref(id);
              }
            }
          : undefined;
      ringDrop(pool, cc, co + r * 3, PAIR, low, onDrop);
    }
  }

  private recordOne(e: VelocityEvent): void {
    const pool = this.pool;
    const hdr = this.seriesFor(e.entity, e.metric);
    const hc = pool.chunk(hdr);
    const ho = hdr & OFFSET_MASK;
    const t = e.at;
    if (t > (hc[ho + H_CLOCK] ?? 0)) this.advance(hc, ho, t);
    const clock = hc[ho + H_CLOCK] ?? 0;
    // Older than the longest retention: no window can ever read it.
    if (Math.floor(t / HOUR_MS) <= Math.floor(clock / HOUR_MS) - HOUR_RETAINED) return;
    splitAmount(e.amount);
    const hasAmount = amountHi !== 0 || amountLo !== 0;
    let id = -1;
    let prev = -1;
    let cp = -1;
    if (e.counterparty !== undefined) {
      cp = this.counterpartyHeader(hc, ho);
      id = this.intern(e.counterparty);
      prev = sightGet(pool, pool.chunk(cp), cp & OFFSET_MASK, id);
      if (prev < 0) this.refs[id] = (this.refs[id] ?? 0) + 1;
    }
    for (let r = 0; r < RINGS; r++) {
      const res = RES_MS[r] ?? 1;
      const head = Math.floor(clock / res);
      const b = Math.floor(t / res);
      if (b <= head - (RETAINED[r] ?? 0)) continue;
      const hf = ho + H_RINGS + r * 3;
      const i = this.bucketSlot(hc, hf, b);
      const addr = hc[hf] ?? 0;
      const c = pool.chunk(addr);
      const o = (addr & OFFSET_MASK) + i * STRIDE;
      c[o + F_COUNT] = (c[o + F_COUNT] ?? 0) + 1;
      if (hasAmount) addSum(c, o + F_HI, amountHi, amountLo);
      const ws = RING_WINDOWS[r] ?? [];
      for (let k = 0; k < ws.length; k += 2) {
        if (b <= head - (ws[k + 1] ?? 0)) continue;
        const to = ho + (ws[k] ?? 0);
        hc[to] = (hc[to] ?? 0) + 1;
        if (hasAmount) addSum(hc, to + 1, amountHi, amountLo);
      }
      if (cp < 0) continue;
      const cc = pool.chunk(cp);
      const pf = (cp & OFFSET_MASK) + r * 3;
      const pb = prev >= 0 ? Math.floor(prev / res) : Number.NEGATIVE_INFINITY;
      // The latest sighting is in b (already listed), before b (not listed), or after b (look).
      if (b > pb || (b < pb && !this.hasPair(cc, pf, b, id))) this.addPair(cc, pf, b, id);
      if (b <= pb) continue;
      // The latest sighting moves from bucket pb to b in the histogram behind the distinct totals.
      if (prev >= 0) {
        const pi = ringFind(pool, hc, hf, STRIDE, pb);
        if (pi >= 0) {
          const po = ((hc[hf] ?? 0) & OFFSET_MASK) + pi * STRIDE;
          c[po + F_SEEN] = (c[po + F_SEEN] ?? 0) - 1;
          for (let k = 0; k < ws.length; k += 2) {
            const d = ho + (ws[k] ?? 0) + 3;
            if (pb > head - (ws[k + 1] ?? 0)) hc[d] = (hc[d] ?? 0) - 1;
          }
        }
      }
      c[o + F_SEEN] = (c[o + F_SEEN] ?? 0) + 1;
      for (let k = 0; k < ws.length; k += 2) {
        const d = ho + (ws[k] ?? 0) + 3;
        if (b > head - (ws[k + 1] ?? 0)) hc[d] = (hc[d] ?? 0) + 1;
      }
    }
    if (cp >= 0 && t > prev) sightSet(pool, pool.chunk(cp), cp & OFFSET_MASK, id, t);
  }

  /** Record index of bucket b in the ring at hc[hf], made (empty) in bucket order when absent. */
  private bucketSlot(hc: Float64Array, hf: number, b: number): number {
    const pool = this.pool;
    const len = hc[hf + 2] ?? 0;
    if (len > 0) {
      const addr = hc[hf] ?? 0;
      const last = pool.chunk(addr)[(addr & OFFSET_MASK) + (len - 1) * STRIDE] ?? 0;
      if (last === b) return len - 1;
      if (last > b) {
        const i = ringLower(pool, hc, hf, STRIDE, b);
        if ((pool.chunk(addr)[(addr & OFFSET_MASK) + i * STRIDE] ?? 0) === b) return i;
        ringInsert(pool, hc, hf, STRIDE, i);
        const moved = hc[hf] ?? 0;
        pool.chunk(moved)[(moved & OFFSET_MASK) + i * STRIDE] = b;
        return i;
      }
    }
    ringInsert(pool, hc, hf, STRIDE, len);
    const moved = hc[hf] ?? 0;
    pool.chunk(moved)[(moved & OFFSET_MASK) + len * STRIDE] = b;
    return len;
  }

  private hasPair(cc: Float64Array, pf: number, b: number, id: number): boolean {
    const pool = this.pool;
    const addr = cc[pf] ?? 0;
    const p = pool.chunk(addr);
    const base = addr & OFFSET_MASK;
    for (let i = ringLower(pool, cc, pf, PAIR, b), len = cc[pf + 2] ?? 0; i < len; i++) {
      const o = base + i * PAIR;
      if ((p[o] ?? 0) !== b) return false;
      if ((p[o + 1] ?? 0) === id) return true;
    }
    return false;
  }

  /** Adds (b, id) after the pairs of buckets ≤ b. */
  private addPair(cc: Float64Array, pf: number, b: number, id: number): void {
    const pool = this.pool;
    const len = cc[pf + 2] ?? 0;
    const addr = cc[pf] ?? 0;
    const last = len > 0 ? (pool.chunk(addr)[(addr & OFFSET_MASK) + (len - 1) * PAIR] ?? 0) : -1;
    const at = last > b ? ringLower(pool, cc, pf, PAIR, b + 1) : len;
    ringInsert(pool, cc, pf, PAIR, at);
    const moved = cc[pf] ?? 0;
    const o = (moved & OFFSET_MASK) + at * PAIR;
    const p = pool.chunk(moved);
    p[o] = b;
    p[o + 1] = id;
  }
}
