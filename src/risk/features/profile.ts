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
}

export interface ProfileFacts {
  customer: CustomerFacts;
  /**
   * Amounts of the customer's committed outgoing movements in the event currency, within
   * AMOUNT_HISTORY_MS before the event, at most the AMOUNT_HISTORY_MAX latest.
   */
  outAmounts: bigint[];
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

interface CustomerHistory extends CustomerFacts {
  /** Per currency, committed outgoing [time ms, amount], oldest first. */
  amounts: Map<string, Array<[number, bigint]>>;
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
    const when = (event.at ?? at).getTime();
    const c = this.customers.get(event.customerId);
    const facts: ProfileFacts = {
      customer: c ? publicFacts(c) : {},
      outAmounts: amountsBefore(c?.amounts.get(event.currency ?? ''), when),
    };
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

  async observe(event: FeatureEvent, at: Date): Promise<void> {
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
    const country = event.geo?.country;
    if (country !== undefined) c.countries.set(country, (c.countries.get(country) ?? 0) + 1);
    if (OUTGOING_TYPES.has(event.type) && event.currency !== undefined) {
      let list = c.amounts.get(event.currency);
      if (!list) {
        list = [];
        c.amounts.set(event.currency, list);
      }
      list.push([when.getTime(), event.amountMinor ?? 0n]);
      // Keep what a later read could still use: the cap, and nothing older than the window.
      const cutoff = when.getTime() - AMOUNT_HISTORY_MS;
      while (list.length > AMOUNT_HISTORY_MAX || (list[0] !== undefined && list[0][0] <= cutoff))
        list.shift();
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
  };
}

/** Amounts strictly before `when` and within the history window, the latest AMOUNT_HISTORY_MAX. */
function amountsBefore(list: Array<[number, bigint]> | undefined, when: number): bigint[] {
  if (!list) return [];
  const from = when - AMOUNT_HISTORY_MS;
  const picked = list.filter(([t]) => t > from && t < when).map(([, a]) => a);
  return picked.slice(-AMOUNT_HISTORY_MAX);
}
