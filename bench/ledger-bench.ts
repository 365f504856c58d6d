/**
 * Ledger benchmark: transfers and payments among many wallets (a share of the payments
 * to one hot merchant) from concurrent HTTP clients, on PostgreSQL and on PGlite, with
 * a baseline of one-row-insert commits through the same server, driver and concurrency.
 *
 *   npm run bench                                  # defaults below; PostgreSQL when a URL is set
 *   BENCH_DB=pglite BENCH_OPS=20000 npm run bench  # knobs by environment...
 *   npm run bench -- --db postgres --ops 20000     # ...or by flag (flags win)
 *
 * Knobs: BENCH_OPS (100000), BENCH_WALLETS (10000), BENCH_MERCHANTS (500),
 * BENCH_CONCURRENCY (64), BENCH_DB=pglite|postgres|both (both when DATABASE_URL or
 * TEST_DATABASE_URL is set, else pglite), BENCH_WARMUP (1000 requests, not counted),
 * BENCH_BASELINE_SECONDS (20: the baseline stops at this or at BENCH_OPS requests),
 * BENCH_PROFILE=1 (CPU profile of the server during the timed phase), BENCH_QUERY_STATS=1
 * (time per SQL statement during the timed phase; a diagnostic, slightly slower), BENCH_SEED (1),
 * BENCH_PGLITE_DIR (a fresh temporary directory; "memory" for in-memory).
 * Results: a table on stdout, bench/results/ledger-<db>.json and bench/results/ledger.json.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { dropSchema } from '../src/platform/db.ts';
import { type LoadResult, percentile, runLoad } from './driver.ts';
import { fetchMetrics, type PhaseMetrics, phaseMetrics } from './metrics.ts';
import { type ProfileSummary, summarizeProfileFile } from './profile-summary.ts';
import type { VerifySummary } from './protocol.ts';
import { ServerProcess } from './server-process.ts';
import { ledgerWorkload, type WorkloadSpec } from './workload.ts';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const REQUEST_TIMEOUT_MS = 60_000;
const FUND_MINOR = 1_000_000n; // CNY 10 000 per wallet: ~10 operations of at most CNY 50 each.
const MERCHANT_FEE_BPS = 60;
const TARGETS = {
  postgres: { committedPerSecond: 5_000, p99Ms: 50 },
  pglite: { committedPerSecond: 1_000, p99Ms: undefined },
} as const;

type DbKind = 'pglite' | 'postgres';

interface Parameters {
  ops: number;
  wallets: number;
  merchants: number;
  concurrency: number;
  databases: DbKind[];
  warmup: number;
  baselineSeconds: number;
  profile: boolean;
  queryStats: boolean;
  seed: number;
  pgliteDir: string | undefined;
  databaseUrl: string;
}

function readParameters(): Parameters {
  const { values } = parseArgs({
    options: {
      ops: { type: 'string' },
      wallets: { type: 'string' },
      merchants: { type: 'string' },
      concurrency: { type: 'string' },
      db: { type: 'string' },
      warmup: { type: 'string' },
      'baseline-seconds': { type: 'string' },
      profile: { type: 'boolean' },
      'query-stats': { type: 'boolean' },
      seed: { type: 'string' },
    },
    allowPositionals: false,
  });
  const env = process.env;
  const int = (name: string, flag: string | undefined, fallback: number, min: number) => {
    const raw = flag ?? env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
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
  return {
    ops: int('BENCH_OPS', values.ops, 100_000, 1),
    wallets: int('BENCH_WALLETS', values.wallets, 10_000, 2),
    merchants: int('BENCH_MERCHANTS', values.merchants, 500, 1),
    concurrency: int('BENCH_CONCURRENCY', values.concurrency, 64, 1),
    databases,
    warmup: int('BENCH_WARMUP', values.warmup, 1_000, 0),
    baselineSeconds: int('BENCH_BASELINE_SECONDS', values['baseline-seconds'], 20, 1),
    profile: values.profile ?? (env.BENCH_PROFILE === '1' || env.BENCH_PROFILE === 'true'),
    queryStats: values['query-stats'] ?? (env.BENCH_QUERY_STATS === '1' || env.BENCH_QUERY_STATS === 'true'),
    seed: int('BENCH_SEED', values.seed, 1, 0),
    pgliteDir: env.BENCH_PGLITE_DIR || undefined,
    databaseUrl: url ?? DEFAULT_DATABASE_URL,
  };
}

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

/** Busy core-seconds of the whole machine since boot (all processes); differences give a phase. */
function machineBusySeconds(): number {
  let busy = 0;
  for (const c of os.cpus()) busy += c.times.user + c.times.nice + c.times.sys + c.times.irq;
  return busy / 1000;
}

function latencySummary(r: LoadResult) {
  const round = (x: number) => Math.round(x * 100) / 100;
  let sum = 0;
  for (const v of r.latencyMs) sum += v;
  return {
    p50: round(percentile(r.latencyMs, 50)),
    p90: round(percentile(r.latencyMs, 90)),
    p99: round(percentile(r.latencyMs, 99)),
    max: round(r.latencyMs[r.latencyMs.length - 1] ?? 0),
    mean: round(r.latencyMs.length > 0 ? sum / r.latencyMs.length : 0),
  };
}

function phaseReport(r: LoadResult) {
  const seconds = r.durationMs / 1000;
  return {
    requests: r.requests,
    committed: r.committed,
    durationMs: Math.round(r.durationMs),
    committedPerSecond: Math.round(r.committed / seconds),
    requestsPerSecond: Math.round(r.requests / seconds),
    latencyMs: latencySummary(r),
    statuses: r.statuses,
    errorsByCode: r.errorsByCode,
    byKind: r.byTag,
    completionsPerSecond: r.completionsPerSecond,
    latencyMsMaxPerSecond: r.latencyMsMaxPerSecond,
  };
}

type PhaseReport = ReturnType<typeof phaseReport>;

interface DbResult {
  database: { kind: DbKind; location: string; serverVersion: string };
  setup: { wallets: number; merchants: number; durationMs: number };
  warmup: { requests: number; committed: number };
  baseline: PhaseReport & { server: PhaseMetrics };
  ledger: PhaseReport & { server: PhaseMetrics };
  ratioLedgerToBaseline: number;
  cpu: {
    /** Core-seconds per second of wall time during the ledger phase (of `machine.cpus`). */
    machineBusyCores: number;
    serverCores: number;
    driverCores: number;
    /** Everything else: the PostgreSQL server processes, the OS, other programs. */
    otherCores: number;
    /** The machine's 1-minute load average around the ledger phase (other programs show here). */
    loadAverage1mBefore: number;
    loadAverage1mAfter: number;
  };
  memory: { serverPeakRssBytes: number; serverPeakRssDuringLedgerBytes: number };
  checks: { custody: { ok: boolean; status: number; body: unknown }; verify: VerifySummary };
  targets: { committedPerSecond: number; p99Ms: number | null; met: boolean };
  profile?: { file: string; summary: ProfileSummary };
  /** Time per statement shape during the ledger phase (BENCH_QUERY_STATS=1 only). */
  statements?: Array<{ statement: string; count: number; totalMs: number; meanMs: number }>;
}

function log(db: string, message: string): void {
  console.error(`[${new Date().toISOString().slice(11, 19)}] [${db}] ${message}`);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function runDatabase(kind: DbKind, p: Parameters, runId: string): Promise<DbResult> {
  const tmpDir =
    kind === 'pglite' && !p.pgliteDir ? await mkdtemp(join(os.tmpdir(), 'bulwark-bench-')) : undefined;
  const schema = kind === 'postgres' ? `bench_${runId}` : undefined;
  const server = await ServerProcess.start({
    databaseUrl: kind === 'postgres' ? p.databaseUrl : undefined,
    dataDir: tmpDir ?? p.pgliteDir ?? 'memory',
    schema,
    queryStats: p.queryStats,
  });
  try {
    const ready = server.ready;
    if (!ready) throw new Error('server did not report ready');
    // The API requires credentials; the server made an integrator key for this run.
    const authorization = `Bearer ${ready.apiKey}`;
    log(
      kind,
      `server pid ${server.pid} on ${ready.location}, api :${ready.apiPort}, baseline :${ready.baselinePort}`,
    );

    log(kind, `setup: ${fmt(p.wallets)} funded wallets, ${fmt(p.merchants)} merchants`);
    const setup = await server.setup({
      wallets: p.wallets,
      merchants: p.merchants,
      fundMinor: FUND_MINOR.toString(),
      feeBps: MERCHANT_FEE_BPS,
    });
    log(kind, `setup done in ${fmt(setup.durationMs)} ms`);

    const spec: WorkloadSpec = {
      walletIds: setup.walletIds,
      merchantIds: setup.merchantIds,
      transferShare: 0.5,
      hotShareOfPayments: 0.2,
      amountMinorMin: 100,
      amountMinorMax: 5_000,
      seed: p.seed,
    };
    const progress = (phase: string, total: number) => (done: number, elapsedMs: number) =>
      log(kind, `${phase} ${fmt(done)}/${fmt(total)}  ${fmt(done / (elapsedMs / 1000))}/s`);

    // Warm-up: JIT, caches (wallet directory, daily usage) and connections; not counted.
    const warm = ledgerWorkload({ ...spec, seed: p.seed + 1000 }, `bench-${runId}-warm`);
    const warmup =
      p.warmup > 0
        ? await runLoad({
            port: ready.apiPort,
            authorization,
            concurrency: p.concurrency,
            total: p.warmup,
            requestTimeoutMs: REQUEST_TIMEOUT_MS,
            request: warm.next,
          })
        : undefined;
    const warmBase = ledgerWorkload(
      { ...spec, seed: p.seed + 2000 },
      `bench-${runId}-bwarm`,
      '/bench/baseline-insert',
    );
    if (p.warmup > 0)
      await runLoad({
        port: ready.baselinePort,
        concurrency: p.concurrency,
        total: p.warmup,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        request: warmBase.next,
      });

    log(kind, `baseline: up to ${fmt(p.ops)} one-row-insert commits or ${p.baselineSeconds} s`);
    const base = ledgerWorkload(spec, `bench-${runId}-base`, '/bench/baseline-insert');
    const bm0 = await fetchMetrics(ready.apiPort);
    const baselineRun = await runLoad({
      port: ready.baselinePort,
      concurrency: p.concurrency,
      total: p.ops,
      timeBoxMs: p.baselineSeconds * 1000,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      request: base.next,
      onProgress: progress('baseline', p.ops),
    });
    const bm1 = await fetchMetrics(ready.apiPort);
    const baseline = {
      ...phaseReport(baselineRun),
      server: phaseMetrics(bm0, bm1, baselineRun.durationMs, baselineRun.requests),
    };
    log(kind, `baseline: ${fmt(baseline.committedPerSecond)} commits/s, p99 ${baseline.latencyMs.p99} ms`);

    log(kind, `ledger: ${fmt(p.ops)} operations, ${p.concurrency} clients`);
    const work = ledgerWorkload(spec, `bench-${runId}-op`);
    if (p.profile) await server.startProfile();
    if (p.queryStats) await server.resetQueryStats();
    server.resetPhasePeak();
    const m0 = await fetchMetrics(ready.apiPort);
    const loadAverageBefore = os.loadavg()[0] ?? 0;
    const cpuDriver0 = process.cpuUsage();
    const busy0 = machineBusySeconds();
    const ledgerRun = await runLoad({
      port: ready.apiPort,
      authorization,
      concurrency: p.concurrency,
      total: p.ops,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      request: work.next,
      onProgress: progress('ledger', p.ops),
    });
    const busy1 = machineBusySeconds();
    const cpuDriver = process.cpuUsage(cpuDriver0);
    const m1 = await fetchMetrics(ready.apiPort);
    const peakDuringLedger = server.phasePeakRssBytes;
    const statements = p.queryStats ? await server.queryStats() : undefined;
    let profile: DbResult['profile'];
    if (p.profile) {
      const dir = join(RESULTS_DIR, 'profiles');
      await mkdir(dir, { recursive: true });
      const file = join(dir, `ledger-${kind}.cpuprofile`);
      await server.stopProfile(file);
      profile = { file: relative(process.cwd(), file), summary: await summarizeProfileFile(file) };
    }
    const ledger = {
      ...phaseReport(ledgerRun),
      server: phaseMetrics(m0, m1, ledgerRun.durationMs, ledgerRun.requests),
    };
    log(
      kind,
      `ledger: ${fmt(ledger.committedPerSecond)} committed/s, p50 ${ledger.latencyMs.p50} ms, p99 ${ledger.latencyMs.p99} ms`,
    );

    const custodyRes = await fetch(`http://127.0.0.1:${ready.apiPort}/v1/ledger/custody`, {
      headers: { authorization },
    });
    const custodyBody: unknown = await custodyRes.json();
    const custodyOk =
      custodyRes.status === 200 &&
      typeof custodyBody === 'object' &&
      custodyBody !== null &&
      Object.getOwnPropertyDescriptor(custodyBody, 'ok')?.value === true;
    log(kind, `custody check: ${custodyOk ? 'ok' : 'FAILED'}; verifying the ledger`);
    const verify = await server.verify();
    log(
      kind,
      `verify: ${verify.ok ? 'ok' : 'FAILED'} (${fmt(verify.entries)} entries in ${fmt(verify.durationMs)} ms)`,
    );
    const peakRss = await server.shutdown();

    const wallSeconds = ledgerRun.durationMs / 1000;
    const machineBusyCores = (busy1 - busy0) / wallSeconds;
    const serverCores = ledger.server.serverCpuSeconds / wallSeconds;
    const driverCores = (cpuDriver.user + cpuDriver.system) / 1e6 / wallSeconds;
    const target = TARGETS[kind];
    const met =
      ledger.committedPerSecond >= target.committedPerSecond &&
      (target.p99Ms === undefined || ledger.latencyMs.p99 <= target.p99Ms);
    const r2 = (x: number) => Math.round(x * 100) / 100;
    return {
      database: { kind, location: ready.location, serverVersion: ready.serverVersion },
      setup: { wallets: p.wallets, merchants: p.merchants, durationMs: Math.round(setup.durationMs) },
      warmup: { requests: warmup?.requests ?? 0, committed: warmup?.committed ?? 0 },
      baseline,
      ledger,
      ratioLedgerToBaseline:
        baseline.committedPerSecond > 0 ? r2(ledger.committedPerSecond / baseline.committedPerSecond) : 0,
      cpu: {
        machineBusyCores: r2(machineBusyCores),
        serverCores: r2(serverCores),
        driverCores: r2(driverCores),
        otherCores: r2(Math.max(0, machineBusyCores - serverCores - driverCores)),
        loadAverage1mBefore: r2(loadAverageBefore),
        loadAverage1mAfter: r2(os.loadavg()[0] ?? 0),
      },
      memory: { serverPeakRssBytes: peakRss, serverPeakRssDuringLedgerBytes: peakDuringLedger },
      checks: { custody: { ok: custodyOk, status: custodyRes.status, body: custodyBody }, verify },
      targets: { committedPerSecond: target.committedPerSecond, p99Ms: target.p99Ms ?? null, met },
      ...(profile ? { profile } : {}),
      ...(statements ? { statements } : {}),
    };
  } catch (err) {
    server.kill();
    throw err;
  } finally {
    if (tmpDir) await rm(tmpDir, { recursive: true, force: true });
    // The server drops its schema on a clean shutdown; this covers a crash.
    if (schema) await dropSchema(p.databaseUrl, schema).catch(() => undefined);
  }
}

function printTable(results: DbResult[]): void {
  const mb = (b: number) => `${Math.round(b / 1024 / 1024)} MiB`;
  const table = results.map((r): Array<[string, string]> => {
    const errors = Object.values(r.ledger.errorsByCode).reduce((a, b) => a + b, 0);
    const t = r.targets;
    return [
      ['database', r.database.kind],
      ['operations', fmt(r.ledger.requests)],
      ['committed/s', fmt(r.ledger.committedPerSecond)],
      ['p50 ms', r.ledger.latencyMs.p50.toFixed(1)],
      ['p90 ms', r.ledger.latencyMs.p90.toFixed(1)],
      ['p99 ms', r.ledger.latencyMs.p99.toFixed(1)],
      ['max ms', r.ledger.latencyMs.max.toFixed(0)],
      ['errors', fmt(errors)],
      ['peak RSS', mb(r.memory.serverPeakRssBytes)],
      ['baseline/s', fmt(r.baseline.committedPerSecond)],
      ['ledger/baseline', r.ratioLedgerToBaseline.toFixed(2)],
      ['mean batch', r.ledger.server.meanBatchCommands.toFixed(1)],
      ['batch ms', r.ledger.server.meanBatchDurationMs.toFixed(1)],
      ['custody+verify', r.checks.custody.ok && r.checks.verify.ok ? 'ok' : 'FAILED'],
      [
        'target',
        `${t.met ? 'met' : 'MISSED'} (>=${fmt(t.committedPerSecond)}/s${t.p99Ms ? `, p99 <=${t.p99Ms} ms` : ''})`,
      ],
    ];
  });
  const first = table[0];
  if (!first) return;
  const headers = first.map(([h]) => h);
  const widths = headers.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]?.[1].length ?? 0)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  console.log(line(headers));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of table) console.log(line(row.map(([, v]) => v)));
  for (const r of results) {
    const errs = Object.entries(r.ledger.errorsByCode)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    console.log(
      `\n${r.database.kind}: ${r.database.serverVersion.split(',')[0]}; cpu busy ${r.cpu.machineBusyCores} cores ` +
        `(server ${r.cpu.serverCores}, driver ${r.cpu.driverCores}, other ${r.cpu.otherCores}); ` +
        `server CPU per request ${r.ledger.server.serverCpuMsPerRequest.toFixed(2)} ms ` +
        `(baseline ${r.baseline.server.serverCpuMsPerRequest.toFixed(2)} ms); ` +
        `writer busy ${(r.ledger.server.writerBusyShare * 100).toFixed(0)} % of the time; ` +
        `server-side mean ${Object.entries(r.ledger.server.serverMeanMs)
          .map(([k, v]) => `${k} ${v.toFixed(1)} ms`)
          .join(', ')}; errors: ${errs || 'none'}`,
    );
  }
}

async function main(): Promise<void> {
  const p = readParameters();
  const runId = randomBytes(4).toString('hex');
  const startedAt = new Date().toISOString();
  const parameters = {
    ops: p.ops,
    wallets: p.wallets,
    merchants: p.merchants,
    concurrency: p.concurrency,
    transferShare: 0.5,
    hotMerchantShareOfPayments: 0.2,
    amountMinor: { min: 100, max: 5_000, currency: 'CNY' },
    fundMinorPerWallet: FUND_MINOR.toString(),
    merchantFeeBps: MERCHANT_FEE_BPS,
    warmupRequests: p.warmup,
    baselineMaxSeconds: p.baselineSeconds,
    seed: p.seed,
    transport: 'HTTP/1.1 keep-alive (node:http), server in its own process',
    diagnostics: { cpuProfile: p.profile, queryStats: p.queryStats },
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  const results: DbResult[] = [];
  let failed = false;
  for (const kind of p.databases) {
    try {
      const r = await runDatabase(kind, p, runId);
      results.push(r);
      const file = join(RESULTS_DIR, `ledger-${kind}.json`);
      await writeFile(
        file,
        `${JSON.stringify({ benchmark: 'ledger', startedAt, machine: machine(), parameters, ...r }, null, 2)}\n`,
      );
      log(kind, `results written to ${relative(process.cwd(), file)}`);
    } catch (err) {
      failed = true;
      log(kind, `run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  await writeFile(
    join(RESULTS_DIR, 'ledger.json'),
    `${JSON.stringify({ benchmark: 'ledger', startedAt, machine: machine(), parameters, results }, null, 2)}\n`,
  );
  console.log('');
  printTable(results);
  for (const r of results) {
    if (!r.checks.custody.ok || !r.checks.verify.ok) failed = true;
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
