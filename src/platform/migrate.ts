import { type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { type Db, SCHEMA_DDL_LOCK } from './db.ts';
import * as m0001 from './migrations/0001_foundation.ts';
import * as m0002 from './migrations/0002_security.ts';
import * as m0003 from './migrations/0003_identity.ts';
import * as m0004 from './migrations/0004_console.ts';
import * as m0005 from './migrations/0005_rules.ts';
import * as m0006 from './migrations/0006_engine.ts';
import * as m0007 from './migrations/0007_models.ts';
import * as m0008 from './migrations/0008_cases.ts';
import * as m0009 from './migrations/0009_notify.ts';
import * as m0010 from './migrations/0010_support.ts';
import * as m0011 from './migrations/0011_screening.ts';

/** Every migration, in order; one set for PGlite and PostgreSQL. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_security': m0002,
  '0003_identity': m0003,
  '0004_console': m0004,
  '0005_rules': m0005,
  '0006_engine': m0006,
  '0007_models': m0007,
  '0008_cases': m0008,
  '0009_notify': m0009,
  '0010_support': m0010,
  '0011_screening': m0011,
};

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

export interface MigrateReport {
  applied: string[];
}

export async function migrateToLatest(db: Db): Promise<MigrateReport> {
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${SCHEMA_DDL_LOCK})`.execute(conn);
    try {
      // Name the schema explicitly: the migrator must not find another schema's bookkeeping tables.
      const current = await sql<{ schema: string }>`select current_schema() as schema`.execute(conn);
      const schema = current.rows[0]?.schema ?? 'public';
      const migrator = new Migrator({
        db: conn,
        provider: new StaticProvider(),
        migrationTableSchema: schema,
      });
      const { error, results } = await migrator.migrateToLatest();
      if (error) {
        const failed = results?.find((r) => r.status === 'Error');
        throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${String(error)}`);
      }
      return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
    } finally {
      await sql`select pg_advisory_unlock(${SCHEMA_DDL_LOCK})`.execute(conn);
    }
  });
}
