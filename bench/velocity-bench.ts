/**
 * Velocity store benchmark: what one decision's velocity features cost the risk engine.
 * A decision (a payment) reads 20 features — 5 windows × 4 series: customer:out,
 * device:out, ip:out, payee:in — and records the payment in those 4 series, through
 * `readAndRecord`, one decision after the other (and, for Redis, also many in flight: the
 * store coalesces the calls of concurrent decisions into one script call per batch).
 *
 *   node bin/run-ts.mjs bench/velocity-bench.ts
 *
 * Per store, after loading a history (BENCH_HISTORY payments per customer spread over the
 * last 30 days, so rings hold realistic data), in the same run:
 *  - baseline: an empty async function call per decision (memory), a pipeline of one PING
 *    per series (Redis) — one round trip, the floor under any Redis store;
 *  - the store: decisions/s, latency p50/p99/max, process CPU per decision (and Redis's own
 *    CPU per decision from INFO), the ratio to the baseline;
 *  - Redis only, three phases: sequential (one call in flight, so every batch holds one
 *    decision), BENCH_CONCURRENCY in flight, and "batched": BENCH_BATCHED_IN_FLIGHT decisions
 *    in flight, the shape of a busy engine process; each with Redis CPU per decision, script
 *    calls per decision (the inverse of the decisions per batch) and the Redis commands the
 *    scripts ran per decision (INFO commandstats);
 *  - memory per tracked entity: heap + array buffers (memory store, after GC) or MEMORY
 *    USAGE of the keys (Redis), for a light entity (one event) and a typical one.
 * Targets: the engine must reach 50,000 decisions/s on one core with the memory store
 * (20 µs per decision in all) and 10,000/s with Redis (100 µs of the engine's core); the
 * verdicts say what share of that budget the store alone takes.
 *
 * Knobs: BENCH_CUSTOMERS (20000), BENCH_HISTORY (5), BENCH_DECISIONS (memory: 200000;
 * Redis: a tenth), BENCH_CONCURRENCY (Redis in flight: 32), BENCH_BATCHED_IN_FLIGHT (256),
 * BENCH_SKIP_MEMORY (set: Redis only), REDIS_URL (default
 * redis://127.0.0.1:6379; the Redis part is skipped when unreachable).
 * Results: a table on stdout and bench/results/velocity.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { MemoryVelocityStore } from '../src/risk/velocity/memory-store.ts';
import { RedisVelocityStore } from '../src/risk/velocity/redis-store.ts';
import {
  type EntityKey,
  VELOCITY_WINDOWS,
  type VelocityEvent,
  type VelocityQuery,
} from '../src/risk/velocity/store.ts';
import { Random } from '../src/simulator/random.ts';

const RESULTS_FILE = fileURLToPath(new URL('./results/velocity.json', import.meta.url));
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 20_000);
const HISTORY = Number(process.env.BENCH_HISTORY ?? 5);
const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 200_000);
const REDIS_DECISIONS = process.env.BENCH_DECISIONS ? Math.ceil(DECISIONS / 10) : 20_000;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const BATCHED_IN_FLIGHT = Number(process.env.BENCH_BATCHED_IN_FLIGHT ?? 256);
const SKIP_MEMORY = Boolean(process.env.BENCH_SKIP_MEMORY);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DAY = 86_400_000;
const MEMORY_TARGET = 50_000;
const REDIS_TARGET = 10_000;

setFlagsFromString('--expose-gc');
const gcValue: unknown = runInNewContext('gc');
function gc(): void {
  if (typeof gcValue === 'function') {
    gcValue();
    gcValue();
  }
}

// ---------------------------------------------------------------------------------------
// The workload: payments from customers (each with one device) over a pool of IPs to a
// pool of payees, drawn with a fixed seed.

const IPS = Math.max(1, Math.floor(CUSTOMERS / 4));
const PAYEES = Math.max(1, Math.floor(CUSTOMERS / 2));

interface Decision {
  queries: VelocityQuery[];
  events: VelocityEvent[];
}

function decision(rnd: Random, at: number): Decision {
  const c = rnd.int(0, CUSTOMERS - 1);
  const payee = `pay${rnd.int(0, PAYEES - 1)}`;
  const customer = `cus${c}`;
  const amount = BigInt(rnd.int(100, 5_000_000));
  const series: Array<[EntityKey, string, string]> = [
    [`customer:${customer}`, 'out', payee],
    [`device:dev${c}`, 'out', payee],
    [`ip:10.${(c % IPS) >> 16}.${((c % IPS) >> 8) & 255}.${(c % IPS) & 255}`, 'out', payee],
    [`payee:${payee}`, 'in', customer],
  ];
  const queries: VelocityQuery[] = [];
  const events: VelocityEvent[] = [];
  for (const [entity, metric, counterparty] of series) {
    for (const window of VELOCITY_WINDOWS) queries.push({ entity, metric, window, at });
    events.push({ entity, metric, at, amount, counterparty });
  }
  return { queries, events };
}

/** HISTORY payments per customer over the last 30 days, in time order (as the journal gives them). */
async function* history(now: number): AsyncIterable<VelocityEvent> {
  const rnd = new Random(7);
  const total = CUSTOMERS * HISTORY;
  for (let i = 0; i < total; i++) {
    const at = now - 30 * DAY + Math.floor((i / total) * 30 * DAY);
    yield* decision(rnd, at).events;
  }
}

// ---------------------------------------------------------------------------------------

interface Timing {
  decisions: number;
  seconds: number;
  perSecond: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  /** This process's CPU (user + system, all threads) per decision. */
  cpuUsPerDecision: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

const round = (x: number, digits = 2) => Number(x.toFixed(digits));

function summarize(latenciesNs: Float64Array, n: number, elapsedNs: number, cpuUs: number): Timing {
  const sorted = latenciesNs.subarray(0, n).sort();
  return {
    decisions: n,
    seconds: round(elapsedNs / 1e9, 3),
    perSecond: Math.round(n / (elapsedNs / 1e9)),
    p50Us: round(percentile(sorted, 50) / 1e3),
    p99Us: round(percentile(sorted, 99) / 1e3),
    maxUs: round(percentile(sorted, 100) / 1e3),
    cpuUsPerDecision: round(cpuUs / n),
  };
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Decisions are made in chunks, so the benchmark's own objects stay few and young. */
const CHUNK = 1_000;

/** One decision after the other; each timed alone; CPU and elapsed time count the store's calls only. */
async function sequential(
  n: number,
  make: (i: number) => Decision,
  run: (d: Decision) => unknown,
): Promise<Timing> {
  const lat = new Float64Array(n);
  gc();
  let cpu = 0;
  let elapsed = 0;
  for (let from = 0; from < n; from += CHUNK) {
    const plans = Array.from({ length: Math.min(CHUNK, n - from) }, (_, k) => make(from + k));
    const cpu0 = cpuNow();
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < plans.length; k++) {
      const plan = plans[k];
      if (!plan) continue;
      const s = process.hrtime.bigint();
      const pending = run(plan);
      // A synchronous store is timed without the microtask an await would add.
      if (pending instanceof Promise) await pending;
      lat[from + k] = Number(process.hrtime.bigint() - s);
    }
    elapsed += Number(process.hrtime.bigint() - t0);
    cpu += cpuNow() - cpu0;
  }
  return summarize(lat, n, elapsed, cpu);
}

/** `workers` decisions in flight at once (closed loop) per chunk; latency per decision. */
async function concurrent(
  n: number,
  workers: number,
  make: (i: number) => Decision,
  run: (d: Decision) => Promise<unknown>,
): Promise<Timing> {
  const lat = new Float64Array(n);
  gc();
  let cpu = 0;
  let elapsed = 0;
  for (let from = 0; from < n; from += CHUNK * 4) {
    const plans = Array.from({ length: Math.min(CHUNK * 4, n - from) }, (_, k) => make(from + k));
    let next = 0;
    const cpu0 = cpuNow();
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let k = next++; k < plans.length; k = next++) {
          const plan = plans[k];
          if (!plan) continue;
          const s = process.hrtime.bigint();
          await run(plan);
          lat[from + k] = Number(process.hrtime.bigint() - s);
        }
      }),
    );
    elapsed += Number(process.hrtime.bigint() - t0);
    cpu += cpuNow() - cpu0;
  }
  return summarize(lat, n, elapsed, cpu);
}

function liveDecisions(seed: number, start: number, spacingUs: number): (i: number) => Decision {
  const rnd = new Random(seed);
  // Event time advances as it would at the rate measured, so windows move as they would live.
  return (i) => decision(rnd, start + Math.floor((i * spacingUs) / 1_000));
}

// ---------------------------------------------------------------------------------------
// Memory per tracked entity.

function heapBytes(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Entities of one shape in a fresh store: bytes per entity (heap + array buffers, and the pool's share). */
async function memoryPerEntity(
  eventsPerEntity: number,
  withCounterparty: boolean,
): Promise<Record<string, number>> {
  const n = 50_000;
  const now = Date.now();
  const before = heapBytes();
  const store = new MemoryVelocityStore({ maxEntities: n });
  const batch: VelocityEvent[] = [];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < eventsPerEntity; k++) {
      const at = now - Math.floor(((eventsPerEntity - k) / eventsPerEntity) * 30 * DAY);
      batch.push({
        entity: `customer:m${i}`,
        metric: 'out',
        at,
        amount: 12_345n,
        ...(withCounterparty ? { counterparty: `pay${(i * 31 + k) % 10_000}` } : {}),
      });
    }
    if (batch.length >= 4_096) store.recordSync(batch.splice(0));
  }
  store.recordSync(batch);
  const after = heapBytes();
  const stats = store.stats();
  const result = {
    entities: n,
    eventsPerEntity,
    bytesPerEntity: Math.round((after - before) / n),
    poolBytesPerEntity: Math.round(stats.poolUsedBytes / n),
    bucketsPerEntity: round(stats.buckets / n),
  };
  // Keep the store alive until measured.
  if (stats.entities !== n) throw new Error('entities were evicted during the measurement');
  return result;
}

async function redisMemoryPerEntity(
  redis: Redis,
  eventsPerEntity: number,
  withCounterparty: boolean,
): Promise<Record<string, number>> {
  const n = 2_000;
  const now = Date.now();
  const store = new RedisVelocityStore({ redis, prefix: `bench:vmem:${process.pid}:` });
  try {
    const batch: VelocityEvent[] = [];
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < eventsPerEntity; k++) {
        const at = now - Math.floor(((eventsPerEntity - k) / eventsPerEntity) * 30 * DAY);
        batch.push({
          entity: `customer:m${i}`,
          metric: 'out',
          at,
          amount: 12_345n,
          ...(withCounterparty ? { counterparty: `pay${(i * 31 + k) % 10_000}` } : {}),
        });
      }
      if (batch.length >= 2_000) await store.record(batch.splice(0));
    }
    await store.record(batch);
    let bytes = 0;
    const sample = 200;
    for (let i = 0; i < sample; i++) {
      const k = store.keysOf(`customer:m${i}`, 'out');
      for (const key of [k.hash, k.buckets, k.pairs, k.counterparties]) {
        const used = await redis.memory('USAGE', key, 'SAMPLES', 0);
        bytes += typeof used === 'number' ? used : 0;
      }
    }
    return { entities: n, eventsPerEntity, bytesPerEntity: Math.round(bytes / sample) };
  } finally {
    await store.clear();
  }
}

// ---------------------------------------------------------------------------------------

async function benchMemory(): Promise<Record<string, unknown>> {
  const now = Date.now();
  const store = new MemoryVelocityStore({ maxEntities: 1_000_000 });
  const t0 = performance.now();
  const loaded = await store.rebuild(history(now));
  const rebuildSeconds = (performance.now() - t0) / 1e3;
  const stats = store.stats();
  console.log(
    `memory: rebuilt ${loaded} events in ${rebuildSeconds.toFixed(2)} s (${stats.series} series, ${stats.buckets} buckets)`,
  );

  const empty = async (_: Decision) => {};
  const baseline = await sequential(DECISIONS, liveDecisions(11, now, 10), empty);
  const asyncRun = await sequential(DECISIONS, liveDecisions(12, now, 10), (d) =>
    store.readAndRecord(d.queries, d.events),
  );
  const syncRun = await sequential(DECISIONS, liveDecisions(13, now + DAY / 100, 10), (d) =>
    store.readAndRecordSync(d.queries, d.events),
  );
  const light = await memoryPerEntity(1, false);
  const typical = await memoryPerEntity(10, true);
  const budgetUs = 1e6 / MEMORY_TARGET;
  const storeUs = syncRun.cpuUsPerDecision;
  return {
    history: {
      events: loaded,
      rebuildSeconds: round(rebuildSeconds),
      eventsPerSecond: Math.round(loaded / rebuildSeconds),
      ...stats,
    },
    baselineEmptyAsyncCall: baseline,
    readAndRecord: asyncRun,
    readAndRecordSync: syncRun,
    ratioToBaseline: round(asyncRun.p50Us / Math.max(baseline.p50Us, 0.001), 1),
    memoryPerEntity: { light, typical },
    verdict: {
      budgetUsPerDecision: budgetUs,
      storeCpuUsPerDecision: storeUs,
      shareOfBudget: round(storeUs / budgetUs, 3),
      storeAloneDecisionsPerSecond: Math.round(1e6 / storeUs),
      leavesRoom: storeUs < budgetUs / 2,
    },
  };
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0);
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
  return user + sys;
}

/** Calls per command so far (INFO commandstats); commands a script runs count too. */
async function redisCommandCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const l of (await redis.info('commandstats')).split('\n')) {
    const m = /^cmdstat_([\w|]+):calls=(\d+)/.exec(l);
    if (m?.[1]) calls.set(m[1], Number(m[2]));
  }
  return calls;
}

/** A Redis phase: the timing, with Redis's CPU, script calls and commands per decision. */
async function redisPhase(
  redis: Redis,
  inFlight: number,
  seed: number,
  start: number,
  store: RedisVelocityStore,
): Promise<
  Timing & {
    inFlight: number;
    redisCpuUsPerDecision: number;
    scriptCallsPerDecision: number;
    redisCommandsPerDecision: number;
    commands: Record<string, number>;
  }
> {
  const cpu0 = await redisCpuSeconds(redis);
  const calls0 = await redisCommandCalls(redis);
  const make = liveDecisions(seed, start, 100);
  const run = (d: Decision) => store.readAndRecord(d.queries, d.events);
  const t =
    inFlight === 1
      ? await sequential(REDIS_DECISIONS, make, run)
      : await concurrent(REDIS_DECISIONS, inFlight, make, run);
  const cpuUs = ((await redisCpuSeconds(redis)) - cpu0) * 1e6;
  const calls1 = await redisCommandCalls(redis);
  const commands: Record<string, number> = {};
  let total = 0;
  for (const [name, n] of calls1) {
    if (name === 'info' || name === 'evalsha') continue;
    const d = n - (calls0.get(name) ?? 0);
    if (d <= 0) continue;
    commands[name] = round(d / t.decisions);
    total += d;
  }
  const scripts = (calls1.get('evalsha') ?? 0) - (calls0.get('evalsha') ?? 0);
  return {
    ...t,
    inFlight,
    redisCpuUsPerDecision: round(cpuUs / t.decisions),
    scriptCallsPerDecision: round(scripts / t.decisions, 3),
    redisCommandsPerDecision: round(total / t.decisions, 1),
    commands,
  };
}

async function benchRedis(): Promise<Record<string, unknown>> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    return {
      skipped: `Redis unreachable at ${REDIS_URL}: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  const server = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  const store = new RedisVelocityStore({ redis, prefix: `bench:v:${process.pid}:` });
  try {
    const now = Date.now();
    const t0 = performance.now();
    const loaded = await store.rebuild(history(now));
    const rebuildSeconds = (performance.now() - t0) / 1e3;
    console.log(`redis ${server}: loaded ${loaded} events in ${rebuildSeconds.toFixed(2)} s`);

    const ping = async (_: Decision) => {
      const p = redis.pipeline();
      for (let k = 0; k < 4; k++) p.ping();
      await p.exec();
    };
    const baselineSeq = await sequential(REDIS_DECISIONS, liveDecisions(21, now, 100), ping);
    const baselineConc = await concurrent(REDIS_DECISIONS, CONCURRENCY, liveDecisions(21, now, 100), ping);

    const seq = await redisPhase(redis, 1, 22, now, store);
    const conc = await redisPhase(redis, CONCURRENCY, 23, now + DAY / 100, store);
    const batched = await redisPhase(redis, BATCHED_IN_FLIGHT, 24, now + DAY / 50, store);
    const redisCpuUs = batched.redisCpuUsPerDecision;
    const light = await redisMemoryPerEntity(redis, 1, false);
    const typical = await redisMemoryPerEntity(redis, 10, true);
    const budgetUs = 1e6 / REDIS_TARGET;
    return {
      server,
      history: { events: loaded, rebuildSeconds: round(rebuildSeconds) },
      baselinePingPipeline: { sequential: baselineSeq, concurrent: baselineConc },
      readAndRecord: { sequential: seq, concurrent: conc, batched },
      ratioToBaseline: {
        sequentialP50: round(seq.p50Us / Math.max(baselineSeq.p50Us, 0.001), 1),
        concurrentThroughput: round(baselineConc.perSecond / Math.max(conc.perSecond, 1), 1),
      },
      memoryPerEntity: { light, typical },
      verdict: {
        budgetUsPerDecision: budgetUs,
        nodeCpuUsPerDecision: batched.cpuUsPerDecision,
        nodeShareOfBudget: round(batched.cpuUsPerDecision / budgetUs, 3),
        redisCpuUsPerDecision: round(redisCpuUs),
        decisionsPerSecondPerRedisCore: Math.round(1e6 / redisCpuUs),
        redisCoresFor10k: Math.ceil(REDIS_TARGET / (1e6 / redisCpuUs)),
        reachedInThisRun: batched.perSecond >= REDIS_TARGET,
      },
    };
  } finally {
    await store.clear();
    await redis.quit();
  }
}

function line(label: string, t: Timing): string {
  return `  ${label.padEnd(30)} ${String(t.perSecond).padStart(9)}/s  p50 ${t.p50Us.toFixed(1).padStart(7)} µs  p99 ${t.p99Us
    .toFixed(1)
    .padStart(7)} µs  cpu ${t.cpuUsPerDecision.toFixed(1).padStart(6)} µs/decision`;
}

const startedAt = new Date().toISOString();
const loadAtStart = os.loadavg().map((x) => round(x));
const memory = SKIP_MEMORY ? { skipped: 'BENCH_SKIP_MEMORY is set' } : await benchMemory();
const redis = await benchRedis();

const result = {
  benchmark: 'velocity',
  startedAt,
  finishedAt: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    /** 1, 5 and 15 minute load averages: this machine is shared, and contention inflates the figures. */
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: os.loadavg().map((x) => round(x)),
  },
  parameters: {
    customers: CUSTOMERS,
    devices: CUSTOMERS,
    ips: IPS,
    payees: PAYEES,
    historyPaymentsPerCustomer: HISTORY,
    decisionShape: '20 reads (5 windows × customer:out, device:out, ip:out, payee:in) + 4 records',
    memoryDecisions: DECISIONS,
    redisDecisions: REDIS_DECISIONS,
    redisInFlight: CONCURRENCY,
    redisBatchedInFlight: BATCHED_IN_FLIGHT,
  },
  targets: { memoryDecisionsPerSecond: MEMORY_TARGET, redisDecisionsPerSecond: REDIS_TARGET },
  memory,
  redis,
};
mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
writeFileSync(RESULTS_FILE, `${JSON.stringify(result, null, 2)}\n`);

if ('skipped' in memory) {
  console.log(`\nmemory store: skipped (${String(memory.skipped)})`);
} else {
  console.log('\nmemory store');
  for (const [label, key] of [
    ['baseline (empty async call)', 'baselineEmptyAsyncCall'],
    ['readAndRecord', 'readAndRecord'],
    ['readAndRecordSync', 'readAndRecordSync'],
  ] as const) {
    const t = memory[key] as Timing;
    console.log(line(label, t));
  }
  console.log(`  verdict: ${JSON.stringify(memory.verdict)}`);
  console.log(`  memory per entity: ${JSON.stringify(memory.memoryPerEntity)}`);
}
if ('skipped' in redis) {
  console.log(`\nredis store: skipped (${String(redis.skipped)})`);
} else {
  const b = redis.baselinePingPipeline as { sequential: Timing; concurrent: Timing };
  type Phase = Timing & {
    redisCpuUsPerDecision: number;
    scriptCallsPerDecision: number;
    redisCommandsPerDecision: number;
  };
  const r = redis.readAndRecord as { sequential: Phase; concurrent: Phase; batched: Phase };
  const redisLine = (label: string, t: Phase) =>
    `${line(label, t)}  redis ${t.redisCpuUsPerDecision.toFixed(1).padStart(6)} µs, ${t.scriptCallsPerDecision.toFixed(3)} scripts, ${t.redisCommandsPerDecision.toFixed(1)} cmds /decision`;
  console.log('\nredis store');
  console.log(line('baseline PING ×4 pipeline', b.sequential));
  console.log(line(`baseline, ${CONCURRENCY} in flight`, b.concurrent));
  console.log(redisLine('readAndRecord', r.sequential));
  console.log(redisLine(`readAndRecord, ${CONCURRENCY} in flight`, r.concurrent));
  console.log(redisLine(`batched, ${BATCHED_IN_FLIGHT} in flight`, r.batched));
  console.log(
    `  commands per decision (batched): ${JSON.stringify((r.batched as unknown as { commands: unknown }).commands)}`,
  );
  console.log(`  verdict: ${JSON.stringify(redis.verdict)}`);
  console.log(`  memory per entity: ${JSON.stringify(redis.memoryPerEntity)}`);
}
console.log(`\nwrote ${RESULTS_FILE}`);
