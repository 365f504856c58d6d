// Times the console's list and dashboard endpoints on PostgreSQL over a journal of a million entries (bulk SQL, opt-in: CONSOLE_SCALE_ENTRIES=1000000 with TEST_DATABASE_URL), and holds every page to 500 ms.
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { Api, arr, at, str } from '../api/client.ts';
import { DATABASES, useBulwark } from '../helpers.ts';

const ENTRIES = Number(process.env.CONSOLE_SCALE_ENTRIES ?? '0');
const CUSTOMERS = Math.max(1_000, Math.floor(ENTRIES / 10));
const HOLDS = Math.max(1_000, Math.floor(ENTRIES / 20));
const SPAN_DAYS = 90;
const PAGE_BUDGET_MS = 500;
const postgres = DATABASES.find((d) => d.name === 'postgres');

describe.skipIf(ENTRIES === 0 || postgres === undefined)(`console reads over ${ENTRIES} entries`, () => {
  const bw = useBulwark(postgres ?? { name: 'postgres' });
  const api = new Api(bw);
  const staff = api.asStaff('analyst');
  const timings: Array<{ url: string; coldMs: number; warmMs: number }> = [];

  beforeAll(async () => {
    const db = bw().dbHandle.db;
    const loaded = performance.now();
    const span = `${SPAN_DAYS} days`;
    // Customers with a CNY wallet each, created over the span.
    await sql`insert into customers (id, display_name, status, kyc_tier, created_at)
      select 'cus_' || lpad(g::text, 26, '0'),
        (array['Li','Wang','Zhang','Liu','Chen','Yang','Huang','Zhao'])[1 + g % 8] || ' ' || g,
        case when g % 500 = 0 then 'frozen' else 'active' end, g % 3,
        now() - ${span}::interval + (g::float8 / ${CUSTOMERS}) * ${span}::interval
      from generate_series(1, ${CUSTOMERS}) g`.execute(db);
    await sql`insert into ledger_accounts (id, kind, currency, normal_side, owner_id)
      select 'acct_' || lpad(g::text, 26, '0'), 'customer_wallet', 'CNY', 'credit', 'cus_' || lpad(g::text, 26, '0')
      from generate_series(1, ${CUSTOMERS}) g`.execute(db);
    // One decision per entry: mostly ALLOW, a few reviews and blocks; a rare event type.
    await sql`insert into risk_decisions (id, event_type, subject_id, currency, amount_minor, outcome,
        reason_codes, customer_message, policy, input, latency_us, created_at)
      select 'dec_' || lpad(g::text, 26, '0'),
        case when g % 100000 = 7 then 'adjustment' when g % 10 < 4 then 'payment' when g % 10 < 8 then 'transfer'
          when g % 10 = 8 then 'topup' else 'withdrawal' end,
        'cus_' || lpad((1 + g % ${CUSTOMERS})::text, 26, '0'), 'CNY', 1000 + g % 100000,
        case when g % 1000 = 3 then 'BLOCK' when g % 50 = 1 then 'REVIEW' else 'ALLOW' end,
        '[]'::jsonb, null, 'scale', '{}'::jsonb, 100,
        now() - ${span}::interval + (g::float8 / ${ENTRIES}) * ${span}::interval
      from generate_series(1, ${ENTRIES}) g`.execute(db);
    await sql`insert into ledger_entries (seq, id, kind, occurred_at, decision_id, reverses_id, hold_id, rule,
        amount_minor, currency, params, metadata, prev_hash, hash)
      select g, 'txn_' || lpad(g::text, 26, '0'),
        case when g % 100000 = 7 then 'adjustment' when g % 10 < 4 then 'payment' when g % 10 < 8 then 'transfer'
          when g % 10 = 8 then 'topup' else 'withdrawal' end,
        now() - ${span}::interval + (g::float8 / ${ENTRIES}) * ${span}::interval,
        'dec_' || lpad(g::text, 26, '0'), null, null, 'scale', 1000 + g % 100000, 'CNY', '{}'::jsonb,
        '{}'::jsonb, repeat('0', 64), repeat('0', 64)
      from generate_series(1, ${ENTRIES}) g`.execute(db);
    await sql`insert into ledger_postings (entry_seq, idx, account_id, amount_minor, balance_after_minor)
      select g, i, 'acct_' || lpad((1 + (g * (i + 7)) % ${CUSTOMERS})::text, 26, '0'),
        case when i = 0 then 1000 + g % 100000 else -(1000 + g % 100000) end, 0
      from generate_series(1, ${ENTRIES}) g, generate_series(0, 1) i`.execute(db);
    await sql`insert into ledger_holds (id, account_id, currency, amount_minor, posted_minor, status, kind, rule,
        params, metadata, decision_id, entry_id, expires_at, created_at, updated_at)
      select 'hold_' || lpad(g::text, 26, '0'), 'acct_' || lpad((1 + g % ${CUSTOMERS})::text, 26, '0'), 'CNY',
        2000000, 0, case when g % 25 = 0 then 'pending' when g % 3 = 0 then 'voided' else 'posted' end,
        'transfer', 'scale', '{}'::jsonb, '{}'::jsonb, 'dec_' || lpad((g * 7 % ${ENTRIES} + 1)::text, 26, '0'),
        null, now() + interval '3 days',
        now() - ${span}::interval + (g::float8 / ${HOLDS}) * ${span}::interval, now()
      from generate_series(1, ${HOLDS}) g`.execute(db);
    // A day of outbox: one event per entry of the last day at most, all delivered.
    await sql`insert into outbox (topic, aggregate_id, payload, created_at, published_at)
      select 'ledger.entry.posted', 'txn_' || lpad(g::text, 26, '0'), '{}'::jsonb, now(), now()
      from generate_series(1, ${ENTRIES}) g`.execute(db);
    await sql`analyze`.execute(db);
    console.log(`[scale] loaded ${ENTRIES} entries in ${Math.round(performance.now() - loaded)} ms`);
  }, 1_800_000);

  /** Answers the URL twice (cold, then warm) and records both times. */
  const timed = async (url: string) => {
    let started = performance.now();
    const first = await staff.get(url);
    const coldMs = performance.now() - started;
    expect(first.status, `${url}: ${first.text.slice(0, 300)}`).toBe(200);
    started = performance.now();
    const res = await staff.get(url);
    const warmMs = performance.now() - started;
    timings.push({ url, coldMs: Math.round(coldMs), warmMs: Math.round(warmMs) });
    return res.body;
  };
  /** The first page and the page after it. */
  const twoPages = async (url: string) => {
    const first = await timed(url);
    const cursor = at(first, 'nextCursor');
    if (typeof cursor === 'string') await timed(`${url}${url.includes('?') ? '&' : '?'}cursor=${cursor}`);
    return first;
  };

  it('answers every list page and the dashboard within the budget', async () => {
    const old = encodeURIComponent(new Date(Date.now() - 80 * 86_400_000).toISOString());
    const older = encodeURIComponent(new Date(Date.now() - 85 * 86_400_000).toISOString());
    const recent = encodeURIComponent(new Date(Date.now() - 86_400_000).toISOString());
    await twoPages('/v1/customers');
    await twoPages('/v1/customers?q=li');
    await twoPages('/v1/customers?q=zhang%2012');
    await twoPages(`/v1/customers?q=cus_${'1'.padStart(26, '0')}`);
    await twoPages('/v1/customers?q=13812345678');
    await twoPages('/v1/customers?status=frozen&tier=2');
    await timed(`/v1/customers/cus_${'42'.padStart(26, '0')}/overview`);
    await twoPages('/v1/holds?status=pending');
    await twoPages('/v1/holds?status=voided');
    await twoPages('/v1/holds');
    await twoPages(`/v1/holds?accountId=acct_${'42'.padStart(26, '0')}`);
    await twoPages('/v1/entries');
    await twoPages('/v1/entries?kind=payment');
    const adjustments = await twoPages('/v1/entries?kind=adjustment');
    expect(arr(adjustments, 'items').length).toBeGreaterThan(0);
    await twoPages(`/v1/entries?to=${old}`);
    await twoPages(`/v1/entries?from=${older}&to=${old}&kind=topup`);
    await twoPages(`/v1/entries?from=${recent}`);
    await twoPages(`/v1/entries?accountId=acct_${'42'.padStart(26, '0')}`);
    await twoPages(`/v1/entries?accountId=acct_${'42'.padStart(26, '0')}&kind=topup&to=${old}`);
    await timed(`/v1/entries/txn_${String(ENTRIES - 5).padStart(26, '0')}/story`);
    await twoPages('/v1/decisions');
    await twoPages('/v1/decisions?outcome=REVIEW');
    await twoPages('/v1/decisions?outcome=BLOCK_AND_FREEZE');
    await twoPages('/v1/decisions?outcome=ALLOW&eventType=topup');
    await twoPages('/v1/decisions?eventType=adjustment');
    await twoPages(`/v1/decisions?to=${old}&outcome=BLOCK`);
    await twoPages(`/v1/decisions?customerId=cus_${'42'.padStart(26, '0')}`);
    const dash = await timed('/v1/overview');
    expect(str(dash, 'chain', 'seq')).toMatch(/^\d+$/);

    console.table(timings);
    const slow = timings.filter((t) => t.warmMs > PAGE_BUDGET_MS);
    expect(slow).toEqual([]);
  }, 600_000);
});
