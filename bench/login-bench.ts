/**
 * Sign-in benchmark: what password hashing (scrypt, N = 2^15, r = 8, p = 1 as in
 * production) costs Bulwark, measured over real HTTP against a server in its own process
 * (this file forks itself as that server), on PGlite and on PostgreSQL.
 *
 *   npm run bench:login                                   # defaults below; PostgreSQL too when a URL is set
 *   BENCH_DB=pglite BENCH_SECONDS=5 npm run bench:login   # knobs by environment...
 *   npm run bench:login -- --db postgres --users 500      # ...or by flag (flags win)
 *
 * Phases, per database:
 *   1. setup (not timed): BENCH_USERS customers registered over HTTP with distinct
 *      mainland phone numbers (139 + 8 digits) and strong random passwords;
 *   2. sign-in: BENCH_CONCURRENCY closed-loop clients call POST /v1/auth/login for
 *      BENCH_SECONDS (each user with the right password, round robin over the users)
 *      → logins/s, latency p50/p95/p99/max, the server's RSS, CPU and event-loop delay;
 *   3. event-loop isolation: GET /v1/ledger/chain with an API key, paced at
 *      BENCH_PROBE_RATE requests/s over BENCH_PROBE_CONCURRENCY clients, alone and then
 *      while the sign-in load of phase 2 runs again → p50/p99 both ways and their ratio;
 *      beside it, at BENCH_TOKEN_PROBE_RATE over 2 clients, GET /v1/me with a customer's
 *      access token (its signature is checked with WebCrypto, which runs on the same
 *      thread pool as scrypt; the API key's check does not);
 *   4. step-up: BENCH_STEP_UPS users enrol an authenticator (TOTP); for each, a password
 *      change opens a challenge and POST /v1/auth/step-up/:id/verify answers it with a
 *      valid code, one request at a time → verify latency p50/p99;
 * and once, in this process before any server starts: the median time of one
 * hashPassword at ln=15 and at ln=12 (BENCH_HASH_SAMPLES each), the hashes/s the
 * thread pool reaches with many in flight, and the theoretical ceiling of logins/s
 * (thread-pool threads, or cores when fewer, divided by the time of one hash).
 *
 * Knobs: BENCH_DB=pglite|postgres|both (both when DATABASE_URL or TEST_DATABASE_URL is
 * set, else pglite), BENCH_USERS (200), BENCH_CONCURRENCY (16), BENCH_SECONDS (15),
 * BENCH_PROBE_CONCURRENCY (8), BENCH_PROBE_RATE (200), BENCH_TOKEN_PROBE_RATE (20; 0: off),
 * BENCH_STEP_UPS (200, at most BENCH_USERS), BENCH_HASH_SAMPLES (20),
 * BENCH_PASSWORD_COST_LN (15: production; lower only for a quick check of the script),
 * BENCH_PGLITE_DIR (a fresh temporary directory; "memory" for in-memory).
 * UV_THREADPOOL_SIZE is passed on to the server (libuv's default 4).
 * Results: a table on stdout and bench/results/login.json. Other programs on the machine
 * skew every figure: the "other" cores of each phase show how much they took.
 */

import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { buildBulwark } from '../src/app.ts';
import { hashPassword } from '../src/identity/passwords.ts';
import { totpAt } from '../src/identity/totp.ts';
import { loadConfig } from '../src/platform/config.ts';
import { dropSchema, openDatabase } from '../src/platform/db.ts';
import { createLogger } from '../src/platform/logger.ts';
import { percentile } from './driver.ts';
import { fetchMetrics, type MetricsSnapshot } from './metrics.ts';

const THIS_FILE = fileURLToPath(import.meta.url);
const RESULTS_FILE = fileURLToPath(new URL('./results/login.json', import.meta.url));
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const PRODUCTION_COST_LN = 15;
const REQUEST_TIMEOUT_MS = 60_000;
const ANSWER_TIMEOUT_MS = 5 * 60_000;
const RSS_REPORT_INTERVAL_MS = 250;
const TOTP_PERIOD_MS = 30_000;
const POLICY_VERSION = '2026-11';
/** The environment variable that makes this file the server rather than the driver. */
const SERVER_ROLE_ENV = 'LOGIN_BENCH_SERVER';

type DbKind = 'pglite' | 'postgres';

// ---------------------------------------------------------------------------------------
// Messages between the driver and the server child (checked on arrival, never cast).

type ServerMessage =
  | { type: 'ready'; apiPort: number; apiKey: string; location: string; serverVersion: string }
  | { type: 'rss'; rssBytes: number }
  | { type: 'closed'; maxRssBytes: number }
  | { type: 'failed'; message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isServerMessage(m: unknown): m is ServerMessage {
  if (!isRecord(m)) return false;
  switch (m.type) {
    case 'ready':
      return (
        isNumber(m.apiPort) &&
        typeof m.apiKey === 'string' &&
        typeof m.location === 'string' &&
        typeof m.serverVersion === 'string'
      );
    case 'rss':
      return isNumber(m.rssBytes);
    case 'closed':
      return isNumber(m.maxRssBytes);
    case 'failed':
      return typeof m.message === 'string';
    default:
      return false;
  }
}

function isShutdownMessage(m: unknown): boolean {
  return isRecord(m) && m.type === 'shutdown';
}

// ---------------------------------------------------------------------------------------
// The server child: Bulwark as `bulwark serve` builds it (limiter off, logs silent), one
// integrator API key for the probe, its port and RSS reported over IPC.

function sendToParent(message: ServerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      resolve();
      return;
    }
    process.send(message, undefined, undefined, () => resolve());
  });
}

async function serverMain(): Promise<void> {
  const config = { ...loadConfig(), rateLimitPerMinute: 0, logLevel: 'silent' };
  const log = createLogger(config.logLevel);
  const schema = config.databaseUrl ? process.env.BENCH_SCHEMA || undefined : undefined;
  // Not config.dataDir: that is resolved to a path, and "memory" must stay "memory".
  const dataDir = process.env.LOGIN_BENCH_DATA_DIR || 'memory';
  const handle = await openDatabase({ url: config.databaseUrl, dataDir, ...(schema ? { schema } : {}) });
  const bulwark = await buildBulwark({ config, log, dbHandle: handle });
  bulwark.startBackground();
  const { key } = await bulwark.apiClients.create(
    { name: 'login bench probe', role: 'integrator' },
    { type: 'system', id: 'bench' },
  );
  const address = await bulwark.app.listen({ port: 0, host: '127.0.0.1' });
  const version = await sql<{ v: string }>`select version() as v`.execute(handle.db);

  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => {
    const rss = process.memoryUsage().rss;
    peakRss = Math.max(peakRss, rss);
    void sendToParent({ type: 'rss', rssBytes: rss });
  }, RSS_REPORT_INTERVAL_MS);

  let closing = false;
  const shutdown = async (code: number) => {
    if (closing) return;
    closing = true;
    clearInterval(rssTimer);
    try {
      await bulwark.close();
      await handle.close();
      if (config.databaseUrl && schema) await dropSchema(config.databaseUrl, schema);
    } catch (err) {
      console.error('login bench server: shutdown failed', err);
      code = 1;
    }
    // maxRSS is in kibibytes: the true peak of the process, not a sample.
    await sendToParent({
      type: 'closed',
      maxRssBytes: Math.max(peakRss, process.resourceUsage().maxRSS * 1024),
    });
    process.exit(code);
  };
  process.on('disconnect', () => void shutdown(1));
  process.on('message', (m: unknown) => {
    if (isShutdownMessage(m)) void shutdown(0);
  });

  await sendToParent({
    type: 'ready',
    apiPort: Number(new URL(address).port),
    apiKey: key,
    location: handle.location,
    serverVersion: version.rows[0]?.v ?? 'unknown',
  });
}

/** The driver's handle on the server child. */
class LoginServer {
  private waiters: Array<{ type: ServerMessage['type']; resolve: (m: ServerMessage) => void }> = [];
  private failure: Error | undefined;
  private exited = false;
  phasePeakRssBytes = 0;
  peakRssBytes = 0;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: unknown) => this.onMessage(m));
    child.on('exit', (code, signal) => {
      this.exited = true;
      this.fail(new Error(`login bench server exited (code ${code}, signal ${signal})`));
    });
  }

  static async start(env: Record<string, string>): Promise<{ server: LoginServer; ready: ServerReady }> {
    const child = fork(THIS_FILE, [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        ...env,
        [SERVER_ROLE_ENV]: '1',
        LOG_LEVEL: 'silent',
        RATE_LIMIT_PER_MINUTE: '0',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const server = new LoginServer(child);
    const ready = await server.expect('ready');
    if (ready.type !== 'ready') throw new Error('unexpected answer');
    return { server, ready };
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  resetPhasePeak(): void {
    this.phasePeakRssBytes = 0;
  }

  /** Asks the server to close (and drop its schema); returns the process's peak RSS. */
  async shutdown(): Promise<number> {
    if (this.exited) throw new Error('login bench server is not running');
    this.child.send({ type: 'shutdown' });
    const m = await this.expect('closed');
    if (m.type !== 'closed') throw new Error('unexpected answer');
    await new Promise<void>((resolve) => {
      if (this.exited) resolve();
      else this.child.once('exit', () => resolve());
    });
    return Math.max(m.maxRssBytes, this.peakRssBytes);
  }

  /** Last resort when the run failed: stop this child (and only it). */
  kill(): void {
    if (!this.exited) this.child.kill('SIGTERM');
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiters.splice(0)) w.resolve({ type: 'failed', message: err.message });
  }

  private async expect(type: ServerMessage['type']): Promise<ServerMessage> {
    if (this.failure) throw this.failure;
    const m = await new Promise<ServerMessage>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve({ type: 'failed', message: `no "${type}" from the server within ${ANSWER_TIMEOUT_MS} ms` });
      }, ANSWER_TIMEOUT_MS);
      const waiter = {
        type,
        resolve: (answer: ServerMessage) => {
          clearTimeout(timer);
          resolve(answer);
        },
      };
      this.waiters.push(waiter);
    });
    if (m.type === 'failed') throw new Error(`login bench server: ${m.message}`);
    return m;
  }

  private onMessage(m: unknown): void {
    if (!isServerMessage(m)) {
      console.error('login bench: unexpected message from the server', m);
      return;
    }
    if (m.type === 'rss') {
      this.phasePeakRssBytes = Math.max(this.phasePeakRssBytes, m.rssBytes);
      this.peakRssBytes = Math.max(this.peakRssBytes, m.rssBytes);
      return;
    }
    if (m.type === 'failed') {
      this.fail(new Error(m.message));
      return;
    }
    const i = this.waiters.findIndex((w) => w.type === m.type);
    const waiter = i >= 0 ? this.waiters.splice(i, 1)[0] : undefined;
    if (waiter) waiter.resolve(m);
  }
}

type ServerReady = Extract<ServerMessage, { type: 'ready' }>;

// ---------------------------------------------------------------------------------------
// HTTP client and load loops.

interface PlannedRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** JSON text of the body. */
  body?: string;
}

interface Answer {
  status: number;
  body: string;
}

function send(agent: http.Agent, port: number, req: PlannedRequest): Promise<Answer> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(req.body);
    }
    const r = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: req.method,
        path: req.path,
        headers,
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', (err: NodeJS.ErrnoException) =>
          resolve({ status: 0, body: `TRANSPORT_${err.code ?? 'ERROR'}` }),
        );
      },
    );
    r.on('timeout', () => r.destroy(Object.assign(new Error('request timed out'), { code: 'TIMEOUT' })));
    r.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ status: 0, body: `TRANSPORT_${err.code ?? 'ERROR'}` }),
    );
    r.end(req.body);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function prop(value: unknown, name: string): unknown {
  return isRecord(value) ? value[name] : undefined;
}

function stringProp(value: unknown, name: string, what: string): string {
  const v = prop(value, name);
  if (typeof v !== 'string') throw new Error(`${what}: the answer has no string "${name}"`);
  return v;
}

/** A problem's code, or the status when the body is not a problem. */
function problemCode(a: Answer): string {
  if (a.status === 0) return a.body;
  const code = prop(parseJson(a.body), 'code');
  return typeof code === 'string' ? code : `HTTP_${a.status}`;
}

/** Sends one request and insists on the expected status (setup steps). */
async function expectStatus(
  agent: http.Agent,
  port: number,
  req: PlannedRequest,
  status: number,
  what: string,
): Promise<unknown> {
  const a = await send(agent, port, req);
  if (a.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${a.status} ${a.body.slice(0, 300)}`);
  }
  return parseJson(a.body);
}

interface LoopOptions {
  port: number;
  concurrency: number;
  durationMs: number;
  /** The status that counts as success. */
  okStatus: number;
  next: (i: number) => PlannedRequest;
  /** Paced clients: each sends at most one request per this many ms (open loop at a fixed rate). */
  clientIntervalMs?: number;
}

interface LoopResult {
  requests: number;
  ok: number;
  durationMs: number;
  /** Every latency in milliseconds, ascending. */
  latencyMs: Float64Array;
  errorsByCode: Record<string, number>;
  completionsPerSecond: number[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `concurrency` clients over keep-alive HTTP/1.1 for `durationMs`: closed loop (the next
 * request as soon as the answer arrives) or, with `clientIntervalMs`, paced. Latency is
 * measured here, from issuing the request to the last byte of the answer.
 */
async function runLoop(o: LoopOptions): Promise<LoopResult> {
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: o.concurrency,
    maxFreeSockets: o.concurrency,
    scheduling: 'fifo',
  });
  const latencies: number[] = [];
  const errorsByCode: Record<string, number> = {};
  const perSecond: number[] = [];
  let next = 0;
  let ok = 0;
  const started = performance.now();
  const deadline = started + o.durationMs;
  const client = async (j: number) => {
    const interval = o.clientIntervalMs;
    // Paced clients are staggered evenly over one interval.
    let sendAt = interval === undefined ? started : started + (j * interval) / o.concurrency;
    for (;;) {
      if (interval !== undefined) {
        const wait = sendAt - performance.now();
        if (wait > 0) await sleep(wait);
      }
      if (performance.now() >= deadline) return;
      const planned = o.next(next++);
      const t0 = performance.now();
      const answer = await send(agent, o.port, planned);
      const t1 = performance.now();
      latencies.push(t1 - t0);
      const second = Math.floor((t1 - started) / 1000);
      perSecond[second] = (perSecond[second] ?? 0) + 1;
      if (answer.status === o.okStatus) ok++;
      else {
        const code = problemCode(answer);
        errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
      }
      // A late answer does not make the client catch up in a burst: missed slots are skipped.
      if (interval !== undefined) sendAt = Math.max(sendAt + interval, performance.now());
    }
  };
  try {
    await Promise.all(Array.from({ length: o.concurrency }, (_, j) => client(j)));
  } finally {
    agent.destroy();
  }
  return {
    requests: latencies.length,
    ok,
    durationMs: performance.now() - started,
    latencyMs: Float64Array.from(latencies).sort(),
    errorsByCode,
    completionsPerSecond: Array.from(perSecond, (n) => n ?? 0),
  };
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i];
      if (item === undefined) continue;
      out[i] = await fn(item, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// ---------------------------------------------------------------------------------------
// Figures.

const r2 = (x: number) => Math.round(x * 100) / 100;

function latencySummary(sorted: Float64Array) {
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: r2(percentile(sorted, 50)),
    p95: r2(percentile(sorted, 95)),
    p99: r2(percentile(sorted, 99)),
    max: r2(sorted[sorted.length - 1] ?? 0),
    mean: r2(sorted.length > 0 ? sum / sorted.length : 0),
  };
}

type LatencySummary = ReturnType<typeof latencySummary>;

function loopReport(r: LoopResult) {
  return {
    requests: r.requests,
    ok: r.ok,
    durationMs: Math.round(r.durationMs),
    perSecond: r2(r.ok / (r.durationMs / 1000)),
    latencyMs: latencySummary(r.latencyMs),
    errorsByCode: r.errorsByCode,
    completionsPerSecond: r.completionsPerSecond,
  };
}

type LoopReport = ReturnType<typeof loopReport>;

/** What the server says about itself over a phase: CPU, event-loop delay, its own request time. */
function serverView(before: MetricsSnapshot, after: MetricsSnapshot, wallMs: number, route: string) {
  const d = (series: string) => (after.get(series) ?? 0) - (before.get(series) ?? 0);
  const cpuSeconds =
    d('bulwark_process_process_cpu_user_seconds_total') +
    d('bulwark_process_process_cpu_system_seconds_total');
  let sum = 0;
  let count = 0;
  for (const series of after.keys()) {
    if (!series.includes(`route="${route}"`)) continue;
    if (series.startsWith('bulwark_http_request_duration_seconds_sum')) sum += d(series);
    if (series.startsWith('bulwark_http_request_duration_seconds_count')) count += d(series);
  }
  // The event-loop delay gauges cover the time since the previous scrape (prom-client
  // resets its histogram on each collection), so the scrape before the phase starts them.
  const lagMs = (name: string) =>
    r2((after.get(`bulwark_process_nodejs_eventloop_lag_${name}_seconds`) ?? 0) * 1000);
  return {
    /** Core-seconds per second of wall time: the process's CPU, thread pool included. */
    cores: r2(cpuSeconds / (wallMs / 1000)),
    cpuSeconds: r2(cpuSeconds),
    serverMeanMs: count > 0 ? r2((sum / count) * 1000) : null,
    eventLoopDelayMs: { p50: lagMs('p50'), p99: lagMs('p99'), max: lagMs('max') },
  };
}

/** Busy core-seconds of the whole machine since boot (all processes); differences give a phase. */
function machineBusySeconds(): number {
  let busy = 0;
  for (const c of os.cpus()) busy += c.times.user + c.times.nice + c.times.sys + c.times.irq;
  return busy / 1000;
}

/**
 * Where the machine's CPU went during a phase: the server, this driver, and everything
 * else (PostgreSQL's processes, the OS, other programs: a busy neighbour shows here).
 */
function startCpuWatch() {
  const busy0 = machineBusySeconds();
  const driver0 = process.cpuUsage();
  const t0 = performance.now();
  const load0 = os.loadavg()[0] ?? 0;
  return (serverCpuSeconds: number) => {
    const wall = (performance.now() - t0) / 1000;
    const machineBusyCores = (machineBusySeconds() - busy0) / wall;
    const d = process.cpuUsage(driver0);
    const driverCores = (d.user + d.system) / 1e6 / wall;
    const serverCores = serverCpuSeconds / wall;
    return {
      machineBusyCores: r2(machineBusyCores),
      serverCores: r2(serverCores),
      driverCores: r2(driverCores),
      otherCores: r2(Math.max(0, machineBusyCores - serverCores - driverCores)),
      loadAverage1mBefore: r2(load0),
      loadAverage1mAfter: r2(os.loadavg()[0] ?? 0),
    };
  };
}

type CpuReport = ReturnType<ReturnType<typeof startCpuWatch>>;

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  if (s.length === 0) return 0;
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** One hash at a time: the time of one hash with the machine otherwise idle. */
async function timeHashes(
  ln: number,
  samples: number,
): Promise<{ ln: number; medianMs: number; minMs: number }> {
  const params = { ln, r: 8, p: 1 };
  await hashPassword('warm-up the thread pool', params);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await hashPassword(`Bench-${i}-${randomBytes(6).toString('hex')}`, params);
    times.push(performance.now() - t0);
  }
  return { ln, medianMs: r2(median(times)), minMs: r2(Math.min(...times)) };
}

/** Many hashes in flight: what the thread pool delivers when it is the only work. */
async function poolThroughput(ln: number, total: number, inFlight: number): Promise<number> {
  const params = { ln, r: 8, p: 1 };
  const t0 = performance.now();
  await mapLimit(
    Array.from({ length: total }, (_, i) => i),
    inFlight,
    (i) => hashPassword(`Bench-pool-${i}`, params),
  );
  return r2(total / ((performance.now() - t0) / 1000));
}

// ---------------------------------------------------------------------------------------
// The driver.

interface Parameters {
  databases: DbKind[];
  users: number;
  concurrency: number;
  seconds: number;
  probeConcurrency: number;
  probeRate: number;
  tokenProbeRate: number;
  stepUps: number;
  hashSamples: number;
  costLn: number;
  threadPoolSize: number;
  pgliteDir: string | undefined;
  databaseUrl: string;
}

function readParameters(): Parameters {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      users: { type: 'string' },
      concurrency: { type: 'string' },
      seconds: { type: 'string' },
      'probe-concurrency': { type: 'string' },
      'probe-rate': { type: 'string' },
      'token-probe-rate': { type: 'string' },
      'step-ups': { type: 'string' },
      'hash-samples': { type: 'string' },
    },
    allowPositionals: false,
  });
  const env = process.env;
  const int = (name: string, flag: string | undefined, fallback: number, min: number, max?: number) => {
    const raw = flag ?? env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || (max !== undefined && n > max))
      throw new Error(`${name} must be an integer in [${min}, ${max ?? '∞'}], got "${raw}"`);
    return n;
  };
  const url = env.DATABASE_URL || env.TEST_DATABASE_URL || undefined;
  const dbChoice = values.db ?? env.BENCH_DB ?? (url ? 'both' : 'pglite');
  const databases: DbKind[] =
    dbChoice === 'both'
      ? ['postgres', 'pglite']
      : dbChoice === 'postgres' || dbChoice === 'pglite'
        ? [dbChoice]
        : [];
  if (databases.length === 0) throw new Error(`BENCH_DB must be pglite, postgres or both, got "${dbChoice}"`);
  const users = int('BENCH_USERS', values.users, 200, 1, 10_000_000);
  return {
    databases,
    users,
    concurrency: int('BENCH_CONCURRENCY', values.concurrency, 16, 1),
    seconds: int('BENCH_SECONDS', values.seconds, 15, 1),
    probeConcurrency: int('BENCH_PROBE_CONCURRENCY', values['probe-concurrency'], 8, 1),
    probeRate: int('BENCH_PROBE_RATE', values['probe-rate'], 200, 1),
    tokenProbeRate: int('BENCH_TOKEN_PROBE_RATE', values['token-probe-rate'], 20, 0),
    stepUps: Math.min(users, int('BENCH_STEP_UPS', values['step-ups'], 200, 0)),
    hashSamples: int('BENCH_HASH_SAMPLES', values['hash-samples'], 20, 1),
    costLn: int('BENCH_PASSWORD_COST_LN', undefined, PRODUCTION_COST_LN, 10, 20),
    threadPoolSize: int('UV_THREADPOOL_SIZE', undefined, 4, 1, 1024),
    pgliteDir: env.BENCH_PGLITE_DIR || undefined,
    databaseUrl: url ?? DEFAULT_DATABASE_URL,
  };
}

interface BenchUser {
  phone: string;
  password: string;
  deviceId: string;
}

interface DbResult {
  database: { kind: DbKind; location: string; serverVersion: string };
  setup: { users: number; durationMs: number; registrationsPerSecond: number };
  login: LoopReport & { server: ReturnType<typeof serverView>; serverPeakRssBytes: number; cpu: CpuReport };
  isolation: {
    probe: { path: string; concurrency: number; targetPerSecond: number };
    alone: LoopReport;
    underLoginLoad: LoopReport;
    /** The sign-in load that ran alongside the probe. */
    loginsDuringProbe: LoopReport;
    /** p99 under load / p99 alone. */
    p99Ratio: number;
    p50Ratio: number;
    serverDuringLoad: ReturnType<typeof serverView>;
    cpuDuringLoad: CpuReport;
    /** GET /v1/me with a customer access token, run beside the API-key probe. */
    tokenProbe?: {
      path: string;
      concurrency: number;
      targetPerSecond: number;
      alone: LoopReport;
      underLoginLoad: LoopReport;
      p99Ratio: number;
      p50Ratio: number;
    };
  };
  stepUp: {
    verifications: number;
    ok: number;
    errorsByCode: Record<string, number>;
    verifyMs: LatencySummary;
    /** The untimed request that opens each challenge (POST /v1/me/password → 403), for comparison. */
    challengeMs: LatencySummary;
    enrolmentDurationMs: number;
  };
  ceiling: { byThreadsPerSecond: number; byCoresPerSecond: number; loginsShareOfCoreCeiling: number };
  memory: { serverPeakRssBytes: number };
}

function log(db: string, message: string): void {
  console.error(`[${new Date().toISOString().slice(11, 19)}] [${db}] ${message}`);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function makeUsers(n: number): BenchUser[] {
  // Consecutive numbers from a random start: distinct within the run, and another run's
  // schema or directory is fresh anyway.
  const start = randomInt(0, 100_000_000 - n);
  return Array.from({ length: n }, (_, i) => ({
    phone: `139${String(start + i).padStart(8, '0')}`,
    password: `Bench-${randomBytes(12).toString('base64url')}-pw`,
    deviceId: `bench-device-${String(i).padStart(6, '0')}`,
  }));
}

function loginRequest(u: BenchUser, otp?: string): PlannedRequest {
  return {
    method: 'POST',
    path: '/v1/auth/login',
    headers: { 'bulwark-device-id': u.deviceId },
    body: JSON.stringify({ login: u.phone, password: u.password, ...(otp ? { otp } : {}) }),
  };
}

async function runDatabase(kind: DbKind, p: Parameters, runId: string, hashMs: number): Promise<DbResult> {
  const tmpDir = await mkdtemp(join(os.tmpdir(), 'bulwark-login-bench-'));
  const schema = kind === 'postgres' ? `bench_login_${runId}` : undefined;
  const dataDir = kind === 'pglite' ? (p.pgliteDir ?? join(tmpDir, 'pglite')) : 'memory';
  let server: LoginServer | undefined;
  try {
    const started = await LoginServer.start({
      DATABASE_URL: kind === 'postgres' ? p.databaseUrl : '',
      LOGIN_BENCH_DATA_DIR: dataDir,
      BENCH_SCHEMA: schema ?? '',
      // The key-encryption key of this run only, outside the working tree.
      BULWARK_KEY_FILE: join(tmpDir, 'kek.key'),
      BULWARK_KEKS: '',
      PASSWORD_COST_LN: String(p.costLn),
      PRIVACY_POLICY_VERSION: POLICY_VERSION,
      UV_THREADPOOL_SIZE: String(p.threadPoolSize),
    });
    server = started.server;
    const ready = started.ready;
    const port = ready.apiPort;
    log(kind, `server pid ${server.pid} on ${ready.location}, api :${port}`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: p.concurrency });

    // 1. Setup: registration (one scrypt hash each, plus the strength check).
    const users = makeUsers(p.users);
    log(kind, `setup: registering ${fmt(users.length)} users`);
    const s0 = performance.now();
    await mapLimit(users, p.concurrency, async (u) => {
      await expectStatus(
        agent,
        port,
        {
          method: 'POST',
          path: '/v1/auth/register',
          headers: { 'bulwark-device-id': u.deviceId },
          body: JSON.stringify({
            phone: u.phone,
            password: u.password,
            consent: { policyVersion: POLICY_VERSION, accepted: true },
          }),
        },
        201,
        'register',
      );
    });
    const setupMs = performance.now() - s0;
    log(
      kind,
      `setup done in ${fmt(setupMs)} ms (${(users.length / (setupMs / 1000)).toFixed(1)} registrations/s)`,
    );

    const loginLoop = (durationMs: number, offset: number) =>
      runLoop({
        port,
        concurrency: p.concurrency,
        durationMs,
        okStatus: 200,
        next: (i) => {
          const u = users[(i + offset) % users.length];
          if (!u) throw new Error('no benchmark users');
          return loginRequest(u);
        },
      });

    // Warm-up: JIT, connections, caches; not counted.
    await loginLoop(2_000, 0);

    // 2. Sign-in throughput and latency.
    log(kind, `sign-in: ${p.concurrency} clients for ${p.seconds} s`);
    server.resetPhasePeak();
    const loginCpu = startCpuWatch();
    const m0 = await fetchMetrics(port);
    const loginRun = await loginLoop(p.seconds * 1000, 0);
    const m1 = await fetchMetrics(port);
    const loginServer = serverView(m0, m1, loginRun.durationMs, '/v1/auth/login');
    const login = {
      ...loopReport(loginRun),
      server: loginServer,
      serverPeakRssBytes: server.phasePeakRssBytes,
      cpu: loginCpu(loginServer.cpuSeconds),
    };
    log(
      kind,
      `sign-in: ${login.perSecond.toFixed(1)} logins/s, p50 ${login.latencyMs.p50} ms, p99 ${login.latencyMs.p99} ms`,
    );

    // 3. Event-loop isolation: a cheap authenticated read, alone and under the sign-in load.
    const probe = {
      path: '/v1/ledger/chain',
      concurrency: p.probeConcurrency,
      targetPerSecond: p.probeRate,
    };
    const probeLoop = () =>
      runLoop({
        port,
        concurrency: p.probeConcurrency,
        durationMs: p.seconds * 1000,
        okStatus: 200,
        clientIntervalMs: (1000 * p.probeConcurrency) / p.probeRate,
        next: () => ({
          method: 'GET',
          path: probe.path,
          headers: { authorization: `Bearer ${ready.apiKey}` },
        }),
      });
    const tokenProbeConcurrency = 2;
    const firstUser = users[0];
    if (!firstUser) throw new Error('no benchmark users');
    const probeToken =
      p.tokenProbeRate > 0
        ? stringProp(
            await expectStatus(agent, port, loginRequest(firstUser), 200, 'login for the token probe'),
            'accessToken',
            'login',
          )
        : undefined;
    const tokenProbeLoop = async () =>
      probeToken === undefined
        ? undefined
        : runLoop({
            port,
            concurrency: tokenProbeConcurrency,
            durationMs: p.seconds * 1000,
            okStatus: 200,
            clientIntervalMs: (1000 * tokenProbeConcurrency) / p.tokenProbeRate,
            next: () => ({
              method: 'GET',
              path: '/v1/me',
              headers: { authorization: `Bearer ${probeToken}`, 'bulwark-device-id': firstUser.deviceId },
            }),
          });
    log(kind, `probe alone: ${probe.path} at ${p.probeRate}/s over ${p.probeConcurrency} clients`);
    const [aloneRun, tokenAloneRun] = await Promise.all([probeLoop(), tokenProbeLoop()]);
    const alone = loopReport(aloneRun);
    log(kind, `probe alone: p50 ${alone.latencyMs.p50} ms, p99 ${alone.latencyMs.p99} ms`);
    log(kind, 'probe under sign-in load');
    const loadCpu = startCpuWatch();
    const l0 = await fetchMetrics(port);
    const [probeUnder, loginsUnder, tokenUnderRun] = await Promise.all([
      probeLoop(),
      loginLoop(p.seconds * 1000, 7),
      tokenProbeLoop(),
    ]);
    const l1 = await fetchMetrics(port);
    const serverDuringLoad = serverView(l0, l1, probeUnder.durationMs, probe.path);
    const underLoginLoad = loopReport(probeUnder);
    const loginsDuringProbe = loopReport(loginsUnder);
    const ratio = (a: number, b: number) => (b > 0 ? r2(a / b) : 0);
    const tokenAlone = tokenAloneRun && loopReport(tokenAloneRun);
    const tokenUnder = tokenUnderRun && loopReport(tokenUnderRun);
    const tokenProbe =
      tokenAlone && tokenUnder
        ? {
            path: '/v1/me',
            concurrency: tokenProbeConcurrency,
            targetPerSecond: p.tokenProbeRate,
            alone: tokenAlone,
            underLoginLoad: tokenUnder,
            p99Ratio: ratio(tokenUnder.latencyMs.p99, tokenAlone.latencyMs.p99),
            p50Ratio: ratio(tokenUnder.latencyMs.p50, tokenAlone.latencyMs.p50),
          }
        : undefined;
    const isolation = {
      probe,
      alone,
      underLoginLoad,
      loginsDuringProbe,
      p99Ratio: ratio(underLoginLoad.latencyMs.p99, alone.latencyMs.p99),
      p50Ratio: ratio(underLoginLoad.latencyMs.p50, alone.latencyMs.p50),
      serverDuringLoad,
      cpuDuringLoad: loadCpu(serverDuringLoad.cpuSeconds),
      ...(tokenProbe ? { tokenProbe } : {}),
    };
    log(
      kind,
      `probe under load: p50 ${underLoginLoad.latencyMs.p50} ms, p99 ${underLoginLoad.latencyMs.p99} ms ` +
        `(x${isolation.p99Ratio} at p99), ${loginsDuringProbe.perSecond.toFixed(1)} logins/s alongside`,
    );
    const tp = isolation.tokenProbe;
    if (tp)
      log(
        kind,
        `token probe ${tp.path}: p50/p99 ${tp.alone.latencyMs.p50}/${tp.alone.latencyMs.p99} ms alone, ` +
          `${tp.underLoginLoad.latencyMs.p50}/${tp.underLoginLoad.latencyMs.p99} ms under load`,
      );

    // 4. Step-up: enrol TOTP (untimed), then time one verification per user.
    const sample = users.slice(0, p.stepUps);
    log(kind, `step-up: enrolling ${sample.length} authenticators`);
    const e0 = performance.now();
    const enrolled = await mapLimit(sample, p.concurrency, async (u) => {
      const pair = await expectStatus(agent, port, loginRequest(u), 200, 'login before enrolment');
      const auth = { authorization: `Bearer ${stringProp(pair, 'accessToken', 'login')}` };
      const factor = await expectStatus(
        agent,
        port,
        { method: 'POST', path: '/v1/me/mfa/totp', headers: auth },
        201,
        'enrol totp',
      );
      const factorId = stringProp(factor, 'factorId', 'enrol totp');
      const secret = stringProp(factor, 'secret', 'enrol totp');
      const at = Date.now();
      await expectStatus(
        agent,
        port,
        {
          method: 'POST',
          path: '/v1/me/mfa/totp/confirm',
          headers: auth,
          body: JSON.stringify({ factorId, code: totpAt(secret, at) }),
        },
        200,
        'confirm totp',
      );
      return { user: u, auth, secret, usedStep: Math.floor(at / TOTP_PERIOD_MS) };
    });
    const enrolmentDurationMs = performance.now() - e0;
    log(kind, `step-up: ${enrolled.length} verifications, one at a time`);
    const verifyMs: number[] = [];
    const challengeMs: number[] = [];
    const stepUpErrors: Record<string, number> = {};
    let stepUpOk = 0;
    for (const e of enrolled) {
      const c0 = performance.now();
      const change = await send(agent, port, {
        method: 'POST',
        path: '/v1/me/password',
        headers: e.auth,
        body: JSON.stringify({
          currentPassword: e.user.password,
          newPassword: `Bench-${randomBytes(12).toString('base64url')}-new`,
        }),
      });
      challengeMs.push(performance.now() - c0);
      if (change.status !== 403) throw new Error(`password change: expected 403, got ${change.status}`);
      const challengeId = stringProp(prop(parseJson(change.body), 'challenge'), 'id', 'step-up challenge');
      // A step once used is refused again: the one after the enrolment's, or now's when later
      // (the server accepts one step either side of its clock).
      const step = Math.max(e.usedStep + 1, Math.floor(Date.now() / TOTP_PERIOD_MS));
      const code = totpAt(e.secret, step * TOTP_PERIOD_MS);
      const v0 = performance.now();
      const answer = await send(agent, port, {
        method: 'POST',
        path: `/v1/auth/step-up/${encodeURIComponent(challengeId)}/verify`,
        headers: e.auth,
        body: JSON.stringify({ method: 'totp', code }),
      });
      verifyMs.push(performance.now() - v0);
      if (answer.status === 200 && typeof prop(parseJson(answer.body), 'proof') === 'string') stepUpOk++;
      else {
        const c = problemCode(answer);
        stepUpErrors[c] = (stepUpErrors[c] ?? 0) + 1;
      }
    }
    agent.destroy();
    const stepUp = {
      verifications: verifyMs.length,
      ok: stepUpOk,
      errorsByCode: stepUpErrors,
      verifyMs: latencySummary(Float64Array.from(verifyMs).sort()),
      challengeMs: latencySummary(Float64Array.from(challengeMs).sort()),
      enrolmentDurationMs: Math.round(enrolmentDurationMs),
    };
    log(
      kind,
      `step-up verify: p50 ${stepUp.verifyMs.p50} ms, p99 ${stepUp.verifyMs.p99} ms (${stepUpOk} ok)`,
    );

    const peakRss = await server.shutdown();
    server = undefined;
    const byThreads = hashMs > 0 ? (1000 * p.threadPoolSize) / hashMs : 0;
    const byCores = hashMs > 0 ? (1000 * Math.min(p.threadPoolSize, os.cpus().length)) / hashMs : 0;
    return {
      database: { kind, location: ready.location, serverVersion: ready.serverVersion },
      setup: {
        users: users.length,
        durationMs: Math.round(setupMs),
        registrationsPerSecond: r2(users.length / (setupMs / 1000)),
      },
      login,
      isolation,
      stepUp,
      ceiling: {
        byThreadsPerSecond: r2(byThreads),
        byCoresPerSecond: r2(byCores),
        loginsShareOfCoreCeiling: byCores > 0 ? r2(login.perSecond / byCores) : 0,
      },
      memory: { serverPeakRssBytes: peakRss },
    };
  } finally {
    server?.kill();
    await rm(tmpDir, { recursive: true, force: true });
  }
}

function printTable(results: DbResult[], hashing: HashingReport): void {
  const mb = (b: number) => `${Math.round(b / 1024 / 1024)} MiB`;
  const ms = (x: number) => x.toFixed(1);
  const rows: Array<[string, (r: DbResult) => string]> = [
    ['logins/s', (r) => r.login.perSecond.toFixed(1)],
    [
      '  ceiling/s (threads | cores)',
      (r) => `${r.ceiling.byThreadsPerSecond.toFixed(0)} | ${r.ceiling.byCoresPerSecond.toFixed(0)}`,
    ],
    ['  login p50 / p95 ms', (r) => `${ms(r.login.latencyMs.p50)} / ${ms(r.login.latencyMs.p95)}`],
    ['  login p99 / max ms', (r) => `${ms(r.login.latencyMs.p99)} / ${ms(r.login.latencyMs.max)}`],
    ['  login errors', (r) => fmt(Object.values(r.login.errorsByCode).reduce((a, b) => a + b, 0))],
    [
      '  cores: server | other',
      (r) => `${r.login.cpu.serverCores.toFixed(2)} | ${r.login.cpu.otherCores.toFixed(2)}`,
    ],
    ['  machine load (1 min)', (r) => r.login.cpu.loadAverage1mAfter.toFixed(1)],
    ['  server loop delay p99 ms', (r) => ms(r.login.server.eventLoopDelayMs.p99)],
    ['  server RSS (phase peak)', (r) => mb(r.login.serverPeakRssBytes)],
    [
      'chain p50 / p99 ms, alone',
      (r) => `${ms(r.isolation.alone.latencyMs.p50)} / ${ms(r.isolation.alone.latencyMs.p99)}`,
    ],
    [
      'chain p50 / p99 ms, logins',
      (r) =>
        `${ms(r.isolation.underLoginLoad.latencyMs.p50)} / ${ms(r.isolation.underLoginLoad.latencyMs.p99)}`,
    ],
    ['  p99 ratio (load / alone)', (r) => r.isolation.p99Ratio.toFixed(2)],
    [
      '  chain req/s alone | load',
      (r) => `${r.isolation.alone.perSecond.toFixed(0)} | ${r.isolation.underLoginLoad.perSecond.toFixed(0)}`,
    ],
    ['  logins/s alongside', (r) => r.isolation.loginsDuringProbe.perSecond.toFixed(1)],
    [
      '  cores: server | other',
      (r) =>
        `${r.isolation.cpuDuringLoad.serverCores.toFixed(2)} | ${r.isolation.cpuDuringLoad.otherCores.toFixed(2)}`,
    ],
    [
      '/v1/me p50 / p99 ms, alone',
      (r) => {
        const t = r.isolation.tokenProbe;
        return t ? `${ms(t.alone.latencyMs.p50)} / ${ms(t.alone.latencyMs.p99)}` : '-';
      },
    ],
    [
      '/v1/me p50 / p99 ms, logins',
      (r) => {
        const t = r.isolation.tokenProbe;
        return t ? `${ms(t.underLoginLoad.latencyMs.p50)} / ${ms(t.underLoginLoad.latencyMs.p99)}` : '-';
      },
    ],
    ['step-up verify p50 / p99 ms', (r) => `${ms(r.stepUp.verifyMs.p50)} / ${ms(r.stepUp.verifyMs.p99)}`],
    ['  verifications ok', (r) => `${r.stepUp.ok}/${r.stepUp.verifications}`],
    ['registrations/s (setup)', (r) => r.setup.registrationsPerSecond.toFixed(1)],
    ['server peak RSS', (r) => mb(r.memory.serverPeakRssBytes)],
  ];
  const header = ['', ...results.map((r) => r.database.kind)];
  const body = rows.map(([label, f]) => [label, ...results.map(f)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(
    `scrypt in-process: ln=${hashing.production.ln} median ${hashing.production.medianMs} ms, ` +
      `ln=${hashing.reduced.ln} median ${hashing.reduced.medianMs} ms; ` +
      `pool with ${hashing.poolInFlight} in flight ${hashing.poolHashesPerSecond}/s ` +
      `(${hashing.threadPoolSize} threads, ${hashing.cpus} cpus)`,
  );
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of body) console.log(line(row));
}

interface HashingReport {
  production: { ln: number; medianMs: number; minMs: number };
  reduced: { ln: number; medianMs: number; minMs: number };
  poolHashesPerSecond: number;
  poolInFlight: number;
  threadPoolSize: number;
  cpus: number;
}

async function main(): Promise<void> {
  const p = readParameters();
  const runId = randomBytes(4).toString('hex');
  const startedAt = new Date().toISOString();
  if (p.costLn !== PRODUCTION_COST_LN)
    console.error(`note: BENCH_PASSWORD_COST_LN=${p.costLn}, not the production ${PRODUCTION_COST_LN}`);

  // 5. In this process, before any server starts: the cost of one hash.
  console.error(`hashing: ${p.hashSamples} hashes at ln=${p.costLn} and at ln=12, one at a time`);
  const production = await timeHashes(p.costLn, p.hashSamples);
  const reduced = await timeHashes(12, p.hashSamples);
  const poolInFlight = p.threadPoolSize * 2;
  const poolHashesPerSecond = await poolThroughput(p.costLn, poolInFlight * 5, poolInFlight);
  const hashing: HashingReport = {
    production,
    reduced,
    poolHashesPerSecond,
    poolInFlight,
    threadPoolSize: p.threadPoolSize,
    cpus: os.cpus().length,
  };
  console.error(
    `hashing: ln=${p.costLn} ${production.medianMs} ms, ln=12 ${reduced.medianMs} ms, pool ${poolHashesPerSecond}/s`,
  );

  const parameters = {
    users: p.users,
    concurrency: p.concurrency,
    seconds: p.seconds,
    probe: { path: '/v1/ledger/chain', concurrency: p.probeConcurrency, ratePerSecond: p.probeRate },
    tokenProbe: { path: '/v1/me', concurrency: 2, ratePerSecond: p.tokenProbeRate },
    stepUps: p.stepUps,
    hashSamples: p.hashSamples,
    scrypt: { ln: p.costLn, r: 8, p: 1 },
    threadPoolSize: p.threadPoolSize,
    warmupMs: 2_000,
    transport: 'HTTP/1.1 keep-alive (node:http), server in its own process',
  };
  const results: DbResult[] = [];
  const failures: Array<{ database: DbKind; error: string }> = [];
  for (const kind of p.databases) {
    try {
      results.push(await runDatabase(kind, p, runId, production.medianMs));
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      failures.push({ database: kind, error: message });
      log(kind, `run failed: ${message}`);
    }
  }
  await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  await writeFile(
    RESULTS_FILE,
    `${JSON.stringify(
      {
        benchmark: 'login',
        startedAt,
        finishedAt: new Date().toISOString(),
        machine: machine(),
        parameters,
        hashing,
        results,
        failures,
      },
      null,
      2,
    )}\n`,
  );
  console.error(`results written to ${relative(process.cwd(), RESULTS_FILE)}`);
  console.log('');
  printTable(results, hashing);
  process.exitCode = failures.length > 0 ? 1 : 0;
}

if (process.env[SERVER_ROLE_ENV] === '1') {
  await serverMain().catch(async (err: unknown) => {
    await sendToParent({
      type: 'failed',
      message: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
    process.exit(1);
  });
} else {
  await main();
}
