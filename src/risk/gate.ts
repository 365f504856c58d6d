import type { Currency } from '../platform/money.ts';

export type RiskEventType =
  | 'topup'
  | 'withdrawal'
  | 'transfer'
  | 'payment'
  | 'refund'
  | 'hold_release'
  /** A manual balance adjustment approved through maker-checker. */
  | 'adjustment';

export type RiskOutcome = 'ALLOW' | 'CHALLENGE' | 'REVIEW' | 'BLOCK' | 'BLOCK_AND_FREEZE';

/** A money movement as the risk gate sees it, before it takes effect. */
export interface RiskEvent {
  type: RiskEventType;
  /** The customer on whose behalf money moves (payer; the receiver for top-ups). */
  customerId: string;
  currency: Currency;
  amountMinor: bigint;
  counterpartyId?: string;
  channel?: string;
  ip?: string;
  deviceId?: string;
  at: Date;
}

/** The stored record of a decision; every journal entry links to one. */
export interface RiskDecision {
  id: string;
  eventType: RiskEventType;
  subjectId: string;
  currency: Currency;
  amountMinor: bigint;
  outcome: RiskOutcome;
  reasonCodes: string[];
  /** What the customer is told (透明性原则), in plain words. */
  customerMessage: string | null;
  policy: string;
  input: Record<string, unknown>;
  latencyUs: number;
  createdAt: Date;
}

/**
 * Every money movement passes through the gate before it is posted. The decision is
 * stored in the same transaction as the movement it allowed (or the refusal).
 */
export interface RiskGate {
  decide(event: RiskEvent): Promise<RiskDecision>;
  /** Tells the gate that an allowed movement was committed (or held), for its usage counters. */
  recordCommitted(decision: RiskDecision): void;
}
