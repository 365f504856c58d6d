import { type Kysely, sql } from 'kysely';

/**
 * Runs a migration script statement by statement: PGlite's extended protocol takes one
 * statement at a time. Statements are split where a line ends with ";" and the next one
 * starts a new top-level command, which keeps function bodies whole.
 */
export async function runStatements(db: Kysely<unknown>, script: string): Promise<void> {
  const statements = script
    .split(/;\s*\n(?=\s*(?:--[^\n]*\n\s*)*(?:create|insert|alter|drop|comment|update)\b)/i)
    .map((s) => s.trim().replace(/;$/, ''))
    .filter((s) => s.length > 0 && !/^(--[^\n]*\n?)+$/.test(s));
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}
