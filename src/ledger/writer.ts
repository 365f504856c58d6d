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
import type { ReversibleEntry } from './batch.ts';
import { BatchState } from './batch.ts';
import type { CommandOutcome, LedgerCommand, StoredResponse, SubmitResult } from './commands.ts';
import { isRuleName, ruleAccounts } from './rules.ts';
import {
  existingKeys,
  type KeyResponse,
  keyId,
  loadAccounts,
  loadAccountsAndKeys,
  loadHolds,
  loadOriginals,
  lockChainHead,
  writeBatch,
} from './store.ts';
import type { Account, Hold } from './types.ts';

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
  /**
   * Ledger transactions in flight at once (default 1). Measured on 2 cores with
   * PostgreSQL, 2 was slower (1,180/s against 1,615/s): the batches halve in size and
   * queue on the chain-head lock anyway. Kept for machines with more cores.
   */
  pipeline?: number;
}

const RETRYABLE_SQLSTATES = new Set(['40001', '40P01', '55P03', 'BULWARK_IDEMPOTENCY_RACE']);
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
  private inFlight = 0;
  private scheduled = false;
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
      this.schedule();
    });
  }

  /** Waits for queued commands to finish and refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.inFlight > 0 || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
  }

  /** Starts batches on the next turn of the event loop, so requests arriving together share one. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startBatches();
    });
  }

  private startBatches(): void {
    const pipeline = this.options.pipeline ?? 1;
    while (this.queue.length > 0 && this.inFlight < pipeline) {
      const batch = this.queue.splice(0, this.options.batchMax);
      ledgerQueueDepth.set(this.queue.length);
      this.inFlight++;
      this.runBatch(batch)
        .catch((err: unknown) => {
          // runBatch settles every command itself; reaching here is a bug, so nobody is left waiting.
          this.log.error({ err }, 'ledger batch failed unexpectedly');
          for (const p of batch) p.reject(err);
        })
        .finally(() => {
          this.inFlight--;
          if (this.queue.length > 0) this.schedule();
        });
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
    // Taking the chain head first orders every ledger transaction, across processes too.
    const head = await lockChainHead(tx);
    const keyed = pendings.flatMap((p) => (p.cmd.idempotency ? [p.cmd.idempotency] : []));
    // Holds and originals name further accounts; only commands on them need the longer path.
    const needsLookups = pendings.some(
      (p) => p.cmd.type === 'postHold' || p.cmd.type === 'voidHold' || p.cmd.type === 'reverse',
    );
    let stored: Set<string>;
    let holds = new Map<string, Hold>();
    let originals = new Map<string, ReversibleEntry>();
    let accounts: Map<string, Account>;
    if (!needsLookups) {
      const loaded = await loadAccountsAndKeys(tx, [...accountsOf(pendings, holds, originals)], keyed);
      stored = loaded.existing;
      accounts = loaded.accounts;
    } else {
      stored = await existingKeys(tx, keyed);
      const holdIds = new Set<string>();
      const entryIds = new Set<string>();
      for (const p of pendings) {
        if (p.cmd.type === 'postHold' || p.cmd.type === 'voidHold') holdIds.add(p.cmd.holdId);
        if (p.cmd.type === 'reverse') entryIds.add(p.cmd.entryId);
      }
      holds = await loadHolds(tx, [...holdIds]);
      originals = await loadOriginals(tx, [...entryIds]);
      accounts = await loadAccounts(tx, [...accountsOf(pendings, holds, originals)]);
    }
    const runnable: Pending[] = [];
    for (const p of pendings) {
      const idem = p.cmd.idempotency;
      if (idem && stored.has(keyId(idem))) results.set(p, { kind: 'claimed-elsewhere' });
      else runnable.push(p);
    }
    const state = new BatchState(
      accounts,
      holds,
      originals,
      head.seq,
      head.hash,
      (this.options.clock ?? systemClock).now(),
    );

    const keys: KeyResponse[] = [];
    for (const p of runnable) {
      const outcome = state.apply(p.cmd);
      if (outcome.ok && p.cmd.events) state.events.push(...p.cmd.events(outcome));
      const idem = p.cmd.idempotency;
      const response = idem ? idem.render(outcome) : undefined;
      if (idem && response)
        keys.push({ scope: idem.scope, key: idem.key, requestHash: idem.requestHash, response });
      results.set(p, { kind: 'applied', outcome, response });
    }
    await writeBatch(tx, state, state.events, keys);
    for (const p of runnable) {
      const r = results.get(p);
      if (r?.kind === 'applied' && r.outcome.ok && p.cmd.inTx) await p.cmd.inTx(tx, r.outcome);
    }
    return results;
  }
}

/** Every account the commands touch: their rules' accounts and the held accounts. */
function accountsOf(
  pendings: Pending[],
  holds: Map<string, Hold>,
  originals: Map<string, ReversibleEntry>,
): Set<string> {
  const ids = new Set<string>();
  for (const p of pendings) {
    const cmd = p.cmd;
    if (cmd.type === 'post' || cmd.type === 'hold') {
      for (const id of ruleAccounts(cmd.rule, cmd.params)) ids.add(id);
      if (cmd.type === 'hold') ids.add(cmd.holdAccountId);
    } else if (cmd.type === 'postHold' || cmd.type === 'voidHold') {
      const hold = holds.get(cmd.holdId);
      if (hold && isRuleName(hold.rule)) for (const id of ruleAccounts(hold.rule, hold.params)) ids.add(id);
      if (hold) ids.add(hold.accountId);
    } else if (cmd.type === 'reverse') {
      const original = originals.get(cmd.entryId);
      if (original && isRuleName(original.rule))
        for (const id of ruleAccounts(original.rule, original.params)) ids.add(id);
    }
  }
  return ids;
}
