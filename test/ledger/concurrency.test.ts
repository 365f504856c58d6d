// Proves the ledger stays exact under concurrency: hundreds of parallel transfers and payments (through one or two writers) conserve money, never overdraw, and write exactly one entry per success; a batch with failing transactions commits the others all-or-nothing.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { SubmitResult } from '../../src/ledger/commands.ts';
import { LedgerService } from '../../src/ledger/service.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import { LedgerWriter } from '../../src/ledger/writer.ts';
import { systemClock } from '../../src/platform/clock.ts';
import { applyBps } from '../../src/platform/money.ts';
import { LimitPolicyGate } from '../../src/risk/limit-policy.ts';
import { Random } from '../../src/simulator/random.ts';
import { Directory } from '../../src/wallet/directory.ts';
import { WalletService } from '../../src/wallet/service.ts';
import { DATABASES, type TestBulwark, useBulwark } from '../helpers.ts';
import {
  allowDecision,
  createCustomerWallet,
  createMerchant,
  idemSpec,
  isRecord,
  negativeAccounts,
  paymentParams,
  postingsSum,
  topUp,
  walletCtx,
} from './support.ts';

const OPS = 400;
const WALLETS = 5;
const TOPUP_MINOR = 4_000n;
const FEE_BPS = 60;

/** Deterministic pseudo-random numbers (the demo's mulberry32), so a failure can be rerun with the same load. */
function prng(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}

type Move =
  | { kind: 'transfer'; from: number; to: number; amount: bigint }
  | { kind: 'payment'; from: number; amount: bigint };

function decisionIdOf(result: SubmitResult): string {
  if (!result.replayed && result.outcome.ok && result.outcome.decisionId) return result.outcome.decisionId;
  const body = result.response?.body;
  const decision = isRecord(body) ? body.decision : undefined;
  if (isRecord(decision) && typeof decision.id === 'string') return decision.id;
  throw new Error(`no decision id in ${JSON.stringify(body)}`);
}

/** A second API process on the same database: its own writer, ledger, gate, directory and wallet service. */
async function secondProcess(bw: TestBulwark, batchMax: number) {
  const { db } = bw.dbHandle;
  const writer = new LedgerWriter(db, bw.log, { batchMax, queueMax: 10_000 });
  const ledger = new LedgerService(db, writer);
  await ledger.ensureSystemAccounts(['CNY']);
  const wallet = new WalletService(
    db,
    ledger,
    new LimitPolicyGate(db),
    new Directory(db, ledger),
    { reviewHoldTtlMs: 3_600_000, clock: systemClock },
    bw.log,
  );
  return { writer, ledger, wallet };
}

/**
 * Fires OPS transfers and payments at once, spread over the given wallet services, with
 * funds for about half of them; then checks conservation, one entry per success and none
 * per failure, exact balances for the successes, and the whole journal.
 */
async function parallelLoad(bw: TestBulwark, services: WalletService[], seed: number): Promise<void> {
  const { db } = bw.dbHandle;
  const ledger = bw.ledger;
  const wallets: string[] = [];
  for (let i = 0; i < WALLETS; i++) {
    const { walletId } = await createCustomerWallet(db, ledger);
    await topUp(ledger, walletId, TOPUP_MINOR);
    wallets.push(walletId);
  }
  const merchant = await createMerchant(db, ledger, FEE_BPS);
  const feeAccount = ledger.systemAccountId('fee_revenue', 'CNY');
  const feeBefore = (await ledger.getAccount(feeAccount)).postedMinor;

  const random = prng(seed);
  const moves: Move[] = [];
  for (let i = 0; i < OPS; i++) {
    const from = Math.floor(random() * WALLETS);
    // Amounts average 250: payments alone want 200 × 250 = 50 000 against 20 000 funded.
    const amount = BigInt(1 + Math.floor(random() * 499));
    if (random() < 0.5) moves.push({ kind: 'payment', from, amount });
    else
      moves.push({
        kind: 'transfer',
        from,
        to: (from + 1 + Math.floor(random() * (WALLETS - 1))) % WALLETS,
        amount,
      });
  }
  const walletAt = (i: number) => {
    const id = wallets[i];
    if (!id) throw new Error(`no wallet ${i}`);
    return id;
  };

  const results = await Promise.all(
    moves.map((m, i) => {
      const service = services[i % services.length];
      if (!service) throw new Error('no service');
      return m.kind === 'payment'
        ? service.pay(
            {
              walletId: walletAt(m.from),
              merchantId: merchant.merchantId,
              amountMinor: m.amount.toString(),
              currency: 'CNY',
            },
            walletCtx('conc-pay'),
          )
        : service.transfer(
            {
              fromWalletId: walletAt(m.from),
              toWalletId: walletAt(m.to),
              amountMinor: m.amount.toString(),
              currency: 'CNY',
            },
            walletCtx('conc-tr'),
          );
    }),
  );

  const expected = wallets.map(() => TOPUP_MINOR);
  let merchantExpected = 0n;
  let feeExpected = 0n;
  const succeeded: string[] = [];
  const failed: string[] = [];
  const okPerService = services.map(() => 0);
  for (const [i, r] of results.entries()) {
    const m = moves[i];
    if (!m) throw new Error('no move');
    if (r.replayed) throw new Error(`move ${i} was replayed`);
    const decisionId = decisionIdOf(r);
    if (!r.outcome.ok) {
      expect(r.outcome.error.code, `move ${i}`).toBe('LEDGER_INSUFFICIENT_FUNDS');
      failed.push(decisionId);
      continue;
    }
    succeeded.push(decisionId);
    okPerService[i % services.length] = (okPerService[i % services.length] ?? 0) + 1;
    expected[m.from] = (expected[m.from] ?? 0n) - m.amount;
    if (m.kind === 'transfer') {
      expected[m.to] = (expected[m.to] ?? 0n) + m.amount;
    } else {
      const fee = applyBps(m.amount, FEE_BPS);
      merchantExpected += m.amount - fee;
      feeExpected += fee;
    }
  }
  // Roughly half must have failed for lack of funds, or the test did not race for them.
  expect(failed.length, `${succeeded.length} succeeded`).toBeGreaterThan(OPS / 5);
  expect(succeeded.length).toBeGreaterThan(OPS / 5);
  for (const n of okPerService) expect(n, 'every process moved money').toBeGreaterThan(0);

  const perDecision = await sql<{ decision_id: string; n: bigint }>`
    select decision_id, count(*)::int8 as n from ledger_entries
    where decision_id = any(${[...succeeded, ...failed]}::text[]) group by decision_id`.execute(db);
  const entries = new Map(perDecision.rows.map((r) => [r.decision_id, Number(r.n)]));
  for (const id of succeeded) expect(entries.get(id), `entries of successful ${id}`).toBe(1);
  for (const id of failed) expect(entries.get(id), `entries of failed ${id}`).toBeUndefined();
  const stored = await sql<{ id: string }>`
    select id from risk_decisions where id = any(${failed}::text[])`.execute(db);
  expect(stored.rows, 'refused movements store no decision of a movement').toEqual([]);

  const balances = await Promise.all(wallets.map(async (id) => (await ledger.getAccount(id)).postedMinor));
  expect(balances).toEqual(expected);
  const merchantPosted = (await ledger.getAccount(merchant.accountId)).postedMinor;
  const feeDelta = (await ledger.getAccount(feeAccount)).postedMinor - feeBefore;
  expect(merchantPosted).toBe(merchantExpected);
  expect(feeDelta).toBe(feeExpected);
  // Conservation: what was topped up is now in the wallets, the merchant and the fee account.
  expect(balances.reduce((a, b) => a + b, 0n) + merchantPosted + feeDelta).toBe(
    TOPUP_MINOR * BigInt(WALLETS),
  );
  for (const b of balances) expect(b >= 0n).toBe(true);

  expect(await negativeAccounts(db)).toEqual([]);
  expect(await postingsSum(db)).toBe(0n);
  expect((await ledger.custodyCheck()).ok).toBe(true);
  const report = await verifyLedger(db);
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
}

for (const target of DATABASES) {
  describe(`ledger concurrency on ${target.name}`, () => {
    const bw = useBulwark(target);

    it('400 parallel transfers and payments through one writer conserve money and never overdraw', async () => {
      await parallelLoad(bw(), [bw().wallet], 1);
    });

    it('the same load through two writers (two API processes) on one database', async () => {
      const second = await secondProcess(bw(), 32);
      try {
        await parallelLoad(bw(), [bw().wallet, second.wallet], 2);
      } finally {
        await second.writer.close();
      }
    });

    it('racing post, void and post of the same holds through two writers: exactly one transition per hold', async () => {
      const { db } = bw().dbHandle;
      const ledger = bw().ledger;
      const second = await secondProcess(bw(), 16);
      try {
        const { walletId: payer } = await createCustomerWallet(db, ledger);
        const { walletId: payee } = await createCustomerWallet(db, ledger);
        await topUp(ledger, payer, 100_000n);
        const holds: string[] = [];
        for (let i = 0; i < 40; i++) {
          const r = await ledger.submit({
            type: 'hold',
            kind: 'transfer',
            rule: 'transfer',
            params: { from: payer, to: payee },
            currency: 'CNY',
            amountMinor: 1_000n,
            holdAccountId: payer,
            expiresAt: new Date(Date.now() + 3_600_000),
            decision: { record: allowDecision({ amountMinor: 1_000n }) },
            metadata: {},
          });
          if (r.replayed || !r.outcome.ok || !r.outcome.hold) throw new Error('hold failed');
          holds.push(r.outcome.hold.id);
        }
        expect((await ledger.getAccount(payer)).heldMinor).toBe(40_000n);
        // Per hold: a full post through one writer, a void and a partial post through the other.
        const races = holds.map((holdId) =>
          Promise.all([
            ledger.submit({ type: 'postHold', holdId, reason: 'a' }),
            second.ledger.submit({ type: 'voidHold', holdId, reason: 'b' }),
            second.ledger.submit({ type: 'postHold', holdId, amountMinor: 400n, reason: 'c' }),
          ]),
        );
        let expectedPayee = 0n;
        for (const outcomes of await Promise.all(races)) {
          const applied = outcomes.filter((r) => !r.replayed && r.outcome.ok);
          expect(applied).toHaveLength(1);
          for (const r of outcomes) {
            if (!r.replayed && !r.outcome.ok) expect(r.outcome.error.code).toBe('LEDGER_HOLD_NOT_PENDING');
          }
          const won = applied[0];
          if (won && !won.replayed && won.outcome.ok && won.outcome.entry)
            expectedPayee += won.outcome.entry.amountMinor;
        }
        const payerAccount = await ledger.getAccount(payer);
        expect(payerAccount.heldMinor).toBe(0n);
        expect(payerAccount.postedMinor).toBe(100_000n - expectedPayee);
        expect((await ledger.getAccount(payee)).postedMinor).toBe(expectedPayee);
        const statuses = await db
          .selectFrom('ledger_holds')
          .select('status')
          .where('id', 'in', holds)
          .execute();
        expect(statuses.every((h) => h.status === 'posted' || h.status === 'voided')).toBe(true);
        expect((await verifyLedger(db)).problems).toEqual([]);
      } finally {
        await second.writer.close();
      }
    });

    it('parallel partial refunds of one payment through two writers never exceed it', async () => {
      const { db } = bw().dbHandle;
      const ledger = bw().ledger;
      const second = await secondProcess(bw(), 4);
      try {
        const { walletId } = await createCustomerWallet(db, ledger);
        const merchant = await createMerchant(db, ledger, FEE_BPS);
        await topUp(ledger, walletId, 10_000n);
        const paid = await ledger.submit({
          type: 'post',
          kind: 'payment',
          rule: 'payment',
          params: paymentParams(ledger, walletId, merchant.accountId, FEE_BPS),
          currency: 'CNY',
          amountMinor: 10_000n,
          decision: { record: allowDecision({ eventType: 'payment', amountMinor: 10_000n }) },
          metadata: {},
        });
        if (paid.replayed || !paid.outcome.ok || !paid.outcome.entry) throw new Error('payment failed');
        const paymentId = paid.outcome.entry.id;
        // 30 refunds of 700 want 21 000 of a 10 000 payment: 14 fit, worth 9 800.
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            (i % 2 === 0 ? ledger : second.ledger).submit({
              type: 'reverse',
              entryId: paymentId,
              kind: 'refund',
              expectRule: 'payment',
              amountMinor: 700n,
              decision: { record: allowDecision({ eventType: 'refund', amountMinor: 700n }) },
              metadata: {},
            }),
          ),
        );
        const ok = results.filter((r) => !r.replayed && r.outcome.ok);
        expect(ok).toHaveLength(14);
        for (const r of results) {
          if (!r.replayed && !r.outcome.ok)
            expect(r.outcome.error.code).toBe('LEDGER_REVERSAL_EXCEEDS_ORIGINAL');
        }
        expect(await ledger.reversedMinor(paymentId)).toBe(9_800n);
        expect((await ledger.getAccount(walletId)).postedMinor).toBe(9_800n);
        expect((await verifyLedger(db)).problems).toEqual([]);
      } finally {
        await second.writer.close();
      }
    });

    it('100 parallel transactions, the odd ones failing inside the transaction: each is all-or-nothing', async () => {
      const { db } = bw().dbHandle;
      const ledger = bw().ledger;
      const { walletId } = await createCustomerWallet(db, ledger);
      const custody = ledger.systemAccountId('customer_custody', 'CNY');
      const run = Date.now().toString(36);
      const specs = Array.from({ length: 100 }, (_, i) => ({
        i,
        amount: BigInt(100 + i),
        decision: allowDecision({ eventType: 'topup', amountMinor: BigInt(100 + i) }),
        idempotency: idemSpec(`conc-tx-${i}`),
        setting: `test.conc.${run}.${i}`,
      }));
      // Submitted in one tick they form one batch; the failures force the writer to isolate them.
      const settled = await Promise.allSettled(
        specs.map((s) =>
          ledger.submit({
            type: 'post',
            kind: 'topup',
            rule: 'topup',
            params: { wallet: walletId, custody },
            currency: 'CNY',
            amountMinor: s.amount,
            decision: { record: s.decision },
            metadata: { i: String(s.i) },
            idempotency: s.idempotency,
            inTx: async (tx) => {
              await tx
                .insertInto('platform_settings')
                .values({ key: s.setting, value: String(s.i) })
                .execute();
              if (s.i % 2 === 1) throw new Error(`forced failure ${s.i}`);
            },
          }),
        ),
      );

      let total = 0n;
      for (const s of specs) {
        const r = settled[s.i];
        if (!r) throw new Error('missing result');
        const entries = await sql<{ n: bigint }>`
          select count(*)::int8 as n from ledger_entries where decision_id = ${s.decision.id}`.execute(db);
        const decisions = await db
          .selectFrom('risk_decisions')
          .select('id')
          .where('id', '=', s.decision.id)
          .execute();
        const keys = await db
          .selectFrom('idempotency_keys')
          .select(['status_code'])
          .where('scope', '=', s.idempotency.scope)
          .where('key', '=', s.idempotency.key)
          .execute();
        const settings = await db
          .selectFrom('platform_settings')
          .select('key')
          .where('key', '=', s.setting)
          .execute();
        if (s.i % 2 === 1) {
          expect(r.status, `odd ${s.i}`).toBe('rejected');
          expect(r.status === 'rejected' ? String(r.reason) : '').toContain(`forced failure ${s.i}`);
          expect(
            [Number(entries.rows[0]?.n), decisions.length, keys.length, settings.length],
            `odd ${s.i}`,
          ).toEqual([0, 0, 0, 0]);
        } else {
          expect(r.status, `even ${s.i}`).toBe('fulfilled');
          const value = r.status === 'fulfilled' ? r.value : undefined;
          expect(value && !value.replayed && value.outcome.ok && value.outcome.entry?.amountMinor).toBe(
            s.amount,
          );
          expect(
            [Number(entries.rows[0]?.n), decisions.length, keys.length, settings.length],
            `even ${s.i}`,
          ).toEqual([1, 1, 1, 1]);
          expect(keys[0]?.status_code).toBe(200);
          total += s.amount;
        }
      }
      expect((await ledger.getAccount(walletId)).postedMinor).toBe(total);
      expect((await ledger.custodyCheck()).ok).toBe(true);
      const report = await verifyLedger(db);
      expect(report.problems).toEqual([]);
    });

    it('verifyLedger run while the ledger is being written reports no problem on a healthy ledger', async () => {
      const { db } = bw().dbHandle;
      const ledger = bw().ledger;
      const { walletId: from } = await createCustomerWallet(db, ledger);
      const { walletId: to } = await createCustomerWallet(db, ledger);
      await topUp(ledger, from, 1_000_000n);
      let writing = true;
      const writes = (async () => {
        while (writing) {
          await Promise.all(
            Array.from({ length: 5 }, () =>
              ledger.submit({
                type: 'post',
                kind: 'transfer',
                rule: 'transfer',
                params: { from, to },
                currency: 'CNY',
                amountMinor: 1n,
                decision: { record: allowDecision({ amountMinor: 1n }) },
                metadata: {},
              }),
            ),
          );
        }
      })();
      const seen: string[] = [];
      try {
        for (let i = 0; i < 8; i++) {
          const report = await verifyLedger(db);
          for (const p of report.problems) seen.push(`${p.code} ${p.entryId ?? p.accountId ?? p.seq ?? ''}`);
        }
      } finally {
        writing = false;
        await writes;
      }
      // Once writing stops the same ledger verifies clean: anything seen above was a false alarm.
      expect((await verifyLedger(db)).problems).toEqual([]);
      expect(
        seen,
        'verifyLedger must read one consistent snapshot, not accounts, entries and head at different times',
      ).toEqual([]);
    });
  });
}
