/**
 * A database handle like openDatabase's, with Kysely's query log switched on so that
 * the time of every statement (BEGIN and COMMIT included) can be summed per statement
 * shape. Diagnostic only (BENCH_QUERY_STATS=1): the timing callback itself costs a
 * little, so throughput figures come from runs without it.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, type LogEvent, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DbHandle } from '../src/platform/db.ts';
import { PGliteDialect } from '../src/platform/pglite-dialect.ts';
import type { Database } from '../src/platform/schema.ts';

const INT8_OID = 20;
const POOL_MAX = 16; // openDatabase's default, which `bulwark serve` uses.

export interface StatementStat {
  statement: string;
  count: number;
  totalMs: number;
  meanMs: number;
}

export class QueryStats {
  private readonly byStatement = new Map<string, { count: number; totalMs: number }>();

  record = (event: LogEvent): void => {
    const key = event.query.sql.replace(/\s+/g, ' ').trim().slice(0, 90);
    const s = this.byStatement.get(key) ?? { count: 0, totalMs: 0 };
    s.count++;
    s.totalMs += event.queryDurationMillis;
    this.byStatement.set(key, s);
  };

  reset(): void {
    this.byStatement.clear();
  }

  top(limit: number): StatementStat[] {
    return [...this.byStatement.entries()]
      .map(([statement, s]) => ({
        statement,
        count: s.count,
        totalMs: Math.round(s.totalMs),
        meanMs: Math.round((s.totalMs / s.count) * 1000) / 1000,
      }))
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, limit);
  }
}

/** Parses int8 to bigint, as openDatabase does; everything else as pg would. */
function typeParser(oid: number, format?: 'text' | 'binary') {
  if (oid === INT8_OID) return (v: string) => BigInt(v);
  return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
}

export async function openInstrumentedDatabase(
  options: { url: string | undefined; dataDir: string; schema: string | undefined },
  stats: QueryStats,
): Promise<DbHandle> {
  if (options.url) {
    if (options.schema !== undefined) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) throw new Error('invalid schema name');
      const admin = new pg.Client({ connectionString: options.url });
      await admin.connect();
      try {
        await admin.query(`create schema if not exists ${options.schema}`);
      } finally {
        await admin.end();
      }
    }
    const pool = new pg.Pool({
      connectionString: options.url,
      ...(options.schema !== undefined ? { options: `-c search_path=${options.schema}` } : {}),
      max: POOL_MAX,
      types: { getTypeParser: typeParser },
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: stats.record });
    const url = new URL(options.url);
    return { db, kind: 'postgres', location: `${url.host}${url.pathname}`, close: () => db.destroy() };
  }
  const parsers = { [INT8_OID]: (value: string) => BigInt(value) };
  let client: PGlite;
  if (options.dataDir === 'memory') client = new PGlite({ parsers });
  else {
    mkdirSync(options.dataDir, { recursive: true });
    client = new PGlite(options.dataDir, { parsers });
  }
  await client.waitReady;
  const db = new Kysely<Database>({ dialect: new PGliteDialect(client), log: stats.record });
  return { db, kind: 'pglite', location: options.dataDir, close: () => db.destroy() };
}
