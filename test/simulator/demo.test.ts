// Proves the demo seeder writes a verifiable, time-ordered history through the real services, that its summary matches the database, and that one seed always yields the same balances.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/ledger/verify.ts';
import type { Db } from '../../src/platform/db.ts';
import { type DemoOptions, seedDemo } from '../../src/simulator/demo.ts';
import { planDemo } from '../../src/simulator/demo-plan.ts';
import { DATABASES, startBulwark } from '../helpers.ts';

const DAY_MS = 86_400_000;
const OPTIONS: DemoOptions = {
  customers: 60,
  merchants: 8,
  days: 10,
  seed: 7,
  endAt: new Date('2025-03-14T09:30:00Z'),
};

/** Every customer's and merchant's balances, keyed by name (ids differ between databases). */
async function balances(db: Db): Promise<string[]> {
  const rows = await sql<{ name: string; currency: string; posted: bigint; held: bigint }>`
    select coalesce(c.display_name, m.name) as name, a.currency, a.posted_minor as posted, a.held_minor as held
    from ledger_accounts a
    left join customers c on c.id = a.owner_id
    left join merchants m on m.id = a.owner_id
    where a.kind in ('customer_wallet', 'merchant')`.execute(db);
  return rows.rows.map((r) => `${r.name}|${r.currency}|${r.posted}|${r.held}`).sort();
}

async function count(db: Db, table: 'ledger_entries' | 'customers' | 'merchants'): Promise<number> {
  const row = await sql<{ n: bigint }>`select count(*)::int8 as n from ${sql.table(table)}`.execute(db);
  return Number(row.rows[0]?.n ?? 0n);
}

describe('demo plan', () => {
  it('is a pure function of the options', () => {
    const timing = { withdrawalTimeoutMs: 600_000, reviewHoldTtlMs: 72 * 3_600_000 };
    const describeSteps = () =>
      planDemo(OPTIONS, timing)
        .hours.flat()
        .map((s) => `${s.n}:${s.type}:${s.at}:${'amountMinor' in s ? String(s.amountMinor) : ''}`)
        .join(',');
    expect(describeSteps()).toBe(describeSteps());
  });
});

for (const target of DATABASES) {
  describe(`demo seed on ${target.name}`, () => {
    it('loads a history whose summary, journal and balances agree', async () => {
      const bw = await startBulwark(target);
      try {
        const progress: Array<[number, number]> = [];
        const summary = await seedDemo(bw, OPTIONS, (done, total) => progress.push([done, total]));
        const { db } = bw.dbHandle;

        expect(summary.customers).toBe(OPTIONS.customers);
        expect(await count(db, 'customers')).toBe(OPTIONS.customers);
        expect(await count(db, 'merchants')).toBe(OPTIONS.merchants);
        expect(await count(db, 'ledger_entries')).toBe(summary.entries);
        // Every completed movement and every approved review is exactly one journal entry.
        expect(summary.entries).toBe(summary.completed + summary.reviewsApproved);
        const outcomes =
          summary.completed + summary.held + summary.blocked + summary.failed + summary.pending;
        expect(outcomes).toBe(summary.movements);
        expect(Object.values(summary.byKind).reduce((a, b) => a + b, 0)).toBe(summary.movements);
        expect(summary.pending).toBe(0);
        expect(summary.held).toBeGreaterThan(0);
        expect(summary.blocked).toBeGreaterThan(0);
        expect(summary.byKind.payment).toBeGreaterThan(summary.byKind.transfer);
        expect(progress.at(-1)).toEqual([summary.movements, summary.movements]);

        const report = await verifyLedger(db);
        expect(report.problems).toEqual([]);
        expect(report.ok).toBe(true);
        expect((await bw.ledger.custodyCheck()).ok).toBe(true);

        const entries = await sql<{ occurred_at: Date }>`
          select occurred_at from ledger_entries order by seq`.execute(db);
        const times = entries.rows.map((r) => r.occurred_at.getTime());
        for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] ?? 0);
        const first = times[0] ?? 0;
        const last = times.at(-1) ?? 0;
        expect(first).toBeGreaterThanOrEqual(Date.parse(summary.from));
        expect(last).toBeLessThanOrEqual(Date.parse(summary.to));
        expect(last - first).toBeGreaterThan((OPTIONS.days - 1) * DAY_MS);

        // The process is handed back as it was: system clock, channel answering by itself
        // through the signed HTTP callback.
        expect(Math.abs(bw.clock.now().getTime() - Date.now())).toBeLessThan(60_000);
        expect(bw.channel.autoAnswer).toBe(true);
        const wallet = await db
          .selectFrom('ledger_accounts')
          .select('id')
          .where('kind', '=', 'customer_wallet')
          .where('currency', '=', 'CNY')
          .executeTakeFirstOrThrow();
        const body = { walletId: wallet.id, amountMinor: '12300', currency: 'CNY', channel: 'simbank' };
        const live = await bw.funding.topup(body, {
          idem: { scope: 'api', key: 'after-demo-topup', requestHash: 'after-demo-topup' },
        });
        expect(live.response.statusCode).toBe(202);
        const created: unknown = live.response.body;
        const id =
          typeof created === 'object' && created !== null && 'id' in created && typeof created.id === 'string'
            ? created.id
            : '';
        expect(id).toMatch(/^top_/);
        await expect
          .poll(async () => (await bw.funding.getTopup(id)).status, { timeout: 10_000 })
          .toBe('succeeded');
      } finally {
        await bw.drop();
      }
    });

    it('gives the same balances for the same seed in two fresh databases', async () => {
      const run = async () => {
        const bw = await startBulwark(target);
        try {
          await seedDemo(bw, OPTIONS, () => undefined);
          return await balances(bw.dbHandle.db);
        } finally {
          await bw.drop();
        }
      };
      const first = await run();
      const second = await run();
      expect(first.length).toBeGreaterThan(OPTIONS.customers);
      expect(second).toEqual(first);
    });
  });
}
