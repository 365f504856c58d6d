import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './db.ts';

/** A persistent platform setting, created with a random value on first use (e.g. embedded-mode secrets). */
export async function settingOrRandom(db: Db, key: string, bytes = 32): Promise<string> {
  const fresh = randomBytes(bytes).toString('hex');
  await sql`insert into platform_settings (key, value) values (${key}, ${fresh}) on conflict (key) do nothing`.execute(
    db,
  );
  const row = await db
    .selectFrom('platform_settings')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  return row.value;
}
