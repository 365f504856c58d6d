/**
 * The server side of the ledger benchmark, run as a child process so that the load
 * generator and the server do not share one event loop. It builds Bulwark as
 * `bulwark serve` does (limiter off, logs silent), listens on a free port, reports its
 * ports and RSS to the parent over IPC, and on request seeds the wallets, verifies the
 * ledger and shuts down (dropping its PostgreSQL schema).
 *
 * Environment: DATABASE_URL (PostgreSQL; empty means PGlite), BULWARK_DATA_DIR (PGlite
 * directory), BENCH_SCHEMA (PostgreSQL schema, created and dropped here),
 * BENCH_QUERY_STATS=1 (time every statement; diagnostic runs only).
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { sql } from 'kysely';
import { Type } from 'typebox';
import { type Bulwark, buildBulwark } from '../src/app.ts';
import type { LedgerCommand } from '../src/ledger/commands.ts';
import { NORMAL_SIDE } from '../src/ledger/types.ts';
import { verifyLedger } from '../src/ledger/verify.ts';
import { loadConfig } from '../src/platform/config.ts';
import { type Db, type DbHandle, dropSchema, openDatabase } from '../src/platform/db.ts';
import { type App, createHttp } from '../src/platform/http.ts';
import { requestHash, validateIdempotencyKey } from '../src/platform/idempotency.ts';
import { newId } from '../src/platform/ids.ts';
import { createLogger } from '../src/platform/logger.ts';
import type { RequestContext } from '../src/wallet/service.ts';
import { openInstrumentedDatabase, QueryStats } from './instrumented-db.ts';
import { type ChildMessage, isParentMessage, type SetupRequest, type VerifySummary } from './protocol.ts';

const RSS_REPORT_INTERVAL_MS = 250;
/** Setup requests in flight at once (PostgreSQL pool size; PGlite serialises anyway). */
const SETUP_CONCURRENCY = 16;
/** Top-ups submitted to the ledger writer at once; below its queue limit. */
const FUNDING_CHUNK = 5_000;
/** Customers (with their wallet) inserted per setup transaction. */
const CUSTOMER_CHUNK = 1_000;
const CURRENCY = 'CNY';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      resolve();
      return;
    }
    process.send(message, undefined, undefined, () => resolve());
  });
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

function field(body: unknown, name: string): unknown {
  if (typeof body !== 'object' || body === null) return undefined;
  const value: unknown = Object.getOwnPropertyDescriptor(body, name)?.value;
  return value;
}

function stringField(body: unknown, name: string): string {
  const v = field(body, name);
  if (typeof v !== 'string') throw new Error(`setup: response has no string "${name}"`);
  return v;
}

function setupContext(path: string, key: string, body: unknown): RequestContext {
  return { idem: { scope: 'api', key, requestHash: requestHash('POST', path, body) }, ip: '127.0.0.1' };
}

/**
 * Merchants through the wallet service; customers with one CNY wallet each, funded by
 * one top-up posted through the ledger writer (no channel round trip).
 */
async function setup(b: Bulwark, req: SetupRequest, runId: string) {
  const started = performance.now();
  const merchantIds = await mapLimit(
    Array.from({ length: req.merchants }, (_, i) => i),
    SETUP_CONCURRENCY,
    async (i) => {
      const body = { name: `Bench merchant ${i}`, feeBps: req.feeBps, currencies: [CURRENCY] };
      const r = await b.wallet.createMerchant(
        body,
        setupContext('/v1/merchants', `bench-${runId}-mer-${i}`, body),
      );
      return stringField(r.response.body, 'id');
    },
  );
  // Customers and their wallets are inserted in bulk (what createCustomer writes, less
  // its idempotency row and outbox event): through the API this took minutes on PGlite.
  // They count as fully verified (KYC tier 2): the funding and the workload's amounts stay
  // within that tier's limits, and verification is not what this benchmark measures.
  const customers: Array<{ customerId: string; walletId: string }> = [];
  for (let from = 0; from < req.wallets; from += CUSTOMER_CHUNK) {
    const chunk = Array.from({ length: Math.min(CUSTOMER_CHUNK, req.wallets - from) }, (_, k) => ({
      index: from + k,
      customerId: newId('cus'),
      walletId: newId('acct'),
    }));
    await b.dbHandle.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('customers')
        .values(
          chunk.map((c) => ({ id: c.customerId, display_name: `Bench customer ${c.index}`, kyc_tier: 2 })),
        )
        .execute();
      await tx
        .insertInto('ledger_accounts')
        .values(
          chunk.map((c) => ({
            id: c.walletId,
            kind: 'customer_wallet',
            currency: CURRENCY,
            normal_side: NORMAL_SIDE.customer_wallet,
            owner_id: c.customerId,
          })),
        )
        .execute();
    });
    for (const c of chunk) customers.push({ customerId: c.customerId, walletId: c.walletId });
  }

  const fundMinor = BigInt(req.fundMinor);
  const custody = b.ledger.systemAccountId('customer_custody', CURRENCY);
  for (let from = 0; from < customers.length; from += FUNDING_CHUNK) {
    const chunk = customers.slice(from, from + FUNDING_CHUNK);
    const results = await Promise.all(
      chunk.map(async (c) => {
        const decision = await b.gate.decide({
          type: 'topup',
          customerId: c.customerId,
          currency: CURRENCY,
          amountMinor: fundMinor,
          channel: 'bench-setup',
          at: b.clock.now(),
        });
        const cmd: LedgerCommand = {
          type: 'post',
          kind: 'topup',
          rule: 'topup',
          params: { custody, wallet: c.walletId },
          currency: CURRENCY,
          amountMinor: fundMinor,
          decision: { record: decision },
          metadata: { source: 'bench-setup' },
        };
        return b.ledger.submit(cmd);
      }),
    );
    for (const r of results) {
      if (r.replayed || !r.outcome.ok) throw new Error('setup: a funding top-up was not posted');
    }
  }
  return {
    walletIds: customers.map((c) => c.walletId),
    merchantIds,
    durationMs: performance.now() - started,
  };
}

const BaselineBody = Type.Object({}, { additionalProperties: true });

/**
 * The baseline: the same HTTP stack (createHttp: strict JSON, hooks, error handler) with
 * one route that commits one single-row insert on the same database. It needs its own
 * Fastify instance because buildBulwark has already booted the app (no routes after ready).
 */
async function baselineApp(db: Db, log: ReturnType<typeof createLogger>, bodyLimitBytes: number) {
  await sql`create table if not exists bench_baseline (
    id text primary key,
    payload jsonb not null,
    created_at timestamptz not null default now())`.execute(db);
  const app: App = await createHttp({
    logger: log,
    bodyLimitBytes,
    rateLimitPerMinute: 0,
    requestLogging: { enabled: false },
  });
  app.post('/bench/baseline-insert', { schema: { body: BaselineBody, hide: true } }, async (req, reply) => {
    const header = req.headers['idempotency-key'];
    const id = validateIdempotencyKey(Array.isArray(header) ? header[0] : header);
    await sql`insert into bench_baseline (id, payload) values (${id}, ${req.rawBody}::jsonb)`.execute(db);
    return reply.code(201).send({ id });
  });
  await app.ready();
  return app;
}

async function main(): Promise<void> {
  const config = { ...loadConfig(), rateLimitPerMinute: 0, logLevel: 'silent' };
  const log = createLogger(config.logLevel);
  const schema = config.databaseUrl ? (process.env.BENCH_SCHEMA ?? 'bench_default') : undefined;
  const runId = (schema ?? `pglite${process.pid}`).replaceAll('_', '-');
  const stats = process.env.BENCH_QUERY_STATS === '1' ? new QueryStats() : undefined;
  const handle: DbHandle = stats
    ? await openInstrumentedDatabase({ url: config.databaseUrl, dataDir: config.dataDir, schema }, stats)
    : await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, ...(schema ? { schema } : {}) });
  const bulwark = await buildBulwark({ config, log, dbHandle: handle });
  bulwark.startBackground();
  // The load authenticates as an integrator would: with an API key.
  const apiClient = await bulwark.apiClients.create(
    { name: `bench ${runId}`, role: 'integrator' },
    { type: 'system', id: 'bench' },
  );
  const baseline = await baselineApp(handle.db, log, config.bodyLimitBytes);
  const apiAddress = await bulwark.app.listen({ port: 0, host: '127.0.0.1' });
  const baselineAddress = await baseline.listen({ port: 0, host: '127.0.0.1' });
  const version = await sql<{ v: string }>`select version() as v`.execute(handle.db);

  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    void send({ type: 'rss', rssBytes: m.rss, heapUsedBytes: m.heapUsed });
  }, RSS_REPORT_INTERVAL_MS);

  let profiler: Session | undefined;
  let closing = false;
  const shutdown = async (code: number) => {
    if (closing) return;
    closing = true;
    clearInterval(rssTimer);
    try {
      await baseline.close();
      await bulwark.close();
      await handle.close();
      if (config.databaseUrl && schema) await dropSchema(config.databaseUrl, schema);
    } catch (err) {
      console.error('bench server: shutdown failed', err);
      code = 1;
    }
    // maxRSS is in kibibytes: the true peak of the process, not a sample.
    await send({ type: 'closed', maxRssBytes: Math.max(peakRss, process.resourceUsage().maxRSS * 1024) });
    process.exit(code);
  };

  process.on('disconnect', () => void shutdown(1));
  process.on('message', (message: unknown) => {
    if (!isParentMessage(message)) {
      void send({ type: 'failed', message: `unknown message ${JSON.stringify(message)}` });
      return;
    }
    const run = async () => {
      switch (message.type) {
        case 'setup':
          await send({ type: 'setup-done', ...(await setup(bulwark, message, runId)) });
          return;
        case 'verify': {
          const r = await verifyLedger(handle.db);
          const report: VerifySummary = {
            ok: r.ok,
            entries: r.entries,
            postings: r.postings,
            accounts: r.accounts,
            headSeq: r.headSeq,
            problems: r.problems.map((p) => ({ code: p.code, message: p.message })),
            problemsTruncated: r.problemsTruncated,
            durationMs: r.durationMs,
          };
          await send({ type: 'verify-done', report });
          return;
        }
        case 'profile-start':
          profiler = new Session();
          profiler.connect();
          await profiler.post('Profiler.enable');
          await profiler.post('Profiler.setSamplingInterval', { interval: 1000 });
          await profiler.post('Profiler.start');
          await send({ type: 'profile-started' });
          return;
        case 'profile-stop': {
          if (!profiler) throw new Error('the profiler was not started');
          const { profile } = await profiler.post('Profiler.stop');
          profiler.disconnect();
          profiler = undefined;
          await writeFile(message.file, JSON.stringify(profile));
          await send({ type: 'profile-written', file: message.file });
          return;
        }
        case 'query-stats-reset':
          stats?.reset();
          await send({ type: 'query-stats-reset-done' });
          return;
        case 'query-stats':
          await send({
            type: 'query-stats-done',
            enabled: stats !== undefined,
            statements: stats?.top(25) ?? [],
          });
          return;
        case 'shutdown':
          await shutdown(0);
          return;
        default: {
          const unreachable: never = message;
          throw new Error(`unhandled ${JSON.stringify(unreachable)}`);
        }
      }
    };
    run().catch((err: unknown) => {
      void send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    });
  });

  await send({
    type: 'ready',
    apiPort: Number(new URL(apiAddress).port),
    apiKey: apiClient.key,
    baselinePort: Number(new URL(baselineAddress).port),
    database: handle.kind,
    location: handle.location,
    serverVersion: version.rows[0]?.v ?? 'unknown',
  });
}

main().catch(async (err: unknown) => {
  await send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
