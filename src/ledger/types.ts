import type { Currency } from '../platform/money.ts';

export const ACCOUNT_KINDS = [
  'customer_wallet',
  'merchant',
  'fee_revenue',
  'customer_custody',
  'settlement_clearing',
  'channel_clearing',
  'suspense',
  'risk_reserve',
] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

export type NormalSide = 'debit' | 'credit';

/**
 * The side on which each kind of account grows. Customer wallets and merchant balances
 * are what the platform owes (credit); custody and clearing are what it holds (debit).
 */
export const NORMAL_SIDE: Record<AccountKind, NormalSide> = {
  customer_wallet: 'credit',
  merchant: 'credit',
  fee_revenue: 'credit',
  customer_custody: 'debit',
  settlement_clearing: 'debit',
  channel_clearing: 'debit',
  suspense: 'debit',
  risk_reserve: 'credit',
};

export type AccountStatus = 'active' | 'frozen' | 'closed';

export const ENTRY_KINDS = [
  'topup',
  'withdrawal',
  'transfer',
  'payment',
  'refund',
  'fee',
  'reversal',
  'adjustment',
  'reserve_funding',
  'compensation',
  'provisional_credit',
] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export interface Account {
  id: string;
  kind: AccountKind;
  currency: Currency;
  normalSide: NormalSide;
  isCreditLine: boolean;
  ownerId: string;
  status: AccountStatus;
  /** Balance on the account's normal side, in minor units. */
  postedMinor: bigint;
  heldMinor: bigint;
}

/** One leg of an entry: positive = debit, negative = credit; the legs of an entry sum to zero. */
export interface Leg {
  accountId: string;
  amountMinor: bigint;
}

export interface Posting extends Leg {
  idx: number;
  /** The account's posted balance (normal side) right after this posting. */
  balanceAfterMinor: bigint;
}

export interface Entry {
  seq: bigint;
  id: string;
  kind: EntryKind;
  occurredAt: Date;
  decisionId: string;
  reversesId: string | null;
  holdId: string | null;
  rule: string;
  amountMinor: bigint;
  currency: Currency;
  params: Record<string, string>;
  metadata: Record<string, string>;
  postings: Posting[];
  prevHash: string;
  hash: string;
}

export type HoldStatus = 'pending' | 'posted' | 'voided' | 'expired';

export interface Hold {
  id: string;
  accountId: string;
  currency: Currency;
  amountMinor: bigint;
  postedMinor: bigint;
  status: HoldStatus;
  kind: EntryKind;
  rule: string;
  params: Record<string, string>;
  metadata: Record<string, string>;
  decisionId: string;
  entryId: string | null;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** Balance delta on the account's normal side for a leg. */
export function normalDelta(side: NormalSide, legAmountMinor: bigint): bigint {
  return side === 'debit' ? legAmountMinor : -legAmountMinor;
}
