import { type FeatureEvent, OUTGOING_TYPES } from './velocity-events.ts';

/**
 * Profile facts: what is known about the parties of an event from their history, as raw
 * facts (dates, tiers, amounts). Sources only fetch facts; the feature computer turns them
 * into features, so the database source and the replay source cannot drift apart in how a
 * feature is derived — only in what they remember, which the tests compare.
 */

/** How far back amounts are looked at, and how many of the latest are kept. */
export const AMOUNT_HISTORY_MS = 90 * 86_400_000;
export const AMOUNT_HISTORY_MAX = 500;

export interface CustomerFacts {
  createdAt?: Date | undefined;
  kycTier?: number | undefined;
  /** Last password change or reset; null when it never changed after registration. */
  passwordChangedAt?: Date | null | undefined;
  /** Last phone change; null when it never changed. */
  phoneChangedAt?: Date | null | undefined;
  /** The country the customer usually acts from, when known. */
  usualCountry?: string | undefined;
  /** Where and when the customer last acted from a known position (impossible travel). */
  lastLocation?: { lat: number; lon: number; at: Date } | undefined;
  /** The customer's last committed outgoing movement; null when there was none. */
  lastOutAt?: Date | null | undefined;
}

export interface ProfileFacts {
  customer: CustomerFacts;
  /**
   * Amounts of the customer's committed outgoing movements in the event currency, within
   * AMOUNT_HISTORY_MS before the event, at most the AMOUNT_HISTORY_MAX latest.
   */
  outAmounts: bigint[];
  /** The same amounts in ascending order, when the source keeps them sorted (spares a sort per read). */
  outAmountsSorted?: bigint[] | undefined;
  payee?: (CustomerFacts & { known: boolean }) | undefined;
  /** When the event's device was first seen for the customer; null when never. */
  deviceFirstSeenAt?: Date | null | undefined;
  merchant?: { createdAt?: Date | undefined } | undefined;
}

export interface ProfileSource {
  /** Facts for the event as of `at`. Must not count the event itself. */
  facts(event: FeatureEvent, at: Date): Promise<ProfileFacts>;
  /** The event was committed (money moved, device used): later events see it. */
  observe(event: FeatureEvent, at: Date): Promise<void>;
}

/**
 * One currency's committed outgoing amounts, in the order observed (oldest first when
 * observed in time order), and the same amounts sorted: a read takes the typical amount
 * and the percentile from the sorted list instead of sorting up to AMOUNT_HISTORY_MAX
 * amounts each time.
 */
class AmountHistory {
  readonly times: number[] = [];
  readonly amounts: bigint[] = [];
  /** The same amounts in ascending order, kept by binary insertion. */
  readonly sorted: bigint[] = [];
  /** No time is earlier than the one before it (so the first and last bound them all). */
  private ordered = true;

  add(t: number, amount: bigint): void {
    const last = this.times[this.times.length - 1];
    if (last !== undefined && t < last) this.ordered = false;
    this.times.push(t);
    this.amounts.push(amount);
    this.sorted.splice(upperBound(this.sorted, amount), 0, amount);
    // Keep what a later read could still use: the cap, and nothing older than the window.
    const cutoff = t - AMOUNT_HISTORY_MS;
    while (
      this.times.length > AMOUNT_HISTORY_MAX ||
      (this.times[0] !== undefined && this.times[0] <= cutoff)
    ) {
      this.times.shift();
      const gone = this.amounts.shift();
      if (gone !== undefined) this.sorted.splice(upperBound(this.sorted, gone) - 1, 1);
    }
    if (this.times.length === 0) this.ordered = true;
  }

  /** Amounts strictly before `when` and within the history window, the latest AMOUNT_HISTORY_MAX. */
  before(when: number): Pick<ProfileFacts, 'outAmounts' | 'outAmountsSorted'> {
    const n = this.times.length;
    const from = when - AMOUNT_HISTORY_MS;
    // The usual case: everything held is in range, and the sorted list is the answer's.
    if (this.ordered && (n === 0 || ((this.times[0] ?? 0) > from && (this.times[n - 1] ?? 0) < when))) {
      return { outAmounts: this.amounts.slice(), outAmountsSorted: this.sorted.slice() };
    }
    const picked: bigint[] = [];
    for (let i = 0; i < n; i++) {
      const t = this.times[i] ?? 0;
      const a = this.amounts[i];
      if (t > from && t < when && a !== undefined) picked.push(a);
    }
    return { outAmounts: picked.slice(-AMOUNT_HISTORY_MAX) };
  }
}

/** Index of the first element greater than `v` in an ascending list. */
function upperBound(sorted: readonly bigint[], v: bigint): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? 0n) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface CustomerHistory extends CustomerFacts {
  /** Per currency, the committed outgoing amounts. */
  amounts: Map<string, AmountHistory>;
  payees: Set<string>;
  devices: Map<string, Date>;
  countries: Map<string, number>;
}

/**
 * The replay source: learns everything from the events it is fed (plus what is seeded for
 * parties whose registration is older than the replayed history), in event-time order.
 */
export class MemoryProfileSource implements ProfileSource {
  private readonly customers = new Map<string, CustomerHistory>();
  private readonly merchants = new Map<string, Date>();

  private customer(id: string): CustomerHistory {
    let c = this.customers.get(id);
    if (!c) {
      c = { amounts: new Map(), payees: new Set(), devices: new Map(), countries: new Map() };
      this.customers.set(id, c);
    }
    return c;
  }

  /** Seeds a customer registered before the replayed history starts. */
  seedCustomer(id: string, facts: CustomerFacts): void {
    Object.assign(this.customer(id), facts);
  }

  /** Records a verification tier change (tiers change outside the event stream). */
  setKycTier(id: string, tier: number): void {
    this.customer(id).kycTier = tier;
  }

  seedMerchant(id: string, createdAt: Date): void {
    this.merchants.set(id, createdAt);
  }

  async facts(event: FeatureEvent, at: Date): Promise<ProfileFacts> {
    return this.factsSync(event, at);
  }

  async observe(event: FeatureEvent, at: Date): Promise<void> {
    this.observeSync(event, at);
  }

  /** `facts` without the promise: this source answers in this process, at once. */
  factsSync(event: FeatureEvent, at: Date): ProfileFacts {
    const when = (event.at ?? at).getTime();
    const c = this.customers.get(event.customerId);
    const history = c?.amounts.get(event.currency ?? '');
    const facts: ProfileFacts = {
      customer: c ? publicFacts(c) : {},
      outAmounts: [],
    };
    if (history) {
      const amounts = history.before(when);
      facts.outAmounts = amounts.outAmounts;
      if (amounts.outAmountsSorted) facts.outAmountsSorted = amounts.outAmountsSorted;
    }
    const other = event.counterpartyId;
    if (event.type === 'transfer' && other !== undefined) {
      const p = this.customers.get(other);
      facts.payee = { ...(p ? publicFacts(p) : {}), known: c?.payees.has(other) ?? false };
    }
    if (event.deviceId !== undefined) {
      const seen = c?.devices.get(event.deviceId);
      facts.deviceFirstSeenAt = seen !== undefined && seen.getTime() < when ? seen : null;
    }
    if ((event.type === 'payment' || event.type === 'refund') && other !== undefined) {
      facts.merchant = { createdAt: this.merchants.get(other) };
    }
    return facts;
  }

  /** `observe` without the promise. */
  observeSync(event: FeatureEvent, at: Date): void {
    if (event.failed) return;
    const when = event.at ?? at;
    const c = this.customer(event.customerId);
    if (event.type === 'registration' && c.createdAt === undefined) {
      c.createdAt = when;
      c.kycTier ??= 0;
      c.passwordChangedAt ??= null;
      c.phoneChangedAt ??= null;
    }
    if (event.type === 'password_change') c.passwordChangedAt = when;
    if (event.type === 'phone_change') c.phoneChangedAt = when;
    if (event.deviceId !== undefined && !c.devices.has(event.deviceId)) c.devices.set(event.deviceId, when);
    const lat = event.geo?.lat;
    const lon = event.geo?.lon;
    if (lat !== undefined && lon !== undefined && (!c.lastLocation || c.lastLocation.at <= when)) {
      c.lastLocation = { lat, lon, at: when };
    }
    if (OUTGOING_TYPES.has(event.type) && (!c.lastOutAt || c.lastOutAt < when)) c.lastOutAt = when;
    const country = event.geo?.country;
    if (country !== undefined) c.countries.set(country, (c.countries.get(country) ?? 0) + 1);
    if (OUTGOING_TYPES.has(event.type) && event.currency !== undefined) {
      let history = c.amounts.get(event.currency);
      if (!history) {
        history = new AmountHistory();
        c.amounts.set(event.currency, history);
      }
      history.add(when.getTime(), event.amountMinor ?? 0n);
    }
    if (event.type === 'transfer' && event.counterpartyId !== undefined) c.payees.add(event.counterpartyId);
  }
}

function publicFacts(c: CustomerHistory): CustomerFacts {
  let usual: string | undefined;
  let best = 0;
  for (const [country, n] of c.countries) {
    if (n > best) {
      best = n;
      usual = country;
    }
  }
  return {
    createdAt: c.createdAt,
    kycTier: c.kycTier,
    passwordChangedAt: c.passwordChangedAt,
    phoneChangedAt: c.phoneChangedAt,
    usualCountry: usual,
    lastLocation: c.lastLocation,
    lastOutAt: c.lastOutAt ?? null,
  };
}
