import type { LogEvent } from 'kysely';
import { type DbHandle, openDatabase } from '../src/platform/db.ts';

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
export async function openInstrumentedDatabase(
  options: { url: string | undefined; dataDir: string; schema: string | undefined },
  stats: QueryStats,
): Promise<DbHandle> {
  return openDatabase({
    url: options.url,
    dataDir: options.dataDir,
    poolMax: POOL_MAX,
    ...(options.schema !== undefined ? { schema: options.schema } : {}),
    log: stats.record,
  });
}
