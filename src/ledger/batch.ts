import { AppError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import type { Currency } from '../platform/money.ts';
import type { OutboxEvent } from '../platform/outbox.ts';
import type { RiskDecision } from '../risk/gate.ts';
import { canonicalEntry, chainHash } from './canonical.ts';
import type {
  CommandOutcome,
  DecisionRef,
  HoldCommand,
  LedgerCommand,
  PostCommand,
  PostHoldCommand,
  ReverseCommand,
  VoidHoldCommand,
} from './commands.ts';
import { buildLegs, isRuleName, type RuleName, reversalLegs, ruleAccounts } from './rules.ts';
import {
  type Account,
  type Entry,
  type Hold,
  type HoldStatus,
  type Leg,
  normalDelta,
  type Posting,
} from './types.ts';

/** An original entry loaded for a refund or reversal, with what has been undone so far. */
export interface ReversibleEntry {
  id: string;
  rule: string;
  params: Record<string, string>;
  currency: Currency;
  amountMinor: bigint;
  reversedMinor: bigint;
  reversesId: string | null;
}

export interface HoldEventRow {
  holdId: string;
  fromStatus: HoldStatus | null;
  toStatus: HoldStatus;
  amountMinor: bigint;
  reason: string | null;
}

/**
 * The in-memory side of one ledger transaction: commands are applied one after the
 * other against the locked balances, each all-or-nothing, and the rows to write are
 * collected. A refused command leaves the state exactly as it was. No I/O happens here.
 */
export class BatchState {
  readonly entries: Entry[] = [];
  readonly decisions: RiskDecision[] = [];
  readonly newHolds: Hold[] = [];
  readonly changedHolds = new Set<Hold>();
  readonly holdEvents: HoldEventRow[] = [];
  readonly events: OutboxEvent[] = [];
  readonly touchedAccounts = new Set<string>();

  constructor(
    readonly accounts: Map<string, Account>,
    readonly holds: Map<string, Hold>,
    readonly originals: Map<string, ReversibleEntry>,
    private seq: bigint,
    private hash: string,
    readonly now: Date,
  ) {}

  get headSeq(): bigint {
    return this.seq;
  }

  get headHash(): string {
    return this.hash;
  }

  apply(cmd: LedgerCommand): CommandOutcome {
    try {
      switch (cmd.type) {
        case 'post':
          return this.post(cmd);
        case 'hold':
          return this.hold(cmd);
        case 'postHold':
          return this.postHold(cmd);
        case 'voidHold':
          return this.voidHold(cmd);
        case 'reverse':
          return this.reverse(cmd);
        case 'record':
          this.decisions.push(cmd.decision);
          return { ok: true, decisionId: cmd.decision.id };
        default: {
          const unreachable: never = cmd;
          throw new Error(`unknown command ${JSON.stringify(unreachable)}`);
        }
      }
    } catch (err) {
      if (err instanceof AppError) return { ok: false, error: err };
      throw err;
    }
  }

  private decisionId(ref: DecisionRef, allowed: ReadonlyArray<string>): string {
    if ('id' in ref) return ref.id;
    if (!allowed.includes(ref.record.outcome)) {
      // Invariant 7: money moves only on a decision that allows it.
      throw new Error(`decision ${ref.record.id} is ${ref.record.outcome}; cannot move money`);
    }
    return ref.record.id;
  }

  private keepDecision(ref: DecisionRef): void {
    if ('record' in ref) this.decisions.push(ref.record);
  }

  private post(cmd: PostCommand): CommandOutcome {
    const decisionId = this.decisionId(cmd.decision, ['ALLOW']);
    const legs = this.legsOf(cmd.rule, cmd.params, cmd.amountMinor, cmd.currency);
    const postings = this.applyLegs(legs, cmd.currency, new Map(), true);
    const entry = this.appendEntry({
      kind: cmd.kind,
      decisionId,
      reversesId: null,
      holdId: null,
      rule: cmd.rule,
      amountMinor: cmd.amountMinor,
      currency: cmd.currency,
      params: cmd.params,
      metadata: cmd.metadata,
      postings,
    });
    this.keepDecision(cmd.decision);
    return { ok: true, entry, decisionId };
  }

  private hold(cmd: HoldCommand): CommandOutcome {
    const decisionId = this.decisionId(cmd.decision, ['ALLOW', 'REVIEW']);
    const legs = this.legsOf(cmd.rule, cmd.params, cmd.amountMinor, cmd.currency);
    const held = legs.find((l) => l.accountId === cmd.holdAccountId);
    const account = this.usableAccount(cmd.holdAccountId, cmd.currency, true);
    if (!held || normalDelta(account.normalSide, held.amountMinor) >= 0n) {
      throw new Error('the held account must be the one the entry takes money from');
    }
    if (!account.isCreditLine && account.postedMinor - account.heldMinor < cmd.amountMinor) {
      throw new AppError('LEDGER_INSUFFICIENT_FUNDS', undefined, { accountId: account.id });
    }
    account.heldMinor += cmd.amountMinor;
    this.touchedAccounts.add(account.id);
    const hold: Hold = {
      id: newId('hold'),
      accountId: account.id,
      currency: cmd.currency,
      amountMinor: cmd.amountMinor,
      postedMinor: 0n,
      status: 'pending',
      kind: cmd.kind,
      rule: cmd.rule,
      params: cmd.params,
      metadata: cmd.metadata,
      decisionId,
      entryId: null,
      expiresAt: cmd.expiresAt,
      createdAt: this.now,
      updatedAt: this.now,
    };
    this.holds.set(hold.id, hold);
    this.newHolds.push(hold);
    this.holdEvents.push({
      holdId: hold.id,
      fromStatus: null,
      toStatus: 'pending',
      amountMinor: hold.amountMinor,
      reason: null,
    });
    this.events.push(holdEvent(hold, 'ledger.hold.created'));
    this.keepDecision(cmd.decision);
    return { ok: true, hold, decisionId };
  }

  private pendingHold(holdId: string): Hold {
    const hold = this.holds.get(holdId);
    if (!hold) throw new AppError('LEDGER_HOLD_NOT_FOUND', `Hold ${holdId} does not exist.`);
    if (hold.status !== 'pending') {
      throw new AppError('LEDGER_HOLD_NOT_PENDING', `Hold ${holdId} is ${hold.status}.`, {
        holdStatus: hold.status,
      });
    }
    return hold;
  }

  private postHold(cmd: PostHoldCommand): CommandOutcome {
    const hold = this.pendingHold(cmd.holdId);
    if (hold.expiresAt.getTime() <= this.now.getTime()) {
      throw new AppError('LEDGER_HOLD_NOT_PENDING', `Hold ${hold.id} has expired.`, {
        holdStatus: 'expired',
      });
    }
    const amount = cmd.amountMinor ?? hold.amountMinor;
    if (amount <= 0n || amount > hold.amountMinor) {
      throw new AppError('LEDGER_HOLD_EXCEEDS_AMOUNT', `Hold ${hold.id} reserves ${hold.amountMinor}.`);
    }
    if (!isRuleName(hold.rule)) throw new Error(`hold ${hold.id} has unknown rule ${hold.rule}`);
    const legs = buildLegs(hold.rule, hold.params, amount);
    const release = new Map([[hold.accountId, hold.amountMinor]]);
    const postings = this.applyLegs(legs, hold.currency, release, true);
    const entry = this.appendEntry({
      kind: hold.kind,
      decisionId: hold.decisionId,
      reversesId: null,
      holdId: hold.id,
      rule: hold.rule,
      amountMinor: amount,
      currency: hold.currency,
      params: hold.params,
      metadata: { ...hold.metadata, ...cmd.metadata, holdPostReason: cmd.reason },
      postings,
    });
    this.transition(hold, 'posted', amount, cmd.reason);
    hold.postedMinor = amount;
    hold.entryId = entry.id;
    return { ok: true, entry, hold, decisionId: hold.decisionId };
  }

  private voidHold(cmd: VoidHoldCommand): CommandOutcome {
    const hold = this.pendingHold(cmd.holdId);
    const account = this.accounts.get(hold.accountId);
    if (!account) throw new Error(`held account ${hold.accountId} was not loaded`);
    account.heldMinor -= hold.amountMinor;
    this.touchedAccounts.add(account.id);
    this.transition(hold, cmd.expire ? 'expired' : 'voided', hold.amountMinor, cmd.reason);
    return { ok: true, hold, decisionId: hold.decisionId };
  }

  private reverse(cmd: ReverseCommand): CommandOutcome {
    const original = this.originals.get(cmd.entryId);
    if (!original) throw new AppError('LEDGER_ENTRY_NOT_FOUND', `Entry ${cmd.entryId} does not exist.`);
    if (original.reversesId !== null || !isRuleName(original.rule)) {
      throw new AppError('LEDGER_ENTRY_NOT_REVERSIBLE', `Entry ${cmd.entryId} is itself a reversal.`);
    }
    if (cmd.expectRule && original.rule !== cmd.expectRule) {
      throw new AppError('LEDGER_ENTRY_NOT_REVERSIBLE', `Entry ${cmd.entryId} is not a ${cmd.expectRule}.`);
    }
    const remaining = original.amountMinor - original.reversedMinor;
    const amount = cmd.amountMinor ?? remaining;
    if (amount <= 0n || amount > remaining) {
      throw new AppError(
        'LEDGER_REVERSAL_EXCEEDS_ORIGINAL',
        `At most ${remaining} remains of ${original.id}.`,
        {
          remainingMinor: remaining.toString(),
        },
      );
    }
    const decisionId = this.decisionId(cmd.decision, ['ALLOW']);
    const from = original.reversedMinor;
    const legs = reversalLegs(original.rule, original.params, from, from + amount);
    // Corrections must stay possible on frozen accounts; refunds follow the normal rules.
    const postings = this.applyLegs(legs, original.currency, new Map(), cmd.kind === 'refund');
    const entry = this.appendEntry({
      kind: cmd.kind,
      decisionId,
      reversesId: original.id,
      holdId: null,
      rule: 'reversal',
      amountMinor: amount,
      currency: original.currency,
      params: { of: original.id, fromMinor: from.toString(), toMinor: (from + amount).toString() },
      metadata: cmd.metadata,
      postings,
    });
    original.reversedMinor += amount;
    this.keepDecision(cmd.decision);
    return { ok: true, entry, decisionId };
  }

  private transition(hold: Hold, to: HoldStatus, amountMinor: bigint, reason: string): void {
    this.holdEvents.push({ holdId: hold.id, fromStatus: hold.status, toStatus: to, amountMinor, reason });
    hold.status = to;
    hold.updatedAt = this.now;
    this.changedHolds.add(hold);
    this.events.push(holdEvent(hold, `ledger.hold.${to}`));
  }

  /**
   * The legs of a new movement, after checking every account the rule names (a leg that
   * rounds to zero, such as a 100 % fee's merchant share, must still name a usable account).
   */
  private legsOf(
    rule: RuleName,
    params: Record<string, string>,
    amountMinor: bigint,
    currency: Currency,
  ): Leg[] {
    for (const id of ruleAccounts(rule, params)) this.usableAccount(id, currency, true);
    const legs = buildLegs(rule, params, amountMinor);
    if (legs.length < 2)
      throw new AppError('LEDGER_SAME_ACCOUNT', 'A movement needs two different accounts.');
    return legs;
  }

  private usableAccount(id: string, currency: Currency, checkStatus: boolean): Account {
    const account = this.accounts.get(id);
    if (!account)
      throw new AppError('LEDGER_ACCOUNT_NOT_FOUND', `Account ${id} does not exist.`, { accountId: id });
    if (account.currency !== currency) {
      throw new AppError('CURRENCY_MISMATCH', `Account ${id} holds ${account.currency}, not ${currency}.`, {
        accountId: id,
      });
    }
    if (checkStatus && account.status === 'frozen') {
      throw new AppError('LEDGER_ACCOUNT_FROZEN', `Account ${id} is frozen.`, { accountId: id });
    }
    if (checkStatus && account.status === 'closed') {
      throw new AppError('LEDGER_ACCOUNT_CLOSED', `Account ${id} is closed.`, { accountId: id });
    }
    return account;
  }

  /**
   * Checks every leg against the locked balances first and changes nothing unless all
   * pass; `releaseHeld` frees reserved funds of a hold being posted in the same step.
   */
  private applyLegs(
    legs: Leg[],
    currency: Currency,
    releaseHeld: Map<string, bigint>,
    checkStatus: boolean,
  ): Posting[] {
    const next: Array<{ account: Account; posted: bigint; held: bigint; leg: Leg }> = [];
    for (const l of legs) {
      const account = this.usableAccount(l.accountId, currency, checkStatus);
      const posted = account.postedMinor + normalDelta(account.normalSide, l.amountMinor);
      const held = account.heldMinor - (releaseHeld.get(account.id) ?? 0n);
      if (held < 0n) throw new Error(`held balance of ${account.id} would go negative`);
      if (!account.isCreditLine && posted - held < 0n) {
        throw new AppError(
          'LEDGER_INSUFFICIENT_FUNDS',
          `Account ${account.id} has insufficient available funds.`,
          {
            accountId: account.id,
          },
        );
      }
      next.push({ account, posted, held, leg: l });
    }
    return next.map(({ account, posted, held, leg }, idx) => {
      account.postedMinor = posted;
      account.heldMinor = held;
      this.touchedAccounts.add(account.id);
      return { idx, accountId: account.id, amountMinor: leg.amountMinor, balanceAfterMinor: posted };
    });
  }

  private appendEntry(fields: Omit<Entry, 'seq' | 'id' | 'occurredAt' | 'prevHash' | 'hash'>): Entry {
    let sum = 0n;
    for (const p of fields.postings) sum += p.amountMinor;
    if (sum !== 0n || fields.postings.length < 2) throw new Error(`entry does not balance: ${sum}`);
    this.seq += 1n;
    const draft = { ...fields, seq: this.seq, id: newId('txn'), occurredAt: this.now };
    const hash = chainHash(this.hash, canonicalEntry(draft));
    const entry: Entry = { ...draft, prevHash: this.hash, hash };
    this.hash = hash;
    this.entries.push(entry);
    this.events.push({
      topic: 'ledger.entry.posted',
      aggregateId: entry.id,
      payload: {
        entryId: entry.id,
        seq: entry.seq.toString(),
        kind: entry.kind,
        amountMinor: entry.amountMinor.toString(),
        currency: entry.currency,
        decisionId: entry.decisionId,
        accounts: entry.postings.map((p) => p.accountId),
      },
    });
    return entry;
  }
}

function holdEvent(hold: Hold, topic: string): OutboxEvent {
  return {
    topic,
    aggregateId: hold.id,
    payload: {
      holdId: hold.id,
      accountId: hold.accountId,
      status: hold.status,
      amountMinor: hold.amountMinor.toString(),
      currency: hold.currency,
      decisionId: hold.decisionId,
    },
  };
}
