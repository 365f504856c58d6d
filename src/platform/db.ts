import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, type LogConfig, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { PGliteDialect } from './pglite-dialect.ts';
import type { Database } from './schema.ts';

/**
 * One advisory lock key for schema-level DDL in a database: migrations take it, and so
 * does dropping a schema. The migrator's table introspection reads every schema's
 * catalogue; a schema dropped by another process at that moment would fail it.
 */
export const SCHEMA_DDL_LOCK = 0x42_57_4b_01;

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the database or an open transaction: stores accept both. */
export type Executor = Kysely<Database>;

export type DbKind = 'pglite' | 'postgres';

export interface DbHandle {
  db: Db;
  kind: DbKind;
  /** Where the data lives, for logs: a directory, "memory" or the server address without credentials. */
  location: string;
  close(): Promise<void>;
}

export interface DbOptions {
  /** PostgreSQL URL; when absent PGlite is used. */
  url?: string | undefined;
  /** PGlite data directory; "memory" keeps everything in memory (tests). */
  dataDir?: string;
  poolMax?: number;
  /** PostgreSQL schema to use (created if missing); tests give each run its own. */
  schema?: string;
  /** Kysely's query log hook (diagnostics: the benchmark times every statement with it). */
  log?: LogConfig;
}

const INT8_OID = 20;

/** Drops a schema made with `openDatabase({ url, schema })` (tests and benchmarks own theirs). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    // Never while a migration elsewhere reads the catalogue (see SCHEMA_DDL_LOCK).
    await admin.query('select pg_advisory_lock($1)', [SCHEMA_DDL_LOCK]);
    await admin.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await admin.end();
  }
}

export async function openDatabase(options: DbOptions): Promise<DbHandle> {
  if (options.url) {
    if (options.schema !== undefined) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema))
        throw new Error(`invalid schema name ${options.schema}`);
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
      max: options.poolMax ?? 16,
      // Money columns are int8: parse them to bigint, never to a lossy number.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID
            ? (v: string) => BigInt(v)
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    const db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool }),
      ...(options.log ? { log: options.log } : {}),
    });
    const url = new URL(options.url);
    return { db, kind: 'postgres', location: `${url.host}${url.pathname}`, close: () => db.destroy() };
  }
  const dataDir = options.dataDir ?? './data';
  let client: PGlite;
  // int8 always parses to bigint (PGlite's default gives a number when it fits).
  const parsers = { [INT8_OID]: (value: string) => BigInt(value) };
  if (dataDir === 'memory') {
    client = new PGlite({ parsers });
  } else {
    mkdirSync(dataDir, { recursive: true });
    client = new PGlite(dataDir, { parsers });
  }
  await client.waitReady;
  const db = new Kysely<Database>({
    dialect: new PGliteDialect(client),
    ...(options.log ? { log: options.log } : {}),
  });
  return { db, kind: 'pglite', location: dataDir, close: () => db.destroy() };
}
