/**
 * Scaled velocity store: the counters live in Redis, shared by every Bulwark process.
 *
 * One Lua script call runs a whole batch (up to 256 series per call, all calls of a batch in
 * one pipeline), so `read`, `record` and `readAndRecord` each cost one round trip whatever
 * the number of series, and each series is updated atomically. The script keeps the same
 * state as the memory store and applies the same algorithm, so both read the same values:
 * running totals per window moved forward when the series clock crosses a bucket boundary
 * (a live read is O(1)), the retained buckets summed one by one for a read behind the clock.
 *
 * Keys of a series, under the configurable prefix P (`bulwark:v:` by default); every key
 * carries the hash tag `{entity|metric}`:
 *  - `P{E|M}` — hash: `T` the series clock (ms); per resolution r ∈ s,m,q,h (1 s, 1 min,
 *    15 min, 1 h) `L<r>`/`N<r>` the oldest and newest bucket holding data; per bucket
 *    `C<r><bucket>` (count), `S<r><bucket>` (sum) and `D<r><bucket>` (counterparties whose
 *    latest sighting is in that bucket); per window `c<w>`, `s<w>`, `d<w>` the running
 *    count, sum and distinct count; `E`/`Z` when the TTLs were last renewed.
 *  - `P{E|M}:i` — sorted set indexing the non-empty buckets (score `resolution × 10^10 +
 *    bucket`), so walks and trims touch only buckets that hold data.
 *  - `P{E|M}:p` — sorted set of `(resolution, bucket, counterparty)` members, same scores:
 *    the union over a window is the distinct count of a read behind the clock.
 *  - `P{E|M}:d` — sorted set counterparty → latest sighting (ms).
 * Fields are read once per call (HMGET), changed in Lua and written back in one HSET; the
 * sets get one ZADD each. Buckets that leave the retention are deleted as the clock moves;
 * all four keys expire after the longest retention (60 days) plus an hour without a record
 * (renewed by the first record of each hour).
 *
 * Exact sums: values are decimal strings, added in Lua as two exact doubles
 * (`hi × 10^9 + lo`), never as one Lua number (a double, exact only to 2^53); exact to
 * 9 × 10^24 minor units, past which the script refuses (no write for that series).
 *
 * Redis Cluster: the hash tags keep a series' keys in one slot, but one call carries many
 * series; a Cluster deployment needs the batch split per slot (not done: standalone only).
 * TTLs count in wall-clock time while windows count in event time: they only take away data
 * the clock has already left behind as long as event time runs at least as fast as the wall
 * clock (live traffic, or a replay faster than real time).
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  checkEvent,
  checkQuery,
  forEachBatch,
  RESOLUTIONS,
  seriesKey,
  type VelocityEvent,
  type VelocityQuery,
  type VelocityResult,
  type VelocityStore,
  WINDOW_LIST,
  WINDOW_SPECS,
  WINDOWS_BY_RESOLUTION,
} from './store.ts';

/** Slack on every TTL, so a key never expires just before the script would trim it. */
const TTL_SLACK_MS = 60_000;

function ttlOf(r: (typeof RESOLUTIONS)[number]): number {
  return (r.retained + 1) * r.ms + TTL_SLACK_MS;
}

const HOUR = RESOLUTIONS[RESOLUTIONS.length - 1];
const SERIES_TTL_MS = HOUR ? ttlOf(HOUR) : 0;
/** Scores in the index sets are `resolution × SPAN + bucket`; 1 s buckets stay below 10^10 until the year 2286. */
const RESOLUTION_SPAN = 10_000_000_000;

/** Names of the fields every call reads first: clock, TTL marks, per resolution L/N, per window c/s/d. */
const HEAD_FIELDS = [
  'T',
  'E',
  'Z',
  ...RESOLUTIONS.flatMap((r) => [`L${r.code}`, `N${r.code}`]),
  ...WINDOW_LIST.flatMap((w) => [`c${w.window}`, `s${w.window}`, `d${w.window}`]),
];

const luaWindow = (w: (typeof WINDOW_LIST)[number]): string =>
  `{code='${w.window}', n=${w.buckets}, c='c${w.window}', s='s${w.window}', d='d${w.window}', bit=${1 << w.index}}`;

/** The script, with the window table generated from the same constants as the memory store. */
export const VELOCITY_LUA = `
local RES = {${RESOLUTIONS.map(
  (r, i) =>
    `{code='${r.code}', ms=${r.ms}, R=${r.retained}, C='C${r.code}', S='S${r.code}', D='D${r.code}', L='L${r.code}', N='N${r.code}', wins={${(
      WINDOWS_BY_RESOLUTION[i] ?? []
    )
      .map(luaWindow)
      .join(',')}}}`,
).join(',')}}
local WLIST = {${WINDOW_LIST.map((w) => `{ri=${w.resolution + 1}, w=${luaWindow(w)}}`).join(',')}}
local HEAD = {${HEAD_FIELDS.map((f) => `'${f}'`).join(',')}}
local HOUR = #RES
local HOUR_MS = RES[HOUR].ms
local TTL = ${SERIES_TTL_MS}
local SPAN = ${RESOLUTION_SPAN}
local E9 = 1000000000
local LIMIT = 9000000000000000
local SAFE = 9007199254740991
local floor = math.floor
local format = string.format
local tonumber = tonumber

local function fmt(x) return format('%.0f', x) end
-- Non-negative integers as two exact doubles: hi * 10^9 + lo (exact below 9 * 10^24).
local function parse(s)
  local n = #s
  if n <= 9 then return 0, tonumber(s) end
  return tonumber(string.sub(s, 1, n - 9)), tonumber(string.sub(s, n - 8))
end
local function show(hi, lo)
  if hi == 0 then return fmt(lo) end
  return fmt(hi) .. format('%09.0f', lo)
end
local function plus(a, b)
  if not a then return b end
  if #a < 16 and #b < 16 then
    local x = tonumber(a) + tonumber(b)
    if x <= SAFE then return fmt(x) end
  end
  local ah, al = parse(a)
  local bh, bl = parse(b)
  local l, h = al + bl, ah + bh
  if l >= E9 then l = l - E9; h = h + 1 end
  if h >= LIMIT then error('velocity: sum beyond 9e24 minor units') end
  return show(h, l)
end
local function minus(a, b)
  if #a < 16 then return fmt(tonumber(a) - tonumber(b)) end
  local ah, al = parse(a)
  local bh, bl = parse(b)
  local l, h = al - bl, ah - bh
  if l < 0 then l = l + E9; h = h - 1 end
  return show(h, l)
end

local out = {}
-- State of the series being run; fields are read once into V and written back in one HSET.
local H, X, PZ, DZ
local V, dirty, dels, newIndex, newPairs, newSeen, recorded, clock

local function fetch(list)
  local need = {}
  for _, f in ipairs(list) do if V[f] == nil then need[#need + 1] = f end end
  if #need > 0 then
    local vals = redis.call('HMGET', H, unpack(need))
    for k, f in ipairs(need) do V[f] = vals[k] end
  end
end
local function set(f, v) V[f] = v; dirty[f] = true end
local function num(f) return tonumber(V[f]) or 0 end
local function flushIndex()
  if #newIndex > 0 then redis.call('ZADD', X, unpack(newIndex)); newIndex = {} end
  if #newPairs > 0 then redis.call('ZADD', PZ, unpack(newPairs)); newPairs = {} end
end
-- Non-empty buckets of resolution ri in [a, z], from the index.
local function buckets(ri, a, z)
  flushIndex()
  local base = ri * SPAN
  local m = redis.call('ZRANGEBYSCORE', X, fmt(base + a), fmt(base + z))
  local bs = {}
  for k, v in ipairs(m) do bs[k] = tonumber(v) - base end
  return bs
end

-- Moves the clock to 'to': buckets leaving a window come off its totals, buckets leaving
-- the retention are deleted (found through the index, so only non-empty ones are touched).
local function advance(to)
  if clock == nil then clock = to; set('T', fmt(to)); return end
  local from = clock
  clock = to
  set('T', fmt(to))
  for ri, r in ipairs(RES) do
    local h0, h1 = floor(from / r.ms), floor(to / r.ms)
    if h1 > h0 then
      local L, N = tonumber(V[r.L]), tonumber(V[r.N])
      for _, w in ipairs(r.wins) do
        if h1 - w.n >= h0 then
          set(w.c, '0'); set(w.s, '0'); set(w.d, '0')
        elseif L then
          local a, z = math.max(h0 - w.n + 1, L), math.min(h1 - w.n, N)
          if a <= z then
            local bs = buckets(ri, a, z)
            if #bs > 0 then
              local f, ks = {}, {}
              for j, b in ipairs(bs) do
                local k = fmt(b)
                ks[j] = k
                f[#f + 1] = r.C .. k; f[#f + 1] = r.S .. k; f[#f + 1] = r.D .. k
              end
              fetch(f)
              local cnt, sum, dis = num(w.c), V[w.s] or '0', num(w.d)
              for _, k in ipairs(ks) do
                cnt = cnt - num(r.C .. k)
                dis = dis - num(r.D .. k)
                local s = V[r.S .. k]
                if s then sum = minus(sum, s) end
              end
              set(w.c, fmt(cnt)); set(w.s, sum); set(w.d, fmt(dis))
            end
          end
        end
      end
      local low = h1 - r.R + 1
      if L and L < low then
        local z = math.min(low - 1, N)
        for _, b in ipairs(buckets(ri, L, z)) do
          local k = fmt(b)
          local c, s, d = r.C .. k, r.S .. k, r.D .. k
          dels[#dels + 1] = c; dels[#dels + 1] = s; dels[#dels + 1] = d
          V[c], V[s], V[d] = false, false, false
        end
        local base = ri * SPAN
        redis.call('ZREMRANGEBYSCORE', X, fmt(base + L), fmt(base + z))
        redis.call('ZREMRANGEBYSCORE', PZ, fmt(base + L), fmt(base + z))
        if low > N then
          set(r.L, false); set(r.N, false)
        else
          set(r.L, fmt(low))
        end
      end
      if ri == HOUR then redis.call('ZREMRANGEBYSCORE', DZ, '-inf', '(' .. fmt(low * r.ms)) end
    end
  end
end

local function record(t, amount, cp)
  if clock == nil or t > clock then advance(t) end
  if floor(t / HOUR_MS) <= floor(clock / HOUR_MS) - RES[HOUR].R then return end
  recorded = true
  local prev = -1
  if cp ~= '' then prev = newSeen[cp] or tonumber(redis.call('ZSCORE', DZ, cp)) or -1 end
  local f, ks, pks = {}, {}, {}
  for ri, r in ipairs(RES) do
    local k = fmt(floor(t / r.ms))
    ks[ri] = k
    f[#f + 1] = r.C .. k; f[#f + 1] = r.S .. k; f[#f + 1] = r.D .. k
    if prev >= 0 then
      local pk = fmt(floor(prev / r.ms))
      pks[ri] = pk
      if pk ~= k then f[#f + 1] = r.C .. pk; f[#f + 1] = r.D .. pk end
    end
  end
  fetch(f)
  local hasAmount = amount ~= '0'
  for ri, r in ipairs(RES) do
    local h, b = floor(clock / r.ms), floor(t / r.ms)
    if b > h - r.R then
      local k = ks[ri]
      local ck = r.C .. k
      if not V[ck] then
        local score = fmt(ri * SPAN + b)
        newIndex[#newIndex + 1] = score; newIndex[#newIndex + 1] = score
        local L, N = tonumber(V[r.L]), tonumber(V[r.N])
        if not L or b < L then set(r.L, k) end
        if not N or b > N then set(r.N, k) end
      end
      set(ck, fmt(num(ck) + 1))
      if hasAmount then
        local sk = r.S .. k
        set(sk, plus(V[sk], amount))
      end
      for _, w in ipairs(r.wins) do
        if b > h - w.n then
          set(w.c, fmt(num(w.c) + 1))
          if hasAmount then set(w.s, plus(V[w.s], amount)) end
        end
      end
      if cp ~= '' then
        local pb = -1
        if prev >= 0 then pb = floor(prev / r.ms) end
        -- A member per (resolution, bucket, counterparty): adding it twice changes nothing.
        if b ~= pb then
          newPairs[#newPairs + 1] = fmt(ri * SPAN + b); newPairs[#newPairs + 1] = r.code .. k .. '|' .. cp
        end
        if b > pb then
          -- The latest sighting moves from bucket pb to b in the histogram behind the distinct totals.
          if prev >= 0 and V[r.C .. pks[ri]] then
            local dk = r.D .. pks[ri]
            set(dk, fmt(num(dk) - 1))
            for _, w in ipairs(r.wins) do
              if pb > h - w.n then set(w.d, fmt(num(w.d) - 1)) end
            end
          end
          local dk = r.D .. k
          set(dk, fmt(num(dk) + 1))
          for _, w in ipairs(r.wins) do
            if b > h - w.n then set(w.d, fmt(num(w.d) + 1)) end
          end
        end
      end
    end
  end
  if cp ~= '' and t > prev then newSeen[cp] = t end
end

local function read(at, ri, w)
  if clock == nil then
    out[#out + 1] = 0; out[#out + 1] = 0; out[#out + 1] = 1; out[#out + 1] = '0'
    return
  end
  if at > clock then advance(at) end
  local r = RES[ri]
  local h, b = floor(clock / r.ms), floor(at / r.ms)
  if b == h then
    out[#out + 1] = num(w.c); out[#out + 1] = num(w.d); out[#out + 1] = 1
    out[#out + 1] = V[w.s] or '0'
    return
  end
  -- Behind the clock: the retained buckets of the window, one by one.
  local lo = b - w.n + 1
  local count, sum, d = 0, '0', 0
  local L, N = tonumber(V[r.L]), tonumber(V[r.N])
  if L then
    local a, z = math.max(lo, L), math.min(b, N)
    if a <= z then
      local bs = buckets(ri, a, z)
      local f = {}
      for _, x in ipairs(bs) do f[#f + 1] = r.C .. fmt(x); f[#f + 1] = r.S .. fmt(x) end
      fetch(f)
      for _, x in ipairs(bs) do
        count = count + num(r.C .. fmt(x))
        local s = V[r.S .. fmt(x)]
        if s then sum = plus(sum, s) end
      end
      local base = ri * SPAN
      local seen = {}
      for _, m in ipairs(redis.call('ZRANGEBYSCORE', PZ, fmt(base + a), fmt(base + z))) do
        local cp = string.sub(m, string.find(m, '|', 1, true) + 1)
        if not seen[cp] then seen[cp] = true; d = d + 1 end
      end
    end
  end
  out[#out + 1] = count; out[#out + 1] = d; out[#out + 1] = (lo > h - r.R) and 1 or 0
  out[#out + 1] = sum
end

local arg = 1
for _, key in ipairs(KEYS) do
  H, X, PZ, DZ = key, key .. ':i', key .. ':p', key .. ':d'
  V, dirty, dels, newIndex, newPairs, newSeen, recorded = {}, {}, {}, {}, {}, {}, false
  fetch(HEAD)
  clock = tonumber(V['T'])
  -- Ops: 'r', at, window bitmask (answers in window order) | 'w', at, amount, counterparty.
  local stop = arg + 1 + tonumber(ARGV[arg])
  local i = arg + 1
  while i < stop do
    if ARGV[i] == 'r' then
      local at, mask = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
      for _, e in ipairs(WLIST) do
        if floor(mask / e.w.bit) % 2 == 1 then read(at, e.ri, e.w) end
      end
      i = i + 3
    else
      record(tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3])
      i = i + 4
    end
  end
  arg = stop

  flushIndex()
  local seen = {}
  for cp, t in pairs(newSeen) do seen[#seen + 1] = fmt(t); seen[#seen + 1] = cp end
  if #seen > 0 then redis.call('ZADD', DZ, 'GT', unpack(seen)) end
  local hset, hdel = {}, {}
  for f in pairs(dirty) do
    if V[f] then hset[#hset + 1] = f; hset[#hset + 1] = V[f] else hdel[#hdel + 1] = f end
  end
  for _, f in ipairs(dels) do if not dirty[f] then hdel[#hdel + 1] = f end end
  -- TTLs are renewed by the first record of each hour of the clock (E keeps which), and when
  -- the counterparty sets first appear (Z), so a key outlives its last record by the retention.
  local hourNow = fmt(floor((clock or 0) / HOUR_MS))
  local renew = recorded and (V['E'] ~= hourNow or (#seen > 0 and V['Z'] ~= '1'))
  if renew then
    hset[#hset + 1] = 'E'; hset[#hset + 1] = hourNow
    if #seen > 0 then hset[#hset + 1] = 'Z'; hset[#hset + 1] = '1' end
  end
  if #hset > 0 then redis.call('HSET', H, unpack(hset)) end
  if #hdel > 0 then redis.call('HDEL', H, unpack(hdel)) end
  if renew then
    redis.call('PEXPIRE', H, TTL)
    redis.call('PEXPIRE', X, TTL)
    redis.call('PEXPIRE', PZ, TTL)
    redis.call('PEXPIRE', DZ, TTL)
  end
end
return out
`;

const SCRIPT_SHA = createHash('sha1').update(VELOCITY_LUA).digest('hex');
const PREFIX_RE = /^[A-Za-z0-9:_.-]{0,64}$/;
const REPLY_STRIDE = 4;

export interface RedisVelocityStoreOptions {
  /** An ioredis client of a standalone Redis (see the note on Cluster above). */
  redis: Redis;
  /** Key prefix, letters, digits and `:_.-` only; tests use a random one. Default `bulwark:v:`. */
  prefix?: string;
  /** Quit the client on close(). */
  ownsClient?: boolean;
}

/** The ops of one series in one batch, and where its read answers go. */
interface SeriesBatch {
  hash: string;
  args: string[];
  /** Query indexes in the order the script answers them. */
  reads: number[];
  /** Query indexes per read time, before they become ops. */
  readAt: Map<number, number[]>;
}

/** Series per script call: bounds how long one call holds Redis (a rebuild sends thousands). */
const SERIES_PER_CALL = 256;

export class RedisVelocityStore implements VelocityStore {
  readonly prefix: string;
  private readonly redis: Redis;
  private readonly ownsClient: boolean;

  constructor(options: RedisVelocityStoreOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix ?? 'bulwark:v:';
    this.ownsClient = options.ownsClient ?? false;
    if (!PREFIX_RE.test(this.prefix)) {
      throw new TypeError('velocity: the Redis prefix may hold only letters, digits and :_.-');
    }
  }

  /** A store with its own client (closed with the store). */
  static connect(url: string, prefix?: string): RedisVelocityStore {
    const redis = new Redis(url, { maxRetriesPerRequest: 2 });
    return new RedisVelocityStore({ redis, ownsClient: true, ...(prefix === undefined ? {} : { prefix }) });
  }

  async record(events: readonly VelocityEvent[]): Promise<void> {
    for (const e of events) checkEvent(e);
    const batches = new Map<string, SeriesBatch>();
    for (const e of events) this.addWrite(batches, e);
    await this.run(batches, []);
  }

  async read(queries: readonly VelocityQuery[]): Promise<VelocityResult[]> {
    return this.readAndRecord(queries, []);
  }

  async readAndRecord(
    queries: readonly VelocityQuery[],
    events: readonly VelocityEvent[],
  ): Promise<VelocityResult[]> {
    for (const q of queries) checkQuery(q);
    for (const e of events) checkEvent(e);
    const batches = new Map<string, SeriesBatch>();
    // Reads first in every series' script (they never see the events of the same call), one
    // op per (series, at) with a bitmask of windows: the script answers in window order.
    for (let i = 0; i < queries.length; i++) {
      const q = queries[i];
      if (!q) continue;
      const b = this.batchFor(batches, q.entity, q.metric);
      let group = b.readAt.get(q.at);
      if (!group) {
        group = [];
        b.readAt.set(q.at, group);
      }
      group.push(i);
    }
    for (const b of batches.values()) {
      for (const [at, indexes] of b.readAt) {
        let mask = 0;
        const byWindow: number[] = [];
        for (const i of indexes) {
          const w = WINDOW_SPECS[queries[i]?.window ?? '1m'];
          if (mask & (1 << w.index)) {
            // The same window twice at the same time: read it again in a separate op.
            b.args.push('r', String(at), String(1 << w.index));
            b.reads.push(i);
            continue;
          }
          mask |= 1 << w.index;
          byWindow[w.index] = i;
        }
        b.args.push('r', String(at), String(mask));
        for (const i of byWindow) if (i !== undefined) b.reads.push(i);
      }
    }
    for (const e of events) this.addWrite(batches, e);
    const results = new Array<VelocityResult>(queries.length);
    await this.run(batches, results);
    return results;
  }

  async rebuild(source: AsyncIterable<VelocityEvent>): Promise<number> {
    await this.clear();
    return forEachBatch(source, 2_000, (batch) => this.record(batch));
  }

  /** Deletes every key under this store's prefix. */
  async clear(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) await this.redis.unlink(...keys);
    } while (cursor !== '0');
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.redis.quit();
  }

  /** The Redis keys of a series (for tests and operators). */
  keysOf(
    entity: string,
    metric: string,
  ): { hash: string; buckets: string; pairs: string; counterparties: string } {
    const hash = `${this.prefix}{${seriesKey(entity, metric)}}`;
    return { hash, buckets: `${hash}:i`, pairs: `${hash}:p`, counterparties: `${hash}:d` };
  }

  // ---------------------------------------------------------------------------------------

  private batchFor(batches: Map<string, SeriesBatch>, entity: string, metric: string): SeriesBatch {
    const key = seriesKey(entity, metric);
    let b = batches.get(key);
    if (!b) {
      b = { hash: `${this.prefix}{${key}}`, args: [], reads: [], readAt: new Map() };
      batches.set(key, b);
    }
    return b;
  }

  private addWrite(batches: Map<string, SeriesBatch>, e: VelocityEvent): void {
    const b = this.batchFor(batches, e.entity, e.metric);
    b.args.push('w', String(e.at), e.amount === undefined ? '0' : e.amount.toString(), e.counterparty ?? '');
  }

  /**
   * The whole batch in one pipeline: one script call per SERIES_PER_CALL series (KEYS: the
   * series hashes; ARGV: per series the length of its ops, then the ops). A script flushed
   * from Redis is loaded again and the calls that missed it run again.
   */
  private async run(batches: Map<string, SeriesBatch>, results: VelocityResult[]): Promise<void> {
    const all = [...batches.values()];
    let pending: SeriesBatch[][] = [];
    for (let i = 0; i < all.length; i += SERIES_PER_CALL) pending.push(all.slice(i, i + SERIES_PER_CALL));
    for (let attempt = 0; pending.length > 0; attempt++) {
      const pipeline = this.redis.pipeline();
      for (const group of pending) {
        const args: string[] = [];
        for (const b of group) args.push(String(b.args.length), ...b.args);
        pipeline.evalsha(SCRIPT_SHA, group.length, ...group.map((b) => b.hash), ...args);
      }
      const replies = (await pipeline.exec()) ?? [];
      const retry: SeriesBatch[][] = [];
      for (let i = 0; i < pending.length; i++) {
        const group = pending[i];
        const [err, reply] = replies[i] ?? [new Error('velocity: no reply from Redis'), null];
        if (!group) continue;
        if (err) {
          if (attempt === 0 && err.message.startsWith('NOSCRIPT')) {
            retry.push(group);
            continue;
          }
          throw err;
        }
        this.collect(group, reply, results);
      }
      if (retry.length > 0) await this.redis.script('LOAD', VELOCITY_LUA);
      pending = retry;
    }
  }

  private collect(group: SeriesBatch[], reply: unknown, results: VelocityResult[]): void {
    const reads = group.reduce((n, b) => n + b.reads.length, 0);
    if (!Array.isArray(reply) || reply.length !== reads * REPLY_STRIDE) {
      throw new Error('velocity: malformed reply from the Redis script');
    }
    let o = 0;
    for (const b of group) {
      for (const index of b.reads) {
        results[index] = {
          count: Number(reply[o]),
          distinct: Number(reply[o + 1]),
          complete: Number(reply[o + 2]) === 1,
          sum: BigInt(String(reply[o + 3])),
        };
        o += REPLY_STRIDE;
      }
    }
  }
}
