import { sql } from 'kysely';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../platform/clock.ts';
import type { Db, Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import {
  ledgerBatchDuration,
  ledgerBatchSize,
  ledgerCommands,
  ledgerQueueDepth,
} from '../platform/metrics.ts';
import type { Currency } from '../platform/money.ts';
import { writeOutbox } from '../platform/outbox.ts';
import { BatchState, type ReversibleEntry } from './batch.ts';
import type { CommandOutcome, LedgerCommand, StoredResponse, SubmitResult } from './commands.ts';
import { isRuleName, ruleAccounts } from './rules.ts';
import type { Account, AccountKind, AccountStatus, EntryKind, Hold, HoldStatus } from './types.ts';

interface Pending {
  cmd: LedgerCommand;
  resolve: (result: SubmitResult) => void;
  reject: (err: unknown) => void;
}

type Applied =
  | { kind: 'applied'; outcome: CommandOutcome; response: StoredResponse | undefined }
  | { kind: 'claimed-elsewhere' };

export interface WriterOptions {
  batchMax: number;
  queueMax: number;
  /** Called after each commit (the outbox relay's kick). */
  afterCommit?: () => void;
  /** Stamps entries and hold transitions; the system clock unless the seeder sets another. */
  clock?: Clock;
}

const RETRYABLE_SQLSTATES = new Set(['40001', '40P01', '55P03']);
const ATTEMPTS_MAX = 4;

/**
 * The single writer of the ledger in this process. Commands queue up while a
 * transaction is in flight and are then applied together in the next one (group
 * commit): one round of locks, bulk inserts and one commit for many transfers, so a
 * hot account does not serialise the system on per-transfer commits.
 *
 * Across processes, the chain-head row lock orders transactions: the journal is one
 * hash chain, and balances are read under that lock, so no update is ever lost.
 */
export class LedgerWriter {
  private queue: Pending[] = [];
  private flushing = false;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly options: WriterOptions,
  ) {}

  submit(cmd: LedgerCommand): Promise<SubmitResult> {
    if (this.closed)
      return Promise.reject(new AppError('SERVICE_UNAVAILABLE', 'The ledger is shutting down.'));
    if (this.queue.length >= this.options.queueMax) {
      ledgerCommands.inc({ type: cmd.type, result: 'SERVICE_OVERLOADED' });
      return Promise.reject(new AppError('SERVICE_OVERLOADED', 'The ledger queue is full; retry shortly.'));
    }
    return new Promise<SubmitResult>((resolve, reject) => {
      this.queue.push({ cmd, resolve, reject });
      ledgerQueueDepth.set(this.queue.length);
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flushLoop());
      }
    });
  }

  /** Waits for queued commands to finish and refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await new Promise((r) => setTimeout(r, 5));
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.batchMax);
        ledgerQueueDepth.set(this.queue.length);
        await this.runBatch(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    // A key sent twice within one batch: the first runs, the others replay its response.
    const leaders: Pending[] = [];
    const followers: Array<{ pending: Pending; leader: Pending }> = [];
    const byKey = new Map<string, Pending>();
    for (const p of batch) {
      const idem = p.cmd.idempotency;
      const k = idem ? `${idem.scope}\u0000${idem.key}` : undefined;
      const leader = k ? byKey.get(k) : undefined;
      if (k && leader) {
        followers.push({ pending: p, leader });
      } else {
        if (k) byKey.set(k, p);
        leaders.push(p);
      }
    }
    const started = performance.now();
    let results: Map<Pending, Applied>;
    try {
      results = await this.transactWithRetry(leaders);
    } catch (err) {
      if (leaders.length === 1) {
        const only = leaders[0];
        if (only) this.fail(only, err);
        results = new Map();
      } else {
        // Isolate the command that breaks the transaction; the others still commit.
        this.log.warn({ err, size: leaders.length }, 'ledger batch failed; applying its commands one by one');
        results = new Map();
        for (const p of leaders) {
          try {
            const one = await this.transactWithRetry([p]);
            for (const [k, v] of one) results.set(k, v);
          } catch (e) {
            this.fail(p, e);
          }
        }
      }
    }
    ledgerBatchSize.observe(leaders.length);
    ledgerBatchDuration.observe((performance.now() - started) / 1000);
    if (results.size > 0) this.options.afterCommit?.();

    const settled = new Map<Pending, SubmitResult>();
    const elsewhere: Pending[] = [];
    for (const [p, r] of results) {
      if (r.kind === 'claimed-elsewhere') {
        elsewhere.push(p);
        continue;
      }
      const result: SubmitResult = { replayed: false, outcome: r.outcome, response: r.response };
      settled.set(p, result);
      ledgerCommands.inc({ type: p.cmd.type, result: r.outcome.ok ? 'ok' : r.outcome.error.code });
      p.resolve(result);
    }
    if (elsewhere.length > 0) await this.resolveFromStore(elsewhere);
    for (const { pending, leader } of followers) {
      const lead = settled.get(leader);
      const leaderIdem = leader.cmd.idempotency;
      const idem = pending.cmd.idempotency;
      if (!lead || !idem || !leaderIdem) {
        // The leader failed outright or was claimed elsewhere: look the key up in the store.
        await this.resolveFromStore([pending]);
      } else if (idem.requestHash !== leaderIdem.requestHash) {
        pending.reject(new AppError('IDEMPOTENCY_KEY_CONFLICT'));
      } else if (lead.response) {
        pending.resolve({ replayed: true, response: lead.response });
      } else {
        pending.resolve(lead);
      }
    }
  }

  private fail(p: Pending, err: unknown): void {
    ledgerCommands.inc({ type: p.cmd.type, result: err instanceof AppError ? err.code : 'INTERNAL' });
    p.reject(err);
  }

  /** Commands whose key another transaction owns: their stored response, or a conflict. */
  private async resolveFromStore(pendings: Pending[]): Promise<void> {
    for (const p of pendings) {
      const idem = p.cmd.idempotency;
      if (!idem) {
        p.reject(new Error('command without idempotency key was not applied'));
        continue;
      }
      const row = await this.db
        .selectFrom('idempotency_keys')
        .select(['request_hash', 'status_code', 'response'])
        .where('scope', '=', idem.scope)
        .where('key', '=', idem.key)
        .executeTakeFirst();
      if (!row) {
        // The other transaction rolled back after all: this command was never applied.
        p.reject(new AppError('SERVICE_OVERLOADED', 'A concurrent request with this key failed; retry.'));
      } else if (row.request_hash !== idem.requestHash) {
        p.reject(new AppError('IDEMPOTENCY_KEY_CONFLICT'));
      } else if (row.status_code === null) {
        p.reject(new AppError('IDEMPOTENCY_KEY_CONFLICT', 'A request with this key is still in progress.'));
      } else {
        p.resolve({ replayed: true, response: { statusCode: row.status_code, body: row.response } });
      }
    }
  }

  private async transactWithRetry(pendings: Pending[]): Promise<Map<Pending, Applied>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction().execute((tx) => this.apply(tx, pendings));
      } catch (err) {
        const code = (err as { code?: unknown } | null)?.code;
        if (attempt < ATTEMPTS_MAX && typeof code === 'string' && RETRYABLE_SQLSTATES.has(code)) {
          await new Promise((r) => setTimeout(r, 2 ** attempt + Math.random() * 10));
          continue;
        }
        throw err;
      }
    }
  }

  private async apply(tx: Tx, pendings: Pending[]): Promise<Map<Pending, Applied>> {
    const results = new Map<Pending, Applied>();
    const runnable = await claimKeys(tx, pendings, results);
    const head = await sql<{ seq: bigint; hash: string }>`
      select seq, hash from ledger_chain_head where id = 1 for update`.execute(tx);
    const headRow = head.rows[0];
    if (!headRow) throw new Error('ledger chain head is missing');

    const holdIds = new Set<string>();
    const entryIds = new Set<string>();
    for (const p of runnable) {
      if (p.cmd.type === 'postHold' || p.cmd.type === 'voidHold') holdIds.add(p.cmd.holdId);
      if (p.cmd.type === 'reverse') entryIds.add(p.cmd.entryId);
    }
    const holds = await loadHolds(tx, [...holdIds]);
    const originals = await loadOriginals(tx, [...entryIds]);
    const accountIds = new Set<string>();
    for (const p of runnable) {
      const cmd = p.cmd;
      if (cmd.type === 'post' || cmd.type === 'hold') {
        for (const id of ruleAccounts(cmd.rule, cmd.params)) accountIds.add(id);
        if (cmd.type === 'hold') accountIds.add(cmd.holdAccountId);
      } else if (cmd.type === 'postHold' || cmd.type === 'voidHold') {
        const hold = holds.get(cmd.holdId);
        if (hold && isRuleName(hold.rule))
          for (const id of ruleAccounts(hold.rule, hold.params)) accountIds.add(id);
        if (hold) accountIds.add(hold.accountId);
      } else if (cmd.type === 'reverse') {
        const original = originals.get(cmd.entryId);
        if (original && isRuleName(original.rule)) {
          for (const id of ruleAccounts(original.rule, original.params)) accountIds.add(id);
        }
      }
    }
    const accounts = await loadAccounts(tx, [...accountIds]);
    const state = new BatchState(
      accounts,
      holds,
      originals,
      headRow.seq,
      headRow.hash,
      (this.options.clock ?? systemClock).now(),
    );

    const outcomes: Array<{ p: Pending; outcome: CommandOutcome }> = [];
    for (const p of runnable) outcomes.push({ p, outcome: state.apply(p.cmd) });

    await writeState(tx, state);
    for (const { p, outcome } of outcomes) {
      if (!outcome.ok) continue;
      if (p.cmd.events) state.events.push(...p.cmd.events(outcome));
    }
    await writeOutbox(tx, state.events);
    for (const { p, outcome } of outcomes) {
      if (outcome.ok && p.cmd.inTx) await p.cmd.inTx(tx, outcome);
    }
    const responses: Array<{ scope: string; key: string; response: StoredResponse }> = [];
    for (const { p, outcome } of outcomes) {
      const idem = p.cmd.idempotency;
      const response = idem ? idem.render(outcome) : undefined;
      if (idem && response) responses.push({ scope: idem.scope, key: idem.key, response });
      results.set(p, { kind: 'applied', outcome, response });
    }
    if (responses.length > 0) {
      await sql`
        update idempotency_keys k set status_code = v.s, response = v.r::jsonb
        from unnest(${responses.map((r) => r.scope)}::text[], ${responses.map((r) => r.key)}::text[],
          ${responses.map((r) => r.response.statusCode)}::int[],
          ${responses.map((r) => JSON.stringify(r.response.body))}::text[]) as v(sc, k, s, r)
        where k.scope = v.sc and k.key = v.k`.execute(tx);
    }
    return results;
  }
}

/**
 * Inserts the idempotency keys of the batch in sorted order (so two writers cannot
 * deadlock on each other's keys). A key that already exists, or that a concurrent
 * transaction inserts first, belongs to that earlier request.
 */
async function claimKeys(tx: Tx, pendings: Pending[], results: Map<Pending, Applied>): Promise<Pending[]> {
  const keyed = pendings.filter((p) => p.cmd.idempotency);
  if (keyed.length === 0) return pendings;
  keyed.sort((a, b) => {
    const x = a.cmd.idempotency;
    const y = b.cmd.idempotency;
    const kx = `${x?.scope}\u0000${x?.key}`;
    const ky = `${y?.scope}\u0000${y?.key}`;
    return kx < ky ? -1 : kx > ky ? 1 : 0;
  });
  const specs = keyed.map((p) => p.cmd.idempotency).filter((s) => s !== undefined);
  const claimed = await sql<{ scope: string; key: string }>`
    insert into idempotency_keys (scope, key, request_hash)
    select s, k, h from unnest(${specs.map((s) => s.scope)}::text[], ${specs.map((s) => s.key)}::text[],
      ${specs.map((s) => s.requestHash)}::text[]) with ordinality as v(s, k, h, n)
    order by n
    on conflict do nothing
    returning scope, key`.execute(tx);
  const won = new Set(claimed.rows.map((r) => `${r.scope}\u0000${r.key}`));
  const runnable: Pending[] = [];
  for (const p of pendings) {
    const idem = p.cmd.idempotency;
    if (idem && !won.has(`${idem.scope}\u0000${idem.key}`)) {
      results.set(p, { kind: 'claimed-elsewhere' });
    } else {
      runnable.push(p);
    }
  }
  return runnable;
}

async function loadAccounts(tx: Tx, ids: string[]): Promise<Map<string, Account>> {
  const map = new Map<string, Account>();
  if (ids.length === 0) return map;
  ids.sort();
  const rows = await sql<{
    id: string;
    kind: AccountKind;
    currency: Currency;
    normal_side: 'debit' | 'credit';
    is_credit_line: boolean;
    owner_id: string;
    status: AccountStatus;
    posted_minor: bigint;
    held_minor: bigint;
  }>`
    select id, kind, currency, normal_side, is_credit_line, owner_id, status, posted_minor, held_minor
    from ledger_accounts where id = any(${ids}::text[]) order by id for update`.execute(tx);
  for (const r of rows.rows) {
    map.set(r.id, {
      id: r.id,
      kind: r.kind,
      currency: r.currency,
      normalSide: r.normal_side,
      isCreditLine: r.is_credit_line,
      ownerId: r.owner_id,
      status: r.status,
      postedMinor: BigInt(r.posted_minor),
      heldMinor: BigInt(r.held_minor),
    });
  }
  return map;
}

async function loadHolds(tx: Tx, ids: string[]): Promise<Map<string, Hold>> {
  const map = new Map<string, Hold>();
  if (ids.length === 0) return map;
  ids.sort();
  const rows = await sql<{
    id: string;
    account_id: string;
    currency: Currency;
    amount_minor: bigint;
    posted_minor: bigint;
    status: HoldStatus;
    kind: EntryKind;
    rule: string;
    params: Record<string, string>;
    metadata: Record<string, string>;
    decision_id: string;
    entry_id: string | null;
    expires_at: Date;
    created_at: Date;
    updated_at: Date;
  }>`select * from ledger_holds where id = any(${ids}::text[]) order by id for update`.execute(tx);
  for (const r of rows.rows) {
    map.set(r.id, {
      id: r.id,
      accountId: r.account_id,
      currency: r.currency,
      amountMinor: BigInt(r.amount_minor),
      postedMinor: BigInt(r.posted_minor),
      status: r.status,
      kind: r.kind,
      rule: r.rule,
      params: r.params,
      metadata: r.metadata,
      decisionId: r.decision_id,
      entryId: r.entry_id,
      expiresAt: r.expires_at,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    });
  }
  return map;
}

async function loadOriginals(tx: Tx, ids: string[]): Promise<Map<string, ReversibleEntry>> {
  const map = new Map<string, ReversibleEntry>();
  if (ids.length === 0) return map;
  ids.sort();
  // Locking the original serialises refunds of one payment, so together they never exceed it.
  const rows = await sql<{
    id: string;
    rule: string;
    params: Record<string, string>;
    currency: Currency;
    amount_minor: bigint;
    reverses_id: string | null;
  }>`select id, rule, params, currency, amount_minor, reverses_id from ledger_entries
     where id = any(${ids}::text[]) order by id for update`.execute(tx);
  const reversed = await sql<{ reverses_id: string; total: bigint }>`
    select reverses_id, sum(amount_minor)::int8 as total from ledger_entries
    where reverses_id = any(${ids}::text[]) group by reverses_id`.execute(tx);
  const totals = new Map(reversed.rows.map((r) => [r.reverses_id, BigInt(r.total)]));
  for (const r of rows.rows) {
    map.set(r.id, {
      id: r.id,
      rule: r.rule,
      params: r.params,
      currency: r.currency,
      amountMinor: BigInt(r.amount_minor),
      reversedMinor: totals.get(r.id) ?? 0n,
      reversesId: r.reverses_id,
    });
  }
  return map;
}

async function writeState(tx: Tx, s: BatchState): Promise<void> {
  if (s.decisions.length > 0) {
    const d = s.decisions;
    await sql`
      insert into risk_decisions (id, event_type, subject_id, currency, amount_minor, outcome, reason_codes,
        customer_message, policy, input, latency_us, created_at)
      select id, et, sid, cur, amt, oc, rc::jsonb, msg, pol, inp::jsonb, lat, at
      from unnest(${d.map((x) => x.id)}::text[], ${d.map((x) => x.eventType)}::text[],
        ${d.map((x) => x.subjectId)}::text[], ${d.map((x) => x.currency)}::text[],
        ${d.map((x) => x.amountMinor.toString())}::int8[], ${d.map((x) => x.outcome)}::text[],
        ${d.map((x) => JSON.stringify(x.reasonCodes))}::text[], ${d.map((x) => x.customerMessage)}::text[],
        ${d.map((x) => x.policy)}::text[], ${d.map((x) => JSON.stringify(x.input))}::text[],
        ${d.map((x) => x.latencyUs)}::int[], ${d.map((x) => x.createdAt.toISOString())}::timestamptz[])
        as v(id, et, sid, cur, amt, oc, rc, msg, pol, inp, lat, at)`.execute(tx);
  }
  if (s.entries.length > 0) {
    const e = s.entries;
    await sql`
      insert into ledger_entries (seq, id, kind, occurred_at, decision_id, reverses_id, hold_id, rule,
        amount_minor, currency, params, metadata, prev_hash, hash)
      select seq, id, kind, at, dec, rev, hid, rule, amt, cur, par::jsonb, meta::jsonb, ph, h
      from unnest(${e.map((x) => x.seq.toString())}::int8[], ${e.map((x) => x.id)}::text[],
        ${e.map((x) => x.kind)}::text[], ${e.map((x) => x.occurredAt.toISOString())}::timestamptz[],
        ${e.map((x) => x.decisionId)}::text[], ${e.map((x) => x.reversesId)}::text[],
        ${e.map((x) => x.holdId)}::text[], ${e.map((x) => x.rule)}::text[],
        ${e.map((x) => x.amountMinor.toString())}::int8[], ${e.map((x) => x.currency)}::text[],
        ${e.map((x) => JSON.stringify(x.params))}::text[], ${e.map((x) => JSON.stringify(x.metadata))}::text[],
        ${e.map((x) => x.prevHash)}::text[], ${e.map((x) => x.hash)}::text[])
        as v(seq, id, kind, at, dec, rev, hid, rule, amt, cur, par, meta, ph, h)`.execute(tx);
    const postings = e.flatMap((x) => x.postings.map((p) => ({ seq: x.seq, ...p })));
    await sql`
      insert into ledger_postings (entry_seq, idx, account_id, amount_minor, balance_after_minor)
      select * from unnest(${postings.map((p) => p.seq.toString())}::int8[], ${postings.map((p) => p.idx)}::int2[],
        ${postings.map((p) => p.accountId)}::text[], ${postings.map((p) => p.amountMinor.toString())}::int8[],
        ${postings.map((p) => p.balanceAfterMinor.toString())}::int8[])`.execute(tx);
    await sql`update ledger_chain_head set seq = ${s.headSeq.toString()}::int8, hash = ${s.headHash} where id = 1`.execute(
      tx,
    );
  }
  if (s.newHolds.length > 0) {
    const h = s.newHolds;
    await sql`
      insert into ledger_holds (id, account_id, currency, amount_minor, posted_minor, status, kind, rule, params,
        metadata, decision_id, entry_id, expires_at, created_at, updated_at)
      select id, acc, cur, amt, pm, st, kind, rule, par::jsonb, meta::jsonb, dec, ent, exp, ca, ua
      from unnest(${h.map((x) => x.id)}::text[], ${h.map((x) => x.accountId)}::text[],
        ${h.map((x) => x.currency)}::text[], ${h.map((x) => x.amountMinor.toString())}::int8[],
        ${h.map((x) => x.postedMinor.toString())}::int8[], ${h.map((x) => x.status)}::text[],
        ${h.map((x) => x.kind)}::text[], ${h.map((x) => x.rule)}::text[],
        ${h.map((x) => JSON.stringify(x.params))}::text[], ${h.map((x) => JSON.stringify(x.metadata))}::text[],
        ${h.map((x) => x.decisionId)}::text[], ${h.map((x) => x.entryId)}::text[],
        ${h.map((x) => x.expiresAt.toISOString())}::timestamptz[], ${h.map((x) => x.createdAt.toISOString())}::timestamptz[],
        ${h.map((x) => x.updatedAt.toISOString())}::timestamptz[])
        as v(id, acc, cur, amt, pm, st, kind, rule, par, meta, dec, ent, exp, ca, ua)`.execute(tx);
  }
  const changed = [...s.changedHolds].filter((h) => !s.newHolds.includes(h));
  if (changed.length > 0) {
    await sql`
      update ledger_holds h set status = v.st, posted_minor = v.pm, entry_id = v.ent, updated_at = v.ua
      from unnest(${changed.map((x) => x.id)}::text[], ${changed.map((x) => x.status)}::text[],
        ${changed.map((x) => x.postedMinor.toString())}::int8[], ${changed.map((x) => x.entryId)}::text[],
        ${changed.map((x) => x.updatedAt.toISOString())}::timestamptz[]) as v(id, st, pm, ent, ua)
      where h.id = v.id`.execute(tx);
  }
  if (s.holdEvents.length > 0) {
    const ev = s.holdEvents;
    await sql`
      insert into ledger_hold_events (hold_id, from_status, to_status, amount_minor, at, reason)
      select hid, fs, ts, amt, ${s.now.toISOString()}::timestamptz, rsn
      from unnest(${ev.map((x) => x.holdId)}::text[], ${ev.map((x) => x.fromStatus)}::text[],
        ${ev.map((x) => x.toStatus)}::text[], ${ev.map((x) => x.amountMinor.toString())}::int8[],
        ${ev.map((x) => x.reason)}::text[]) with ordinality as v(hid, fs, ts, amt, rsn, n) order by n`.execute(
      tx,
    );
  }
  if (s.touchedAccounts.size > 0) {
    const ids = [...s.touchedAccounts].sort();
    const rows = ids.map((id) => {
      const a = s.accounts.get(id);
      if (!a) throw new Error(`touched account ${id} was not loaded`);
      return a;
    });
    await sql`
      update ledger_accounts a set posted_minor = v.p, held_minor = v.h
      from unnest(${ids}::text[], ${rows.map((a) => a.postedMinor.toString())}::int8[],
        ${rows.map((a) => a.heldMinor.toString())}::int8[]) as v(id, p, h)
      where a.id = v.id`.execute(tx);
  }
}
