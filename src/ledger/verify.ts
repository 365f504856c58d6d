import { sql } from 'kysely';
import type { Db, Tx } from '../platform/db.ts';
import type { Currency } from '../platform/money.ts';
import { canonicalEntry, chainHash, GENESIS_HASH } from './canonical.ts';
import type { EntryKind, NormalSide, Posting } from './types.ts';
import { normalDelta } from './types.ts';

export interface VerifyProblem {
  code:
    | 'CHAIN_GAP'
    | 'CHAIN_LINK_BROKEN'
    | 'HASH_MISMATCH'
    | 'ENTRY_UNBALANCED'
    | 'POSTING_CURRENCY'
    | 'POSTING_UNKNOWN_ACCOUNT'
    | 'RUNNING_BALANCE'
    | 'NEGATIVE_BALANCE'
    | 'ACCOUNT_BALANCE'
    | 'ACCOUNT_HELD'
    | 'HEAD_MISMATCH'
    | 'CUSTODY_MISMATCH'
    | 'REVERSAL_EXCEEDS_ORIGINAL';
  entryId?: string;
  seq?: string;
  accountId?: string;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  entries: number;
  postings: number;
  accounts: number;
  headSeq: string;
  headHash: string;
  problems: VerifyProblem[];
  /** Problems beyond this many are counted but not listed. */
  problemsTruncated: number;
  durationMs: number;
}

export interface VerifyOptions {
  pageSize?: number;
  maxProblems?: number;
  onProgress?: (done: number, total: number) => void;
}

interface AccountState {
  currency: string;
  normalSide: NormalSide;
  isCreditLine: boolean;
  kind: string;
  storedPosted: bigint;
  storedHeld: bigint;
  running: bigint;
}

/**
 * Recomputes the journal from scratch: the hash chain, the balance of every entry,
 * every running balance, every stored balance and hold, and the custody invariant.
 * Reads in pages of `pageSize` entries, so memory grows with accounts, not entries.
 */
export async function verifyLedger(db: Db, options: VerifyOptions = {}): Promise<VerifyReport> {
  // One repeatable-read snapshot: a ledger being written meanwhile is seen at one instant.
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute((tx) => verifySnapshot(tx, options));
}

async function verifySnapshot(db: Tx, options: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  const pageSize = options.pageSize ?? 5000;
  const maxProblems = options.maxProblems ?? 100;
  const problems: VerifyProblem[] = [];
  let truncated = 0;
  const report = (p: VerifyProblem) => {
    if (problems.length < maxProblems) problems.push(p);
    else truncated++;
  };

  const accounts = new Map<string, AccountState>();
  const accountRows = await db
    .selectFrom('ledger_accounts')
    .select(['id', 'currency', 'normal_side', 'is_credit_line', 'kind', 'posted_minor', 'held_minor'])
    .execute();
  for (const a of accountRows) {
    accounts.set(a.id, {
      currency: a.currency,
      normalSide: a.normal_side,
      isCreditLine: a.is_credit_line,
      kind: a.kind,
      storedPosted: BigInt(a.posted_minor),
      storedHeld: BigInt(a.held_minor),
      running: 0n,
    });
  }
  const totalRow = await sql<{ n: bigint }>`select count(*)::int8 as n from ledger_entries`.execute(db);
  const total = Number(totalRow.rows[0]?.n ?? 0n);
  const reversedBy = new Map<string, bigint>();
  const amounts = new Map<string, bigint>();

  let prevHash = GENESIS_HASH;
  let expectedSeq = 1n;
  let done = 0;
  let postingsSeen = 0;
  let lastSeq = 0n;
  for (;;) {
    const entries = await db
      .selectFrom('ledger_entries')
      .selectAll()
      .where('seq', '>', lastSeq)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    if (entries.length === 0) break;
    const first = entries[0];
    const last = entries[entries.length - 1];
    if (!first || !last) break;
    const postingRows = await db
      .selectFrom('ledger_postings')
      .selectAll()
      .where('entry_seq', '>=', first.seq)
      .where('entry_seq', '<=', last.seq)
      .orderBy('entry_seq')
      .orderBy('idx')
      .execute();
    const bySeq = new Map<bigint, Posting[]>();
    for (const p of postingRows) {
      const seq = BigInt(p.entry_seq);
      const list = bySeq.get(seq) ?? [];
      list.push({
        idx: p.idx,
        accountId: p.account_id,
        amountMinor: BigInt(p.amount_minor),
        balanceAfterMinor: BigInt(p.balance_after_minor),
      });
      bySeq.set(seq, list);
    }
    postingsSeen += postingRows.length;

    for (const e of entries) {
      const seq = BigInt(e.seq);
      const where = { entryId: e.id, seq: seq.toString() };
      if (seq !== expectedSeq) {
        report({ code: 'CHAIN_GAP', ...where, message: `expected sequence ${expectedSeq}, found ${seq}` });
      }
      if (e.prev_hash !== prevHash) {
        report({
          code: 'CHAIN_LINK_BROKEN',
          ...where,
          message: 'prev_hash does not match the previous entry',
        });
      }
      const postings = bySeq.get(seq) ?? [];
      const canonical = canonicalEntry({
        seq,
        id: e.id,
        kind: e.kind as EntryKind,
        occurredAt: e.occurred_at,
        decisionId: e.decision_id,
        reversesId: e.reverses_id,
        holdId: e.hold_id,
        rule: e.rule,
        amountMinor: BigInt(e.amount_minor),
        currency: e.currency as Currency,
        params: e.params,
        metadata: e.metadata,
        postings,
      });
      const recomputed = chainHash(e.prev_hash, canonical);
      if (recomputed !== e.hash) {
        report({ code: 'HASH_MISMATCH', ...where, message: 'stored hash differs from the recomputed hash' });
      }
      let sum = 0n;
      for (const p of postings) {
        sum += p.amountMinor;
        const acct = accounts.get(p.accountId);
        if (!acct) {
          report({
            code: 'POSTING_UNKNOWN_ACCOUNT',
            ...where,
            accountId: p.accountId,
            message: 'unknown account',
          });
          continue;
        }
        if (acct.currency !== e.currency) {
          report({
            code: 'POSTING_CURRENCY',
            ...where,
            accountId: p.accountId,
            message: 'posting currency differs',
          });
        }
        acct.running += normalDelta(acct.normalSide, p.amountMinor);
        if (acct.running !== p.balanceAfterMinor) {
          report({
            code: 'RUNNING_BALANCE',
            ...where,
            accountId: p.accountId,
            message: `balance after is ${p.balanceAfterMinor}, recomputed ${acct.running}`,
          });
          acct.running = p.balanceAfterMinor;
        }
        if (!acct.isCreditLine && acct.running < 0n) {
          report({
            code: 'NEGATIVE_BALANCE',
            ...where,
            accountId: p.accountId,
            message: `balance ${acct.running}`,
          });
        }
      }
      if (sum !== 0n || postings.length < 2) {
        report({
          code: 'ENTRY_UNBALANCED',
          ...where,
          message: `postings sum to ${sum} over ${postings.length} legs`,
        });
      }
      amounts.set(e.id, BigInt(e.amount_minor));
      if (e.reverses_id) {
        reversedBy.set(e.reverses_id, (reversedBy.get(e.reverses_id) ?? 0n) + BigInt(e.amount_minor));
      }
      prevHash = e.hash;
      expectedSeq = seq + 1n;
      lastSeq = seq;
      done++;
    }
    options.onProgress?.(done, total);
  }

  for (const [original, reversed] of reversedBy) {
    const amount = amounts.get(original);
    if (amount !== undefined && reversed > amount) {
      report({
        code: 'REVERSAL_EXCEEDS_ORIGINAL',
        entryId: original,
        message: `reversed ${reversed} of ${amount}`,
      });
    }
  }

  const held = await sql<{ account_id: string; total: bigint }>`
    select account_id, sum(amount_minor)::int8 as total from ledger_holds where status = 'pending'
    group by account_id`.execute(db);
  const heldBy = new Map(held.rows.map((r) => [r.account_id, BigInt(r.total)]));
  const custody = new Map<string, { custody: bigint; wallets: bigint }>();
  for (const [id, a] of accounts) {
    if (a.running !== a.storedPosted) {
      report({
        code: 'ACCOUNT_BALANCE',
        accountId: id,
        message: `stored posted balance ${a.storedPosted}, journal gives ${a.running}`,
      });
    }
    const expectedHeld = heldBy.get(id) ?? 0n;
    if (a.storedHeld !== expectedHeld) {
      report({
        code: 'ACCOUNT_HELD',
        accountId: id,
        message: `stored held ${a.storedHeld}, pending holds ${expectedHeld}`,
      });
    }
    if (a.kind === 'customer_custody' || a.kind === 'customer_wallet') {
      const c = custody.get(a.currency) ?? { custody: 0n, wallets: 0n };
      if (a.kind === 'customer_custody') c.custody += a.running;
      else c.wallets += a.running;
      custody.set(a.currency, c);
    }
  }
  for (const [currency, c] of custody) {
    if (c.custody !== c.wallets) {
      report({
        code: 'CUSTODY_MISMATCH',
        message: `${currency}: custody ${c.custody}, customer wallets ${c.wallets}`,
      });
    }
  }

  const head = await db.selectFrom('ledger_chain_head').select(['seq', 'hash']).executeTakeFirst();
  const headSeq = head ? BigInt(head.seq) : 0n;
  const headHash = head?.hash ?? GENESIS_HASH;
  if (headSeq !== lastSeq || headHash !== prevHash) {
    report({
      code: 'HEAD_MISMATCH',
      seq: headSeq.toString(),
      message: `chain head says ${headSeq}/${headHash.slice(0, 12)}…, journal ends at ${lastSeq}/${prevHash.slice(0, 12)}…`,
    });
  }

  return {
    ok: problems.length === 0,
    entries: done,
    postings: postingsSeen,
    accounts: accounts.size,
    headSeq: headSeq.toString(),
    headHash,
    problems,
    problemsTruncated: truncated,
    durationMs: Math.round(performance.now() - started),
  };
}
