// Shared fixtures of the ledger tests: allowed decisions, actors, balance snapshots and invariant queries.
import { sql } from 'kysely';
import type { CommandOutcome, IdempotencySpec, StoredResponse } from '../../src/ledger/commands.ts';
import type { LedgerService } from '../../src/ledger/service.ts';
import type { AccountStatus, NormalSide } from '../../src/ledger/types.ts';
import type { Db } from '../../src/platform/db.ts';
import { newId } from '../../src/platform/ids.ts';
import type { Currency } from '../../src/platform/money.ts';
import type { RiskDecision, RiskEventType } from '../../src/risk/gate.ts';
import { idemKey } from '../helpers.ts';

/** A decision record that allows the movement, as the risk gate would have stored it. */
export function allowDecision(
  input: { subjectId?: string; eventType?: RiskEventType; currency?: Currency; amountMinor?: bigint } = {},
): RiskDecision {
  return {
    id: newId('dec'),
    eventType: input.eventType ?? 'transfer',
    subjectId: input.subjectId ?? 'test-subject',
    currency: input.currency ?? 'CNY',
    amountMinor: input.amountMinor ?? 1n,
    outcome: 'ALLOW',
    reasonCodes: [],
    customerMessage: null,
    policy: 'test/allow',
    input: {},
    latencyUs: 0,
    createdAt: new Date(),
  };
}

/** What the tests store as an idempotent response: plain JSON, so a replay must equal it exactly. */
export function renderOutcome(outcome: CommandOutcome): StoredResponse {
  if (!outcome.ok) return { statusCode: 422, body: { ok: false, code: outcome.error.code } };
  return {
    statusCode: 200,
    body: {
      ok: true,
      entryId: outcome.entry?.id ?? null,
      holdId: outcome.hold?.id ?? null,
      decisionId: outcome.decisionId ?? null,
    },
  };
}

export function idemSpec(prefix: string, requestHash = 'same-request'): IdempotencySpec {
  return { scope: 'test', key: idemKey(prefix), requestHash, render: renderOutcome };
}

/** A request context for the wallet service with a fresh idempotency key. */
export function walletCtx(prefix: string) {
  return { idem: { scope: 'test-wallet', key: idemKey(prefix), requestHash: `hash-${prefix}` } };
}

/** A customer row (the wallet service's directory reads it) and its wallet in one currency. */
export async function createCustomerWallet(
  db: Db,
  ledger: LedgerService,
  currency: Currency = 'CNY',
): Promise<{ customerId: string; walletId: string }> {
  const customerId = newId('cus');
  // Fully verified (tier 2): these tests are about the ledger, not about KYC limits.
  await db
    .insertInto('customers')
    .values({ id: customerId, display_name: 'Test customer', kyc_tier: 2 })
    .execute();
  const account = await ledger.openAccount({ kind: 'customer_wallet', currency, ownerId: customerId });
  return { customerId, walletId: account.id };
}

export async function createMerchant(
  db: Db,
  ledger: LedgerService,
  feeBps: number,
  currency: Currency = 'CNY',
): Promise<{ merchantId: string; accountId: string }> {
  const merchantId = newId('mer');
  await db
    .insertInto('merchants')
    .values({ id: merchantId, name: 'Test merchant', fee_bps: feeBps })
    .execute();
  const account = await ledger.openAccount({ kind: 'merchant', currency, ownerId: merchantId });
  return { merchantId, accountId: account.id };
}

/** Params of the payment rule, as WalletService.pay builds them. */
export function paymentParams(
  ledger: LedgerService,
  walletId: string,
  merchantAccountId: string,
  feeBps: number,
  currency: Currency = 'CNY',
): Record<string, string> {
  return {
    wallet: walletId,
    custody: ledger.systemAccountId('customer_custody', currency),
    settlement: ledger.systemAccountId('settlement_clearing', currency),
    merchant: merchantAccountId,
    fee: ledger.systemAccountId('fee_revenue', currency),
    feeBps: String(feeBps),
  };
}

/** Credits a wallet from the channel into custody, as a completed top-up does; throws unless it posted. */
export async function topUp(
  ledger: LedgerService,
  walletId: string,
  amountMinor: bigint,
  currency: Currency = 'CNY',
): Promise<string> {
  const r = await ledger.submit({
    type: 'post',
    kind: 'topup',
    rule: 'topup',
    params: { wallet: walletId, custody: ledger.systemAccountId('customer_custody', currency) },
    currency,
    amountMinor,
    decision: { record: allowDecision({ eventType: 'topup', currency, amountMinor }) },
    metadata: {},
  });
  if (r.replayed || !r.outcome.ok || !r.outcome.entry) throw new Error('top-up did not post');
  return r.outcome.entry.id;
}

export interface AccountRow {
  id: string;
  kind: string;
  currency: string;
  normalSide: NormalSide;
  isCreditLine: boolean;
  status: AccountStatus;
  postedMinor: bigint;
  heldMinor: bigint;
}

function isAccountStatus(value: string): value is AccountStatus {
  return value === 'active' || value === 'frozen' || value === 'closed';
}

/** Every account as stored in ledger_accounts, by id. */
export async function readAccounts(db: Db): Promise<Map<string, AccountRow>> {
  const rows = await db
    .selectFrom('ledger_accounts')
    .select([
      'id',
      'kind',
      'currency',
      'normal_side',
      'is_credit_line',
      'status',
      'posted_minor',
      'held_minor',
    ])
    .orderBy('id')
    .execute();
  const map = new Map<string, AccountRow>();
  for (const r of rows) {
    if (!isAccountStatus(r.status)) throw new Error(`account ${r.id} has status ${r.status}`);
    map.set(r.id, {
      id: r.id,
      kind: r.kind,
      currency: r.currency,
      normalSide: r.normal_side,
      isCreditLine: r.is_credit_line,
      status: r.status,
      postedMinor: BigInt(r.posted_minor),
      heldMinor: BigInt(r.held_minor),
    });
  }
  return map;
}

/** Posted and held balance of every account, as one string: equal strings mean byte-identical balances. */
export async function balanceSnapshot(db: Db): Promise<string> {
  const rows = await sql<{ id: string; posted: string; held: string }>`
    select id, posted_minor::text as posted, held_minor::text as held from ledger_accounts order by id`.execute(
    db,
  );
  return rows.rows.map((r) => `${r.id}:${r.posted}:${r.held}`).join('\n');
}

/** Invariant 1: the sum of every posting ever written. */
export async function postingsSum(db: Db): Promise<bigint> {
  const r = await sql<{ total: bigint | null }>`
    select sum(amount_minor)::int8 as total from ledger_postings`.execute(db);
  return BigInt(r.rows[0]?.total ?? 0n);
}

/** Invariant 2: non-credit accounts whose available balance (posted − held) is negative. */
export async function negativeAccounts(db: Db): Promise<string[]> {
  const r = await sql<{ id: string }>`
    select id from ledger_accounts where not is_credit_line and (posted_minor - held_minor < 0 or held_minor < 0)`.execute(
    db,
  );
  return r.rows.map((row) => row.id);
}

export async function entriesOfDecision(db: Db, decisionId: string): Promise<number> {
  const r = await sql<{ n: bigint }>`
    select count(*)::int8 as n from ledger_entries where decision_id = ${decisionId}`.execute(db);
  return Number(r.rows[0]?.n ?? 0n);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
