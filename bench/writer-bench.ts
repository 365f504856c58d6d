/**
 * The ledger writer alone, without HTTP: how many transfers per second one process's
 * group-commit writer applies when many submitters wait on it. Separates the ledger's
 * own cost from the HTTP server's in the main benchmark.
 *
 * Usage: node bin/run-ts.mjs bench/writer-bench.ts   (env: WRITER_OPS, WRITER_WALLETS,
 * WRITER_CONCURRENCY, and TEST_DATABASE_URL or DATABASE_URL to add PostgreSQL)
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { sql } from 'kysely';
import { LedgerService } from '../src/ledger/service.ts';
import { LedgerWriter } from '../src/ledger/writer.ts';
import { openDatabase } from '../src/platform/db.ts';
import { newId } from '../src/platform/ids.ts';
import { createLogger } from '../src/platform/logger.ts';
import { migrateToLatest } from '../src/platform/migrate.ts';
import type { RiskDecision } from '../src/risk/gate.ts';

const OPS = Number(process.env.WRITER_OPS ?? 30_000);
const WALLETS = Number(process.env.WRITER_WALLETS ?? 2_000);
const CONCURRENCY = Number(process.env.WRITER_CONCURRENCY ?? 64);
const url = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;

function decision(): RiskDecision {
  return {
    id: newId('dec'),
    eventType: 'transfer',
    subjectId: 'cus_bench',
    currency: 'CNY',
    amountMinor: 100n,
    outcome: 'ALLOW',
    reasonCodes: [],
    customerMessage: null,
    policy: 'bench',
    input: { type: 'transfer' },
    latencyUs: 1,
    createdAt: new Date(),
  };
}

async function run(target: { name: string; url?: string }) {
  const schema = `writer_bench_${randomBytes(4).toString('hex')}`;
  const handle = await openDatabase(target.url ? { url: target.url, schema } : { dataDir: 'memory' });
  try {
    await migrateToLatest(handle.db);
    const writer = new LedgerWriter(handle.db, createLogger('warn'), { batchMax: 256, queueMax: 1_000_000 });
    const ledger = new LedgerService(handle.db, writer);
    await ledger.ensureSystemAccounts(['CNY']);
    const custody = ledger.systemAccountId('customer_custody', 'CNY');
    const wallets: string[] = [];
    for (let i = 0; i < WALLETS; i++) {
      wallets.push(
        (await ledger.openAccount({ kind: 'customer_wallet', currency: 'CNY', ownerId: `cus_${i}` })).id,
      );
    }
    await Promise.all(
      wallets.map((wallet) =>
        ledger.submit({
          type: 'post',
          kind: 'topup',
          rule: 'topup',
          params: { custody, wallet },
          currency: 'CNY',
          amountMinor: 100_000_000n,
          decision: { record: decision() },
          metadata: {},
        }),
      ),
    );
    let next = 0;
    let committed = 0;
    const latencies: number[] = [];
    const started = performance.now();
    const worker = async () => {
      while (next < OPS) {
        const i = next++;
        const from = wallets[(i * 7919) % WALLETS] ?? '';
        const to = wallets[(i * 104_729 + 1) % WALLETS] ?? '';
        if (from === to) continue;
        const t0 = performance.now();
        const r = await ledger.submit({
          type: 'post',
          kind: 'transfer',
          rule: 'transfer',
          params: { from, to },
          currency: 'CNY',
          amountMinor: 100n,
          decision: { record: decision() },
          metadata: { memo: 'bench' },
          idempotency: {
            scope: 'bench',
            key: `writer-${i}`,
            requestHash: String(i),
            render: (o) => ({ statusCode: o.ok ? 201 : 422, body: { ok: o.ok } }),
          },
        });
        latencies.push(performance.now() - t0);
        if (!r.replayed && r.outcome.ok) committed++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const ms = performance.now() - started;
    await writer.close();
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      Math.round((latencies[Math.floor((latencies.length - 1) * p)] ?? 0) * 100) / 100;
    return {
      database: target.name,
      committed,
      durationMs: Math.round(ms),
      committedPerSecond: Math.round((committed / ms) * 1000),
      latencyMs: { p50: pct(0.5), p99: pct(0.99) },
    };
  } finally {
    if (target.url) await sql.raw(`drop schema if exists ${schema} cascade`).execute(handle.db);
    await handle.close();
  }
}

const targets = [{ name: 'pglite' }, ...(url ? [{ name: 'postgres', url }] : [])];
const results = [];
for (const t of targets) {
  const r = await run(t);
  console.log(
    `${r.database}: ${r.committed} transfers in ${r.durationMs} ms = ${r.committedPerSecond}/s (p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms) at concurrency ${CONCURRENCY}`,
  );
  results.push(r);
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/writer.json',
  `${JSON.stringify({ benchmark: 'ledger-writer', at: new Date().toISOString(), machine: { cpus: cpus().length, node: process.version }, parameters: { ops: OPS, wallets: WALLETS, concurrency: CONCURRENCY }, results }, null, 2)}\n`,
);
