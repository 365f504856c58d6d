/**
 * Scaled velocity store: the counters live in Redis, shared by every Bulwark process.
 *
 * Batching: the calls of concurrent decisions are coalesced (everything issued in one turn of
 * the event loop, or while `maxInFlight` earlier batches are still unanswered, up to
 * `maxBatchCalls` calls) into one pipeline of script calls of at most 128 series each (which
 * bounds how long one call holds Redis). Per series the ops run in call order, a call's reads
 * before its events, so every call reads exactly what it would read had the calls run one
 * after the other (series are independent, so their interleaving does not matter). A call is
 * checked whole before it is queued; a series the script cannot update (a sum past 2^84, a
 * key of the wrong type) fails the calls that touch it and no other.
 *
 * Per series the script keeps the memory store's state and algorithm, so both read the same
 * values: running totals per window moved forward when the series clock crosses a bucket
 * boundary (a live read is O(1)), the retained buckets summed for a read behind the clock.
 * Values are packed binary (struct), so the script does no decimal parsing, and one HMGET
 * reads the head and the buckets the events go to.
 *
 * Keys of a series, under the prefix P (`bulwark:v:` by default), with the hash tag `{entity}`
 * so all the series of one entity share a hash slot:
 *  - `P{E}|M` — hash: `T` (clock; week of the last TTL renewal; earliest time an indexed bucket
 *    leaves the retention; sizes of the three sets; per resolution r ∈ s,m,q,h = 1 s, 1 min,
 *    15 min, 1 h the span of buckets that may hold data, as offsets from the clock's bucket), `W1` `W2` `W3` (running totals of the windows two by two: count, sum as two
 *    halves, distinct; empty when zero), and per non-empty bucket `C<r><bucket>` (count, sum
 *    halves, counterparties whose latest sighting is in it). Fields stay under 64 bytes, so a
 *    small series' hash stays a listpack.
 *  - `P{E}|M:i` — sorted set, one member `<r><bucket>` per non-empty bucket, scored by the time
 *    it leaves the retention (`(bucket + R) × res`), so one range finds what to trim.
 *  - `P{E}|M:p` — sorted set of `<r><bucket>|<counterparty>`, same scores: the union over a
 *    window is the distinct count of a read behind the clock.
 *  - `P{E}|M:d` — sorted set counterparty → latest sighting (ms).
 * Buckets that left the retention are deleted once the oldest of them has been out for five
 * minutes (a busy series trims every five minutes, not every second); nothing reads them in
 * the meantime. Every key expires 67 days and an hour after the first record of the clock's
 * latest week (the retention, plus the week between renewals); the hash's expiry is set with
 * every set's, so no set outlives its hash (a series whose hash is gone starts empty).
 * This layout replaced one keyed `P{E|M}`: keys of the old layout are not read and expire on
 * their own; a deployment rebuilds the counters from the journal (`rebuild`).
 *
 * Exact sums: amounts travel as two 32-bit halves and sums are kept as `hi × 2^32 + lo` in two
 * doubles, each exact; exact up to 2^84 minor units, past which the script refuses the series.
 *
 * Redis Cluster: the keys of an entity share one slot, but a script call carries series of
 * many slots and touches the `:i/:p/:d` siblings without naming them in KEYS: this store needs
 * a standalone Redis (or one shard); for Cluster the batcher would have to split each batch
 * per slot and declare all four keys (not done). Eviction must be off (`noeviction`): an
 * evicted hash would leave its sets behind. After a script cache flush (restart, failover) the
 * batches in flight are sent again in order; one that another process's SCRIPT LOAD let run
 * before them may run ahead of them. TTLs count in wall-clock time while windows count in
 * event time: they only take away data the clock has already left behind as long as event
 * time runs at least as fast as the wall clock.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  checkEventValues,
  checkQuery,
  checkSeries,
  forEachBatch,
  RESOLUTIONS,
  type VelocityEvent,
  type VelocityQuery,
  type VelocityResult,
  type VelocityStore,
  WINDOW_LIST,
  WINDOW_SPECS,
  WINDOWS_BY_RESOLUTION,
} from './store.ts';

const WEEK_MS = 7 * 86_400_000;
const HOUR = RESOLUTIONS[RESOLUTIONS.length - 1];
/** The longest retention, plus a week (TTLs are renewed once per week of the clock) and an hour of slack. */
const SERIES_TTL_MS = (HOUR ? HOUR.retained * HOUR.ms : 0) + WEEK_MS + 3_600_000;
/** A stale bucket is deleted once the oldest one has been out of the retention this long. */
const TRIM_SLACK_MS = 300_000;
/** Window totals are stored two to a field (each field stays under 64 bytes, so small hashes stay listpacks). */
const WINDOW_GROUPS: number[][] = [];
for (let i = 0; i < WINDOW_LIST.length; i += 2) {
  WINDOW_GROUPS.push(WINDOW_LIST.slice(i, i + 2).map((w) => w.index + 1));
}

/** Bytes of one read answer: count, sum hi, sum lo, distinct (doubles), complete (byte). */
const ANSWER_BYTES = 33;
/** Bytes of an op header: kind, at, mask or amount hi, amount lo, counterparty length. */
const OP_BYTES = 19;
const OP_READ = 1;
const OP_WRITE = 2;
const TWO32 = 4_294_967_296;

const lua = String.raw;

/** The script, with the resolution and window tables generated from the constants of store.ts. */
export const VELOCITY_LUA = lua`
local spack, sunpack = struct.pack, struct.unpack
local floor, min, max = math.floor, math.min, math.max
local fmt, sub, byte, find = string.format, string.sub, string.byte, string.find
local concat, unpack, call = table.concat, unpack, redis.call
local tonumber, tostring, pcall, error, type, pairs = tonumber, tostring, pcall, error, type, pairs

local NR = ${String(RESOLUTIONS.length)}
local RCODE = {${RESOLUTIONS.map((r) => `'${r.code}'`).join(',')}}
local RMS = {${RESOLUTIONS.map((r) => String(r.ms)).join(',')}}
local RKEEP = {${RESOLUTIONS.map((r) => String(r.retained)).join(',')}}
local RWIN = {${WINDOWS_BY_RESOLUTION.map((ws) => `{${ws.map((w) => String(w.index + 1)).join(',')}}`).join(',')}}
local NW = ${String(WINDOW_LIST.length)}
local WRES = {${WINDOW_LIST.map((w) => String(w.resolution + 1)).join(',')}}
local WN = {${WINDOW_LIST.map((w) => String(w.buckets)).join(',')}}
local BIT = {${WINDOW_LIST.map((w) => String(1 << w.index)).join(',')}}
-- Window totals, two to a field: field names, the windows of each, the field of each window.
local GROUPS = {${WINDOW_GROUPS.map((g) => `{${g.join(',')}}`).join(',')}}
local NG = #GROUPS
local GFIELD, WGROUP = {}, {}
for g = 1, NG do
  GFIELD[g] = 'W' .. g
  for _, w in ipairs(GROUPS[g]) do WGROUP[w] = g end
end
local HR = NR
local HOUR_MS, HOUR_KEEP = RMS[HR], RKEEP[HR]
local WEEK_MS = ${String(WEEK_MS)}
local TTL = ${String(SERIES_TTL_MS)}
-- The absolute expiry of the keys written by this call (from TIME, once).
local EXPIRE_AT
local TRIM_SLACK = ${String(TRIM_SLACK_MS)}
-- Ranges of at most PROBE buckets are read field by field; longer ones through the index.
local PROBE = 4
-- An index this small is read whole when the series needs it.
local FULL_INDEX = 64
local SCAN = 16
-- Arguments per command (unpack is bounded by the C stack); even, for ZADD pairs.
local CHUNK = 1024
local TWO32 = 4294967296
local HI_LIMIT = 4503599627370496
local COUNT_LIMIT = 4294967295
local NONE16 = 65535
local NOWEEK = 4294967295
local INF = math.huge
-- Head: clock, renewal week, earliest expiry, sizes of the three sets, per resolution two offsets.
local HEAD = '<dI4dI4I4I4' .. string.rep('HH', NR)
local ZERO = spack('<ddddB', 0, 0, 0, 0, 1)
local RBYTE, MFMT = {}, {}
for r = 1, NR do RBYTE[byte(RCODE[r])] = r; MFMT[r] = RCODE[r] .. '%d' end

-- Names and scores are shared by every series of the call: index member '<r><bucket>', field
-- 'C<r><bucket>', and the time the bucket leaves the retention (its score in the sets).
local MEMB, FIELD, EXPS, FR, FB = {}, {}, {}, {}, {}
for r = 1, NR do MEMB[r] = {}; FIELD[r] = {}; EXPS[r] = {} end
local function member(r, b)
  local m = MEMB[r][b]
  if not m then m = fmt(MFMT[r], b); MEMB[r][b] = m end
  return m
end
local function field(r, b)
  local f = FIELD[r][b]
  if not f then f = 'C' .. member(r, b); FIELD[r][b] = f; FR[f] = r; FB[f] = b end
  return f
end
local function expiry(r, b)
  local e = EXPS[r][b]
  if not e then e = fmt('%d', (b + RKEEP[r]) * RMS[r]); EXPS[r][b] = e end
  return e
end

-- A command over a list of arguments (list[1..n]), in chunks; the sum of the integer replies.
local function callList(cmd, key, list, n, flag)
  local total = 0
  for s = 1, n, CHUNK do
    local e = min(s + CHUNK - 1, n)
    local r
    if flag then r = call(cmd, key, flag, unpack(list, s, e)) else r = call(cmd, key, unpack(list, s, e)) end
    if type(r) == 'number' then total = total + r end
  end
  return total
end

-- Scratch lists reused by every series (with their lengths), so a series allocates little.
local WANT, NEWI, NEWP, HS, NEWR, NEWB = {}, {}, {}, {}, {}, {}
local nNewI, nNewP, nNew

-- The series being run.
local H, KI, KP, KD
local clock, week, X, nI, nP, nD
local LB, NB = {}, {}
local WC, WH, WL, WD = {}, {}, {}, {}
local DW = {}
-- Buckets read or made: field -> {count, sum hi, sum lo, seen, dirty} or false when empty.
local BV, dirtyList
local seen, prevOf
-- Per resolution, every non-empty bucket, when all of them are known (else nil).
-- LB/NB: per resolution a bucket at or before the oldest holding data, and the newest.
local IDX
local fresh, changed, recorded, ttlI, ttlP, ttlD
local out

local function fetch(fs, n)
  local need, k = {}, 0
  for i = 1, n do
    local f = fs[i]
    if BV[f] == nil then BV[f] = false; k = k + 1; need[k] = f end
  end
  for s = 1, k, CHUNK do
    local e = min(s + CHUNK - 1, k)
    local vals = call('HMGET', H, unpack(need, s, e))
    for i = s, e do
      local v = vals[i - s + 1]
      if v then
        local c, hi, lo, d = sunpack('<I4dI4I4', v)
        BV[need[i]] = {c, hi, lo, d, false}
      end
    end
  end
end

local function flushIndex()
  if nNewI > 0 then
    if nI == 0 then ttlI = true end
    nI = nI + callList('ZADD', KI, NEWI, nNewI)
    nNewI = 0
  end
end
local function flushPairs()
  if nNewP > 0 then
    if nP == 0 then ttlP = true end
    nP = nP + callList('ZADD', KP, NEWP, nNewP)
    nNewP = 0
  end
end

local function perResolution()
  local t = {}
  for r = 1, NR do t[r] = {} end
  return t
end

-- Every non-empty bucket per resolution: built from this call's new buckets for a new
-- series, else read whole from the index when it is small; nil when it is not.
local function index()
  if IDX then return IDX end
  if fresh then
    IDX = perResolution()
    for i = 1, nNew do local l = IDX[NEWR[i]]; l[#l + 1] = NEWB[i] end
  elseif nI + nNewI / 2 <= FULL_INDEX then
    flushIndex()
    IDX = perResolution()
    local got = call('ZRANGE', KI, 0, -1)
    for i = 1, #got do
      local m = got[i]
      local r = RBYTE[byte(m, 1)]
      if r then local l = IDX[r]; l[#l + 1] = tonumber(sub(m, 2)) end
    end
  end
  return IDX
end

-- The non-empty buckets of resolution r in [a, z].
local function bucketsIn(r, a, z)
  local fs, n = {}, 0
  local idx = IDX
  if not idx and (fresh or z - a >= PROBE) then idx = index() end
  if idx then
    local list = idx[r]
    for i = 1, #list do
      local b = list[i]
      if b >= a and b <= z then n = n + 1; fs[n] = field(r, b) end
    end
  elseif z - a < PROBE then
    for b = a, z do n = n + 1; fs[n] = field(r, b) end
  else
    flushIndex()
    local got = call('ZRANGEBYSCORE', KI, expiry(r, a), expiry(r, z))
    for i = 1, #got do
      local m = got[i]
      if RBYTE[byte(m, 1)] == r then n = n + 1; fs[n] = field(r, tonumber(sub(m, 2))) end
    end
  end
  fetch(fs, n)
  local res, k = {}, 0
  for i = 1, n do
    local v = BV[fs[i]]
    if v then k = k + 1; res[k] = v end
  end
  return res
end

-- Moves the clock to 'to': buckets leaving a window come off its totals. Buckets leaving the
-- retention stay until the trim, but nothing reads them: every range starts inside it.
local function advance(to)
  local from = clock
  clock = to
  changed = true
  for r = 1, NR do
    local ms = RMS[r]
    local h0, h1 = floor(from / ms), floor(to / ms)
    if h1 > h0 then
      local wins = RWIN[r]
      for j = 1, #wins do
        local w = wins[j]
        -- A window without events has nothing to take off.
        if WC[w] ~= 0 then
          local n = WN[w]
          if h1 - n >= h0 then
            WC[w], WH[w], WL[w], WD[w] = 0, 0, 0, 0
            DW[WGROUP[w]] = true
          elseif LB[r] then
            local a, z = max(h0 - n + 1, LB[r]), min(h1 - n, NB[r])
            if a <= z then
              local bs = bucketsIn(r, a, z)
              if #bs > 0 then
                local c, hi, lo, d = WC[w], WH[w], WL[w], WD[w]
                for i = 1, #bs do
                  local v = bs[i]
                  c = c - v[1]
                  d = d - v[4]
                  lo = lo - v[3]
                  hi = hi - v[2]
                  if lo < 0 then lo = lo + TWO32; hi = hi - 1 end
                end
                WC[w], WH[w], WL[w], WD[w] = c, hi, lo, d
                DW[WGROUP[w]] = true
              end
            end
          end
        end
      end
    end
  end
end

local function readWin(at, w)
  if not clock then out[#out + 1] = ZERO; return end
  if at > clock then advance(at) end
  local r = WRES[w]
  local ms, keep, n = RMS[r], RKEEP[r], WN[w]
  local h, b = floor(clock / ms), floor(at / ms)
  if b == h then
    out[#out + 1] = spack('<ddddB', WC[w], WH[w], WL[w], WD[w], 1)
    return
  end
  -- Behind the clock: the retained buckets of the window, one by one.
  local lo = b - n + 1
  local a, z = max(lo, h - keep + 1), b
  local c, hi, sl, d = 0, 0, 0, 0
  if LB[r] then
    a = max(a, LB[r]); z = min(z, NB[r])
    if a <= z then
      local bs = bucketsIn(r, a, z)
      for i = 1, #bs do
        local v = bs[i]
        c = c + v[1]
        sl = sl + v[3]
        hi = hi + v[2]
        if sl >= TWO32 then sl = sl - TWO32; hi = hi + 1 end
      end
      if hi >= HI_LIMIT then error('velocity: sum beyond 2^84 minor units') end
      flushPairs()
      if nP > 0 then
        local code = byte(RCODE[r])
        local set = {}
        local got = call('ZRANGEBYSCORE', KP, expiry(r, a), expiry(r, z))
        for i = 1, #got do
          local m = got[i]
          if byte(m, 1) == code then
            local cp = sub(m, find(m, '|', 2, true) + 1)
            if not set[cp] then set[cp] = true; d = d + 1 end
          end
        end
      end
    end
  end
  out[#out + 1] = spack('<ddddB', c, hi, sl, d, (lo > h - keep) and 1 or 0)
end

local function newSeries(t)
  clock, week, X, nI, nP, nD = t, NOWEEK, INF, 0, 0, 0
  for r = 1, NR do LB[r], NB[r] = false, false end
  for w = 1, NW do WC[w], WH[w], WL[w], WD[w] = 0, 0, 0, 0 end
  fresh, changed = true, true
end

local function record(t, ahi, alo, cp)
  if not clock then newSeries(t) elseif t > clock then advance(t) end
  -- Older than the longest retention: no window can ever read it.
  if floor(t / HOUR_MS) <= floor(clock / HOUR_MS) - HOUR_KEEP then return end
  recorded, changed = true, true
  local prev = -1
  if cp then prev = (seen and seen[cp]) or (prevOf and prevOf[cp]) or -1 end
  local hasAmount = ahi ~= 0 or alo ~= 0
  for r = 1, NR do
    local ms, keep = RMS[r], RKEEP[r]
    local h, b = floor(clock / ms), floor(t / ms)
    if b > h - keep then
      local f = field(r, b)
      local v = BV[f]
      if v == nil then fetch({f}, 1); v = BV[f] end
      if not v then
        v = {0, 0, 0, 0, false}
        BV[f] = v
        local e = (b + keep) * ms
        NEWI[nNewI + 1] = expiry(r, b); NEWI[nNewI + 2] = member(r, b); nNewI = nNewI + 2
        nNew = nNew + 1; NEWR[nNew] = r; NEWB[nNew] = b
        if e < X then X = e end
        if IDX then local l = IDX[r]; l[#l + 1] = b end
        if not LB[r] or b < LB[r] then LB[r] = b end
        if not NB[r] or b > NB[r] then NB[r] = b end
      end
      if v[1] >= COUNT_LIMIT then error('velocity: more than 2^32 - 1 events in one bucket') end
      v[1] = v[1] + 1
      if hasAmount then
        local lo, hi = v[3] + alo, v[2] + ahi
        if lo >= TWO32 then lo = lo - TWO32; hi = hi + 1 end
        if hi >= HI_LIMIT then error('velocity: sum beyond 2^84 minor units') end
        v[2], v[3] = hi, lo
      end
      if not v[5] then v[5] = true; dirtyList[#dirtyList + 1] = f end
      local wins = RWIN[r]
      for j = 1, #wins do
        local w = wins[j]
        if b > h - WN[w] then
          WC[w] = WC[w] + 1
          if hasAmount then
            local lo, hi = WL[w] + alo, WH[w] + ahi
            if lo >= TWO32 then lo = lo - TWO32; hi = hi + 1 end
            if hi >= HI_LIMIT then error('velocity: sum beyond 2^84 minor units') end
            WH[w], WL[w] = hi, lo
          end
          DW[WGROUP[w]] = true
        end
      end
      if cp then
        local pb = -1
        if prev >= 0 then pb = floor(prev / ms) end
        -- A pair per (resolution, bucket, counterparty): adding it twice changes nothing.
        if b ~= pb then
          NEWP[nNewP + 1] = expiry(r, b); NEWP[nNewP + 2] = member(r, b) .. '|' .. cp; nNewP = nNewP + 2
        end
        if b > pb then
          -- The latest sighting moves from bucket pb to b in the histogram behind the distinct totals.
          if prev >= 0 and pb > h - keep then
            local pf = field(r, pb)
            local pv = BV[pf]
            if pv == nil then fetch({pf}, 1); pv = BV[pf] end
            if pv then
              pv[4] = pv[4] - 1
              if not pv[5] then pv[5] = true; dirtyList[#dirtyList + 1] = pf end
              for j = 1, #wins do
                local w = wins[j]
                if pb > h - WN[w] then WD[w] = WD[w] - 1; DW[WGROUP[w]] = true end
              end
            end
          end
          v[4] = v[4] + 1
          for j = 1, #wins do
            local w = wins[j]
            if b > h - WN[w] then WD[w] = WD[w] + 1 end
          end
        end
      end
    end
  end
  if cp and t > prev then
    seen = seen or {}
    seen[cp] = t
  end
end

-- Deletes the buckets (and pairs, and sightings) that left the retention.
local function trim()
  local stale, ns = {}, 0
  X = INF
  local idx = index()
  if idx then
    for r = 1, NR do
      local ms, keep = RMS[r], RKEEP[r]
      local list, kept = idx[r], {}
      for i = 1, #list do
        local b = list[i]
        local e = (b + keep) * ms
        if e <= clock then
          ns = ns + 1; stale[ns] = member(r, b)
        else
          kept[#kept + 1] = b
          if e < X then X = e end
        end
      end
      idx[r] = kept
    end
  else
    local offset = 0
    while true do
      local got = call('ZRANGE', KI, offset, offset + SCAN - 1)
      local more = #got == SCAN
      for i = 1, #got do
        local m = got[i]
        local r = RBYTE[byte(m, 1)]
        local e = (tonumber(sub(m, 2)) + RKEEP[r]) * RMS[r]
        if e <= clock then ns = ns + 1; stale[ns] = m else X = e; more = false; break end
      end
      if not more then break end
      offset = offset + SCAN
    end
  end
  if ns == 0 then return end
  local now = fmt('%d', clock)
  nI = max(0, nI - call('ZREMRANGEBYSCORE', KI, '-inf', now))
  local del, hourGone = {}, false
  for i = 1, ns do
    local m = stale[i]
    del[i] = 'C' .. m
    if RBYTE[byte(m, 1)] == HR then hourGone = true end
  end
  callList('HDEL', H, del, ns)
  if nP > 0 then nP = max(0, nP - call('ZREMRANGEBYSCORE', KP, '-inf', now)) end
  -- A counterparty whose latest sighting left the longest retention is forgotten.
  if hourGone and nD > 0 then
    local cutoff = (floor(clock / HOUR_MS) - HOUR_KEEP + 1) * HOUR_MS
    nD = max(0, nD - call('ZREMRANGEBYSCORE', KD, '-inf', fmt('(%d', cutoff)))
  end
end

local function finish()
  if not changed then return end
  local wk = floor(clock / WEEK_MS)
  local renew = recorded and wk ~= week
  if renew then week = wk end
  flushIndex()
  flushPairs()
  if seen then
    local sg, n = {}, 0
    for cp, t in pairs(seen) do sg[n + 1] = fmt('%d', t); sg[n + 2] = cp; n = n + 2 end
    if nD == 0 then ttlD = true end
    nD = nD + callList('ZADD', KD, sg, n, 'GT')
  end
  if nI > 0 and X + TRIM_SLACK <= clock then trim() end
  -- The oldest and newest non-empty bucket per resolution, as offsets from the clock's
  -- bucket (clamped to the retention: nothing older is ever read).
  local off = {}
  for r = 1, NR do
    local h = floor(clock / RMS[r])
    local low = h - RKEEP[r] + 1
    if LB[r] and NB[r] >= low then
      off[2 * r - 1] = h - max(LB[r], low); off[2 * r] = h - NB[r]
    else
      off[2 * r - 1] = NONE16; off[2 * r] = NONE16
    end
  end
  HS[1] = 'T'
  HS[2] = spack(HEAD, clock, week, X, nI, nP, nD, unpack(off))
  local n = 2
  for g = 1, NG do
    if DW[g] then
      local ws = GROUPS[g]
      local zero = true
      for j = 1, #ws do if WC[ws[j]] ~= 0 then zero = false end end
      n = n + 1; HS[n] = GFIELD[g]
      n = n + 1
      if zero then
        HS[n] = ''
      elseif #ws == 2 then
        local a, b = ws[1], ws[2]
        HS[n] = spack('<dddddddd', WC[a], WH[a], WL[a], WD[a], WC[b], WH[b], WL[b], WD[b])
      else
        local a = ws[1]
        HS[n] = spack('<dddd', WC[a], WH[a], WL[a], WD[a])
      end
    end
  end
  for i = 1, #dirtyList do
    local f = dirtyList[i]
    local r = FR[f]
    -- A bucket that left the retention is deleted (or will be), never written.
    if FB[f] > floor(clock / RMS[r]) - RKEEP[r] then
      local v = BV[f]
      n = n + 1; HS[n] = f
      n = n + 1; HS[n] = spack('<I4dI4I4', v[1], v[2], v[3], v[4])
    end
  end
  callList('HSET', H, HS, n)
  -- The hash is renewed with every set, so it is never outlived by one.
  if renew or ttlI or ttlP or ttlD then
    -- One absolute expiry for the whole call (PEXPIREAT is not rewritten for propagation).
    if not EXPIRE_AT then
      local t = call('TIME')
      EXPIRE_AT = fmt('%d', tonumber(t[1]) * 1000 + floor(tonumber(t[2]) / 1000) + TTL)
    end
    call('PEXPIREAT', H, EXPIRE_AT)
    if nI > 0 and (renew or ttlI) then call('PEXPIREAT', KI, EXPIRE_AT) end
    if nP > 0 and (renew or ttlP) then call('PEXPIREAT', KP, EXPIRE_AT) end
    if nD > 0 and (renew or ttlD) then call('PEXPIREAT', KD, EXPIRE_AT) end
  end
end

-- Reads the head of the series and the buckets its events go to, in one HMGET. False when
-- the series was never recorded (or expired) and has no events here: nothing to run.
local function loadHead(nops, OK, OT)
  WANT[1] = 'T'
  local n = 1
  for g = 1, NG do n = n + 1; WANT[n] = GFIELD[g] end
  local head = n
  local hasWrite = false
  for k = 1, nops do
    if OK[k] == 2 then
      hasWrite = true
      local t = OT[k]
      for r = 1, NR do
        local f = field(r, floor(t / RMS[r]))
        if BV[f] == nil and n < CHUNK then BV[f] = false; n = n + 1; WANT[n] = f end
      end
    end
  end
  local vals = call('HMGET', H, unpack(WANT, 1, n))
  local t = vals[1]
  if not t then
    clock = nil
    return hasWrite
  end
  local l = {sunpack(HEAD, t)}
  clock, week, X, nI, nP, nD = l[1], l[2], l[3], l[4], l[5], l[6]
  for r = 1, NR do
    local a, z = l[5 + 2 * r], l[6 + 2 * r]
    if a == NONE16 then
      LB[r], NB[r] = false, false
    else
      local h = floor(clock / RMS[r])
      LB[r], NB[r] = h - a, h - z
    end
  end
  for g = 1, NG do
    local v = vals[1 + g]
    local ws = GROUPS[g]
    if v and #v > 0 then
      if #ws == 2 then
        local a, b = ws[1], ws[2]
        WC[a], WH[a], WL[a], WD[a], WC[b], WH[b], WL[b], WD[b] = sunpack('<dddddddd', v)
      else
        local a = ws[1]
        WC[a], WH[a], WL[a], WD[a] = sunpack('<dddd', v)
      end
    else
      for j = 1, #ws do local w = ws[j]; WC[w], WH[w], WL[w], WD[w] = 0, 0, 0, 0 end
    end
  end
  for i = head + 1, n do
    local v = vals[i]
    if v then
      local c, hi, lo, d = sunpack('<I4dI4I4', v)
      BV[WANT[i]] = {c, hi, lo, d, false}
    end
  end
  return true
end

-- Whether the series will need its index: a trim, a long range leaving a window, or a read
-- behind the clock.
local function needsIndex(nops, OK, OT, tmax)
  if nI == 0 then return false end
  if X + TRIM_SLACK <= tmax then return true end
  local h = floor(clock / RMS[1])
  for k = 1, nops do
    if OK[k] == 1 and floor(OT[k] / RMS[1]) < h then return true end
  end
  if tmax > clock then
    for w = 1, NW do
      local r = WRES[w]
      if WC[w] ~= 0 and LB[r] then
        local ms, n = RMS[r], WN[w]
        local h0, h1 = floor(clock / ms), floor(tmax / ms)
        if h1 > h0 and h1 - n < h0 and min(h1 - n, NB[r]) - max(h0 - n + 1, LB[r]) >= PROBE then return true end
      end
    end
  end
  return false
end

-- Before the ops of an existing series run: its index when small and needed, the latest
-- sightings of the counterparties, and one HMGET for the buckets that will leave the windows
-- and those of the latest sightings.
local function prepare(nops, OK, OT, OC, tmax)
  if needsIndex(nops, OK, OT, tmax) then index() end
  if nD > 0 then
    local cps, nc = {}, 0
    prevOf = {}
    for k = 1, nops do
      local cp = OC[k]
      if cp and not prevOf[cp] then prevOf[cp] = -1; nc = nc + 1; cps[nc] = cp end
    end
    for s = 1, nc, CHUNK do
      local e = min(s + CHUNK - 1, nc)
      local got = call('ZMSCORE', KD, unpack(cps, s, e))
      for i = s, e do prevOf[cps[i]] = tonumber(got[i - s + 1]) or -1 end
    end
  end
  local fs, n = {}, 0
  if tmax > clock then
    for w = 1, NW do
      local r = WRES[w]
      if WC[w] ~= 0 and LB[r] then
        local ms, nb = RMS[r], WN[w]
        local h0, h1 = floor(clock / ms), floor(tmax / ms)
        if h1 > h0 and h1 - nb < h0 then
          local a, z = max(h0 - nb + 1, LB[r]), min(h1 - nb, NB[r])
          if IDX then
            local list = IDX[r]
            for i = 1, #list do
              local b = list[i]
              if b >= a and b <= z then n = n + 1; fs[n] = field(r, b) end
            end
          elseif z - a < PROBE then
            for b = a, z do n = n + 1; fs[n] = field(r, b) end
          end
        end
      end
    end
  end
  if prevOf then
    for _, p in pairs(prevOf) do
      if p >= 0 then
        for r = 1, NR do
          local ms = RMS[r]
          local pb = floor(p / ms)
          if pb > floor(clock / ms) - RKEEP[r] then n = n + 1; fs[n] = field(r, pb) end
        end
      end
    end
  end
  if n > 0 then fetch(fs, n) end
end

local function runSeries(key, nops, OK, OT, OX, OY, OC)
  H = key
  BV, dirtyList, seen, prevOf, IDX = {}, {}, nil, nil, nil
  fresh, changed, recorded, ttlI, ttlP, ttlD = false, false, false, false, false, false
  nNewI, nNewP, nNew = 0, 0, 0
  for g = 1, NG do DW[g] = false end
  if not loadHead(nops, OK, OT) then
    -- Never recorded (or expired), and only read: zeros, and nothing is written.
    for k = 1, nops do
      for w = 1, NW do
        if floor(OX[k] / BIT[w]) % 2 == 1 then out[#out + 1] = ZERO end
      end
    end
    return
  end
  KI, KP, KD = key .. ':i', key .. ':p', key .. ':d'
  if clock then
    local tmax = clock
    for k = 1, nops do if OT[k] > tmax then tmax = OT[k] end end
    prepare(nops, OK, OT, OC, tmax)
  end
  for k = 1, nops do
    if OK[k] == 1 then
      local at, m = OT[k], OX[k]
      for w = 1, NW do
        if floor(m / BIT[w]) % 2 == 1 then readWin(at, w) end
      end
    else
      record(OT[k], OX[k], OY[k], OC[k])
    end
  end
  finish()
end

-- ARGV[1]: per series (in KEYS order) the op count, then the ops: kind (1 read, 2 record),
-- time, window mask or amount hi, amount lo, counterparty length and bytes.
-- Reply: per series 1 and its answers in op and window order, or 0 and an error message.
local blob = ARGV[1]
local pos = 1
local OK, OT, OX, OY, OC = {}, {}, {}, {}, {}
out = {}
for s = 1, #KEYS do
  local nops
  nops, pos = sunpack('<I4', blob, pos)
  for k = 1, nops do
    local kind, at, x, y, cl
    kind, at, x, y, cl, pos = sunpack('<BdI4I4H', blob, pos)
    OK[k], OT[k], OX[k], OY[k] = kind, at, x, y
    if cl > 0 then OC[k] = sub(blob, pos, pos + cl - 1); pos = pos + cl else OC[k] = false end
  end
  local mark = #out + 1
  out[mark] = '\1'
  local ok, err = pcall(runSeries, KEYS[s], nops, OK, OT, OX, OY, OC)
  if not ok then
    for i = #out, mark + 1, -1 do out[i] = nil end
    local msg = err
    if type(err) == 'table' then msg = err.err or 'error' end
    msg = sub(tostring(msg), 1, 500)
    out[mark] = '\0' .. spack('<H', #msg) .. msg
  end
end
return concat(out)
`;

const SCRIPT_SHA = createHash('sha1').update(VELOCITY_LUA).digest('hex');
const PREFIX_RE = /^[A-Za-z0-9:_.-]{0,64}$/;

export interface RedisVelocityStoreOptions {
  /** An ioredis client of a standalone Redis (see the note on Cluster above). */
  redis: Redis;
  /** Key prefix, letters, digits and `:_.-` only; tests use a random one. Default `bulwark:v:`. */
  prefix?: string;
  /** Quit the client on close(). */
  ownsClient?: boolean;
  /** Most calls coalesced into one batch; a full batch is sent at once. Default 256. */
  maxBatchCalls?: number;
  /** Batches sent and not yet answered; past this, new calls wait for an answer. Default 2. */
  maxInFlight?: number;
}

/** One caller's call, waiting for the batches that carry its ops. */
interface PendingCall {
  results: VelocityResult[];
  /** Pairs (query index, index of the same read earlier in the call): answered once. */
  dups: number[];
  /** Script calls still to answer for this call. */
  parts: number;
  lastPart: number;
  error: Error | undefined;
  resolve: (results: VelocityResult[]) => void;
  reject: (err: Error) => void;
}

/** A read of one series at one time: the query index per window, in window order. */
interface ReadOp {
  kind: typeof OP_READ;
  at: number;
  mask: number;
  call: PendingCall;
  /** Query index by window index (−1: not asked). */
  slots: number[];
}

interface WriteOp {
  kind: typeof OP_WRITE;
  at: number;
  hi: number;
  lo: number;
  counterparty: string | undefined;
}

/** The ops of one series in one batch, in call order. */
interface SeriesOps {
  entity: string;
  metric: string;
  key: string;
  ops: Array<ReadOp | WriteOp>;
  /** Calls with ops here (each once). */
  calls: PendingCall[];
  bytes: number;
  /** The call whose reads `reads` groups (one op per read time). */
  lastCall: PendingCall | undefined;
  reads: ReadOp[];
}

interface Batch {
  /** Series by entity, then metric (no key strings built per query). */
  series: Map<string, Map<string, SeriesOps>>;
  /** The same series in the order they were first met. */
  list: SeriesOps[];
  calls: number;
}

/** Series per script call: bounds how long one call holds Redis (a rebuild sends thousands). */
const SERIES_PER_CALL = 128;
/** Ops per script call, for the same reason (a series is never split). */
const OPS_PER_CALL = 2_048;
/** Validated series remembered, so the hot path skips the patterns; cleared when full. */
const KNOWN_SERIES_MAX = 100_000;

function toBigint(hi: number, lo: number): bigint {
  if (hi === 0) return BigInt(lo);
  // hi × 2^32 + lo is still an exact double below 2^53.
  if (hi < 2_097_152) return BigInt(hi * TWO32 + lo);
  return (BigInt(hi) << 32n) + BigInt(lo);
}

export class RedisVelocityStore implements VelocityStore {
  readonly prefix: string;
  private readonly redis: Redis;
  private readonly ownsClient: boolean;
  private readonly maxBatchCalls: number;
  private readonly maxInFlight: number;
  /** Series already checked against the patterns: metrics by entity, and how many in all. */
  private readonly known = new Map<string, Set<string>>();
  private knownCount = 0;
  private pending: Batch | undefined;
  private scheduled = false;
  private inFlight = 0;
  private partSeq = 0;
  private scriptLoad: Promise<unknown> | undefined;
  private scriptReady = false;
  /** A batch met NOSCRIPT: nothing new is sent until the batches in flight are answered and sent again. */
  private stalled = false;
  private retry: Array<{ part: SeriesOps[]; blob: Buffer }> = [];
  private idle: Array<() => void> = [];

  constructor(options: RedisVelocityStoreOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix ?? 'bulwark:v:';
    this.ownsClient = options.ownsClient ?? false;
    this.maxBatchCalls = options.maxBatchCalls ?? 256;
    this.maxInFlight = options.maxInFlight ?? 2;
    if (!PREFIX_RE.test(this.prefix)) {
      throw new TypeError('velocity: the Redis prefix may hold only letters, digits and :_.-');
    }
    if (!Number.isSafeInteger(this.maxBatchCalls) || this.maxBatchCalls < 1) {
      throw new RangeError('velocity: maxBatchCalls must be a positive integer');
    }
    if (!Number.isSafeInteger(this.maxInFlight) || this.maxInFlight < 1) {
      throw new RangeError('velocity: maxInFlight must be a positive integer');
    }
  }

  /** A store with its own client (closed with the store). */
  static connect(url: string, prefix?: string): RedisVelocityStore {
    const redis = new Redis(url, { maxRetriesPerRequest: 2 });
    return new RedisVelocityStore({ redis, ownsClient: true, ...(prefix === undefined ? {} : { prefix }) });
  }

  async record(events: readonly VelocityEvent[]): Promise<void> {
    await this.readAndRecord([], events);
  }

  async read(queries: readonly VelocityQuery[]): Promise<VelocityResult[]> {
    return this.readAndRecord(queries, []);
  }

  async readAndRecord(
    queries: readonly VelocityQuery[],
    events: readonly VelocityEvent[],
  ): Promise<VelocityResult[]> {
    // The whole call is checked before any of it is queued: a bad query or event changes nothing.
    for (const q of queries) this.checkQuery(q);
    for (const e of events) this.checkEvent(e);
    if (queries.length === 0 && events.length === 0) return [];
    return new Promise<VelocityResult[]>((resolve, reject) => {
      const call: PendingCall = {
        results: new Array<VelocityResult>(queries.length),
        dups: [],
        parts: 0,
        lastPart: -1,
        error: undefined,
        resolve,
        reject,
      };
      this.enqueue(call, queries, events);
    });
  }

  async rebuild(source: AsyncIterable<VelocityEvent>): Promise<number> {
    await this.clear();
    return forEachBatch(source, 2_000, (batch) => this.record(batch));
  }

  /** Deletes every key under this store's prefix (after the calls already made are done). */
  async clear(): Promise<void> {
    await this.drain();
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) await this.redis.unlink(...keys);
    } while (cursor !== '0');
  }

  async close(): Promise<void> {
    await this.drain();
    if (this.ownsClient) await this.redis.quit();
  }

  /** The Redis keys of a series (for tests and operators). */
  keysOf(
    entity: string,
    metric: string,
  ): { hash: string; buckets: string; pairs: string; counterparties: string } {
    const hash = this.hashKey(entity, metric);
    return { hash, buckets: `${hash}:i`, pairs: `${hash}:p`, counterparties: `${hash}:d` };
  }

  // ---------------------------------------------------------------------------------------

  private hashKey(entity: string, metric: string): string {
    return `${this.prefix}{${entity}}|${metric}`;
  }

  private checkQuery(q: VelocityQuery): void {
    if (
      this.known.get(q.entity)?.has(q.metric) !== true ||
      !Number.isSafeInteger(q.at) ||
      q.at < 0 ||
      !Object.hasOwn(WINDOW_SPECS, q.window)
    ) {
      checkQuery(q);
      this.remember(q.entity, q.metric);
    }
  }

  private checkEvent(e: VelocityEvent): void {
    if (this.known.get(e.entity)?.has(e.metric) !== true) {
      checkSeries(e.entity, e.metric);
      this.remember(e.entity, e.metric);
    }
    checkEventValues(e);
  }

  private remember(entity: string, metric: string): void {
    if (this.knownCount >= KNOWN_SERIES_MAX) {
      this.known.clear();
      this.knownCount = 0;
    }
    let metrics = this.known.get(entity);
    if (!metrics) {
      metrics = new Set();
      this.known.set(entity, metrics);
    }
    if (!metrics.has(metric)) {
      metrics.add(metric);
      this.knownCount++;
    }
  }

  /** Adds a call's ops to the open batch (copied now: the caller may reuse its arrays). */
  private enqueue(
    call: PendingCall,
    queries: readonly VelocityQuery[],
    events: readonly VelocityEvent[],
  ): void {
    this.pending ??= { series: new Map(), list: [], calls: 0 };
    const batch = this.pending;
    batch.calls++;
    let s: SeriesOps | undefined;
    for (let i = 0; i < queries.length; i++) {
      const q = queries[i];
      if (!q) continue;
      // Queries of one series usually come together: look it up once for the run.
      if (!s || s.entity !== q.entity || s.metric !== q.metric)
        s = this.seriesOf(batch, call, q.entity, q.metric);
      const w = WINDOW_SPECS[q.window].index;
      let op: ReadOp | undefined;
      for (const r of s.reads) {
        if (r.at === q.at) {
          op = r;
          break;
        }
      }
      if (!op) {
        op = { kind: OP_READ, at: q.at, mask: 0, call, slots: [-1, -1, -1, -1, -1] };
        s.reads.push(op);
        s.ops.push(op);
        s.bytes += OP_BYTES;
      }
      const first = op.slots[w] ?? -1;
      if (first >= 0) {
        // The same window of the same series at the same time: one answer for both.
        call.dups.push(i, first);
      } else {
        op.slots[w] = i;
        op.mask |= 1 << w;
      }
    }
    for (const e of events) {
      if (!s || s.entity !== e.entity || s.metric !== e.metric)
        s = this.seriesOf(batch, call, e.entity, e.metric);
      const a = e.amount;
      let hi = 0;
      let lo = 0;
      if (a !== undefined && a !== 0n) {
        if (a <= 9_007_199_254_740_991n) {
          const n = Number(a);
          hi = Math.floor(n / TWO32);
          lo = n - hi * TWO32;
        } else {
          hi = Number(a >> 32n);
          lo = Number(a & 0xffff_ffffn);
        }
      }
      s.ops.push({ kind: OP_WRITE, at: e.at, hi, lo, counterparty: e.counterparty });
      s.bytes += OP_BYTES + (e.counterparty === undefined ? 0 : e.counterparty.length * 3);
    }
    if (batch.calls >= this.maxBatchCalls) {
      this.send();
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.onTick);
    }
  }

  private seriesOf(batch: Batch, call: PendingCall, entity: string, metric: string): SeriesOps {
    let byMetric = batch.series.get(entity);
    if (!byMetric) {
      byMetric = new Map();
      batch.series.set(entity, byMetric);
    }
    let s = byMetric.get(metric);
    if (!s) {
      s = {
        entity,
        metric,
        key: this.hashKey(entity, metric),
        ops: [],
        calls: [],
        bytes: 4,
        lastCall: undefined,
        reads: [],
      };
      byMetric.set(metric, s);
      batch.list.push(s);
    }
    if (s.lastCall !== call) {
      // A new call: its reads come after every op of the calls before it.
      s.lastCall = call;
      s.reads = [];
      s.calls.push(call);
    }
    return s;
  }

  private readonly onTick = (): void => {
    this.scheduled = false;
    if (this.inFlight < this.maxInFlight) this.send();
  };

  /** Sends the open batch, unless a NOSCRIPT recovery holds everything back. */
  private send(): void {
    const batch = this.pending;
    if (!batch || this.stalled) return;
    this.pending = undefined;
    this.inFlight++;
    void this.sendBatch(batch).finally(() => {
      this.inFlight--;
      if (this.pending && !this.scheduled) {
        this.scheduled = true;
        setImmediate(this.onTick);
      }
      if (this.inFlight === 0 && !this.pending) for (const done of this.idle.splice(0)) done();
    });
  }

  /** Resolves when every call made so far is answered. */
  private async drain(): Promise<void> {
    if (this.inFlight === 0 && !this.pending) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /** Splits the batch into script calls, sends them in one pipeline and answers the calls. */
  private async sendBatch(batch: Batch): Promise<void> {
    const parts: Array<{ part: SeriesOps[]; blob: Buffer }> = [];
    let part: SeriesOps[] = [];
    let ops = 0;
    let bytes = 0;
    const close = () => {
      if (part.length === 0) return;
      // Each call counts the script calls that carry its ops, to settle after the last one.
      const seq = this.partSeq++;
      for (const s of part) {
        for (const c of s.calls) {
          if (c.lastPart !== seq) {
            c.lastPart = seq;
            c.parts++;
          }
        }
      }
      parts.push({ part, blob: this.encode(part, bytes) });
      part = [];
      ops = 0;
      bytes = 0;
    };
    for (const s of batch.list) {
      if (part.length >= SERIES_PER_CALL || (ops > 0 && ops + s.ops.length > OPS_PER_CALL)) close();
      part.push(s);
      ops += s.ops.length;
      bytes += s.bytes;
    }
    close();
    await this.exec(parts);
  }

  private async exec(parts: Array<{ part: SeriesOps[]; blob: Buffer }>): Promise<void> {
    let replies: Array<[Error | null, unknown]>;
    try {
      if (!this.scriptReady) {
        this.scriptLoad ??= this.redis.script('LOAD', VELOCITY_LUA);
        await this.scriptLoad;
        this.scriptReady = true;
      }
      const pipeline = this.redis.pipeline();
      for (const { part, blob } of parts) {
        pipeline.callBuffer('evalsha', [SCRIPT_SHA, part.length, ...part.map((s) => s.key), blob]);
      }
      replies = ((await pipeline.exec()) ?? []) as Array<[Error | null, unknown]>;
    } catch (err) {
      this.scriptLoad = undefined;
      const e = err instanceof Error ? err : new Error(String(err));
      for (const p of parts) this.settle(p.part, e);
      return;
    }
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (!p) continue;
      const [err, reply] = replies[i] ?? [new Error('velocity: no reply from Redis'), null];
      if (err?.message.startsWith('NOSCRIPT')) {
        this.stalled = true;
        this.retry.push(p);
      } else if (err) {
        this.settle(p.part, err);
      } else {
        this.settle(p.part, undefined, reply);
      }
    }
    // The last batch in flight sends every part that met NOSCRIPT again, in the order sent.
    if (this.stalled && this.inFlight === 1) await this.recover();
  }

  /** The script cache was flushed (a restart, a failover): load it and send the parts again. */
  private async recover(): Promise<void> {
    const again = this.retry.splice(0);
    this.scriptReady = false;
    this.scriptLoad = undefined;
    try {
      await this.redis.script('LOAD', VELOCITY_LUA);
      this.scriptReady = true;
      const pipeline = this.redis.pipeline();
      for (const { part, blob } of again) {
        pipeline.callBuffer('evalsha', [SCRIPT_SHA, part.length, ...part.map((s) => s.key), blob]);
      }
      const replies = ((await pipeline.exec()) ?? []) as Array<[Error | null, unknown]>;
      again.forEach((p, i) => {
        const [err, reply] = replies[i] ?? [new Error('velocity: no reply from Redis'), null];
        this.settle(p.part, err ?? undefined, reply);
      });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      for (const p of again) this.settle(p.part, e);
    } finally {
      this.stalled = false;
    }
  }

  /** ARGV[1] of a script call: per series its op count, then its ops. */
  private encode(part: SeriesOps[], bytes: number): Buffer {
    const buf = Buffer.allocUnsafe(bytes);
    let p = 0;
    for (const s of part) {
      buf.writeUInt32LE(s.ops.length, p);
      p += 4;
      for (const op of s.ops) {
        if (op.kind === OP_READ) {
          buf.writeUInt8(OP_READ, p);
          buf.writeDoubleLE(op.at, p + 1);
          buf.writeUInt32LE(op.mask, p + 9);
          buf.writeUInt32LE(0, p + 13);
          buf.writeUInt16LE(0, p + 17);
          p += OP_BYTES;
        } else {
          const cpBytes =
            op.counterparty === undefined ? 0 : buf.write(op.counterparty, p + OP_BYTES, 'utf8');
          buf.writeUInt8(OP_WRITE, p);
          buf.writeDoubleLE(op.at, p + 1);
          buf.writeUInt32LE(op.hi, p + 9);
          buf.writeUInt32LE(op.lo, p + 13);
          buf.writeUInt16LE(cpBytes, p + 17);
          p += OP_BYTES + cpBytes;
        }
      }
    }
    return buf.subarray(0, p);
  }

  /** Reads one script call's answers into the calls' results; throws on a malformed reply. */
  private decode(part: SeriesOps[], reply: Buffer): void {
    let o = 0;
    for (const s of part) {
      const status = reply[o];
      o += 1;
      if (status !== 1) {
        const len = reply.readUInt16LE(o);
        const message = reply.toString('utf8', o + 2, o + 2 + len);
        o += 2 + len;
        const refused = message.includes('velocity:')
          ? new RangeError(`velocity: Redis refused ${s.key}: ${message}`)
          : new Error(`velocity: Redis failed on ${s.key}: ${message}`);
        for (const c of s.calls) c.error ??= refused;
        continue;
      }
      for (const op of s.ops) {
        if (op.kind !== OP_READ) continue;
        const results = op.call.results;
        for (const i of op.slots) {
          if (i < 0) continue;
          const hi = reply.readDoubleLE(o + 8);
          const lo = reply.readDoubleLE(o + 16);
          results[i] = {
            count: reply.readDoubleLE(o),
            sum: toBigint(hi, lo),
            distinct: reply.readDoubleLE(o + 24),
            complete: reply[o + 32] === 1,
          };
          o += ANSWER_BYTES;
        }
      }
    }
    if (o !== reply.length) throw new Error('velocity: malformed reply');
  }

  /** Fills the answers of one script call (or fails its calls) and settles the calls it completes. */
  private settle(part: SeriesOps[], err: Error | undefined, reply?: unknown): void {
    if (!err && !Buffer.isBuffer(reply)) err = new Error('velocity: malformed reply from the Redis script');
    if (!err && Buffer.isBuffer(reply)) {
      try {
        this.decode(part, reply);
      } catch {
        err = new Error('velocity: malformed reply from the Redis script');
      }
    }
    const seen = new Set<PendingCall>();
    for (const s of part) {
      for (const c of s.calls) {
        if (seen.has(c)) continue;
        seen.add(c);
        if (err) c.error ??= err;
        if (--c.parts > 0) continue;
        if (c.error) {
          c.reject(c.error);
          continue;
        }
        for (let k = 0; k < c.dups.length; k += 2) {
          const from = c.results[c.dups[k + 1] ?? -1];
          if (from) c.results[c.dups[k] ?? -1] = { ...from };
        }
        c.resolve(c.results);
      }
    }
  }
}
