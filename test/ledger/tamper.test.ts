// Proves invariant 5: the database refuses edits of the journal, and every edit made behind its back (triggers disabled) is found by verifyLedger and by `bulwark ledger verify`, which names the entry or account.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Bulwark, buildBulwark } from '../../src/app.ts';
import type { LedgerCommand } from '../../src/ledger/commands.ts';
import { type VerifyReport, verifyLedger } from '../../src/ledger/verify.ts';
import { type Db, type DbHandle, openDatabase } from '../../src/platform/db.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { PGliteDialect } from '../../src/platform/pglite-dialect.ts';
import type { Database } from '../../src/platform/schema.ts';
import { DATABASES, startBulwark, testConfig } from '../helpers.ts';
import { allowDecision, createCustomerWallet, createMerchant, paymentParams, topUp } from './support.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Activity {
  wallets: string[];
  entries: { topup: string; transfer: string; payment: string; refund: string; held: string; last: string };
  lastSeq: bigint;
  lastAccounts: string[];
}

async function post(bw: Bulwark, cmd: LedgerCommand): Promise<string> {
  const r = await bw.ledger.submit(cmd);
  if (r.replayed || !r.outcome.ok) throw new Error(`setup command ${cmd.type} failed`);
  const id = r.outcome.entry?.id ?? r.outcome.hold?.id;
  if (!id) throw new Error('setup command returned neither entry nor hold');
  return id;
}

/** Top-ups, transfers, a payment with a partial refund, a posted and a voided hold, a reversal. */
async function activity(bw: Bulwark): Promise<Activity> {
  const { db } = bw.dbHandle;
  const wallets: string[] = [];
  for (let i = 0; i < 3; i++) wallets.push((await createCustomerWallet(db, bw.ledger)).walletId);
  const [a, b, c] = wallets;
  if (!a || !b || !c) throw new Error('wallets missing');
  const merchant = await createMerchant(db, bw.ledger, 60);
  const topup = await topUp(bw.ledger, a, 100_000n);
  await topUp(bw.ledger, b, 50_000n);
  const transfer = (from: string, to: string, amountMinor: bigint): LedgerCommand => ({
    type: 'post',
    kind: 'transfer',
    rule: 'transfer',
    params: { from, to },
    currency: 'CNY',
    amountMinor,
    decision: { record: allowDecision({ amountMinor }) },
    metadata: { memo: 'rent' },
  });
  const transferId = await post(bw, transfer(a, b, 12_345n));
  const payment = await post(bw, {
    type: 'post',
    kind: 'payment',
    rule: 'payment',
    params: paymentParams(bw.ledger, b, merchant.accountId, 60),
    currency: 'CNY',
    amountMinor: 9_999n,
    decision: { record: allowDecision({ eventType: 'payment', amountMinor: 9_999n }) },
    metadata: { orderRef: 'order-1' },
  });
  const refund = await post(bw, {
    type: 'reverse',
    entryId: payment,
    kind: 'refund',
    expectRule: 'payment',
    amountMinor: 3_333n,
    decision: { record: allowDecision({ eventType: 'refund', amountMinor: 3_333n }) },
    metadata: { reason: 'damaged' },
  });
  const hold = (amountMinor: bigint): LedgerCommand => ({
    type: 'hold',
    kind: 'transfer',
    rule: 'transfer',
    params: { from: a, to: c },
    currency: 'CNY',
    amountMinor,
    holdAccountId: a,
    expiresAt: new Date(Date.now() + 3_600_000),
    decision: { record: allowDecision({ amountMinor }) },
    metadata: {},
  });
  const posted = await post(bw, hold(5_000n));
  const held = await post(bw, { type: 'postHold', holdId: posted, amountMinor: 4_000n, reason: 'reviewed' });
  const voided = await post(bw, hold(7_000n));
  await bw.ledger.submit({ type: 'voidHold', holdId: voided, reason: 'declined' });
  await post(bw, {
    type: 'reverse',
    entryId: transferId,
    kind: 'reversal',
    amountMinor: 345n,
    decision: { record: allowDecision({ eventType: 'refund', amountMinor: 345n }) },
    metadata: {},
  });
  const last = await post(bw, transfer(b, c, 1_111n));
  const lastEntry = await bw.ledger.getEntry(last);
  return {
    wallets,
    entries: { topup, transfer: transferId, payment, refund, held, last },
    lastSeq: lastEntry.seq,
    lastAccounts: lastEntry.postings.map((p) => p.accountId),
  };
}

/** Turns the append-only triggers off, as a superuser with direct database access could. */
async function disableGuards(db: Db): Promise<void> {
  await sql`alter table ledger_entries disable trigger user`.execute(db);
  await sql`alter table ledger_postings disable trigger user`.execute(db);
}

async function seqOf(db: Db, entryId: string): Promise<bigint> {
  const row = await db
    .selectFrom('ledger_entries')
    .select('seq')
    .where('id', '=', entryId)
    .executeTakeFirstOrThrow();
  return BigInt(row.seq);
}

function describeProblems(report: VerifyReport): string {
  return JSON.stringify(report.problems, null, 1);
}

function entriesNamed(report: VerifyReport): Array<string | undefined> {
  return report.problems.map((p) => p.entryId);
}

interface Tampering {
  name: string;
  tamper: (db: Db, act: Activity) => Promise<void>;
  expectFound: (report: VerifyReport, act: Activity) => void;
}

const TAMPERINGS: Tampering[] = [
  {
    name: '(i) a posting amount changed',
    tamper: async (db, act) => {
      const seq = await seqOf(db, act.entries.transfer);
      await sql`update ledger_postings set amount_minor = amount_minor + 100
        where entry_seq = ${seq.toString()}::int8 and amount_minor > 0`.execute(db);
    },
    expectFound: (report, act) => {
      expect(entriesNamed(report), describeProblems(report)).toContain(act.entries.transfer);
      const codes = report.problems.filter((p) => p.entryId === act.entries.transfer).map((p) => p.code);
      expect(codes).toContain('HASH_MISMATCH');
      expect(codes).toContain('ENTRY_UNBALANCED');
    },
  },
  {
    name: "(ii) an entry's metadata changed",
    tamper: async (db, act) => {
      await sql`update ledger_entries set metadata = metadata || '{"orderRef":"order-2"}'::jsonb
        where id = ${act.entries.payment}`.execute(db);
    },
    expectFound: (report, act) => {
      expect(
        report.problems.some((p) => p.entryId === act.entries.payment && p.code === 'HASH_MISMATCH'),
        describeProblems(report),
      ).toBe(true);
    },
  },
  {
    name: "(iii) an entry's occurred_at changed",
    tamper: async (db, act) => {
      await sql`update ledger_entries set occurred_at = occurred_at - interval '1 day'
        where id = ${act.entries.refund}`.execute(db);
    },
    expectFound: (report, act) => {
      expect(
        report.problems.some((p) => p.entryId === act.entries.refund && p.code === 'HASH_MISMATCH'),
        describeProblems(report),
      ).toBe(true);
    },
  },
  {
    name: '(iv) the last entry and its postings deleted',
    tamper: async (db, act) => {
      await sql`delete from ledger_postings where entry_seq = ${act.lastSeq.toString()}::int8`.execute(db);
      await sql`delete from ledger_entries where id = ${act.entries.last}`.execute(db);
    },
    expectFound: (report, act) => {
      // The entry is gone, so its id cannot be named: the head names its sequence, balances name its accounts.
      expect(
        report.problems.some((p) => p.code === 'HEAD_MISMATCH' && p.seq === act.lastSeq.toString()),
        describeProblems(report),
      ).toBe(true);
      for (const accountId of act.lastAccounts) {
        expect(report.problems.some((p) => p.code === 'ACCOUNT_BALANCE' && p.accountId === accountId)).toBe(
          true,
        );
      }
    },
  },
  {
    name: "(v) a wallet's stored balance changed",
    tamper: async (db, act) => {
      await sql`update ledger_accounts set posted_minor = posted_minor + 1 where id = ${act.wallets[0]}`.execute(
        db,
      );
    },
    expectFound: (report, act) => {
      expect(
        report.problems.some((p) => p.code === 'ACCOUNT_BALANCE' && p.accountId === act.wallets[0]),
        describeProblems(report),
      ).toBe(true);
    },
  },
  {
    name: "(vi) two entries' hashes swapped",
    tamper: async (db, act) => {
      const rows = await db
        .selectFrom('ledger_entries')
        .select(['id', 'hash'])
        .where('id', 'in', [act.entries.topup, act.entries.held])
        .execute();
      const [x, y] = rows;
      if (!x || !y) throw new Error('entries missing');
      await sql`update ledger_entries set hash = ${y.hash} where id = ${x.id}`.execute(db);
      await sql`update ledger_entries set hash = ${x.hash} where id = ${y.id}`.execute(db);
    },
    expectFound: (report, act) => {
      for (const id of [act.entries.topup, act.entries.held]) {
        expect(
          report.problems.some((p) => p.entryId === id && p.code === 'HASH_MISMATCH'),
          describeProblems(report),
        ).toBe(true);
      }
    },
  },
  {
    name: "(vii) a key named __proto__ added to an entry's metadata",
    tamper: async (db, act) => {
      await sql`update ledger_entries set metadata = metadata || '{"__proto__":"forged"}'::jsonb
        where id = ${act.entries.transfer}`.execute(db);
    },
    expectFound: (report, act) => {
      expect(
        report.problems.some((p) => p.entryId === act.entries.transfer && p.code === 'HASH_MISMATCH'),
        `an added metadata key went unnoticed: ${describeProblems(report)}`,
      ).toBe(true);
    },
  },
];

interface Copy {
  db: Db;
  act: Activity;
  close(): Promise<void>;
}

// int8 as bigint, as openDatabase configures PGlite.
const PGLITE_PARSERS = { 20: (value: string) => BigInt(value) };

/**
 * Fresh databases that each hold the same activity. PostgreSQL: a new schema per copy.
 * PGlite: the activity is recorded once and each copy is a new instance loaded from that
 * data directory (booting and seeding a PGlite per copy would take seconds each).
 */
function freshCopies(target: (typeof DATABASES)[number]): () => Promise<Copy> {
  if (target.url) {
    return async () => {
      const bw = await startBulwark(target);
      try {
        return { db: bw.dbHandle.db, act: await activity(bw), close: () => bw.drop() };
      } catch (err) {
        await bw.drop();
        throw err;
      }
    };
  }
  let seeded: { dump: File | Blob; act: Activity } | undefined;
  beforeAll(async () => {
    const pg = new PGlite({ parsers: PGLITE_PARSERS });
    await pg.waitReady;
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pg) });
    const handle: DbHandle = { db, kind: 'pglite', location: 'memory', close: () => db.destroy() };
    const bw = await buildBulwark({ config: testConfig(), log: createLogger('silent'), dbHandle: handle });
    const act = await activity(bw);
    await bw.close();
    seeded = { dump: await pg.dumpDataDir('none'), act };
    await handle.close();
  });
  return async () => {
    if (!seeded) throw new Error('seed database missing');
    const pg = new PGlite({ loadDataDir: seeded.dump, parsers: PGLITE_PARSERS });
    await pg.waitReady;
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pg) });
    return { db, act: seeded.act, close: () => db.destroy() };
  };
}

for (const target of DATABASES) {
  describe(`journal tampering on ${target.name}`, () => {
    const fresh = freshCopies(target);

    for (const t of TAMPERINGS) {
      it(`finds ${t.name}`, async () => {
        const { db, act, close } = await fresh();
        try {
          const clean = await verifyLedger(db);
          expect(clean.problems).toEqual([]);
          expect(clean.ok).toBe(true);
          expect(clean.entries).toBe(Number(act.lastSeq));
          await disableGuards(db);
          await t.tamper(db, act);
          const report = await verifyLedger(db);
          expect(report.ok, `verifyLedger did not notice ${t.name}`).toBe(false);
          t.expectFound(report, act);
        } finally {
          await close();
        }
      });
    }

    it('refuses UPDATE, DELETE and TRUNCATE of entries and postings while the triggers are on', async () => {
      const { db, act, close } = await fresh();
      try {
        const seq = (await seqOf(db, act.entries.transfer)).toString();
        const attempts = [
          sql`update ledger_entries set metadata = '{}'::jsonb where id = ${act.entries.transfer}`,
          sql`delete from ledger_entries where id = ${act.entries.last}`,
          sql`update ledger_postings set amount_minor = amount_minor + 1 where entry_seq = ${seq}::int8 and idx = 0`,
          sql`delete from ledger_postings where entry_seq = ${seq}::int8`,
          sql`truncate ledger_postings`,
          sql`truncate ledger_entries cascade`,
        ];
        for (const attempt of attempts) {
          await expect(attempt.execute(db)).rejects.toThrow(/append-only/);
        }
        const report = await verifyLedger(db);
        expect(report.problems).toEqual([]);
        expect(report.entries).toBe(Number(act.lastSeq));
      } finally {
        await close();
      }
    });
  });
}

describe('bulwark ledger verify (CLI) on a PGlite data directory', () => {
  function verifyCli(dataDir: string) {
    return spawnSync(process.execPath, ['bin/bulwark.mjs', 'ledger', 'verify'], {
      cwd: ROOT,
      env: { ...process.env, BULWARK_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
  }

  it('exits 0 on an intact journal and 1, naming the entry, once it was edited', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulwark-verify-'));
    try {
      const handle = await openDatabase({ dataDir });
      const bw = await buildBulwark({
        config: testConfig({ dataDir }),
        log: createLogger('silent'),
        dbHandle: handle,
      });
      const act = await activity(bw);
      await bw.close();
      await handle.close();

      const intact = verifyCli(dataDir);
      expect(intact.status, intact.stderr).toBe(0);
      expect(intact.stdout).toContain('OK');

      const again = await openDatabase({ dataDir });
      await disableGuards(again.db);
      await sql`update ledger_entries set metadata = metadata || '{"memo":"forged"}'::jsonb
        where id = ${act.entries.transfer}`.execute(again.db);
      await again.close();

      const tampered = verifyCli(dataDir);
      expect(tampered.status, tampered.stderr).toBe(1);
      expect(tampered.stdout).toContain('FAILED');
      expect(tampered.stdout).toContain(act.entries.transfer);
      expect(tampered.stdout).toContain('HASH_MISMATCH');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
