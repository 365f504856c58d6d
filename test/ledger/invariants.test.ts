// Proves invariants 1–4 over random operation sequences: after every command the balances match a reference model, a refused command changes nothing, the journal verifies, custody holds, no available balance is negative, postings sum to zero, and a repeated idempotency key replays without a new entry.
import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { LedgerCommand, StoredResponse, SubmitResult } from '../../src/ledger/commands.ts';
import type { LedgerService } from '../../src/ledger/service.ts';
import { verifyLedger } from '../../src/ledger/verify.ts';
import type { Db } from '../../src/platform/db.ts';
import { AppError } from '../../src/platform/errors.ts';
import type { WalletService } from '../../src/wallet/service.ts';
import { DATABASES, type TestBulwark, useBulwark } from '../helpers.ts';
import { accountLines, type Expectation, LedgerModel } from './model.ts';
import { CNY_WALLETS, type LedgerOp, type Op, opArb, REQUIRED_PATHS, SCRIPT } from './operations.ts';
import {
  allowDecision,
  balanceSnapshot,
  createCustomerWallet,
  createMerchant,
  idemSpec,
  isRecord,
  negativeAccounts,
  paymentParams,
  postingsSum,
  readAccounts,
  renderOutcome,
  topUp,
  walletCtx,
} from './support.ts';

const RUNS_PER_DATABASE = 25;
const STEPS_MAX = 40;
/** verifyLedger re-reads the whole journal, so it runs every few steps and at the end of each sequence. */
const VERIFY_EVERY = 8;

interface KeyedRecord {
  label: string;
  /** Set for commands submitted straight to the ledger (a burst can resubmit those in one tick). */
  cmd?: LedgerCommand;
  resubmit: () => Promise<SubmitResult>;
  response: StoredResponse;
}

interface World {
  db: Db;
  ledger: LedgerService;
  wallet: WalletService;
  feeBps: number;
  wallets: string[];
  usdWallet: string;
  merchantId: string;
  merchantAccount: string;
  model: LedgerModel;
  holdIds: string[];
  entryIds: string[];
  paymentIds: string[];
  keyed: KeyedRecord[];
  /** Decisions stored with commands: each must be in risk_decisions exactly when its command succeeded. */
  decisions: Array<{ id: string; stored: boolean; label: string }>;
}

type Planned =
  | { kind: 'cmd'; label: string; cmd: LedgerCommand }
  | { kind: 'replay'; label: string; rec: KeyedRecord & { cmd: LedgerCommand } };

function pick<T>(list: T[], index: number): T | undefined {
  return list.length === 0 ? undefined : list[index % list.length];
}

async function newWorld(bw: TestBulwark, feeBps: number): Promise<World> {
  const { db } = bw.dbHandle;
  const ledger = bw.ledger;
  const wallets: string[] = [];
  const initial: Array<{ walletId: string; entryId: string }> = [];
  for (let i = 0; i < CNY_WALLETS; i++) {
    const { walletId } = await createCustomerWallet(db, ledger, 'CNY');
    wallets.push(walletId);
    initial.push({ walletId, entryId: await topUp(ledger, walletId, 50_000n) });
  }
  const { walletId: usdWallet } = await createCustomerWallet(db, ledger, 'USD');
  const merchant = await createMerchant(db, ledger, feeBps);
  const model = new LedgerModel(await readAccounts(db), (await ledger.chainHead()).seq);
  const custody = ledger.systemAccountId('customer_custody', 'CNY');
  for (const { walletId, entryId } of initial) {
    model.addEntry(entryId, {
      rule: 'topup',
      params: { wallet: walletId, custody },
      currency: 'CNY',
      amountMinor: 50_000n,
      reversesId: null,
    });
  }
  return {
    db,
    ledger,
    wallet: bw.wallet,
    feeBps,
    wallets,
    usdWallet,
    merchantId: merchant.merchantId,
    merchantAccount: merchant.accountId,
    model,
    holdIds: [],
    entryIds: initial.map((i) => i.entryId),
    paymentIds: [],
    keyed: [],
    decisions: [],
  };
}

function cnyWallet(w: World, index: number): string {
  const id = w.wallets[index % CNY_WALLETS];
  if (!id) throw new Error('no wallet');
  return id;
}

/** The other CNY wallet `offset` steps away: never the same wallet. */
function otherWallet(w: World, from: number, offset: number): string {
  return cnyWallet(w, from + 1 + (offset % (CNY_WALLETS - 1)));
}

function plan(w: World, op: LedgerOp, label: string): Planned | undefined {
  const withKey = (cmd: LedgerCommand, keyed: boolean): LedgerCommand =>
    keyed ? { ...cmd, idempotency: idemSpec(`inv-${op.t}`) } : cmd;
  switch (op.t) {
    case 'topup': {
      const usd = op.w >= CNY_WALLETS;
      const currency = usd ? 'USD' : 'CNY';
      const wallet = usd ? w.usdWallet : cnyWallet(w, op.w);
      const cmd: LedgerCommand = {
        type: 'post',
        kind: 'topup',
        rule: 'topup',
        params: { wallet, custody: w.ledger.systemAccountId('customer_custody', currency) },
        currency,
        amountMinor: op.amount,
        decision: { record: allowDecision({ eventType: 'topup', currency, amountMinor: op.amount }) },
        metadata: { step: label },
      };
      return { kind: 'cmd', label, cmd: withKey(cmd, op.keyed) };
    }
    case 'transfer':
      return {
        kind: 'cmd',
        label,
        cmd: withKey(
          {
            type: 'post',
            kind: 'transfer',
            rule: 'transfer',
            params: { from: cnyWallet(w, op.from), to: otherWallet(w, op.from, op.to) },
            currency: 'CNY',
            amountMinor: op.amount,
            decision: { record: allowDecision({ amountMinor: op.amount }) },
            metadata: { step: label },
          },
          op.keyed,
        ),
      };
    case 'pay':
      return {
        kind: 'cmd',
        label,
        cmd: withKey(
          {
            type: 'post',
            kind: 'payment',
            rule: 'payment',
            params: paymentParams(w.ledger, cnyWallet(w, op.w), w.merchantAccount, w.feeBps),
            currency: 'CNY',
            amountMinor: op.amount,
            decision: { record: allowDecision({ eventType: 'payment', amountMinor: op.amount }) },
            metadata: { step: label },
          },
          op.keyed,
        ),
      };
    case 'hold': {
      const from = cnyWallet(w, op.w);
      const params =
        op.rule === 'transfer'
          ? { from, to: otherWallet(w, op.w, op.to) }
          : paymentParams(w.ledger, from, w.merchantAccount, w.feeBps);
      const expiresAt = new Date(Date.now() + (op.expired ? -60_000 : 3_600_000));
      return {
        kind: 'cmd',
        label,
        cmd: withKey(
          {
            type: 'hold',
            kind: op.rule,
            rule: op.rule,
            params,
            currency: 'CNY',
            amountMinor: op.amount,
            holdAccountId: from,
            expiresAt,
            decision: { record: allowDecision({ eventType: op.rule, amountMinor: op.amount }) },
            metadata: { step: label },
          },
          op.keyed,
        ),
      };
    }
    case 'postHold': {
      const holdId = pick(w.holdIds, op.h);
      if (!holdId) return undefined;
      const cmd: LedgerCommand = {
        type: 'postHold',
        holdId,
        reason: label,
        ...(op.amount === null ? {} : { amountMinor: op.amount }),
      };
      return { kind: 'cmd', label, cmd: withKey(cmd, op.keyed) };
    }
    case 'voidHold': {
      const holdId = pick(w.holdIds, op.h);
      if (!holdId) return undefined;
      return { kind: 'cmd', label, cmd: withKey({ type: 'voidHold', holdId, reason: label }, op.keyed) };
    }
    case 'refund':
    case 'reverse': {
      const entryId = pick(op.t === 'refund' && !op.anyEntry ? w.paymentIds : w.entryIds, op.e);
      if (!entryId) return undefined;
      const cmd: LedgerCommand = {
        type: 'reverse',
        entryId,
        kind: op.t === 'refund' ? 'refund' : 'reversal',
        ...(op.t === 'refund' ? { expectRule: 'payment' as const } : {}),
        ...(op.amount === null ? {} : { amountMinor: op.amount }),
        decision: { record: allowDecision({ eventType: 'refund', amountMinor: op.amount ?? 1n }) },
        metadata: { step: label },
      };
      return { kind: 'cmd', label, cmd: withKey(cmd, op.keyed) };
    }
    case 'mismatch': {
      // A CNY transfer into the USD wallet, or a USD payment to a merchant that only has a CNY account.
      const cmd: LedgerCommand =
        op.w % 2 === 0
          ? {
              type: 'post',
              kind: 'transfer',
              rule: 'transfer',
              params: { from: cnyWallet(w, op.w), to: w.usdWallet },
              currency: 'CNY',
              amountMinor: op.amount,
              decision: { record: allowDecision({ amountMinor: op.amount }) },
              metadata: { step: label },
            }
          : {
              type: 'post',
              kind: 'payment',
              rule: 'payment',
              params: paymentParams(w.ledger, w.usdWallet, w.merchantAccount, w.feeBps, 'USD'),
              currency: 'USD',
              amountMinor: op.amount,
              decision: { record: allowDecision({ currency: 'USD', amountMinor: op.amount }) },
              metadata: { step: label },
            };
      return { kind: 'cmd', label, cmd: withKey(cmd, op.keyed) };
    }
    case 'replay': {
      const rec = pick(
        w.keyed.filter((k): k is KeyedRecord & { cmd: LedgerCommand } => k.cmd !== undefined),
        op.k,
      );
      return rec ? { kind: 'replay', label, rec } : undefined;
    }
    default: {
      const unreachable: never = op;
      throw new Error(`unknown op ${JSON.stringify(unreachable)}`);
    }
  }
}

/** How often each command type met each outcome, over all runs: proof the generators reach every path. */
const seen = new Map<string, number>();
function count(key: string): void {
  seen.set(key, (seen.get(key) ?? 0) + 1);
}

/** Compares a fresh (not replayed) result with the model's expectation; true when it moved money or holds. */
function checkFresh(w: World, label: string, expected: Expectation, result: SubmitResult): boolean {
  if (result.replayed) throw new Error(`${label}: replayed although its key is new`);
  const o = result.outcome;
  count(`${label.split(' ').pop()} ${o.ok ? 'ok' : o.error.code}`);
  if (!expected.ok) {
    expect(o.ok ? 'ok' : o.error.code, `${label}: expected a refusal`).toBe(expected.code);
    return false;
  }
  if (!o.ok) {
    expect(o.error.code, `${label}: expected success (${o.error.message})`).toBe('ok');
    return false;
  }
  if (expected.legs) {
    const entry = o.entry;
    if (!entry) throw new Error(`${label}: succeeded without an entry`);
    expect(
      entry.postings.map((p) => `${p.accountId} ${p.amountMinor}`),
      `${label}: postings`,
    ).toEqual(expected.legs.map((l) => `${l.accountId} ${l.amountMinor}`));
    expect(entry.seq, `${label}: sequence`).toBe(w.model.seq);
    w.entryIds.push(entry.id);
    if (entry.rule === 'payment') w.paymentIds.push(entry.id);
  }
  if (o.hold && o.hold.status === 'pending') w.holdIds.push(o.hold.id);
  expected.commit(o);
  return true;
}

/** Runs one ledger command straight through the writer; returns whether it moved anything. */
function settle(w: World, p: Planned, result: SubmitResult, leader?: SubmitResult): boolean {
  if (p.kind === 'replay' || leader) {
    const original = p.kind === 'replay' ? p.rec.response : leader?.response;
    expect(result.replayed, `${p.label}: must replay`).toBe(true);
    count(leader ? 'dupe in batch' : 'replay');
    expect(result.response, `${p.label}: replayed response`).toEqual(original);
    return false;
  }
  const cmd = p.cmd;
  const holdBefore = cmd.type === 'postHold' ? w.model.holdStatus(cmd.holdId) : undefined;
  const expected = w.model.apply(cmd, new Date());
  const moved = checkFresh(w, p.label, expected, result);
  if (!expected.ok && expected.code === 'LEDGER_HOLD_NOT_PENDING' && holdBefore) {
    count(`postHold of a ${holdBefore === 'pending' ? 'timed-out' : holdBefore} hold refused`);
  }
  if (moved && cmd.type === 'postHold' && cmd.amountMinor !== undefined) count('postHold partial ok');
  if (cmd.type !== 'postHold' && cmd.type !== 'voidHold' && 'decision' in cmd && 'record' in cmd.decision) {
    w.decisions.push({ id: cmd.decision.record.id, stored: moved, label: p.label });
  }
  if (cmd.idempotency && !result.replayed) {
    expect(result.response, `${p.label}: stored response`).toEqual(renderOutcome(result.outcome));
    if (result.response) {
      w.keyed.push({ label: p.label, cmd, resubmit: () => w.ledger.submit(cmd), response: result.response });
    }
  }
  return moved;
}

/** Runs a wallet-service movement and checks it against the model's view of the same posting. */
async function walletMove(
  w: World,
  label: string,
  modelCmd: LedgerCommand,
  run: () => Promise<SubmitResult>,
): Promise<boolean> {
  const expected = w.model.apply(modelCmd, new Date());
  const result = await run();
  const body = result.response?.body;
  const decision = isRecord(body) ? body.decision : undefined;
  expect(isRecord(decision) ? decision.outcome : undefined, `${label}: the gate must allow`).toBe('ALLOW');
  const moved = checkFresh(w, label, expected, result);
  expect(result.response?.statusCode, `${label}: status`).toBe(moved ? 201 : 422);
  if (result.response) w.keyed.push({ label, resubmit: run, response: result.response });
  return moved;
}

async function step(w: World, op: Op, label: string): Promise<boolean> {
  switch (op.t) {
    case 'walletTransfer': {
      const from = cnyWallet(w, op.from);
      const to = otherWallet(w, op.from, op.to);
      const input = {
        fromWalletId: from,
        toWalletId: to,
        amountMinor: op.amount.toString(),
        currency: 'CNY',
      };
      const ctx = walletCtx('inv-wt');
      const modelCmd: LedgerCommand = {
        type: 'post',
        kind: 'transfer',
        rule: 'transfer',
        params: { from, to },
        currency: 'CNY',
        amountMinor: op.amount,
        decision: { id: 'model' },
        metadata: {},
      };
      return walletMove(w, label, modelCmd, () => w.wallet.transfer(input, ctx));
    }
    case 'walletPay': {
      const walletId = cnyWallet(w, op.w);
      const input = {
        walletId,
        merchantId: w.merchantId,
        amountMinor: op.amount.toString(),
        currency: 'CNY',
      };
      const ctx = walletCtx('inv-wp');
      const modelCmd: LedgerCommand = {
        type: 'post',
        kind: 'payment',
        rule: 'payment',
        params: paymentParams(w.ledger, walletId, w.merchantAccount, w.feeBps),
        currency: 'CNY',
        amountMinor: op.amount,
        decision: { id: 'model' },
        metadata: {},
      };
      return walletMove(w, label, modelCmd, () => w.wallet.pay(input, ctx));
    }
    case 'walletMismatch': {
      const attempt =
        op.w % 2 === 0
          ? w.wallet.transfer(
              {
                fromWalletId: cnyWallet(w, op.w),
                toWalletId: w.usdWallet,
                amountMinor: op.amount.toString(),
                currency: 'CNY',
              },
              walletCtx('inv-wm'),
            )
          : w.wallet.pay(
              {
                walletId: w.usdWallet,
                merchantId: w.merchantId,
                amountMinor: op.amount.toString(),
                currency: 'USD',
              },
              walletCtx('inv-wm'),
            );
      const err = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err instanceof AppError ? err.code : err, `${label}: refused before the ledger`).toBe(
        'CURRENCY_MISMATCH',
      );
      count('walletMismatch CURRENCY_MISMATCH');
      return false;
    }
    case 'status': {
      const targets = [...w.wallets, w.usdWallet, w.merchantAccount];
      const id = targets[op.target % targets.length];
      if (!id) return false;
      const status = op.frozen ? 'frozen' : 'active';
      await w.ledger.setAccountStatus(id, status);
      w.model.setStatus(id, status);
      return false;
    }
    case 'burst': {
      // Submitted in one tick, the commands share one writer batch and are applied in order.
      const planned = op.ops
        .map((o, i) => plan(w, o, `${label}.${i} ${o.t}`))
        .filter((p): p is Planned => p !== undefined);
      const leaderIndex = planned.findIndex((p) => p.kind === 'cmd' && p.cmd.idempotency !== undefined);
      const leader = planned[leaderIndex];
      const dupe = op.dupe && leader?.kind === 'cmd' ? leader : undefined;
      const all = dupe ? [...planned, { ...dupe, label: `${label} dupe` }] : planned;
      const results = await Promise.all(
        all.map((p) => w.ledger.submit(p.kind === 'cmd' ? p.cmd : p.rec.cmd)),
      );
      let moved = false;
      for (const [i, p] of all.entries()) {
        const result = results[i];
        if (!result) throw new Error('missing result');
        const isDupe = dupe !== undefined && i === all.length - 1;
        moved = settle(w, p, result, isDupe ? results[leaderIndex] : undefined) || moved;
      }
      return moved;
    }
    default: {
      const p = plan(w, op, label);
      if (!p) return false;
      const result = await w.ledger.submit(p.kind === 'cmd' ? p.cmd : p.rec.cmd);
      return settle(w, p, result);
    }
  }
}

async function expectVerified(w: World, label: string): Promise<void> {
  const report = await verifyLedger(w.db);
  expect(report.problems, `${label}: verifyLedger`).toEqual([]);
  expect(report.ok).toBe(true);
}

/** Checks every invariant after a step; returns the balance snapshot taken, the next step's "before". */
async function checkInvariants(w: World, label: string, before: string, moved: boolean): Promise<string> {
  const { db } = w;
  const after = await balanceSnapshot(db);
  if (!moved) expect(after, `${label}: nothing moved, so no balance may change`).toBe(before);
  expect(accountLines(await readAccounts(db)), `${label}: balances against the model`).toEqual(
    w.model.lines(),
  );
  expect((await w.ledger.chainHead()).seq, `${label}: entries written`).toBe(w.model.seq);
  const custody = await w.ledger.custodyCheck();
  expect(
    custody.ok,
    `${label}: custody ${JSON.stringify(custody.currencies, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`,
  ).toBe(true);
  expect(await negativeAccounts(db), `${label}: negative available balance`).toEqual([]);
  expect(await postingsSum(db), `${label}: sum of all postings`).toBe(0n);
  if (w.decisions.length > 0) {
    const ids = w.decisions.map((d) => d.id);
    const rows = await sql<{
      id: string;
    }>`select id from risk_decisions where id = any(${ids}::text[])`.execute(db);
    const stored = new Set(rows.rows.map((r) => r.id));
    for (const d of w.decisions)
      expect(stored.has(d.id), `${d.label}: decision stored iff it moved money`).toBe(d.stored);
    w.decisions = [];
  }
  return after;
}

async function runSequence(bw: TestBulwark, feeBps: number, ops: Op[]): Promise<void> {
  const w = await newWorld(bw, feeBps);
  let before = await balanceSnapshot(w.db);
  for (const [i, op] of ops.entries()) {
    const label = `step ${i} ${op.t}`;
    const moved = await step(w, op, label);
    before = await checkInvariants(w, label, before, moved);
    if ((i + 1) % VERIFY_EVERY === 0) await expectVerified(w, label);
  }
  await expectVerified(w, 'end of sequence');
  if (w.holdIds.length > 0) {
    const rows = await w.db
      .selectFrom('ledger_holds')
      .select(['id', 'status'])
      .where('id', 'in', w.holdIds)
      .execute();
    for (const r of rows) expect(r.status, `hold ${r.id}`).toBe(w.model.holdStatus(r.id));
  }
}

for (const target of DATABASES) {
  describe(`ledger invariants on ${target.name}`, () => {
    // The ledger alone: movements the model expects to pass must not meet the fraud rules.
    const bw = useBulwark(target, { starterRules: false });

    it('hold after every command of random operation sequences', async () => {
      seen.clear();
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(0, 60, 5_000, 10_000)),
          fc.array(opArb, { minLength: 5, maxLength: STEPS_MAX, size: 'max' }),
          (feeBps, ops) => runSequence(bw(), feeBps, ops),
        ),
        { numRuns: RUNS_PER_DATABASE, endOnFailure: true, examples: [[60, SCRIPT]] },
      );
      // The generators must have reached every path, or the property above proves little.
      const keys = [...seen.keys()];
      for (const want of REQUIRED_PATHS) {
        expect(
          keys.some((k) => k.endsWith(want) || k === want),
          `never saw "${want}" in ${JSON.stringify([...seen.entries()])}`,
        ).toBe(true);
      }
    });
  });
}
