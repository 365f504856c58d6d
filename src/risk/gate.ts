import type { Currency } from '../platform/money.ts';

export type RiskEventType =
  | 'topup'
  | 'withdrawal'
  | 'transfer'
  | 'payment'
  | 'refund'
  | 'hold_release'
  /** A manual balance adjustment approved through maker-checker. */
  | 'adjustment'
  /** Platform revenue earmarked for the risk compensation reserve. */
  | 'reserve_funding'
  /** A payment to a user from the risk reserve (compensation or a dispute's provisional credit). */
  | 'compensation'
  // Account events: decided before they take effect, they move no money.
  | 'login'
  | 'registration'
  | 'card_binding'
  | 'bank_account_binding'
  | 'phone_change'
  | 'password_change'
  | 'email_change'
  | 'device_change';

/** Where the end user acted from, as far as the client or an IP table tells. */
export interface RiskGeo {
  /** ISO 3166-1 alpha-2. */
  country?: string | undefined;
  region?: string | undefined;
  lat?: number | undefined;
  lon?: number | undefined;
}

export type RiskOutcome = 'ALLOW' | 'CHALLENGE' | 'REVIEW' | 'BLOCK' | 'BLOCK_AND_FREEZE';

/** A money movement (or an account event) as the risk gate sees it, before it takes effect. */
export interface RiskEvent {
  type: RiskEventType;
  /** The customer on whose behalf money moves (payer; the receiver for top-ups). */
  customerId: string;
  /** Account events carry no money: currency null, amount 0. */
  currency: Currency | null;
  amountMinor: bigint;
  counterpartyId?: string | undefined;
  channel?: string | undefined;
  ip?: string | undefined;
  deviceId?: string | undefined;
  geo?: RiskGeo | undefined;
  /** When the end user acted (the event time); windows and rules use it. */
  at: Date;
  /** A reported failure (failed login, failed card binding): counted, not asked about. */
  failed?: boolean | undefined;
}

/** A warning the client must show before the customer confirms a challenged operation. */
export interface RiskWarning {
  key: string;
  en: string;
  zhCN: string;
}

/** The stored record of a decision; every journal entry links to one. */
export interface RiskDecision {
  id: string;
  eventType: RiskEventType;
  subjectId: string;
  currency: Currency | null;
  amountMinor: bigint;
  outcome: RiskOutcome;
  reasonCodes: string[];
  /** What the customer is told (透明性原则), in plain words. */
  customerMessage: string | null;
  policy: string;
  input: Record<string, unknown>;
  latencyUs: number;
  /** When the decision was made. */
  createdAt: Date;
  /** When the end user acted; the decision time when not given. */
  eventAt?: Date | undefined;
  /** The sum of the acting rules' score contributions (and the model's share). */
  score?: number | undefined;
  /** A feature source, the model or the rules did not answer in time: the fail-safe policy applied. */
  degraded?: boolean | undefined;
  /** Features, rules, model, limits and the analyst's explanation (the risk engine's decisions). */
  detail?: Record<string, unknown> | undefined;
  /** Warnings a CHALLENGE carries; the client shows them before the customer confirms. */
  warnings?: RiskWarning[] | undefined;
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
