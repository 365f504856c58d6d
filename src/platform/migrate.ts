import { type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Db } from './db.ts';
import * as m0001 from './migrations/0001_foundation.ts';
import * as m0002 from './migrations/0002_security.ts';

/** Every migration, in order; one set for PGlite and PostgreSQL. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_security': m0002,
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
  // Name the schema explicitly: the migrator must not find another schema's bookkeeping tables.
  const current = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = current.rows[0]?.schema ?? 'public';
  const migrator = new Migrator({ db, provider: new StaticProvider(), migrationTableSchema: schema });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${String(error)}`);
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
