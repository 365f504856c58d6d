import { applyBps } from '../platform/money.ts';
import type { Leg } from './types.ts';

/**
 * Posting rules: pure functions from an amount and the entry's parameters to its legs.
 * Every rule is balanced for any amount, so the difference between two amounts is
 * balanced too; partial refunds and reversals are built that way and add up exactly
 * to the original when everything has been returned.
 */
export const RULES = {
  /** Money arrives from a channel into the segregated custody account and the wallet. */
  topup: (amount: bigint, p: Params) => [leg(p, 'custody', amount), leg(p, 'wallet', -amount)],
  /** Money leaves the wallet and custody towards the customer's bank account. */
  withdrawal: (amount: bigint, p: Params) => [leg(p, 'wallet', amount), leg(p, 'custody', -amount)],
  /** Wallet to wallet; custody is unchanged because both sides are customer funds. */
  transfer: (amount: bigint, p: Params) => [leg(p, 'from', amount), leg(p, 'to', -amount)],
  /**
   * Customer pays a merchant: the money leaves customer custody for the settlement
   * pool, the merchant is owed the amount less the fee, the platform earns the fee.
   * fee = amount × feeBps / 10 000, rounded half up.
   */
  payment: (amount: bigint, p: Params) => {
    const fee = applyBps(amount, bpsParam(p));
    return [
      leg(p, 'wallet', amount),
      leg(p, 'custody', -amount),
      leg(p, 'settlement', amount),
      leg(p, 'merchant', -(amount - fee)),
      leg(p, 'fee', -fee),
    ];
  },
  /**
   * An approved manual correction that adds to a wallet (maker-checker, `ledger.adjust`).
   * Custody moves with the wallet, so segregated funds still equal what customers hold:
   * finance funds the custody bank account by the same amount.
   */
  adjustment_credit: (amount: bigint, p: Params) => [leg(p, 'custody', amount), leg(p, 'wallet', -amount)],
  /** An approved manual correction that takes from a wallet; custody shrinks with it. */
  adjustment_debit: (amount: bigint, p: Params) => [leg(p, 'wallet', amount), leg(p, 'custody', -amount)],
  /**
   * Earmarks platform fee revenue for the risk compensation reserve (风险补偿). Both are the
   * platform's own money; the cash stays where the fees are (the settlement pool).
   */
  reserve_funding: (amount: bigint, p: Params) => [leg(p, 'fee', amount), leg(p, 'reserve', -amount)],
  /**
   * Pays a user from the reserve (compensation, or a dispute's provisional credit): the
   * reserve shrinks, the wallet grows, and the same cash moves from the platform's
   * settlement pool into segregated custody, so custody still equals what customers hold.
   */
  compensation: (amount: bigint, p: Params) => [
    leg(p, 'reserve', amount),
    leg(p, 'wallet', -amount),
    leg(p, 'custody', amount),
    leg(p, 'settlement', -amount),
  ],
} as const satisfies Record<string, (amount: bigint, params: Params) => Leg[]>;

export type RuleName = keyof typeof RULES;
type Params = Record<string, string>;

export function isRuleName(name: string): name is RuleName {
  return Object.hasOwn(RULES, name);
}

function leg(params: Params, role: string, amountMinor: bigint): Leg {
  const accountId = params[role];
  if (accountId === undefined) throw new Error(`posting rule parameter "${role}" is missing`);
  return { accountId, amountMinor };
}

function bpsParam(params: Params): number {
  const bps = Number(params.feeBps ?? '0');
  if (!Number.isInteger(bps) || bps < 0 || bps > 10_000)
    throw new Error(`feeBps out of range: ${params.feeBps}`);
  return bps;
}

/** The account ids a rule touches, in the order of its legs. */
export function ruleAccounts(rule: RuleName, params: Params): string[] {
  return RULES[rule](1n, params).map((l) => l.accountId);
}

/** Legs for an amount, merged per account, without zero legs; asserts the balance. */
export function buildLegs(rule: RuleName, params: Params, amountMinor: bigint): Leg[] {
  return mergeLegs(RULES[rule](amountMinor, params));
}

/**
 * Legs that undo the slice (fromMinor, toMinor] of an entry: the negation of
 * build(to) − build(from). Summed over all slices they undo the entry exactly.
 */
export function reversalLegs(rule: RuleName, params: Params, fromMinor: bigint, toMinor: bigint): Leg[] {
  const upper = RULES[rule](toMinor, params);
  const lower = fromMinor === 0n ? [] : RULES[rule](fromMinor, params);
  const legs: Leg[] = [];
  for (const l of upper) legs.push({ accountId: l.accountId, amountMinor: -l.amountMinor });
  for (const l of lower) legs.push({ accountId: l.accountId, amountMinor: l.amountMinor });
  return mergeLegs(legs);
}

export function mergeLegs(legs: Leg[]): Leg[] {
  const byAccount = new Map<string, bigint>();
  let total = 0n;
  for (const l of legs) {
    byAccount.set(l.accountId, (byAccount.get(l.accountId) ?? 0n) + l.amountMinor);
    total += l.amountMinor;
  }
  if (total !== 0n) throw new Error(`unbalanced legs: sum ${total}`);
  const merged: Leg[] = [];
  for (const [accountId, amountMinor] of byAccount) {
    if (amountMinor !== 0n) merged.push({ accountId, amountMinor });
  }
  return merged;
}
