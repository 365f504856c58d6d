import type { Bulwark } from '../app.ts';
import type { Db } from '../platform/db.ts';

export interface DemoOptions {
  customers: number;
  merchants: number;
  days: number;
  seed: number;
}

export const DEMO_DEFAULTS: DemoOptions = { customers: 3000, merchants: 200, days: 90, seed: 42 };

export interface DemoSummary {
  customers: number;
  merchants: number;
  movements: number;
  durationMs: number;
}

export async function hasData(db: Db): Promise<boolean> {
  const row = await db.selectFrom('customers').select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}

// Implementation in progress (being written in parallel).
export async function seedDemo(
  _bulwark: Bulwark,
  _options: DemoOptions,
  _onProgress: (done: number, total: number) => void,
): Promise<DemoSummary> {
  throw new Error('not yet implemented');
}
