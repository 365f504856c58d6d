import type { KycTier } from '../../identity/tiers.ts';

/**
 * The vocabulary of the traffic simulator: what an event of the simulated stream looks
 * like, its ground truth, and the options that decide the stream. Amounts are bigint fen
 * (CNY minor units); times are epoch milliseconds, and ISO strings where they go on the wire.
 */

export const SCENARIOS = [
  'account_takeover',
  'phishing_victim',
  'mule_ring',
  'card_testing',
  'brushing_merchant',
  'structuring',
  'round_tripping',
] as const;

export type Scenario = (typeof SCENARIOS)[number];

export type TruthLabel = 'legit' | 'fraud' | 'laundering';

/** Which label the events of each scenario carry. */
export const SCENARIO_LABELS: Record<Scenario, Exclude<TruthLabel, 'legit'>> = {
  account_takeover: 'fraud',
  phishing_victim: 'fraud',
  mule_ring: 'laundering',
  card_testing: 'fraud',
  brushing_merchant: 'fraud',
  structuring: 'laundering',
  round_tripping: 'laundering',
};

/** Ground truth of one event: legit, or part of one incident of a scenario. */
export type Truth =
  | { label: 'legit'; scenario: null; incident: null }
  | { label: 'fraud' | 'laundering'; scenario: Scenario; incident: string };

export const LEGIT: Truth = { label: 'legit', scenario: null, incident: null };

export function truthOf(scenario: Scenario, incident: string): Truth {
  return { label: SCENARIO_LABELS[scenario], scenario, incident };
}

export interface Geo {
  country: string;
  region: string;
  lat: number;
  lon: number;
}

/** Where and how the end user acted, as the API's optional `context` carries it. */
export interface SimContext {
  deviceId: string;
  ip: string;
  geo: Geo;
  channel: 'app' | 'web' | 'api';
  occurredAt: string;
}

export type AccountEventType =
  | 'login'
  | 'registration'
  | 'card_binding'
  | 'bank_account_binding'
  | 'phone_change'
  | 'password_change'
  | 'email_change'
  | 'device_change';

interface EventBase {
  /** Stable within one generation; the idempotency keys are derived from it. */
  simId: string;
  /** Event time, epoch ms. */
  at: number;
  truth: Truth;
}

export interface OpenCustomerEvent extends EventBase {
  type: 'open_customer';
  customer: string;
  displayName: string;
  /** When the account was opened in the integrator's system (ISO), usually before the stream starts. */
  openedAt: string;
  /** The KYC tier the driver verifies the customer to. */
  kycTier: KycTier;
  identity: { name: string; documentNumber: string };
}

export interface OpenMerchantEvent extends EventBase {
  type: 'open_merchant';
  merchant: string;
  name: string;
  feeBps: number;
  openedAt: string;
}

interface MoneyBase extends EventBase {
  /** The acting customer: payer, sender, or the wallet topped up or withdrawn from. */
  customer: string;
  amountMinor: bigint;
  currency: 'CNY';
  context: SimContext;
}

export interface TopupEvent extends MoneyBase {
  type: 'topup';
}

export interface WithdrawalEvent extends MoneyBase {
  type: 'withdrawal';
  bankAccount: { accountNumber: string; holderName: string };
}

export interface TransferEvent extends MoneyBase {
  type: 'transfer';
  to: string;
  memo: string | null;
}

export interface PaymentEvent extends MoneyBase {
  type: 'payment';
  merchant: string;
  orderRef: string;
  /** A refund of this payment follows later in the stream (the driver keeps its entry id). */
  refundable: boolean;
}

/** A merchant refunding (part of) an earlier payment; `customer` is the payer. */
export interface RefundEvent extends MoneyBase {
  type: 'refund';
  merchant: string;
  /** The sim id of the refunded payment. */
  payment: string;
  reason: string;
}

/** A security-relevant account event reported to POST /v1/risk/events. */
export interface AccountEvent extends EventBase {
  type: 'account';
  customer: string;
  event: AccountEventType;
  result: 'attempt' | 'failed';
  context: SimContext;
}

export type MoneyEvent = TopupEvent | WithdrawalEvent | TransferEvent | PaymentEvent | RefundEvent;
export type SimEvent = OpenCustomerEvent | OpenMerchantEvent | MoneyEvent | AccountEvent;

export interface TrafficOptions {
  seed: number;
  /** Ordinary customers; scenario accounts (mules, fraudsters, shills…) come on top. */
  customers: number;
  merchants: number;
  days: number;
  /** The stream ends here and starts `days` before. */
  end: Date;
  /** Incidents of each scenario per 1,000 ordinary customers over the whole stream. */
  scenarios: Record<Scenario, number>;
  /** Distinct payers each mule receives from within a day, at least. */
  mulePayersMin: number;
  /** Structuring keeps each movement just below this (CNY fen). */
  structuringThresholdMinor: bigint;
}

/**
 * About 3 % of customers take part in an incident: the rings involve many payers
 * (victims), the others one or two customers each.
 */
export const DEFAULT_SCENARIO_RATES: Record<Scenario, number> = {
  account_takeover: 4,
  phishing_victim: 5,
  mule_ring: 0.5,
  card_testing: 2,
  brushing_merchant: 0.5,
  structuring: 1,
  round_tripping: 1,
};

export const TRAFFIC_DEFAULTS = {
  seed: 7,
  customers: 10_000,
  days: 30,
  mulePayersMin: 10,
  structuringThresholdMinor: 5_000_000n,
} as const;

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;
/** Limits on what one generation may ask for, so a typo cannot exhaust memory. */
export const CUSTOMERS_MAX = 1_000_000;
export const DAYS_MAX = 366;

/** Fills defaults and checks ranges; throws a RangeError naming the option. */
export function trafficOptions(
  input: Partial<Omit<TrafficOptions, 'scenarios'>> & {
    end: Date;
    scenarios?: Partial<Record<Scenario, number>>;
  },
): TrafficOptions {
  const customers = input.customers ?? TRAFFIC_DEFAULTS.customers;
  const options: TrafficOptions = {
    seed: input.seed ?? TRAFFIC_DEFAULTS.seed,
    customers,
    merchants: input.merchants ?? Math.max(1, Math.round(customers / 50)),
    days: input.days ?? TRAFFIC_DEFAULTS.days,
    end: input.end,
    scenarios: { ...DEFAULT_SCENARIO_RATES, ...input.scenarios },
    mulePayersMin: input.mulePayersMin ?? TRAFFIC_DEFAULTS.mulePayersMin,
    structuringThresholdMinor: input.structuringThresholdMinor ?? TRAFFIC_DEFAULTS.structuringThresholdMinor,
  };
  const intIn = (name: string, v: number, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${v}`);
    }
  };
  intIn('seed', options.seed, 0, 2 ** 32 - 1);
  intIn('customers', options.customers, 1, CUSTOMERS_MAX);
  intIn('merchants', options.merchants, 1, CUSTOMERS_MAX);
  intIn('days', options.days, 1, DAYS_MAX);
  intIn('mulePayersMin', options.mulePayersMin, 2, 100);
  if (Number.isNaN(options.end.getTime())) throw new RangeError('end must be a valid date');
  if (options.structuringThresholdMinor < 200_000n) {
    throw new RangeError('structuringThresholdMinor must be at least 200000 (2,000 CNY)');
  }
  for (const s of SCENARIOS) {
    const rate = options.scenarios[s];
    if (!Number.isFinite(rate) || rate < 0 || rate > 100) {
      throw new RangeError(`the rate of ${s} must be from 0 to 100 per 1,000 customers, got ${rate}`);
    }
  }
  return options;
}

/** One event as a JSON line: amounts as integer strings, keys in a fixed order. */
export function eventJson(event: SimEvent): string {
  return JSON.stringify(event, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

/** The customer or merchant whose events must stay in order relative to this one. */
export function laneOf(event: SimEvent): string {
  return event.type === 'open_merchant' ? event.merchant : event.customer;
}

export function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`missing ${what}`);
  return value;
}

/** The map's value for `key`, made and stored first when there is none. */
export function entry<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}
