import type {
  EntityKey,
  VelocityQuery,
  VelocityResult,
  VelocityStore,
  VelocityWindow,
} from '../velocity/store.ts';
import type { ProfileFacts, ProfileSource } from './profile.ts';
import {
  declineEventsOf,
  entityKey,
  type FeatureEvent,
  merchantAmountKey,
  merchantDeviceKey,
  merchantIpKey,
  newPayeeEventsOf,
  velocityEventsOf,
} from './velocity-events.ts';

/**
 * Feature computation: one code path for live decisions and back-tests. For each event it
 * reads the velocity counters and the profile facts concurrently, each bounded by the
 * deadline, and derives every feature of the registry (`src/risk/rules/features.ts`).
 * A source that does not answer in time leaves its features absent and is named in
 * `degraded`, so the engine can apply its fail-safe policy instead of waiting.
 */

export type FeatureValue = number | bigint | boolean | string;
/** Where a feature comes from; a degraded source leaves all its features missing. */
export type FeatureSource = 'velocity' | 'profile' | 'model';

export interface FeatureResult {
  features: Record<string, FeatureValue>;
  /** Registry features this event should have had but a slow or failing source did not give. */
  missing: string[];
  /** Sources that did not answer within the deadline (or failed). */
  degraded: FeatureSource[];
}

export interface ComputeOptions {
  /** Milliseconds the sources get; unlimited when absent. */
  deadlineMs?: number | undefined;
}

/** Hours reported for a password or phone that never changed (ten years). */
export const NEVER_CHANGED_HOURS = 87_600;
/** Model features until the model is wired in: the lowest band, so no rule fires on the model alone. */
export const MODEL_DEFAULTS = { 'model.score': 0, 'model.level': 'low' } as const;
/** Percentile of an amount when the customer has no history to compare it with: the middle. */
export const NO_HISTORY_PERCENTILE = 0.5;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Velocity features: name → the counter, window and value they read. */
interface VelocitySpec {
  entity: (e: FeatureEvent) => EntityKey | undefined;
  metric: string;
  window: VelocityWindow;
  value: 'count' | 'sum' | 'distinct';
}

const customerKey = (e: FeatureEvent) => entityKey('customer', e.customerId);
const isTransfer = (e: FeatureEvent) => e.type === 'transfer';
const isMerchantEvent = (e: FeatureEvent) => e.type === 'payment' || e.type === 'refund';
const payeeKey = (e: FeatureEvent) => (isTransfer(e) ? entityKey('payee', e.counterpartyId) : undefined);
const merchantKey = (e: FeatureEvent) =>
  isMerchantEvent(e) ? entityKey('merchant', e.counterpartyId) : undefined;

export const VELOCITY_FEATURES: Readonly<Record<string, VelocitySpec>> = {
  'customer.distinctDevices_30d': {
    entity: customerKey,
    metric: 'devices',
    window: '30d',
    value: 'distinct',
  },
  'customer.failedLogins_24h': { entity: customerKey, metric: 'login_fail', window: '24h', value: 'count' },
  'customer.newPayees_24h': { entity: customerKey, metric: 'new_payee', window: '24h', value: 'count' },
  'customer.out.count_1h': { entity: customerKey, metric: 'out', window: '1h', value: 'count' },
  'customer.out.count_24h': { entity: customerKey, metric: 'out', window: '24h', value: 'count' },
  'customer.out.sum_1h': { entity: customerKey, metric: 'out', window: '1h', value: 'sum' },
  'customer.out.sum_24h': { entity: customerKey, metric: 'out', window: '24h', value: 'sum' },
  'customer.received.count_24h': { entity: customerKey, metric: 'received', window: '24h', value: 'count' },
  'customer.received.sum_24h': { entity: customerKey, metric: 'received', window: '24h', value: 'sum' },
  'customer.topup.count_1h': { entity: customerKey, metric: 'topup', window: '1h', value: 'count' },
  'customer.topup.smallCount_1h': {
    entity: customerKey,
    metric: 'topup_small',
    window: '1h',
    value: 'count',
  },
  'customer.failedBindings_1h': { entity: customerKey, metric: 'binding_fail', window: '1h', value: 'count' },
  'payee.distinctPayers_24h': { entity: payeeKey, metric: 'received', window: '24h', value: 'distinct' },
  'payee.received.sum_24h': { entity: payeeKey, metric: 'received', window: '24h', value: 'sum' },
  'device.accountsSeen_30d': {
    entity: (e) => entityKey('device', e.deviceId),
    metric: 'customers',
    window: '30d',
    value: 'distinct',
  },
  'ip.failedLogins_1h': {
    entity: (e) => entityKey('ip', e.ip),
    metric: 'login_fail',
    window: '1h',
    value: 'count',
  },
  'ip.accountsSeen_24h': {
    entity: (e) => entityKey('ip', e.ip),
    metric: 'customers',
    window: '24h',
    value: 'distinct',
  },
  'merchant.sameAmountPayments_1h': {
    entity: (e) =>
      e.type === 'payment' && e.counterpartyId !== undefined
        ? merchantAmountKey(e.counterpartyId, e.amountMinor ?? 0n)
        : undefined,
    metric: 'payment',
    window: '1h',
    value: 'count',
  },
};

/** Reads of the refund rate and linked payers, combined from several counters. */
const MERCHANT_READS = {
  payments: { metric: 'payment', window: '30d' },
  refunds: { metric: 'refund', window: '30d' },
} as const;

/** Profile features, each derived from the facts (undefined when the facts do not tell). */
export const PROFILE_FEATURES: Readonly<
  Record<string, (f: ProfileFacts, e: FeatureEvent, at: number) => FeatureValue | undefined>
> = {
  'customer.accountAgeDays': (f, _e, at) => daysSince(f.customer.createdAt, at),
  'customer.kycTier': (f) => f.customer.kycTier,
  'customer.typicalAmount': (f) => median(f.outAmounts),
  'customer.amountPercentile': (f, e) => percentile(f.outAmounts, e.amountMinor ?? 0n),
  'customer.hoursSincePasswordChange': (f, _e, at) => hoursSinceChange(f.customer.passwordChangedAt, at),
  'customer.hoursSincePhoneChange': (f, _e, at) => hoursSinceChange(f.customer.phoneChangedAt, at),
  'payee.isNew': (f) => (f.payee ? !f.payee.known : undefined),
  'payee.accountAgeDays': (f, _e, at) => daysSince(f.payee?.createdAt, at),
  'payee.kycTier': (f) => f.payee?.kycTier,
  'device.isNew': (f, e) => (e.deviceId === undefined ? undefined : !f.deviceFirstSeenAt),
  'device.ageHours': (f, e, at) =>
    e.deviceId === undefined
      ? undefined
      : f.deviceFirstSeenAt
        ? Math.max(0, Math.floor((at - f.deviceFirstSeenAt.getTime()) / HOUR_MS))
        : 0,
  'ip.countryMismatch': (f, e) => {
    if (e.ip === undefined) return undefined;
    const here = e.geo?.country;
    const usual = f.customer.usualCountry;
    // Unknown on either side is no evidence of a mismatch.
    return here !== undefined && usual !== undefined && here !== usual;
  },
  'merchant.accountAgeDays': (f, _e, at) => daysSince(f.merchant?.createdAt, at),
};

/** Every feature name this module produces, with its source (the tests check it against the registry). */
export function producedFeatures(): Map<string, FeatureSource> {
  const m = new Map<string, FeatureSource>();
  for (const n of Object.keys(VELOCITY_FEATURES)) m.set(n, 'velocity');
  for (const n of Object.keys(PROFILE_FEATURES)) m.set(n, 'profile');
  m.set('merchant.refundRate_30d', 'velocity');
  m.set('merchant.linkedPayers_1h', 'velocity');
  m.set('ip.isProxy', 'profile');
  for (const n of Object.keys(MODEL_DEFAULTS)) m.set(n, 'model');
  return m;
}

/** Whether an address is a known proxy, VPN exit or hosting range. */
export type ProxyCheck = (ip: string) => boolean;

export interface FeatureComputerOptions {
  velocity: VelocityStore;
  profile: ProfileSource;
  /** Without IP intelligence every address reads as not a proxy. */
  isProxy?: ProxyCheck | undefined;
}

const TIMEOUT = Symbol('timeout');

/** Resolves to the value, or TIMEOUT after `ms` (or on failure, which is just as unusable). */
async function within<T>(p: Promise<T>, ms: number | undefined): Promise<T | typeof TIMEOUT> {
  const guarded: Promise<T | typeof TIMEOUT> = p.catch((): typeof TIMEOUT => TIMEOUT);
  if (ms === undefined) return guarded;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMEOUT), Math.max(0, ms));
  });
  try {
    return await Promise.race([guarded, late]);
  } finally {
    clearTimeout(timer);
  }
}

export class FeatureComputer {
  private readonly velocity: VelocityStore;
  private readonly profile: ProfileSource;
  private readonly isProxy: ProxyCheck;

  constructor(options: FeatureComputerOptions) {
    this.velocity = options.velocity;
    this.profile = options.profile;
    this.isProxy = options.isProxy ?? (() => false);
  }

  /**
   * The features of an event at `at` (its decision time; the event's own `at` wins when
   * given). Records the event's velocity counters after reading them, in the same call.
   * The one counter that needs the profile (a transfer to a new payee) is written once the
   * profile has answered, in a second write only for such transfers; when the profile is
   * degraded that count is lost, so `customer.newPayees_24h` may read low afterwards.
   */
  async compute(event: FeatureEvent, at: Date, options: ComputeOptions = {}): Promise<FeatureResult> {
    const when = (event.at ?? at).getTime();
    const started = Date.now();
    const features: Record<string, FeatureValue> = {};
    const missing: string[] = [];
    const degraded: FeatureSource[] = [];

    // Velocity reads: one per feature that applies, plus the merchant combinations.
    const queries: VelocityQuery[] = [];
    const slots = new Map<string, number>();
    const ask = (name: string, entity: EntityKey | undefined, metric: string, window: VelocityWindow) => {
      if (!entity) return;
      slots.set(name, queries.length);
      queries.push({ entity, metric, window, at: when });
    };
    for (const [name, spec] of Object.entries(VELOCITY_FEATURES))
      ask(name, spec.entity(event), spec.metric, spec.window);
    const merchant = merchantKey(event);
    if (merchant) {
      ask('#payments', merchant, MERCHANT_READS.payments.metric, MERCHANT_READS.payments.window);
      ask('#refunds', merchant, MERCHANT_READS.refunds.metric, MERCHANT_READS.refunds.window);
    }
    if (event.type === 'payment' && event.counterpartyId !== undefined) {
      ask('#byDevice', merchantDeviceKey(event.counterpartyId, event.deviceId), 'payers', '1h');
      ask('#byIp', merchantIpKey(event.counterpartyId, event.ip), 'payers', '1h');
    }

    const [velocity, facts] = await Promise.all([
      within(this.velocity.readAndRecord(queries, velocityEventsOf(event, when)), options.deadlineMs),
      within(this.profile.facts(event, new Date(when)), options.deadlineMs),
    ]);

    const read = (name: string): VelocityResult | undefined => {
      const i = slots.get(name);
      return i === undefined || velocity === TIMEOUT ? undefined : velocity[i];
    };
    for (const [name, spec] of Object.entries(VELOCITY_FEATURES)) {
      if (!slots.has(name)) continue;
      const r = read(name);
      if (r) features[name] = spec.value === 'sum' ? r.sum : spec.value === 'count' ? r.count : r.distinct;
      else missing.push(name);
    }
    if (merchant) {
      const p = read('#payments');
      const r = read('#refunds');
      if (p && r) features['merchant.refundRate_30d'] = refundRate(p.sum, r.sum);
      else missing.push('merchant.refundRate_30d');
    }
    if (slots.has('#byDevice') || slots.has('#byIp') || event.type === 'payment') {
      if (velocity === TIMEOUT) missing.push('merchant.linkedPayers_1h');
      else features['merchant.linkedPayers_1h'] = linkedPayers(read('#byDevice'), read('#byIp'));
    }
    if (velocity === TIMEOUT) degraded.push('velocity');

    if (facts === TIMEOUT) {
      degraded.push('profile');
      for (const name of Object.keys(PROFILE_FEATURES)) if (applies(name, event)) missing.push(name);
    } else {
      for (const [name, derive] of Object.entries(PROFILE_FEATURES)) {
        const v = derive(facts, event, when);
        if (v !== undefined) features[name] = v;
      }
      // Counted after the read, like every other counter: this transfer is not one of its own new payees.
      if (facts.payee && !facts.payee.known && velocity !== TIMEOUT) {
        // Bounded by what is left of the deadline: a late write only loses this one count.
        const left =
          options.deadlineMs === undefined ? undefined : options.deadlineMs - (Date.now() - started);
        await within(this.velocity.record(newPayeeEventsOf(event, when)), left);
      }
    }
    if (event.ip !== undefined) features['ip.isProxy'] = this.isProxy(event.ip);

    Object.assign(features, MODEL_DEFAULTS);
    return { features, missing, degraded };
  }

  /** The event went through: profile sources learn it (known payee, device, amount history). */
  async committed(event: FeatureEvent, at: Date): Promise<void> {
    await this.profile.observe(event, event.at ?? at);
  }

  /** The engine declined the event: decline counters of the customer, device and address. */
  async declined(event: FeatureEvent, at: Date): Promise<void> {
    await this.velocity.record(declineEventsOf(event, (event.at ?? at).getTime()));
  }
}

/** Profile features that an event of this shape should have (for reporting what is missing). */
function applies(name: string, e: FeatureEvent): boolean {
  if (name.startsWith('payee.')) return isTransfer(e) && e.counterpartyId !== undefined;
  if (name.startsWith('merchant.')) return isMerchantEvent(e) && e.counterpartyId !== undefined;
  if (name.startsWith('device.')) return e.deviceId !== undefined;
  if (name.startsWith('ip.')) return e.ip !== undefined;
  return true;
}

/** The typical value sits for rules as the lower median: an amount that actually occurred. */
export function median(amounts: readonly bigint[]): bigint {
  if (amounts.length === 0) return 0n;
  const sorted = [...amounts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0n;
}

/** Share of the history strictly below the amount: 1.0 above all of it, 0.0 at or below the smallest. */
export function percentile(amounts: readonly bigint[], amount: bigint): number {
  if (amounts.length === 0) return NO_HISTORY_PERCENTILE;
  let below = 0;
  for (const a of amounts) if (a < amount) below += 1;
  return below / amounts.length;
}

function daysSince(d: Date | undefined, at: number): number | undefined {
  return d === undefined ? undefined : Math.max(0, Math.floor((at - d.getTime()) / DAY_MS));
}

function hoursSinceChange(d: Date | null | undefined, at: number): number | undefined {
  if (d === undefined) return undefined;
  if (d === null) return NEVER_CHANGED_HOURS;
  return Math.min(NEVER_CHANGED_HOURS, Math.max(0, Math.floor((at - d.getTime()) / HOUR_MS)));
}

/** Refunded share of the payment amount, capped at 1 (refunds of older payments can exceed it). */
function refundRate(payments: bigint, refunds: bigint): number {
  if (payments === 0n) return refunds > 0n ? 1 : 0;
  if (refunds >= payments) return 1;
  return Number((refunds * 1_000_000n) / payments) / 1_000_000;
}

/**
 * Payers of the merchant in the hour that share this payment's device or address (the
 * largest group of the two). Only this event's device and address are looked at, which
 * keeps it to two reads; a group counts when it has at least two payers.
 */
function linkedPayers(byDevice: VelocityResult | undefined, byIp: VelocityResult | undefined): number {
  const n = Math.max(byDevice?.distinct ?? 0, byIp?.distinct ?? 0);
  return n >= 2 ? n : 0;
}
