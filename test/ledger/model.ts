// A reference model of the ledger's balances, holds and entries, for the property tests to compare against.
import type { LedgerCommand, SuccessOutcome } from '../../src/ledger/commands.ts';
import { buildLegs, isRuleName, type RuleName, reversalLegs, ruleAccounts } from '../../src/ledger/rules.ts';
import { type EntryKind, type Leg, normalDelta } from '../../src/ledger/types.ts';
import type { ErrorCode } from '../../src/platform/errors.ts';
import type { AccountRow } from './support.ts';

interface ModelHold {
  accountId: string;
  amountMinor: bigint;
  status: 'pending' | 'posted' | 'voided' | 'expired';
  rule: string;
  params: Record<string, string>;
  currency: string;
  kind: EntryKind;
  expiresAt: Date;
}

interface ModelEntry {
  rule: string;
  params: Record<string, string>;
  currency: string;
  amountMinor: bigint;
  reversedMinor: bigint;
  reversesId: string | null;
}

export type Expectation =
  | { ok: false; code: ErrorCode }
  | {
      ok: true;
      /** The legs of the entry it posts, in posting order; null when it posts none (hold, void). */
      legs: Leg[] | null;
      /** Records the ids the ledger gave the new entry or hold. */
      commit: (outcome: SuccessOutcome) => void;
    };

class Refusal extends Error {
  constructor(readonly code: ErrorCode) {
    super(code);
  }
}

/**
 * What the ledger should do with each command, from first principles: every leg checked
 * against the account (exists, currency, status, available balance) before any changes.
 */
export class LedgerModel {
  readonly holds = new Map<string, ModelHold>();
  readonly entries = new Map<string, ModelEntry>();

  constructor(
    readonly accounts: Map<string, AccountRow>,
    public seq: bigint,
  ) {}

  setStatus(accountId: string, status: AccountRow['status']): void {
    const a = this.accounts.get(accountId);
    if (!a) throw new Error(`model has no account ${accountId}`);
    a.status = status;
  }

  /** Registers an entry posted outside the model's view (e.g. a setup top-up). */
  addEntry(id: string, entry: Omit<ModelEntry, 'reversedMinor'>): void {
    this.entries.set(id, { ...entry, reversedMinor: 0n });
  }

  apply(cmd: LedgerCommand, now: Date): Expectation {
    try {
      switch (cmd.type) {
        case 'post': {
          const legs = this.legsOf(cmd.rule, cmd.params, cmd.amountMinor, cmd.currency);
          this.applyLegs(legs, cmd.currency, new Map(), true);
          const entry = {
            rule: cmd.rule,
            params: cmd.params,
            currency: cmd.currency,
            amountMinor: cmd.amountMinor,
          };
          return this.posted(legs, (id) => this.addEntry(id, { ...entry, reversesId: null }));
        }
        case 'hold': {
          this.legsOf(cmd.rule, cmd.params, cmd.amountMinor, cmd.currency);
          const account = this.usable(cmd.holdAccountId, cmd.currency, true);
          if (!account.isCreditLine && account.postedMinor - account.heldMinor < cmd.amountMinor) {
            throw new Refusal('LEDGER_INSUFFICIENT_FUNDS');
          }
          account.heldMinor += cmd.amountMinor;
          return {
            ok: true,
            legs: null,
            commit: (o) => {
              if (!o.hold) throw new Error('a hold command must return its hold');
              this.holds.set(o.hold.id, {
                accountId: cmd.holdAccountId,
                amountMinor: cmd.amountMinor,
                status: 'pending',
                rule: cmd.rule,
                params: cmd.params,
                currency: cmd.currency,
                kind: cmd.kind,
                expiresAt: cmd.expiresAt,
              });
            },
          };
        }
        case 'postHold': {
          const hold = this.pendingHold(cmd.holdId);
          if (hold.expiresAt.getTime() <= now.getTime()) throw new Refusal('LEDGER_HOLD_NOT_PENDING');
          const amount = cmd.amountMinor ?? hold.amountMinor;
          if (amount <= 0n || amount > hold.amountMinor) throw new Refusal('LEDGER_HOLD_EXCEEDS_AMOUNT');
          if (!isRuleName(hold.rule)) throw new Error(`hold with unknown rule ${hold.rule}`);
          const legs = buildLegs(hold.rule, hold.params, amount);
          this.applyLegs(legs, hold.currency, new Map([[hold.accountId, hold.amountMinor]]), true);
          hold.status = 'posted';
          const entry = {
            rule: hold.rule,
            params: hold.params,
            currency: hold.currency,
            amountMinor: amount,
          };
          return this.posted(legs, (id) => this.addEntry(id, { ...entry, reversesId: null }));
        }
        case 'voidHold': {
          const hold = this.pendingHold(cmd.holdId);
          const account = this.accounts.get(hold.accountId);
          if (!account) throw new Error('held account missing from the model');
          account.heldMinor -= hold.amountMinor;
          hold.status = cmd.expire ? 'expired' : 'voided';
          return { ok: true, legs: null, commit: () => undefined };
        }
        case 'reverse': {
          const original = this.entries.get(cmd.entryId);
          if (!original) throw new Refusal('LEDGER_ENTRY_NOT_FOUND');
          if (original.reversesId !== null || !isRuleName(original.rule)) {
            throw new Refusal('LEDGER_ENTRY_NOT_REVERSIBLE');
          }
          if (cmd.expectRule && original.rule !== cmd.expectRule)
            throw new Refusal('LEDGER_ENTRY_NOT_REVERSIBLE');
          const remaining = original.amountMinor - original.reversedMinor;
          const amount = cmd.amountMinor ?? remaining;
          if (amount <= 0n || amount > remaining) throw new Refusal('LEDGER_REVERSAL_EXCEEDS_ORIGINAL');
          const from = original.reversedMinor;
          const legs = reversalLegs(original.rule, original.params, from, from + amount);
          this.applyLegs(legs, original.currency, new Map(), cmd.kind === 'refund');
          original.reversedMinor += amount;
          const entry = {
            rule: 'reversal',
            params: {},
            currency: original.currency,
            amountMinor: amount,
            reversesId: cmd.entryId,
          };
          return this.posted(legs, (id) => this.addEntry(id, entry));
        }
        case 'record':
          return { ok: true, legs: null, commit: () => undefined };
        default: {
          const unreachable: never = cmd;
          throw new Error(`unknown command ${JSON.stringify(unreachable)}`);
        }
      }
    } catch (err) {
      if (err instanceof Refusal) return { ok: false, code: err.code };
      throw err;
    }
  }

  private posted(legs: Leg[], register: (id: string) => void): Expectation {
    this.seq += 1n;
    return {
      ok: true,
      legs,
      commit: (o) => {
        if (!o.entry) throw new Error('a posting command must return its entry');
        register(o.entry.id);
      },
    };
  }

  private pendingHold(holdId: string): ModelHold {
    const hold = this.holds.get(holdId);
    if (!hold) throw new Refusal('LEDGER_HOLD_NOT_FOUND');
    if (hold.status !== 'pending') throw new Refusal('LEDGER_HOLD_NOT_PENDING');
    return hold;
  }

  /** Every account the rule names must be usable before any balance is looked at. */
  private legsOf(
    rule: RuleName,
    params: Record<string, string>,
    amountMinor: bigint,
    currency: string,
  ): Leg[] {
    for (const id of ruleAccounts(rule, params)) this.usable(id, currency, true);
    const legs = buildLegs(rule, params, amountMinor);
    if (legs.length < 2) throw new Refusal('LEDGER_SAME_ACCOUNT');
    return legs;
  }

  private usable(id: string, currency: string, checkStatus: boolean): AccountRow {
    const account = this.accounts.get(id);
    if (!account) throw new Refusal('LEDGER_ACCOUNT_NOT_FOUND');
    if (account.currency !== currency) throw new Refusal('CURRENCY_MISMATCH');
    if (checkStatus && account.status === 'frozen') throw new Refusal('LEDGER_ACCOUNT_FROZEN');
    if (checkStatus && account.status === 'closed') throw new Refusal('LEDGER_ACCOUNT_CLOSED');
    return account;
  }

  /** All legs are checked first; nothing changes unless every one passes. */
  private applyLegs(legs: Leg[], currency: string, release: Map<string, bigint>, checkStatus: boolean): void {
    const next: Array<{ account: AccountRow; posted: bigint; held: bigint }> = [];
    for (const l of legs) {
      const account = this.usable(l.accountId, currency, checkStatus);
      const posted = account.postedMinor + normalDelta(account.normalSide, l.amountMinor);
      const held = account.heldMinor - (release.get(account.id) ?? 0n);
      if (!account.isCreditLine && posted - held < 0n) throw new Refusal('LEDGER_INSUFFICIENT_FUNDS');
      next.push({ account, posted, held });
    }
    for (const n of next) {
      n.account.postedMinor = n.posted;
      n.account.heldMinor = n.held;
    }
  }

  holdStatus(id: string): ModelHold['status'] | undefined {
    return this.holds.get(id)?.status;
  }

  /** Balances as comparable lines, one per account. */
  lines(): string[] {
    return accountLines(this.accounts);
  }
}

export function accountLines(accounts: Map<string, AccountRow>): string[] {
  return [...accounts.values()]
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((a) => `${a.id} posted=${a.postedMinor} held=${a.heldMinor} ${a.status}`);
}
